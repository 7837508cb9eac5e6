using Cnnc.Engine.Data;
using Cnnc.Engine.Evaluation;
using Cnnc.Engine.Models;
using static TorchSharp.torch;

namespace Cnnc.Engine.Zoo;

/// <summary>What a zoo model predicts on the Fashion-MNIST test set, in dataset order.</summary>
/// <param name="Predicted">Predicted class of each image.</param>
/// <param name="Labels">True class of each image.</param>
public sealed record ZooTestPredictions(int[] Predicted, int[] Labels)
{
    /// <summary>Images whose prediction is their label.</summary>
    public int Correct => Predicted.Zip(Labels).Count(p => p.First == p.Second);
}

/// <summary>
/// The Fashion-MNIST test set as the zoo's model cards are measured on it: through the very path <c>cnnc evaluate</c>
/// uses (<see cref="Evaluator"/>, the zoo's preprocessing), into a temporary store removed afterwards.
/// </summary>
public static class ZooTestSet
{
    /// <summary>Predicts the first <paramref name="count"/> test images (default: all 10,000) with a loaded zoo model.</summary>
    public static ZooTestPredictions Predict(LoadedModel loaded, int? count = null, string? dataRoot = null,
        IProgress<EvaluationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        IEvaluationSource source = new DatasetEvaluationSource(IdxDataset.FashionMnist(DatasetSplit.Test, dataRoot), ZooCatalog.Preprocessing);
        if (count is { } n) source = new LeadingItems(source, n);
        var store = new PredictionsStore(Path.Combine(Path.GetTempPath(), $"cnnc-zoo-test-{Environment.ProcessId}-{Guid.NewGuid():N}"));
        try
        {
            using var entry = Evaluator.Evaluate(loaded.Module, loaded.Identity, source, store,
                new EvaluationOptions { MeasureLatency = false, Device = CPU, BatchSize = 200 }, progress, cancellationToken)!;
            return new ZooTestPredictions(entry.Predictions.Select(p => (int)p).ToArray(), entry.Labels.Select(l => (int)l).ToArray());
        }
        finally
        {
            if (Directory.Exists(store.Root)) Directory.Delete(store.Root, recursive: true);
        }
    }

    /// <summary>The first items of a source (a data set of its own in the store: the count is in its fingerprint).</summary>
    private sealed class LeadingItems(IEvaluationSource inner, int count) : IEvaluationSource
    {
        public DatasetIdentity Identity { get; } = inner.Identity with
        {
            Name = $"{inner.Identity.Name}-first{count}",
            Fingerprint = DatasetIdentity.FingerprintOf(inner.Identity.Fingerprint, $"first {count}"),
            Count = count <= inner.Identity.Count && count > 0
                ? count
                : throw new ArgumentOutOfRangeException(nameof(count), $"{count} is not between 1 and the {inner.Identity.Count} items of {inner.Identity.Name}."),
        };

        public EvaluationBatch LoadBatch(int start, int n) => inner.LoadBatch(start, Math.Min(n, count - start));
    }
}
