using Cnnc.Engine.Analysis;
using Cnnc.Engine.Studies;
using Cnnc.Interactive.Views;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Directives;

namespace Cnnc.Interactive.Directives;

/// <summary><c>#!cnnc evaluate</c>: evaluates the study's models that the store does not have yet.</summary>
public sealed class CnncEvaluateCommand : CnncDirectiveCommand
{
    public int? BatchSize { get; set; }
}

internal static class EvaluateDirective
{
    public static KernelActionDirective Definition => new("evaluate",
        "Evaluates every session model the store does not have yet, with live progress; interrupt the kernel to stop (resumable).")
    {
        Parameters = [new KernelDirectiveParameter("--batch-size", $"Images per forward pass (default {StudyDefaults.BatchSize}).")],
    };

    public static async Task Run(CnncEvaluateCommand command, KernelInvocationContext context)
    {
        var batch = Choices.Positive(command.BatchSize, "--batch-size") ?? StudyDefaults.BatchSize;
        var study = Notebook.Study;
        var names = study.Models.Select(m => m.Name).ToList();
        // Polled once a second: hosts such as dotnet-repl keep every update as an output.
        var (entries, displayed) = await JobStatus.Run<StudyProgress, IReadOnlyList<Engine.Evaluation.StoreEntry>>(context,
            (progress, state) => new EvaluationStatus(names, progress, state), TimeSpan.FromSeconds(1),
            (progress, token) => study.EvaluateAsync(progress, token, batch));
        var results = entries.Select(e => (e.Meta.Model.Name, AccuracyMetrics.Compute(e).Overall, e.Meta.Timing?.Batch1Milliseconds, e.Meta.Timing?.Caveat)).ToList();
        displayed.Update(new EvaluationStatus(names, null, "done", results));
    }
}
