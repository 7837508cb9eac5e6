using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;
using Cnnc.Engine.Analysis;

namespace Cnnc.Interactive;

/// <summary>One image's row of an inspection (paper Fig. 6 (D)).</summary>
/// <param name="Index">Dataset index.</param>
/// <param name="Item">The dataset's description of the image.</param>
/// <param name="Label">Ground-truth class name.</param>
/// <param name="Prediction">Predicted class name (from the store).</param>
/// <param name="Confidence">Softmax probability of the prediction.</param>
/// <param name="TrueClassConfidence">Softmax probability of the ground-truth class.</param>
/// <param name="Correct">Whether the prediction is the label.</param>
/// <param name="ExplainedClass">The class the saliency map explains.</param>
/// <param name="RoiSize">Fraction of the map's pixels with saliency ≥ the threshold.</param>
/// <param name="Histogram">Colour-intensity histogram (CIH) of the image where saliency ≥ the threshold.</param>
/// <param name="CihDistance">Distance of <see cref="Histogram"/> to the reference row's, when sorted by CIH; else null.</param>
/// <param name="IsReference">Whether this is the reference row of a CIH sort.</param>
/// <param name="Heatmap">Heatmap above the threshold with contour lines over the image, as a PNG data URI.</param>
/// <param name="Map">The saliency map at the model's input resolution.</param>
public sealed record InspectionRow(
    int Index, string Item, string Label, string Prediction, double Confidence, double TrueClassConfidence, bool Correct,
    string ExplainedClass, double RoiSize, [property: JsonIgnore] ColorHistogram Histogram, double? CihDistance, bool IsReference,
    [property: JsonIgnore] string Heatmap, [property: JsonIgnore] Map2D Map);

/// <summary>Accuracy of the inspected model on one selected class (the paper's accuracy scatter of view E).</summary>
/// <param name="ClassIndex">Class index.</param>
/// <param name="ClassName">Class name.</param>
/// <param name="Accuracy">The model's accuracy on it (from the store).</param>
/// <param name="Correct">Correctly predicted images.</param>
/// <param name="Total">Readable images of the class.</param>
public sealed record ClassAccuracy(int ClassIndex, string ClassName, double Accuracy, int Correct, int Total);

/// <summary>
/// One model × one or more classes (paper 6.2, Bob): a page of the classes' images with label, prediction, confidence,
/// the contour view of the explanation and the colour-intensity histogram (CIH) of the highlighted region. Displays as
/// a sortable, searchable table in which any row can order the others by CIH distance; <see cref="ToCsv"/> exports the
/// rows. Made by <see cref="CnncSession.Inspect"/> (or <c>#!cnnc inspect</c>); immutable.
/// </summary>
public sealed class Inspection
{
    internal Inspection(string dataset, string model, string architecture, double overallAccuracy,
        IReadOnlyList<ClassAccuracy> classes, string method, double threshold, ExplainTarget target, int page, int pageSize,
        int totalImages, int? sortedByCih, HistogramDistance distance, IReadOnlyList<InspectionRow> rows)
    {
        Dataset = dataset;
        Model = model;
        Architecture = architecture;
        OverallAccuracy = overallAccuracy;
        Classes = classes;
        Method = method;
        Threshold = threshold;
        Target = target;
        Page = page;
        PageSize = pageSize;
        TotalImages = totalImages;
        SortedByCih = sortedByCih;
        Distance = distance;
        Rows = rows;
    }

    /// <summary>Dataset name.</summary>
    public string Dataset { get; }

    /// <summary>The inspected model.</summary>
    public string Model { get; }

    /// <summary>Its architecture.</summary>
    public string Architecture { get; }

    /// <summary>Its top-1 accuracy on the whole dataset.</summary>
    public double OverallAccuracy { get; }

    /// <summary>The selected classes with the model's accuracy on each.</summary>
    public IReadOnlyList<ClassAccuracy> Classes { get; }

    /// <summary>Explanation method (canonical name).</summary>
    public string Method { get; }

    /// <summary>Saliency threshold of the contours, the ROI and the CIH.</summary>
    public double Threshold { get; }

    /// <summary>Which class the maps explain.</summary>
    public ExplainTarget Target { get; }

    /// <summary>1-based page number.</summary>
    public int Page { get; }

    /// <summary>Rows per page.</summary>
    public int PageSize { get; }

    /// <summary>Readable images of the selected classes.</summary>
    public int TotalImages { get; }

    /// <summary>Pages in all.</summary>
    public int PageCount => Math.Max(1, (TotalImages + PageSize - 1) / PageSize);

    /// <summary>Dataset index of the reference image the rows are sorted by CIH distance to, or null.</summary>
    public int? SortedByCih { get; }

    /// <summary>How CIHs are compared (here and in the page's "sort by CIH distance" buttons).</summary>
    public HistogramDistance Distance { get; }

    /// <summary>The page's rows: dataset order, or by CIH distance to <see cref="SortedByCih"/> (reference first).</summary>
    public IReadOnlyList<InspectionRow> Rows { get; }

    /// <summary>The row of dataset image <paramref name="index"/>; an image not on the page is an error.</summary>
    public InspectionRow Row(int index) =>
        Rows.FirstOrDefault(r => r.Index == index)
        ?? throw new ArgumentException($"Image {index} is not on this page (images {string.Join(", ", Rows.Take(10).Select(r => r.Index))}{(Rows.Count > 10 ? ", …" : "")}).");

    /// <summary>The same rows ordered by CIH distance to image <paramref name="index"/> (which must be on the page).</summary>
    public Inspection SortByCih(int index, HistogramDistance? distance = null)
    {
        var reference = Row(index);
        var kind = distance ?? Distance;
        var rows = OrderByCih(Rows.Select(r => r with { IsReference = false }).ToList(), reference.Histogram, index, kind);
        return new Inspection(Dataset, Model, Architecture, OverallAccuracy, Classes, Method, Threshold, Target, Page, PageSize,
            TotalImages, index, kind, rows);
    }

    /// <summary>Orders rows by (reference first, CIH distance, dataset index) and fills <see cref="InspectionRow.CihDistance"/>.</summary>
    internal static IReadOnlyList<InspectionRow> OrderByCih(IReadOnlyList<InspectionRow> rows, ColorHistogram reference, int referenceIndex,
        HistogramDistance kind) =>
        rows.Select(r => r with { CihDistance = r.Histogram.DistanceTo(reference, kind), IsReference = r.Index == referenceIndex })
            .OrderBy(r => r.IsReference ? 0 : 1).ThenBy(r => r.CihDistance).ThenBy(r => r.Index).ToList();

    /// <summary>The rows as CSV (RFC 4180, invariant culture, a header row; images and histogram bins left out).</summary>
    public string ToCsv()
    {
        var csv = new StringBuilder();
        Csv.Row(csv, "index", "item", "label", "prediction", "confidence", "true_class_confidence", "correct", "explained_class",
            "roi_size", "cih_pixels", "cih_distance", "model", "method", "threshold");
        foreach (var r in Rows)
            Csv.Row(csv, r.Index, r.Item, r.Label, r.Prediction, r.Confidence, r.TrueClassConfidence, r.Correct, r.ExplainedClass,
                r.RoiSize, r.Histogram.PixelCount, r.CihDistance, Model, Method, Threshold);
        return csv.ToString();
    }

    /// <summary>
    /// The inspection as a self-contained HTML fragment (table script and CIH data included; plotly.js inlined for the
    /// accuracy scatter unless <paramref name="includePlotly"/> is false because the page already has it).
    /// </summary>
    public string ToHtml(bool includePlotly = true) => Html.ExplainHtml.Render(this, includePlotly);

    public override string ToString() =>
        $"Inspection of {Model} on {string.Join(", ", Classes.Select(c => c.ClassName))} ({TotalImages} images; page {Page}/{PageCount}, " +
        $"{Rows.Count} rows), {Method} at threshold {Threshold.ToString(CultureInfo.InvariantCulture)}" +
        (SortedByCih is { } s ? $", sorted by CIH distance to image {s}" : "") + ": " +
        $"{Rows.Count(r => r.Correct)} of {Rows.Count} predicted right";
}
