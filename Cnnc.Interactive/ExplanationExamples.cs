using System.Globalization;
using System.Text;
using Cnnc.Engine.Explain;
using Cnnc.Interactive.Html;

namespace Cnnc.Interactive;

/// <summary>
/// View D of the paper (section 5.1, "Visual Explanation View" before a task runs): how each explanation method's
/// result looks, for one model and one test image, explaining the image's own class. Each entry is the engine's
/// <see cref="ExplainerExample"/> (explanation, contour set, PNG, time). Displays as a row of images.
/// </summary>
public sealed class ExplanationExamples : ICnncView
{
    internal ExplanationExamples(string model, int image, string imageDescription, int classIndex, string className, string root,
        IReadOnlyList<string> classNames, byte[] imagePng, int pixelWidth, int pixelHeight, double threshold,
        IReadOnlyList<ExplainerExample> examples, IReadOnlyList<bool> cached)
    {
        Model = model;
        Image = image;
        ImageDescription = imageDescription;
        ClassIndex = classIndex;
        ClassName = className;
        Root = root;
        ClassNames = classNames;
        ImagePng = imagePng;
        PixelWidth = pixelWidth;
        PixelHeight = pixelHeight;
        Threshold = threshold;
        Examples = examples;
        Cached = cached;
    }

    /// <summary>The model explained.</summary>
    public string Model { get; }

    /// <summary>Dataset item index of the image.</summary>
    public int Image { get; }

    /// <summary>The dataset's description of the item (file path, or e.g. "test[17]").</summary>
    public string ImageDescription { get; }

    /// <summary>The image's class, which every method explains.</summary>
    public int ClassIndex { get; }

    /// <summary>Name of <see cref="ClassIndex"/>.</summary>
    public string ClassName { get; }

    /// <summary>Root class of <see cref="ClassIndex"/>.</summary>
    public string Root { get; }

    /// <summary>Class names, to name predictions.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The image as the model sees it, enlarged as the overlays are, PNG.</summary>
    public byte[] ImagePng { get; }

    /// <summary>Width of the PNGs in pixels.</summary>
    public int PixelWidth { get; }

    /// <summary>Height of the PNGs in pixels.</summary>
    public int PixelHeight { get; }

    /// <summary>Saliency threshold of the heatmaps and contours.</summary>
    public double Threshold { get; }

    /// <summary>One example per method, in the order asked.</summary>
    public IReadOnlyList<ExplainerExample> Examples { get; }

    /// <summary>Whether each example came from the session's cache (its time is that of the first computation).</summary>
    public IReadOnlyList<bool> Cached { get; }

    /// <summary>The methods, in order.</summary>
    public IReadOnlyList<string> Methods => Examples.Select(e => e.Method).ToList();

    /// <summary>The example of <paramref name="method"/> (canonical name), or null.</summary>
    public ExplainerExample? this[string method] => Examples.FirstOrDefault(e => e.Method == method);

    /// <summary>The model's prediction on the image (from the first method that succeeded), or null.</summary>
    public (int Class, float Probability)? Prediction =>
        Examples.FirstOrDefault(e => e.Explanation is not null)?.Explanation is { } x ? (x.PredictedClass, x.PredictedProbability) : null;

    /// <summary>Total explainer time in milliseconds (first computations, cached ones included).</summary>
    public double Milliseconds => Examples.Sum(e => e.Milliseconds);

    public string ToHtml() =>
        $"<div class=\"cnnc-view cnnc-explanations-view\">{Styles.Element}{ExplanationsHtml.Block(this, visible: true)}</div>";

    public override string ToString()
    {
        var text = new StringBuilder($"Explanations of {Model}, image {Image} ({ImageDescription}), class {ClassName} ({Root})");
        if (Prediction is { } p) text.Append($", predicted {ClassNames[p.Class]} ({OverviewCharts.Percent(p.Probability)})");
        foreach (var (e, i) in Examples.Select((e, i) => (e, i)))
            text.Append('\n').Append(e.Explanation is { } x
                ? $"  {e.Method,-16} score {x.Score.ToString("F3", CultureInfo.InvariantCulture)}, p {OverviewCharts.Percent(x.Probability)}, " +
                  $"ROI {OverviewCharts.Percent(e.Contours!.RoiSize)}, {ExplanationsHtml.Milliseconds(e.Milliseconds)}{(Cached[i] ? " (cached)" : "")}"
                : $"  {e.Method,-16} failed: {e.Error}");
        return text.ToString();
    }
}
