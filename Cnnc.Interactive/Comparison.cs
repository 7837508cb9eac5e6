using System.Text;
using System.Text.Json.Serialization;
using Cnnc.Engine.Analysis;

namespace Cnnc.Interactive;

/// <summary>Which class an explanation explains.</summary>
public enum ExplainTarget
{
    /// <summary>The class the model predicts (Grad-CAM's convention and the engine's default).</summary>
    Predicted,

    /// <summary>The image's ground-truth class.</summary>
    Label,
}

/// <summary>Progress of <see cref="CnncSession.Compare"/> or <see cref="CnncSession.Inspect"/>.</summary>
/// <param name="Step">What is happening, e.g. "explaining resnet18".</param>
/// <param name="Done">Steps done (models for compare; explainer passes for inspect).</param>
/// <param name="Total">Steps in all.</param>
public sealed record ExplainJobProgress(string Step, long Done, long Total);

/// <summary>One image of a class, as a small PNG (the class strip of <see cref="Comparison"/>).</summary>
/// <param name="Index">Dataset index.</param>
/// <param name="Item">The dataset's description of the item (file path or e.g. "test[17]").</param>
/// <param name="Png">The image as a <c>data:image/png;base64,…</c> URI.</param>
public sealed record ClassImage(int Index, string Item, string Png);

/// <summary>One model's row of a comparison (paper Fig. 5 (2-D)).</summary>
/// <param name="Model">Model name.</param>
/// <param name="Architecture">Architecture name.</param>
/// <param name="OverallAccuracy">Top-1 accuracy on the whole dataset (from the store).</param>
/// <param name="ClassAccuracy">Accuracy on the compared class (from the store).</param>
/// <param name="TrueClassConfidence">Softmax probability of the ground-truth class on the image (from the store).</param>
/// <param name="GroundTruth">The image's class name.</param>
/// <param name="Prediction">The predicted class name.</param>
/// <param name="PredictionConfidence">Softmax probability of the predicted class.</param>
/// <param name="Correct">Whether the prediction is the ground truth.</param>
/// <param name="ExplainedClass">The class the saliency map explains.</param>
/// <param name="RoiSize">Fraction of the map's pixels with saliency ≥ the threshold (<see cref="Contours.RoiSize"/>).</param>
/// <param name="MeanSaliency">Mean of the [0, 1] saliency map.</param>
/// <param name="Heatmap">Heatmap above the threshold with contour lines over the image, as a PNG data URI.</param>
/// <param name="Map">The saliency map at the model's input resolution.</param>
public sealed record ComparisonRow(
    string Model, string Architecture, double OverallAccuracy, double ClassAccuracy, double TrueClassConfidence,
    string GroundTruth, string Prediction, double PredictionConfidence, bool Correct, string ExplainedClass, double RoiSize,
    double MeanSaliency, [property: JsonIgnore] string Heatmap, [property: JsonIgnore] Map2D Map);

/// <summary>
/// Several models × one class × one image (paper 6.1, Alice): per model its accuracies, prediction, confidence and the
/// contour view of its explanation; the similarity matrix of the models' saliency maps; the models' accuracy on the
/// class. Displays as a sortable, searchable table with the paper's view E beside it; <see cref="ToCsv"/> exports the
/// rows. Made by <see cref="CnncSession.Compare"/> (or <c>#!cnnc compare</c>); immutable.
/// </summary>
public sealed class Comparison
{
    internal Comparison(string dataset, string className, int classIndex, string root, int classImageCount,
        IReadOnlyList<ClassImage> classImages, int image, string imageItem, string imagePng, string method, double threshold,
        ExplainTarget target, SimilarityMatrix similarity, IReadOnlyList<ComparisonRow> rows)
    {
        Dataset = dataset;
        ClassName = className;
        ClassIndex = classIndex;
        Root = root;
        ClassImageCount = classImageCount;
        ClassImages = classImages;
        Image = image;
        ImageItem = imageItem;
        ImagePng = imagePng;
        Method = method;
        Threshold = threshold;
        Target = target;
        Similarity = similarity;
        Rows = rows;
    }

    /// <summary>Dataset name.</summary>
    public string Dataset { get; }

    /// <summary>The compared class (display name).</summary>
    public string ClassName { get; }

    /// <summary>Its class index.</summary>
    public int ClassIndex { get; }

    /// <summary>Its root class.</summary>
    public string Root { get; }

    /// <summary>Readable images of the class in the dataset.</summary>
    public int ClassImageCount { get; }

    /// <summary>The first images of the class (the strip), with their dataset indices.</summary>
    public IReadOnlyList<ClassImage> ClassImages { get; }

    /// <summary>Dataset index of the compared image.</summary>
    public int Image { get; }

    /// <summary>The dataset's description of the compared image.</summary>
    public string ImageItem { get; }

    /// <summary>The compared image as a PNG data URI (view E).</summary>
    public string ImagePng { get; }

    /// <summary>Explanation method (canonical name, e.g. "gradcam").</summary>
    public string Method { get; }

    /// <summary>Saliency threshold of the contours and the ROI.</summary>
    public double Threshold { get; }

    /// <summary>Which class the maps explain.</summary>
    public ExplainTarget Target { get; }

    /// <summary>Similarity of the models' saliency maps (labels: model names, in row order).</summary>
    public SimilarityMatrix Similarity { get; }

    /// <summary>One row per model, in the order the models were given.</summary>
    public IReadOnlyList<ComparisonRow> Rows { get; }

    /// <summary>The row of a model (case-insensitive); an unknown name is an error listing the models.</summary>
    public ComparisonRow Row(string model) =>
        Rows.FirstOrDefault(r => r.Model.Equals(model, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"Unknown model '{model}'. Models: {string.Join(", ", Rows.Select(r => r.Model))}.");

    /// <summary>The rows as CSV (RFC 4180, invariant culture, a header row; images left out).</summary>
    public string ToCsv()
    {
        var csv = new StringBuilder();
        Csv.Row(csv, "model", "architecture", "overall_accuracy", "class_accuracy", "true_class_confidence", "ground_truth",
            "prediction", "prediction_confidence", "correct", "explained_class", "roi_size", "mean_saliency", "image", "method", "threshold");
        foreach (var r in Rows)
            Csv.Row(csv, r.Model, r.Architecture, r.OverallAccuracy, r.ClassAccuracy, r.TrueClassConfidence, r.GroundTruth,
                r.Prediction, r.PredictionConfidence, r.Correct, r.ExplainedClass, r.RoiSize, r.MeanSaliency, Image, Method, Threshold);
        return csv.ToString();
    }

    /// <summary>The similarity matrix as CSV: a header of model names, then one row per model.</summary>
    public string SimilarityCsv()
    {
        var csv = new StringBuilder();
        Csv.Row(csv, new object?[] { "model" }.Concat(Similarity.Labels).ToArray());
        for (var i = 0; i < Similarity.Labels.Count; i++)
            Csv.Row(csv, new object?[] { Similarity.Labels[i] }.Concat(Similarity.Values[i].Cast<object?>()).ToArray());
        return csv.ToString();
    }

    /// <summary>
    /// The comparison as a self-contained HTML fragment (table script included; plotly.js inlined for view E unless
    /// <paramref name="includePlotly"/> is false because the page already has it).
    /// </summary>
    public string ToHtml(bool includePlotly = true) => Html.ExplainHtml.Render(this, includePlotly);

    public override string ToString() =>
        $"Comparison of {Rows.Count} model{(Rows.Count == 1 ? "" : "s")} on image {Image} ({ClassName}) of {Dataset}, " +
        $"{Method} at threshold {Threshold.ToString(System.Globalization.CultureInfo.InvariantCulture)}: " +
        string.Join(", ", Rows.Select(r => $"{r.Model} → {r.Prediction} ({(r.Correct ? "right" : "wrong")}, ROI {Html.OverviewCharts.Percent(r.RoiSize)})"));
}

/// <summary>CSV cells as the overview writes them (RFC 4180, invariant culture).</summary>
internal static class Csv
{
    public static void Row(StringBuilder csv, params object?[] cells) =>
        csv.Append(string.Join(",", cells.Select(Cell))).Append("\r\n");

    public static string Cell(object? value) => value switch
    {
        null => "",
        double d when double.IsNaN(d) => "",
        double d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        float f => f.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => Quote(value.ToString() ?? ""),
    };

    private static string Quote(string text) =>
        text.IndexOfAny(new[] { ',', '"', '\r', '\n' }) >= 0 ? "\"" + text.Replace("\"", "\"\"") + "\"" : text;
}
