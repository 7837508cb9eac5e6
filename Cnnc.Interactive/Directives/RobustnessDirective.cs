using System.Globalization;
using Cnnc.Engine.Corruptions;
using Cnnc.Engine.Studies;
using Cnnc.Interactive.Views;
using Cnnc.Views;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Directives;

namespace Cnnc.Interactive.Directives;

/// <summary><c>#!cnnc robustness</c>: accuracy under common corruptions (ImageNet-C) and mCE.</summary>
public sealed class CnncRobustnessCommand : CnncDirectiveCommand
{
    public string? Corruptions { get; set; }
    public string? Severities { get; set; }
    public string? Baseline { get; set; }
    public int? Seed { get; set; }
    public int? BatchSize { get; set; }
    public bool InlinePlotly { get; set; }
}

internal static class RobustnessDirective
{
    public static KernelActionDirective Definition => new("robustness",
        "Accuracy of every model under common corruptions (ImageNet-C) at severities 1–5, each a store entry of its own (evaluated with live progress when missing; interrupt to stop, resumable), and the mean corruption error relative to a baseline model.")
    {
        Parameters =
        [
            new KernelDirectiveParameter("--corruptions",
                    $"Corruptions, comma-separated (required: each costs one evaluation per model and severity); common = the {ImageCorruptions.CommonNames.Count} of ImageNet-C's 15 implemented, all = every one: {string.Join(", ", ImageCorruptions.Names)}.")
                .AddCompletions(() => new[] { "common", "all" }.Concat(ImageCorruptions.Names)),
            new KernelDirectiveParameter("--severities", "Severities, comma-separated or a range (default 1-5).")
                .AddCompletions(() => new[] { "1-5", "1,3,5", "3" }),
            new KernelDirectiveParameter("--baseline", "The model whose errors CE divides by (default: alexnet when the study has it, as ImageNet-C, else the first model).")
                .AddCompletions(CnncDirectives.ModelNames),
            new KernelDirectiveParameter("--seed", "Seed of the random corruptions (default 0; another seed is another store entry)."),
            new KernelDirectiveParameter("--batch-size", $"Images per forward pass (default {StudyDefaults.BatchSize})."),
            CnncDirectives.InlinePlotly(),
        ],
    };

    public static async Task Run(CnncRobustnessCommand command, KernelInvocationContext context)
    {
        var study = Notebook.Study;
        var corruptions = Corruptions(Choices.Required(command.Corruptions, "--corruptions", "names, common or all (e.g. --corruptions gaussian_noise,contrast)"));
        var severities = Severities(command.Severities);
        foreach (var c in corruptions) foreach (var s in severities) ImageCorruptions.Validate(c, s);
        var baseline = command.Baseline is { Length: > 0 } b ? study.Model(b).Name
            : (study.Models.FirstOrDefault(m => m.Name == "alexnet") ?? study.Models.FirstOrDefault())?.Name
              ?? throw new StudyHasNoModelsException(Engine.Zoo.ZooCatalog.Cards.Count > 0);
        var seed = command.Seed is { } s0 ? (s0 >= 0 ? (ulong)s0 : throw new ArgumentException($"--seed must be 0 or more (got {s0}).")) : 0UL;
        var batch = Choices.Positive(command.BatchSize, "--batch-size") ?? StudyDefaults.BatchSize;
        var names = study.Models.Select(m => m.Name).ToList();
        var (_, displayed) = await JobStatus.Run<StudyProgress, IReadOnlyList<CorruptionEntry>>(context,
            (progress, state) => new EvaluationStatus(names, progress, state,
                cancelled: "Cancelled: finished chunks stay in the store; the next #!cnnc robustness resumes."),
            TimeSpan.FromSeconds(1),
            (progress, token) => Task.Run(() => study.EvaluateCorruptions(corruptions, severities, seed, progress, token, batch), token));
        var report = study.Robustness(corruptions, baseline, severities, seed);
        if (command.InlinePlotly) PlotlyJs.ResetNotebook();
        displayed.Update(new EvaluationStatus(names, null, "done"));
        context.Display(report, "text/html", "text/plain");
    }

    /// <summary>"common", "all" or names (checked by the engine, which lists the valid ones).</summary>
    internal static IReadOnlyList<string> Corruptions(string value) => value.Trim().ToLowerInvariant() switch
    {
        "common" => ImageCorruptions.CommonNames,
        "all" => ImageCorruptions.Names,
        _ => Choices.List(value).Distinct().ToList(),
    };

    /// <summary>"1-5", "1,3,5" or one severity; default all five.</summary>
    internal static IReadOnlyList<int> Severities(string? value)
    {
        if (value is not { Length: > 0 }) return new[] { 1, 2, 3, 4, 5 };
        var error = new ArgumentException($"--severities takes severities 1 to 5, comma-separated or as a range (e.g. 1-5 or 1,3,5); got '{value}'.");
        var list = new List<int>();
        foreach (var part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var range = part.Split('-');
            if (range.Length > 2 || !range.All(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out _))) throw error;
            var (from, to) = (int.Parse(range[0], CultureInfo.InvariantCulture), int.Parse(range[^1], CultureInfo.InvariantCulture));
            if (from < 1 || to > 5 || from > to) throw error;
            for (var s = from; s <= to; s++) if (!list.Contains(s)) list.Add(s);
        }
        return list.Count > 0 ? list.Order().ToList() : throw error;
    }
}
