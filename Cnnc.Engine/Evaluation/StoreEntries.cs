using Cnnc.Engine.Models;

namespace Cnnc.Engine.Evaluation;

/// <summary>"The stored evaluation, or evaluate now": the one copy, used by the study, the CLI and the benchmarks.</summary>
public static class StoreEntries
{
    /// <summary>
    /// The complete entry of <paramref name="model"/> on <paramref name="source"/> from <paramref name="store"/>; when
    /// there is none, evaluates (resuming finished chunks) and returns the new entry. <paramref name="evaluating"/> is
    /// called just before an evaluation starts (e.g. to say so).
    /// </summary>
    /// <exception cref="InvalidOperationException">The evaluation did not complete (other shards of it are unfinished).</exception>
    public static StoreEntry GetOrEvaluate(this PredictionsStore store, LoadedModel model, IEvaluationSource source,
        EvaluationOptions? options = null, IProgress<EvaluationProgress>? progress = null,
        CancellationToken cancellationToken = default, Action? evaluating = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (store.TryGet(model.Identity, source.Identity) is { } stored) return stored;
        evaluating?.Invoke();
        return Evaluator.Evaluate(model.Module, model.Identity, source, store, options, progress, cancellationToken)
               ?? throw new InvalidOperationException(
                   $"The evaluation of '{model.Identity.Name}' did not complete: other shards of it are still missing in {store.Root}.");
    }
}
