using System.Diagnostics;
using System.Text.Json;
using Cnnc.Engine.Explain;
using Cnnc.Engine.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Evaluation;

/// <summary>Options of <see cref="ExplanationPrecompute.Run"/>.</summary>
public sealed record ExplanationPrecomputeOptions
{
    /// <summary>Images per explainer call. Default 32.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Images per stored chunk, the unit of resume and sharding. Default 256. A resumed precompute keeps the
    /// chunk size it started with.</summary>
    public int ChunkSize { get; init; } = 256;

    /// <summary>The slice to compute. Default: all.</summary>
    public Shard Shard { get; init; } = Shard.All;

    /// <summary>Device of the inputs (the model must be there already). Default: <see cref="Runtime.TorchRuntime.DefaultDevice"/>.</summary>
    public Device? Device { get; init; }

    internal ExplanationPrecomputeOptions Validate()
    {
        if (BatchSize < 1) throw new ArgumentException($"BatchSize must be at least 1 (got {BatchSize}).");
        if (ChunkSize < 1) throw new ArgumentException($"ChunkSize must be at least 1 (got {ChunkSize}).");
        return this;
    }
}

/// <summary>Progress of an explanation precompute.</summary>
/// <param name="Model">Model name.</param>
/// <param name="Method">Method name.</param>
/// <param name="Done">Images done in this run (this shard).</param>
/// <param name="Total">Images this run has to do.</param>
/// <param name="ImagesPerSecond">Throughput so far.</param>
/// <param name="Eta">Estimated time left.</param>
/// <param name="Errors">Unreadable images so far.</param>
/// <param name="Resumed">Images skipped because an earlier run had stored them.</param>
public sealed record ExplanationProgress(string Model, string Method, int Done, int Total, double ImagesPerSecond, TimeSpan Eta,
    int Errors, int Resumed);

/// <summary>Explains a selection of a dataset's images with one method into an <see cref="ExplanationStore"/>.</summary>
public static class ExplanationPrecompute
{
    private sealed record Timing(int Images, double Seconds, string Device);

    /// <summary>
    /// Explains the chunks of <paramref name="options"/>' shard of the selection that the store does not have yet,
    /// then completes the entry if every chunk exists. Returns the complete entry, or null while other shards are
    /// unfinished. Batches never cross a chunk boundary, so a sharded run stores exactly what one process would.
    /// </summary>
    public static ExplanationEntry? Run(
        nn.Module<Tensor, Tensor> model, ModelIdentity identity, IEvaluationSource source, ExplanationStore store,
        ExplanationRequest request, ExplanationPrecomputeOptions? options = null, IProgress<ExplanationProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        Runtime.TorchRuntime.Initialize();
        options = (options ?? new ExplanationPrecomputeOptions()).Validate();
        var dataset = source.Identity;
        var indices = request.Selection.Indices;
        if (indices.Count == 0) throw new ArgumentException("The image selection is empty.");
        if (indices[0] < 0 || indices[^1] >= dataset.Count)
            throw new ArgumentException($"The image selection reaches outside 0..{dataset.Count - 1} of {dataset.Name}.");
        var done = store.TryGet(identity, dataset, request);
        if (done is not null) return done;

        var explainer = ExplainerCatalog.Create(request.Method);
        var device = options.Device ?? Runtime.TorchRuntime.DefaultDevice;
        store.EnsureDatasetFile(dataset);
        var chunks = store.Chunks(identity, dataset, request);
        var layout = chunks.EnsureLayout(new ChunkLayout(options.ChunkSize, indices.Count, ChunkedEntry.DeviceKind(device)));
        var (todo, total, resumed) = chunks.Plan(layout, options.Shard);
        (long[] Map, long[] Raw)? shapes = null;

        var clock = Stopwatch.StartNew();
        int processed = 0, errors = 0;
        foreach (var chunk in todo)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (chunks.IsComplete) break;
            if (chunks.HasChunk(chunk)) continue; // stored meanwhile by another writer
            var start = layout.Start(chunk);
            var length = layout.Length(chunk);
            var results = new Explanation?[length];
            var chunkErrors = new List<ItemError>();
            for (var offset = 0; offset < length; offset += options.BatchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var count = Math.Min(options.BatchSize, length - offset);
                var positions = Enumerable.Range(start + offset, count).ToArray();
                using var scope = NewDisposeScope();
                var (inputs, rows, labels, batchErrors) = Load(source, indices, positions);
                chunkErrors.AddRange(batchErrors);
                errors += batchErrors.Count;
                if (rows.Count > 0)
                {
                    var targets = request.Target == ExplanationTarget.Label ? labels : null;
                    var explained = explainer.ExplainBatch(model, inputs!.to(device), targets, request.Layer, cancellationToken: cancellationToken);
                    for (var r = 0; r < rows.Count; r++) results[rows[r] - start] = explained[r];
                }
                processed += count;
                if (progress is not null)
                {
                    var perSecond = processed / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
                    progress.Report(new ExplanationProgress(identity.Name, request.Method, processed, total, perSecond,
                        TimeSpan.FromSeconds((total - processed) / Math.Max(perSecond, 1e-9)), errors, resumed));
                }
            }
            shapes ??= ShapesOf(results) ?? Probe(model, source, explainer, request, device, cancellationToken);
            if (!WriteChunk(chunks, chunk, indices, start, results, shapes.Value, chunkErrors)) break;
        }
        if (processed > 0)
            AtomicFile.WriteAllText(Path.Combine(chunks.Parts, $"timing-{Environment.ProcessId}-{Guid.NewGuid():N}.json"),
                JsonSerializer.Serialize(new Timing(processed, clock.Elapsed.TotalSeconds, device.ToString()), PredictionsStore.Json));

        var complete = chunks.TryMerge(ExplanationStore.ArrayFiles, merged =>
        {
            var timings = Directory.EnumerateFiles(chunks.Parts, "timing-*.json")
                .Select(f => JsonSerializer.Deserialize<Timing>(File.ReadAllText(f), PredictionsStore.Json)!).ToList();
            var images = timings.Sum(t => t.Images);
            var meta = new ExplanationEntryMeta(identity, dataset, request.Method, request.Layer, request.Target, request.Selection.Name,
                layout.Count, layout.ChunkSize, layout.Count - merged.Count,
                images == 0 ? null : 1000 * timings.Sum(t => t.Seconds) / images, timings.FirstOrDefault()?.Device, DateTimeOffset.UtcNow);
            return JsonSerializer.Serialize(meta, PredictionsStore.Json);
        });
        return complete ? store.TryGet(identity, dataset, request) : null;
    }

    /// <summary>
    /// Loads the selection's images at <paramref name="positions"/> (contiguous dataset runs in one call each): the
    /// inputs of the readable ones, their positions and labels, and the errors of the others.
    /// </summary>
    private static (Tensor? Inputs, List<int> Rows, List<int> Labels, List<ItemError> Errors) Load(
        IEvaluationSource source, IReadOnlyList<int> indices, int[] positions)
    {
        var inputs = new List<Tensor>();
        var rows = new List<int>();
        var labels = new List<int>();
        var errors = new List<ItemError>();
        for (var i = 0; i < positions.Length;)
        {
            var run = 1;
            while (i + run < positions.Length && indices[positions[i + run]] == indices[positions[i]] + run) run++;
            var first = indices[positions[i]];
            var batch = source.LoadBatch(first, run);
            errors.AddRange(batch.Errors);
            if (batch.Indices.Length > 0) inputs.Add(batch.Inputs);
            foreach (var index in batch.Indices)
            {
                rows.Add(positions[i] + (index - first));
                labels.Add((int)batch.Labels[index - first]);
            }
            i += run;
        }
        return (inputs.Count == 0 ? null : inputs.Count == 1 ? inputs[0] : cat(inputs, 0), rows, labels, errors);
    }

    private static (long[] Map, long[] Raw)? ShapesOf(Explanation?[] results) =>
        results.FirstOrDefault(r => r is not null) is { } e
            ? (new long[] { e.Map.Height, e.Map.Width }, new long[] { e.Raw.Height, e.Raw.Width })
            : null;

    /// <summary>Map shapes for a chunk without one readable image: explains the selection's first readable image.</summary>
    private static (long[] Map, long[] Raw) Probe(nn.Module<Tensor, Tensor> model, IEvaluationSource source, Explainer explainer,
        ExplanationRequest request, Device device, CancellationToken cancellationToken)
    {
        foreach (var index in request.Selection.Indices)
        {
            using var scope = NewDisposeScope();
            using var batch = source.LoadBatch(index, 1);
            if (batch.Indices.Length == 0) continue;
            var e = explainer.ExplainBatch(model, batch.Inputs.to(device), null, request.Layer, cancellationToken: cancellationToken)[0];
            return (new long[] { e.Map.Height, e.Map.Width }, new long[] { e.Raw.Height, e.Raw.Width });
        }
        throw new InvalidDataException($"No image of the selection '{request.Selection.Name}' of {source.Identity.Name} is readable.");
    }

    private static bool WriteChunk(ChunkedEntry chunks, int chunk, IReadOnlyList<int> indices, int start, Explanation?[] results,
        (long[] Map, long[] Raw) shapes, IReadOnlyList<ItemError> errors)
    {
        var n = results.Length;
        long mapSize = shapes.Map[0] * shapes.Map[1], rawSize = shapes.Raw[0] * shapes.Raw[1];
        var maps = new float[n * mapSize];
        var raws = new float[n * rawSize];
        var rowIndices = new long[n];
        var targets = new long[n];
        var predictions = new long[n];
        var scores = new float[n];
        var probabilities = new float[n];
        var predictionProbabilities = new float[n];
        var readable = new bool[n];
        for (var r = 0; r < n; r++)
        {
            rowIndices[r] = indices[start + r];
            targets[r] = predictions[r] = -1;
            if (results[r] is not { } e) continue;
            if (e.Map.Length != mapSize || e.Raw.Length != rawSize)
                throw new InvalidOperationException(
                    $"{e.Method} gave a {e.Map.Height}x{e.Map.Width} map (raw {e.Raw.Height}x{e.Raw.Width}) for image {rowIndices[r]}, " +
                    $"the others are {shapes.Map[0]}x{shapes.Map[1]} (raw {shapes.Raw[0]}x{shapes.Raw[1]}): an entry needs images of one size.");
            Array.Copy(e.Map.Data, 0, maps, r * mapSize, mapSize);
            Array.Copy(e.Raw.Data, 0, raws, r * rawSize, rawSize);
            targets[r] = e.TargetClass;
            predictions[r] = e.PredictedClass;
            scores[r] = e.Score;
            probabilities[r] = e.Probability;
            predictionProbabilities[r] = e.PredictedProbability;
            readable[r] = true;
        }
        using var scope = NewDisposeScope();
        return chunks.WriteChunk(chunk, new[]
        {
            (ExplanationStore.IndicesFile, tensor(rowIndices)),
            (ExplanationStore.MapsFile, tensor(maps, new long[] { n }.Concat(shapes.Map).ToArray())),
            (ExplanationStore.RawFile, tensor(raws, new long[] { n }.Concat(shapes.Raw).ToArray())),
            (ExplanationStore.TargetsFile, tensor(targets)),
            (ExplanationStore.PredictionsFile, tensor(predictions)),
            (ExplanationStore.ScoresFile, tensor(scores)),
            (ExplanationStore.ProbabilitiesFile, tensor(probabilities)),
            (ExplanationStore.PredictionProbabilitiesFile, tensor(predictionProbabilities)),
            (ExplanationStore.ReadableFile, tensor(readable)),
        }, errors);
    }
}
