using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;
using Cnnc.Engine.Analysis;
using Cnnc.Engine.Explain;
using Cnnc.Engine.Rendering;
using Cnnc.Engine.Runtime;
using static TorchSharp.torch;

namespace Cnnc.Engine.Studies;

/// <summary>What <see cref="Study.Inspect"/> inspects (paper 6.2); every default is the notebook's and the CLI's.</summary>
public sealed record InspectOptions
{
    /// <summary>The study model to inspect (required).</summary>
    public required string Model { get; init; }

    /// <summary>The classes whose images are shown (keys or display names; at least one).</summary>
    public required IReadOnlyList<string> Classes { get; init; }

    /// <summary>Explanation method. Default <see cref="StudyDefaults.InspectMethod"/> of the model's input size.</summary>
    public string? Method { get; init; }

    /// <summary>Saliency threshold of the contours, the ROI and the CIH, in [0, 1]. Default <see cref="StudyDefaults.Threshold"/>.</summary>
    public double Threshold { get; init; } = StudyDefaults.Threshold;

    /// <summary>Page of the classes' images, from 1.</summary>
    public int Page { get; init; } = 1;

    /// <summary>Rows per page. Default <see cref="StudyDefaults.PageRows"/>.</summary>
    public int Rows { get; init; } = StudyDefaults.PageRows;

    /// <summary>A dataset index of one of the classes' images: order the rows by CIH distance to it (explained too, shown first).</summary>
    public int? SortByCih { get; init; }

    /// <summary>How CIHs are compared. Default chi-square.</summary>
    public HistogramDistance Distance { get; init; } = HistogramDistance.ChiSquare;

    /// <summary>Which class the maps explain. Default the predicted one.</summary>
    public ExplainTarget Target { get; init; } = ExplainTarget.Predicted;

    /// <summary>Throws when a value is out of range.</summary>
    public InspectOptions Validate()
    {
        Thresholds.Check(Threshold);
        if (Page < 1) throw new ArgumentException($"The page must be at least 1 (got {Page}).");
        if (Rows < 1) throw new ArgumentException($"The rows per page must be at least 1 (got {Rows}).");
        return this;
    }
}

/// <summary>
/// One image's row of an inspection (paper Fig. 6 (D)). As a table it has the numbers and names only (the histogram's
/// pixel count as <see cref="CihPixels"/>): the histogram, the picture and the map are left out.
/// </summary>
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
/// <param name="CihDistance">Distance of <see cref="Histogram"/> to the reference row's, when sorted by CIH; else NaN (a
/// number either way, so that the column has one type in a table).</param>
/// <param name="IsReference">Whether this is the reference row of a CIH sort.</param>
/// <param name="Heatmap">Heatmap above the threshold with contour lines over the image.</param>
/// <param name="Map">The saliency map at the model's input resolution.</param>
public sealed record InspectionRow(
    int Index, string Item, string Label, string Prediction, double Confidence, double TrueClassConfidence, bool Correct,
    string ExplainedClass, double RoiSize,
    [property: JsonIgnore, DebuggerBrowsable(DebuggerBrowsableState.Never)] ColorHistogram Histogram, double CihDistance, bool IsReference,
    [property: JsonIgnore, DebuggerBrowsable(DebuggerBrowsableState.Never)] PngImage Heatmap,
    [property: JsonIgnore, DebuggerBrowsable(DebuggerBrowsableState.Never)] Map2D Map)
{
    /// <summary>Pixels the CIH counts (the table's view of <see cref="Histogram"/>).</summary>
    public int CihPixels => Histogram.PixelCount;
}

/// <summary>Accuracy of the inspected model on one selected class (the paper's accuracy scatter of view E).</summary>
/// <param name="ClassIndex">Class index.</param>
/// <param name="ClassName">Class name.</param>
/// <param name="Accuracy">The model's accuracy on it (from the store).</param>
/// <param name="Correct">Correctly predicted images.</param>
/// <param name="Total">Readable images of the class.</param>
public sealed record ClassAccuracy(int ClassIndex, string ClassName, double Accuracy, int Correct, int Total);

/// <summary>
/// One model × one or more classes (paper 6.2, Bob): a page of the classes' images with label, prediction, confidence,
/// the contour view of the explanation and the colour-intensity histogram (CIH) of the highlighted region. The views
/// draw it as a sortable, searchable table in which any row can order the others by CIH distance; <see cref="ToCsv"/>
/// exports the rows. Made by <see cref="Study.Inspect"/>; immutable.
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

    public override string ToString() =>
        $"Inspection of {Model} on {string.Join(", ", Classes.Select(c => c.ClassName))} ({TotalImages} images; page {Page}/{PageCount}, " +
        $"{Rows.Count} rows), {Method} at threshold {Threshold.ToString(CultureInfo.InvariantCulture)}" +
        (SortedByCih is { } s ? $", sorted by CIH distance to image {s}" : "") + ": " +
        $"{Rows.Count(r => r.Correct)} of {Rows.Count} predicted right";

    /// <summary>The inspection of <paramref name="options"/> in <paramref name="study"/>.</summary>
    internal static Inspection Compute(Study study, InspectOptions options, IProgress<ExplainJobProgress>? progress,
        CancellationToken cancellationToken)
    {
        options.Validate();
        study.EnsureModels();
        var model = study.Model(options.Model);
        var explainer = ExplainerCatalog.Create(options.Method ?? StudyDefaults.InspectMethod(model.Reference.Options.InputSize));
        var classIndices = (options.Classes ?? throw new ArgumentNullException(nameof(options), "Give the classes to inspect."))
            .Select(study.ResolveClass).Distinct().ToList();
        if (classIndices.Count == 0) throw new ArgumentException("Give at least one class to inspect.");
        var entry = study.EntriesOf(new[] { model })[0];
        TorchRuntime.Initialize();
        var dataset = study.Dataset;
        var hierarchy = study.Hierarchy;
        var images = Selection.ImagesOf(entry, classIndices.ToHashSet());
        var names = string.Join(", ", classIndices.Select(c => $"'{hierarchy.ClassNames[c]}'"));
        if (images.Count == 0) throw new InvalidOperationException($"{names} {(classIndices.Count == 1 ? "has" : "have")} no readable images in {dataset.Name}.");
        var (page, rows) = (options.Page, options.Rows);
        var pageCount = (images.Count + rows - 1) / rows;
        if (page > pageCount)
            throw new ArgumentException($"Page {page} is past the end: the {images.Count} images of {names} make {pageCount} " +
                                        $"page{(pageCount == 1 ? "" : "s")} of {rows} rows.");
        var batch = images.Skip((page - 1) * rows).Take(rows).ToList();
        if (options.SortByCih is { } reference)
        {
            Selection.CheckImageOfClasses(study, reference, entry, classIndices, images);
            if (!batch.Contains(reference)) batch.Insert(0, reference);
        }

        var accuracy = AccuracyMetrics.Compute(entry);
        var device = TorchRuntime.DefaultDevice;
        var preprocessing = model.Reference.Preprocessing;
        var threshold = options.Threshold;
        var labelTargets = options.Target == ExplainTarget.Label;
        var result = new List<InspectionRow>();
        cancellationToken.ThrowIfCancellationRequested();
        lock (study.ExplainLock)
        {
            // Explanations and drawings computed before in this study are reused; the rest of the page is explained in
            // one batched call.
            var keys = batch.Select(i => study.KeyOf("inspect", model, i, explainer.Name, labelTargets ? (int)entry.Labels[i] : -1)).ToList();
            var explanations = new Explanation?[batch.Count];
            for (var k = 0; k < batch.Count; k++)
            {
                if (study.ExplanationCache.TryGet(keys[k], out var hit)) explanations[k] = hit;
                else if (study.StoredExplanation(model, batch[k], explainer.Name,
                             labelTargets ? (int)entry.Labels[batch[k]] : (int)entry.Predictions[batch[k]]) is { } stored)
                    study.ExplanationCache.Add(keys[k], explanations[k] = stored);
            }
            var missing = Enumerable.Range(0, batch.Count).Where(k => explanations[k] is null).ToList();
            using var pageScope = NewDisposeScope();
            var raws = new Tensor?[batch.Count];
            Tensor Raw(int k) => raws[k] ??= dataset.Load(batch[k]);
            if (missing.Count > 0)
            {
                progress?.Report(new ExplainJobProgress($"loading {model.Name}", 0, 1));
                var loaded = study.LoadedModels.Get(model.Reference, device);
                using (NewDisposeScope())
                {
                    var inputs = preprocessing.Stack(missing.Select(k => Raw(k).MoveToOuterDisposeScope()).ToList()).to(device);
                    var targets = labelTargets ? missing.Select(k => (int)entry.Labels[batch[k]]).ToArray() : null;
                    var engineProgress = progress is null ? null : new InlineProgress<ExplainProgress>(p =>
                        progress.Report(new ExplainJobProgress($"explaining {missing.Count} images with {p.Method}", p.Done, p.Total)));
                    var computed = explainer.ExplainBatch(loaded, inputs, targets, progress: engineProgress, cancellationToken: cancellationToken);
                    for (var m = 0; m < missing.Count; m++)
                    {
                        explanations[missing[m]] = computed[m];
                        study.ExplanationCache.Add(keys[missing[m]], computed[m]);
                    }
                }
            }
            progress?.Report(new ExplainJobProgress("drawing", 0, batch.Count));
            for (var k = 0; k < batch.Count; k++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var index = batch[k];
                var e = explanations[k]!;
                if (!study.ExplanationCache.TryGet(keys[k], threshold, out var drawing) || drawing.Histogram is null)
                {
                    using (NewDisposeScope())
                    {
                        var geometry = preprocessing.Geometry(Raw(k));
                        var contours = Contours.Compute(e.Map, threshold);
                        drawing = new ExplanationDrawing(contours.RoiSize, ColorHistogram.Compute(geometry, e.Map, threshold),
                            Pictures.Overlay(geometry, contours));
                    }
                    study.ExplanationCache.Add(keys[k], threshold, drawing);
                }
                var label = (int)entry.Labels[index];
                var predicted = (int)entry.Predictions[index];
                var (trueConfidence, predictedConfidence) = Selection.Confidences(entry, index, label, predicted);
                result.Add(new InspectionRow(index, dataset.Describe(index), hierarchy.ClassNames[label], hierarchy.ClassNames[predicted],
                    predictedConfidence, trueConfidence, predicted == label, hierarchy.ClassNames[e.TargetClass], drawing.RoiSize,
                    drawing.Histogram!, double.NaN, false, drawing.Heatmap, e.Map));
            }
        }
        IReadOnlyList<InspectionRow> ordered = result;
        if (options.SortByCih is { } r) ordered = OrderByCih(result, result.Single(x => x.Index == r).Histogram, r, options.Distance);
        var classAccuracies = classIndices.Select(c => new ClassAccuracy(c, hierarchy.ClassNames[c], accuracy.PerClass[c].Accuracy,
            accuracy.PerClass[c].Correct, accuracy.PerClass[c].Total)).ToList();
        return new Inspection(dataset.Name, model.Name, model.Architecture, accuracy.Overall, classAccuracies,
            explainer.Name, threshold, options.Target, page, rows, images.Count, options.SortByCih, options.Distance, ordered);
    }
}
