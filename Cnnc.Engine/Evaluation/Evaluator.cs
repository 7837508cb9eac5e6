using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Evaluation;

/// <summary>A slice of an evaluation: shard <see cref="Index"/> (1-based) of <see cref="Count"/>.</summary>
public readonly record struct Shard(int Index, int Count)
{
    /// <summary>The whole evaluation.</summary>
    public static Shard All => new(1, 1);

    /// <summary>Parses "k/n", 1 ≤ k ≤ n.</summary>
    public static Shard Parse(string text)
    {
        var parts = text.Split('/');
        if (parts.Length != 2 || !int.TryParse(parts[0], out var k) || !int.TryParse(parts[1], out var n) || n < 1 || k < 1 || k > n)
            throw new ArgumentException($"Invalid shard '{text}': expected k/n with 1 <= k <= n, e.g. 2/4.");
        return new Shard(k, n);
    }

    /// <summary>Whether chunk <paramref name="chunk"/> belongs to this shard (chunks are dealt round-robin).</summary>
    public bool Owns(int chunk) => chunk % Count == Index - 1;

    public override string ToString() => $"{Index}/{Count}";
}

/// <summary>Options of <see cref="Evaluator.Evaluate"/>.</summary>
public sealed record EvaluationOptions
{
    /// <summary>Images per forward pass. Default 64.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Images per stored chunk, the unit of resume and sharding. Default 1024. A resumed evaluation keeps the
    /// chunk size it started with.</summary>
    public int ChunkSize { get; init; } = 1024;

    /// <summary>The slice to evaluate. Default: all.</summary>
    public Shard Shard { get; init; } = Shard.All;

    /// <summary>Device. Default: <see cref="Runtime.TorchRuntime.DefaultDevice"/>.</summary>
    public Device? Device { get; init; }

    /// <summary>Measure batch-1 latency (median of 10 after 2 warm-ups) before evaluating. Default true.</summary>
    public bool MeasureLatency { get; init; } = true;

    internal EvaluationOptions Validate()
    {
        if (BatchSize < 1) throw new ArgumentException($"BatchSize must be at least 1 (got {BatchSize}).");
        if (ChunkSize < 1) throw new ArgumentException($"ChunkSize must be at least 1 (got {ChunkSize}).");
        return this;
    }
}

/// <summary>Progress of an evaluation.</summary>
/// <param name="Model">Model name.</param>
/// <param name="Done">Images done in this run (this shard).</param>
/// <param name="Total">Images this run has to do.</param>
/// <param name="ImagesPerSecond">Throughput so far.</param>
/// <param name="Eta">Estimated time left.</param>
/// <param name="Errors">Unreadable images so far.</param>
/// <param name="Resumed">Images skipped because an earlier run had stored them.</param>
public sealed record EvaluationProgress(string Model, int Done, int Total, double ImagesPerSecond, TimeSpan Eta, int Errors, int Resumed);

/// <summary>Batched inference of a model over a dataset into a <see cref="PredictionsStore"/>.</summary>
public static class Evaluator
{
    /// <summary>
    /// Evaluates the chunks of <paramref name="options"/>' shard that the store does not have yet, then completes the
    /// entry if every chunk exists. Returns the complete entry, or null while other shards are unfinished.
    /// Inference runs in eval mode under <c>inference_mode</c>; a class-count mismatch is an error before any work.
    /// </summary>
    public static StoreEntry? Evaluate(
        nn.Module<Tensor, Tensor> model, ModelIdentity identity, IEvaluationSource source, PredictionsStore store,
        EvaluationOptions? options = null, IProgress<EvaluationProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        Runtime.TorchRuntime.Initialize();
        options = (options ?? new EvaluationOptions()).Validate();
        var dataset = source.Identity;
        var done = store.TryGet(identity, dataset);
        if (done is not null) return done;

        var device = options.Device ?? Runtime.TorchRuntime.DefaultDevice;
        var wasTraining = model.training;
        model.eval();
        try
        {
            CheckClassCount(model, identity, source, device);
            var chunkSize = store.EnsureLayout(identity, dataset, options.ChunkSize);
            var chunks = PredictionsStore.ChunkCount(dataset.Count, chunkSize);
            var todo = Enumerable.Range(0, chunks)
                .Where(c => options.Shard.Owns(c) && !File.Exists(store.ChunkPath(identity, dataset, c))).ToList();
            var mine = Enumerable.Range(0, chunks).Where(options.Shard.Owns).Sum(c => ChunkLength(c, chunkSize, dataset.Count));
            var total = todo.Sum(c => ChunkLength(c, chunkSize, dataset.Count));
            var resumed = mine - total;

            if (todo.Count > 0 && options.MeasureLatency)
            {
                var batch1 = MeasureBatch1Latency(model, source, device);
                var throughput = MeasureThroughput(model, source, device, options.BatchSize, cancellationToken);
                store.WriteTiming(identity, dataset, new InferenceTiming(batch1, throughput, options.BatchSize, device.ToString()));
            }

            var clock = Stopwatch.StartNew();
            int processed = 0, errors = 0;
            foreach (var chunk in todo)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var start = chunk * chunkSize;
                var length = ChunkLength(chunk, chunkSize, dataset.Count);
                var classes = dataset.Classes.Count;
                // One flat row-major buffer per chunk (unreadable rows stay zero): per-image tensors would cost a
                // few native calls per image, which is visible next to a small model's forward pass.
                var rows = new float[(long)length * classes];
                var predictions = new long[length];
                var labels = new long[length];
                var readable = new bool[length];
                var chunkErrors = new List<ItemError>();
                for (var offset = 0; offset < length; offset += options.BatchSize)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var count = Math.Min(options.BatchSize, length - offset);
                    using var batch = source.LoadBatch(start + offset, count);
                    Array.Copy(batch.Labels, 0, labels, offset, count);
                    chunkErrors.AddRange(batch.Errors);
                    errors += batch.Errors.Count;
                    for (var i = 0; i < count; i++) predictions[offset + i] = -1;
                    if (batch.Indices.Length > 0)
                    {
                        using var scope = NewDisposeScope();
                        using var inference = inference_mode();
                        var probabilities = nn.functional.softmax(model.call(batch.Inputs.to(device)), 1)
                            .to(ScalarType.Float32).cpu().contiguous();
                        var values = probabilities.data<float>().ToArray();
                        var argmax = probabilities.argmax(1).data<long>().ToArray();
                        for (var r = 0; r < batch.Indices.Length; r++)
                        {
                            var at = batch.Indices[r] - start;
                            Array.Copy(values, (long)r * classes, rows, (long)at * classes, classes);
                            predictions[at] = argmax[r];
                            readable[at] = true;
                        }
                    }
                    processed += count;
                    if (progress is not null)
                    {
                        var perSecond = processed / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
                        progress.Report(new EvaluationProgress(identity.Name, processed, total, perSecond,
                            TimeSpan.FromSeconds((total - processed) / Math.Max(perSecond, 1e-9)), errors, resumed));
                    }
                }
                using var matrix = tensor(rows, new long[] { length, classes });
                PredictionsStore.WriteChunk(store.ChunkPath(identity, dataset, chunk), matrix, predictions, labels, readable, chunkErrors);
            }
            return store.TryComplete(identity, dataset);
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    private static int ChunkLength(int chunk, int chunkSize, int count) => Math.Min(chunkSize, count - chunk * chunkSize);

    private static void CheckClassCount(nn.Module<Tensor, Tensor> model, ModelIdentity identity, IEvaluationSource source, Device device)
    {
        var classes = source.Identity.Classes.Count;
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        using var batch = FirstReadable(source);
        var outputs = model.call(batch.Inputs.to(device)).shape[^1];
        if (outputs != classes)
            throw new ArgumentException(
                $"Model '{identity.Name}' has {outputs} outputs but dataset '{source.Identity.Name}' has {classes} classes.");
    }

    private static EvaluationBatch FirstReadable(IEvaluationSource source)
    {
        for (var i = 0; i < source.Identity.Count; i++)
        {
            var batch = source.LoadBatch(i, 1);
            if (batch.Indices.Length > 0) return batch;
            batch.Dispose();
        }
        throw new InvalidDataException($"Dataset '{source.Identity.Name}' has no readable image.");
    }

    private static double MeasureBatch1Latency(nn.Module<Tensor, Tensor> model, IEvaluationSource source, Device device)
    {
        using var batch = FirstReadable(source);
        using var input = batch.Inputs.to(device);
        var times = new List<double>();
        for (var i = 0; i < 12; i++)
        {
            using var scope = NewDisposeScope();
            using var inference = inference_mode();
            var clock = Stopwatch.StartNew();
            model.call(input).cpu();
            if (i >= 2) times.Add(clock.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        return (times[4] + times[5]) / 2;
    }

    private static double MeasureThroughput(nn.Module<Tensor, Tensor> model, IEvaluationSource source, Device device, int batchSize, CancellationToken token)
    {
        using var batch = source.LoadBatch(0, Math.Min(batchSize, source.Identity.Count));
        if (batch.Indices.Length == 0) return 0;
        using var input = batch.Inputs.to(device);
        double best = 0;
        for (var i = 0; i < 3; i++)
        {
            token.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            using var inference = inference_mode();
            var clock = Stopwatch.StartNew();
            model.call(input).cpu();
            best = Math.Max(best, batch.Indices.Length / clock.Elapsed.TotalSeconds);
        }
        return best;
    }
}
