using Cnnc.Engine.Evaluation;
using Cnnc.Engine.Studies;
using Cnnc.Interactive.Views;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Directives;

namespace Cnnc.Interactive.Directives;

/// <summary><c>#!cnnc latency</c>: re-measures latency of evaluated models and replaces the stored figures.</summary>
public sealed class CnncLatencyCommand : CnncDirectiveCommand
{
    public string? Models { get; set; }
}

internal static class LatencyDirective
{
    public static KernelActionDirective Definition => new("latency",
        "Re-measures batch-1 latency and throughput of evaluated models (warm-up, repetitions to a bounded error, median and quartiles, the machine's load) and replaces the stored figures; a figure taken under load is marked ⚠ unreliable with the reason.")
    {
        Parameters =
        [
            new KernelDirectiveParameter("--models", "Models, comma-separated (default: every model of the session).")
                .AddCompletions(CnncDirectives.ModelNames),
        ],
    };

    public static async Task Run(CnncLatencyCommand command, KernelInvocationContext context)
    {
        var names = command.Models?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var study = Notebook.Study;
        var shown = names is { Length: > 0 } ? names : study.Models.Select(m => m.Name).ToArray();
        // Seconds per model (warm-up, then repetitions to a bounded error): a live status, interruptible, as evaluate.
        var (results, displayed) = await JobStatus.Run<StudyProgress, IReadOnlyList<(StudyModel, InferenceTiming)>>(context,
            (progress, state) => new EvaluationStatus(shown, progress, state,
                cancelled: "Cancelled: the models measured before the interrupt keep their new figures in the store."),
            TimeSpan.FromSeconds(1),
            (progress, token) => Task.Run(() => study.MeasureLatency(names, progress, token), token));
        displayed.Update(new LatencyMeasurements(results));
    }
}
