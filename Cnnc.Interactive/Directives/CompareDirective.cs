using Cnnc.Engine.Analysis;
using Cnnc.Engine.Explain;
using Cnnc.Engine.Studies;
using Cnnc.Interactive.Views;
using Cnnc.Views;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Directives;

namespace Cnnc.Interactive.Directives;

/// <summary><c>#!cnnc compare</c>: several models × one class × one image (paper 6.1).</summary>
public sealed class CnncCompareCommand : CnncDirectiveCommand
{
    public string? Models { get; set; }
    public string? Class { get; set; }
    public int? Image { get; set; }
    public string? Method { get; set; }
    public double? Threshold { get; set; }
    public string? Rule { get; set; }
    public string? Target { get; set; }
    public int? Strip { get; set; }
    public bool InlinePlotly { get; set; }
}

internal static class CompareDirective
{
    private static IReadOnlyList<string> RuleNames { get; } =
        Enum.GetValues<SimilarityRule>().Select(r => r.ToString().ToLowerInvariant()).ToArray();

    public static KernelActionDirective Definition => new("compare",
        "Phase 2/3 (paper 6.1): several models × one class × one image: accuracies, prediction, confidence, heatmap with contours and ROI size per model (sortable, searchable), similarity of the models' maps, accuracy on the class.")
    {
        Parameters =
        [
            new KernelDirectiveParameter("--class", "The class to compare the models on (required).")
                .AddCompletions(CnncDirectives.ClassNames),
            new KernelDirectiveParameter("--models", "Models, comma-separated (default: all of the session's).")
                .AddCompletions(CnncDirectives.ModelNames),
            new KernelDirectiveParameter("--image", "Dataset index of an image of the class (default: its first image; the strip shows indices)."),
            new KernelDirectiveParameter("--method", $"Explanation method (default {StudyDefaults.CompareMethod}).")
                .AddCompletions(() => ExplainerCatalog.Names),
            new KernelDirectiveParameter("--threshold", $"Saliency threshold of the contours and the ROI, in [0, 1] (default {StudyDefaults.Threshold}).")
                .AddCompletions(() => new[] { "0.3", "0.5", "0.7" }),
            new KernelDirectiveParameter("--rule", "Similarity of the maps: ssim (default), mse, l1, ahash, phash.")
                .AddCompletions(() => RuleNames),
            new KernelDirectiveParameter("--target", "Class the maps explain: predicted (default) or label.")
                .AddCompletions(() => new[] { "predicted", "label" }),
            new KernelDirectiveParameter("--strip", $"Images of the class shown in the strip (default {StudyDefaults.StripImages}).")
                .AddCompletions(() => new[] { "0", "12", "24" }),
            CnncDirectives.InlinePlotly(),
        ],
    };

    public static async Task Run(CnncCompareCommand command, KernelInvocationContext context)
    {
        var names = Choices.List(command.Models);
        var options = new CompareOptions
        {
            Class = Choices.Required(command.Class, "--class", "a class, e.g. --class Sneaker"),
            Models = names.Count == 0 || names is ["all"] ? null : names,
            Image = Choices.Index(command.Image, "--image"),
            Method = Choices.Method(command.Method) ?? StudyDefaults.CompareMethod,
            Threshold = Choices.Threshold(command.Threshold),
            Rule = Choices.Word(command.Rule, "--rule", SimilarityRule.Ssim,
                Enum.GetValues<SimilarityRule>().Select(r => (new[] { r.ToString().ToLowerInvariant() }, r)).ToArray()),
            Target = Target(command.Target),
            StripImages = command.Strip is { } strip ? Choices.Index(strip, "--strip")!.Value : StudyDefaults.StripImages,
        };
        var study = Notebook.Study;
        var (comparison, displayed) = await JobStatus.Run<ExplainJobProgress, Comparison>(context,
            (progress, state) => new ExplainStatus("compare", progress, state), TimeSpan.FromMilliseconds(500),
            (progress, token) => study.CompareAsync(options, progress, token));
        if (command.InlinePlotly) PlotlyJs.ResetNotebook();
        displayed.Update(comparison);
    }

    internal static ExplainTarget Target(string? value) => Choices.Word(value, "--target", ExplainTarget.Predicted,
        (["predicted", "prediction"], ExplainTarget.Predicted), (["label", "true", "ground-truth"], ExplainTarget.Label));
}
