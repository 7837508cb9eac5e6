using System.Diagnostics;
using Cnnc.Engine.Analysis;
using Cnnc.Engine.Data;
using Cnnc.Engine.Models;
using Cnnc.Engine.Rendering;
using static TorchSharp.torch;

namespace Cnnc.Engine.Explain;

/// <summary>How <see cref="ExplainerExamples"/> draws each explanation (the paper's contour view, Fig. 2c).</summary>
public sealed record ExampleRenderOptions
{
    /// <summary>Saliency threshold t: the heatmap is drawn where the smoothed map is ≥ t, contours from t to 1. Default 0.5.</summary>
    public double Threshold { get; init; } = 0.5;

    /// <summary>Contour levels and smoothing.</summary>
    public ContourOptions Contours { get; init; } = ContourOptions.Default;

    /// <summary>Heatmap colours and opacity; its <see cref="OverlayOptions.Scale"/> is replaced by <see cref="Size"/>'s.</summary>
    public OverlayOptions Overlay { get; init; } = OverlayOptions.Default;

    /// <summary>How large the picture is drawn (default <see cref="PictureSize.Cell"/>: 4× for 28×28, 1× for 224×224).</summary>
    public PictureSize Size { get; init; } = PictureSize.Cell;

    /// <summary>The defaults.</summary>
    public static ExampleRenderOptions Default { get; } = new();
}

/// <summary>
/// One method's explanation of one image, drawn as the paper's contour view: the heatmap above the threshold and the
/// contour lines on the image, as PNG bytes.
/// </summary>
/// <param name="Method">Canonical method name (<see cref="ExplainerCatalog"/>).</param>
/// <param name="Description">The method's one-line description.</param>
/// <param name="Explanation">The explanation (target class, score, probability, prediction, maps); null if it failed.</param>
/// <param name="Milliseconds">Time the explainer took (the drawing excluded).</param>
/// <param name="Contours">The contour set at the threshold (ROI size, lines); null if it failed.</param>
/// <param name="Png">The rendered overlay (<see cref="Pictures.Overlay(Tensor, ContourSet, OverlayOptions?, PictureSize?)"/>); null if it failed.</param>
/// <param name="Error">Why the method failed on this model, or null.</param>
public sealed record ExplainerExample(
    string Method, string Description, Explanation? Explanation, double Milliseconds, ContourSet? Contours, PngImage? Png, string? Error)
{
    /// <summary>Whether the method produced a map.</summary>
    public bool Succeeded => Error is null;
}

/// <summary>
/// Explanation examples (the paper's view D before a task is run, section 5.1): several explainers applied to one image
/// by one model, each drawn by the picture pipeline (<see cref="Pictures"/>), with the class explained, its score
/// and the time taken.
/// </summary>
public static class ExplainerExamples
{
    /// <summary>
    /// Explains <paramref name="display"/> with <paramref name="method"/> and draws it. A failure of the method (e.g. an
    /// architecture it cannot hook) is returned in <see cref="ExplainerExample.Error"/>, not thrown; cancellation and
    /// an unknown method name are thrown.
    /// </summary>
    /// <param name="model">The model (its architecture's default target layer is used).</param>
    /// <param name="display">The image as the model sees it, C×H×W in [0, 1] (<see cref="Preprocessing.Geometry(TorchSharp.torch.Tensor)"/>).</param>
    /// <param name="target">Class to explain; null: the predicted class.</param>
    /// <param name="method">Method name, as <see cref="ExplainerCatalog.Create"/> accepts.</param>
    /// <param name="options">Threshold, contours, colours, scale.</param>
    /// <param name="cancellationToken">Checked between the explainer's passes.</param>
    public static ExplainerExample Explain(LoadedModel model, Tensor display, int? target, string method,
        ExampleRenderOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(display);
        var explainer = ExplainerCatalog.Create(method);
        var description = ExplainerCatalog.Describe(explainer.Name);
        options ??= ExampleRenderOptions.Default;
        try
        {
            using var scope = NewDisposeScope();
            var device = model.Module.parameters().FirstOrDefault()?.device ?? CPU;
            var input = model.Reference.Preprocessing.Normalize(display).unsqueeze(0).to(device);
            var watch = Stopwatch.StartNew();
            var explanation = explainer.Explain(model, input, target, cancellationToken: cancellationToken);
            watch.Stop();
            var contours = Analysis.Contours.Compute(explanation.Map, options.Threshold, options.Contours);
            var png = Pictures.Overlay(display, contours, options.Overlay, options.Size);
            return new ExplainerExample(explainer.Name, description, explanation, watch.Elapsed.TotalMilliseconds, contours, png, null);
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            return new ExplainerExample(explainer.Name, description, null, 0, null, null, e.Message);
        }
    }
}
