using Cnnc.Engine.Explain;
using Cnnc.Engine.Studies;
using Cnnc.Views;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Directives;

namespace Cnnc.Interactive.Directives;

/// <summary><c>#!cnnc overview</c>: Phase 1 views.</summary>
public sealed class CnncOverviewCommand : CnncDirectiveCommand
{
    public string? Complexity { get; set; }
    public string? Pin { get; set; }
    public string? Root { get; set; }
    public int? Top { get; set; }
    public string? Class { get; set; }
    public string? Explain { get; set; }
    public string? Methods { get; set; }
    public int? Image { get; set; }
    public bool InlinePlotly { get; set; }
}

internal static class OverviewDirective
{
    public static KernelActionDirective Definition => new("overview",
        "Phase 1: A1 accuracy × complexity, A2 radar per root class, B distribution graph, A3/A4 ranked leaf classes of the pinned model / root, D explanation examples, E class spotlights. Click to pin.")
    {
        Parameters =
        [
            new KernelDirectiveParameter("--complexity", "x axis of A1: params (default), macs or latency (batch 1, quartiles as error bars; re-measure with #!cnnc latency).")
                .AddCompletions(() => new[] { "params", "macs", "latency" }),
            new KernelDirectiveParameter("--pin", "Model pinned at first (default: the most accurate).")
                .AddCompletions(CnncDirectives.ModelNames),
            new KernelDirectiveParameter("--root", "Root class pinned at first (default: the first).")
                .AddCompletions(CnncDirectives.RootNames),
            new KernelDirectiveParameter("--class", "A leaf class to mark in A3/A4 (its root is pinned unless --root is given).")
                .AddCompletions(CnncDirectives.ClassNames),
            new KernelDirectiveParameter("--top", $"Classes per group in the E charts (default {StudyDefaults.SpotlightCount}).")
                .AddCompletions(() => new[] { "2", "3", "5" }),
            new KernelDirectiveParameter("--explain", "Which models D explains: pinned (default), all (D follows the pin in the page) or none.")
                .AddCompletions(() => new[] { "pinned", "all", "none" }),
            new KernelDirectiveParameter("--methods",
                    $"D's explainers, comma-separated (default {string.Join(",", StudyDefaults.Explainers)}); paper = the paper's five (adds the slow bbmp), all = every one: {string.Join(", ", ExplainerCatalog.Names)}.")
                .AddCompletions(() => new[] { "default", "paper", "all" }.Concat(ExplainerCatalog.Names)),
            new KernelDirectiveParameter("--image", "D's image: a dataset item index (default: the first image of --class, else of the pinned root's first class).")
                .AddCompletions(() => new[] { "0" }),
            CnncDirectives.InlinePlotly(),
        ],
    };

    public static Task Run(CnncOverviewCommand command, KernelInvocationContext context)
    {
        var study = Notebook.Study;
        var options = new OverviewOptions
        {
            Complexity = Choices.Word(command.Complexity, "--complexity", ComplexityMeasure.Parameters,
                (["params", "parameters"], ComplexityMeasure.Parameters), (["macs", "flops"], ComplexityMeasure.Macs),
                (["latency", "ms"], ComplexityMeasure.Latency)),
            SpotlightCount = Choices.Positive(command.Top, "--top") ?? StudyDefaults.SpotlightCount,
            Explain = Choices.Word(command.Explain, "--explain", ExplainScope.Pinned,
                (["pinned"], ExplainScope.Pinned), (["all"], ExplainScope.All), (["none"], ExplainScope.None)),
            Methods = StudyDefaults.ParseExplainers(command.Methods),
            Image = Choices.Index(command.Image, "--image"),
            Pin = command.Pin is { Length: > 0 } pin ? study.Model(pin).Name : null,
            Root = command.Root is { Length: > 0 } root ? RootOf(study, root) : null,
            Highlight = command.Class is { Length: > 0 } c ? c : null,
        };
        var overview = study.Overview(options, context.CancellationToken);
        if (command.InlinePlotly) PlotlyJs.ResetNotebook();
        context.Display(overview, "text/html", "text/plain");
        return Task.CompletedTask;
    }

    private static string RootOf(Study study, string name) =>
        study.Hierarchy.Roots.FirstOrDefault(r => r.Equals(name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"Unknown root class '{name}'. Root classes: {string.Join(", ", study.Hierarchy.Roots)}.");
}
