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

    /// <summary>
    /// Measure batch-1 latency and throughput (<see cref="LatencyOptions.Evaluation"/>: 2 warm-up runs, 5 to 300
    /// repetitions within a 1 s cap) before evaluating; the figure is marked unreliable when taken under load. Default true.
    /// </summary>
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
            var layout = store.EnsureLayout(identity, dataset, options.ChunkSize, device);
            var chunks = store.Chunks(identity, dataset);
            var (todo, total, resumed) = chunks.Plan(layout, options.Shard);

            if (todo.Count > 0 && options.MeasureLatency)
            {
                // Measured whatever else the machine is doing; the timing says so when that was too much.
                store.WriteTiming(identity, dataset, MeasureLatency(model, source, device,
                    LatencyOptions.Evaluation with { BatchSize = options.BatchSize }, InferenceTiming.MeasuredByEvaluation, cancellationToken));
            }

            var clock = Stopwatch.StartNew();
            int processed = 0, errors = 0;
            foreach (var chunk in todo)
            {
                cancellationToken.ThrowIfCancellationRequested();
                // Another writer (a second array, a resubmitted task) may have stored this chunk or finished the entry.
                if (chunks.IsComplete) break;
                if (chunks.HasChunk(chunk)) continue;
                var start = layout.Start(chunk);
                var length = layout.Length(chunk);
                var classes = dataset.Classes.Count;
                // One flat row-major buffer per chunk (unreadable rows stay zero): per-image tensors would cost a
                // few native calls per image, which is visible next to a small model's forward pass.
                var rows = new float[(long)length * classes];
                var predictions = new long[length];
                var labels = new long[length];
                var readable = new bool[length];
                var chunkErrors = new List<ItemError>();
                // The next batch is decoded and preprocessed while the model runs on this one.
                Task<EvaluationBatch>? next = Task.Run(() => source.LoadBatch(start, Math.Min(options.BatchSize, length)));
                try
                {
                    for (var offset = 0; offset < length; offset += options.BatchSize)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        var count = Math.Min(options.BatchSize, length - offset);
                        using var batch = next!.GetAwaiter().GetResult();
                        var following = offset + options.BatchSize;
                        next = following < length
                            ? Task.Run(() => source.LoadBatch(start + following, Math.Min(options.BatchSize, length - following)))
                            : null;
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
                }
                finally
                {
                    // Cancelled or failed midway: the batch being loaded is still ours to dispose.
                    if (next is not null)
                        try { next.GetAwaiter().GetResult().Dispose(); } catch (Exception) { /* already failing */ }
                }
                using var matrix = tensor(rows, new long[] { length, classes });
                if (!store.WriteChunk(identity, dataset, chunk, matrix, predictions, labels, readable, chunkErrors)) break;
            }
            return store.TryComplete(identity, dataset);
        }
        finally
        {
            model.train(wasTraining);
        }
    }

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

    /// <summary>
    /// <see cref="LatencyBenchmark.Measure"/> on the source's first readable image and its first
    /// <see cref="LatencyOptions.BatchSize"/> images. The model must be in eval mode.
    /// </summary>
    internal static InferenceTiming MeasureLatency(nn.Module<Tensor, Tensor> model, IEvaluationSource source, Device device,
        LatencyOptions options, string measuredBy, CancellationToken cancellationToken)
    {
        using var one = FirstReadable(source);
        using var batch = options.BatchSize > 0 ? source.LoadBatch(0, Math.Min(options.BatchSize, source.Identity.Count)) : null;
        var many = batch is { Indices.Length: > 0 } ? batch.Inputs : null;
        return LatencyBenchmark.Measure(model, one.Inputs, many, device, options, measuredBy, cancellationToken);
    }
}
