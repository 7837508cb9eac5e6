using System.Text.Json;
using System.Text.Json.Serialization;
using Cnnc.Engine.IO;
using static TorchSharp.torch;

namespace Cnnc.Engine.Evaluation;

/// <summary>
/// Batch-1 latency and batched throughput of a model on a device (<see cref="LatencyBenchmark"/>), with how it was
/// measured. Entries written before the measurement recorded its conditions have only the first four fields;
/// <see cref="Reliable"/> is null for them.
/// </summary>
/// <param name="Batch1Milliseconds">Median latency of one image (batch 1), in ms.</param>
/// <param name="ImagesPerSecond">Throughput of batched inference.</param>
/// <param name="BatchSize">Batch size of the batched run.</param>
/// <param name="Device">Device, e.g. "cpu".</param>
public sealed record InferenceTiming(double Batch1Milliseconds, double ImagesPerSecond, int BatchSize, string Device)
{
    /// <summary><see cref="MeasuredBy"/> of the quick measurement an evaluation takes.</summary>
    public const string MeasuredByEvaluation = "evaluation";

    /// <summary><see cref="MeasuredBy"/> of a dedicated measurement (<c>cnnc latency</c>, <c>#!cnnc latency</c>, Study.MeasureLatency).</summary>
    public const string MeasuredByLatency = "latency";

    /// <summary>25th percentile of the batch-1 runs, ms.</summary>
    public double? Batch1LowerQuartileMs { get; init; }

    /// <summary>75th percentile of the batch-1 runs, ms.</summary>
    public double? Batch1UpperQuartileMs { get; init; }

    /// <summary>Half-width of the median's 95 % confidence interval over the median.</summary>
    public double? RelativeError { get; init; }

    /// <summary>Timed batch-1 runs.</summary>
    public int? Repetitions { get; init; }

    /// <summary>1-minute load average during the measurement.</summary>
    public double? LoadAverage { get; init; }

    /// <summary>The most tasks runnable besides the measuring thread during the measurement.</summary>
    public int? OtherRunnable { get; init; }

    /// <summary>Cores available to the process.</summary>
    public int? ProcessorCount { get; init; }

    /// <summary>libtorch's intra-op thread count.</summary>
    public int? TorchThreads { get; init; }

    /// <summary>Whether the figure was taken on a quiet machine with a spread within the bound; null for old entries.</summary>
    public bool? Reliable { get; init; }

    /// <summary>Why the figure is not reliable (null when it is).</summary>
    public string? UnreliableReason { get; init; }

    /// <summary>When it was measured.</summary>
    public DateTimeOffset? MeasuredAt { get; init; }

    /// <summary>What measured it: <see cref="MeasuredByEvaluation"/> or <see cref="MeasuredByLatency"/>.</summary>
    public string? MeasuredBy { get; init; }

    /// <summary>Why the figure should not be read as a clean number, or null when it can: the recorded reason, or, for
    /// an entry that recorded no conditions, that they are unknown.</summary>
    [JsonIgnore]
    public string? Caveat => Reliable switch
    {
        true => null,
        false => UnreliableReason ?? "marked unreliable",
        null => "measured without a record of the machine's load (older store entry)",
    };
}

/// <summary>The metadata of a complete store entry (meta.json).</summary>
public sealed record StoreEntryMeta(
    ModelIdentity Model, DatasetIdentity Dataset, int ChunkSize, int ReadableCount, InferenceTiming? Timing,
    DateTimeOffset CompletedAt, string Format = PredictionsStore.FormatVersion);

/// <summary>
/// A complete evaluation of one model on one dataset, read from the store. The confidence matrix is a native tensor,
/// read on first use and freed by <see cref="Dispose"/>; a <see cref="Studies.Study"/> reads each entry once and owns
/// it (do not dispose entries a study handed out).
/// </summary>
public sealed class StoreEntry : IDisposable
{
    private readonly Lazy<Tensor> _probabilities;

    internal StoreEntry(string directory, StoreEntryMeta meta)
    {
        Directory = directory;
        Meta = meta;
        Predictions = ReadLongs(Path.Combine(directory, PredictionsStore.PredictionsFile));
        Labels = ReadLongs(Path.Combine(directory, PredictionsStore.LabelsFile));
        using (var readable = Npy.Read(Path.Combine(directory, PredictionsStore.ReadableFile)))
            Readable = readable.data<bool>().ToArray();
        Errors = JsonSerializer.Deserialize<List<ItemError>>(
            File.ReadAllText(Path.Combine(directory, PredictionsStore.ErrorsFile)), PredictionsStore.Json) ?? new();
        // Loaded on first use, possibly inside a caller's dispose scope: detach it so the entry keeps owning it.
        _probabilities = new(() => Npy.Read(Path.Combine(directory, PredictionsStore.ProbabilitiesFile)).DetachFromDisposeScope());
    }

    /// <summary>Folder of the entry.</summary>
    public string Directory { get; }

    /// <summary>What was evaluated, when, and how fast.</summary>
    public StoreEntryMeta Meta { get; internal set; }

    /// <summary>Predicted class per image (-1 for unreadable images).</summary>
    public long[] Predictions { get; }

    /// <summary>Label per image.</summary>
    public long[] Labels { get; }

    /// <summary>Whether each image could be read.</summary>
    public bool[] Readable { get; }

    /// <summary>Images that could not be read, with reasons.</summary>
    public IReadOnlyList<ItemError> Errors { get; }

    /// <summary>The confidence matrix: softmax probabilities, float32 [M, N] (rows of unreadable images are 0). Loaded on first use.</summary>
    public Tensor Probabilities
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _probabilities.Value;
        }
    }

    private bool _disposed;

    /// <summary>Frees the confidence matrix if it was read.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_probabilities.IsValueCreated) _probabilities.Value.Dispose();
    }

    private static long[] ReadLongs(string path)
    {
        using var t = Npy.Read(path);
        return t.data<long>().ToArray();
    }
}

/// <summary>
/// On-disk store of evaluations: one folder per dataset, one per model inside it, plain .npy arrays and JSON so Python
/// reads it with numpy alone. Writes are atomic (temporary file + rename); work is written in fixed chunks, so an
/// evaluation that is killed resumes from its last finished chunk, shards of one evaluation can run in separate
/// processes, and different models never share a file.
/// </summary>
/// <remarks>
/// Layout: <c>&lt;root&gt;/&lt;dataset key&gt;/dataset.json</c> and <c>&lt;root&gt;/&lt;dataset key&gt;/&lt;model key&gt;/</c> with
/// <c>probabilities.npy</c> (float32 M×N), <c>predictions.npy</c>, <c>labels.npy</c> (int64 M), <c>readable.npy</c>
/// (bool M), <c>errors.json</c> and, written last, <c>meta.json</c>. While unfinished, the model folder holds
/// <c>parts/chunk-NNNNNN.npz</c> files instead.
/// </remarks>
public sealed class PredictionsStore
{
    internal const string FormatVersion = "cnnc-store-1";
    internal const string ProbabilitiesFile = "probabilities.npy", PredictionsFile = "predictions.npy",
        LabelsFile = "labels.npy", ReadableFile = "readable.npy", ErrorsFile = ChunkedEntry.ErrorsFile,
        MetaFile = ChunkedEntry.MetaFile, DatasetFile = "dataset.json";

    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Opens (creating if needed) a store rooted at <paramref name="root"/>.</summary>
    public PredictionsStore(string root)
    {
        Root = Path.GetFullPath(root);
        Directory.CreateDirectory(Root);
    }

    /// <summary>The store's folder.</summary>
    public string Root { get; }

    /// <summary>The folder of one model's evaluation on one dataset.</summary>
    public string EntryDirectory(ModelIdentity model, DatasetIdentity dataset) => Path.Combine(Root, dataset.Key, model.Key);

    /// <summary>The complete entry, or null when it does not exist or is unfinished.</summary>
    public StoreEntry? TryGet(ModelIdentity model, DatasetIdentity dataset)
    {
        var dir = EntryDirectory(model, dataset);
        var metaPath = Path.Combine(dir, MetaFile);
        if (!File.Exists(metaPath)) return null;
        var meta = JsonSerializer.Deserialize<StoreEntryMeta>(File.ReadAllText(metaPath), Json)
                   ?? throw new InvalidDataException($"{metaPath}: empty metadata.");
        if (meta.Format != FormatVersion) throw new InvalidDataException($"{metaPath}: unknown store format '{meta.Format}'.");
        return new StoreEntry(dir, meta);
    }

    /// <summary>All complete entries of a dataset (any model).</summary>
    public IReadOnlyList<StoreEntry> List(DatasetIdentity dataset)
    {
        var dir = Path.Combine(Root, dataset.Key);
        if (!Directory.Exists(dir)) return Array.Empty<StoreEntry>();
        var entries = new List<StoreEntry>();
        foreach (var modelDir in Directory.EnumerateDirectories(dir).Order(StringComparer.Ordinal))
        {
            var metaPath = Path.Combine(modelDir, MetaFile);
            if (!File.Exists(metaPath)) continue;
            var meta = JsonSerializer.Deserialize<StoreEntryMeta>(File.ReadAllText(metaPath), Json)!;
            entries.Add(new StoreEntry(modelDir, meta));
        }
        return entries;
    }

    /// <summary>Number of chunks of an evaluation of <paramref name="count"/> images.</summary>
    public static int ChunkCount(int count, int chunkSize) => (count + chunkSize - 1) / chunkSize;

    // ---- writing (used by Evaluator) ----

    /// <summary>The arrays of an entry, in the order chunks hold them.</summary>
    internal static readonly string[] ArrayFiles = { ProbabilitiesFile, PredictionsFile, LabelsFile, ReadableFile };

    internal ChunkedEntry Chunks(ModelIdentity model, DatasetIdentity dataset) => new(EntryDirectory(model, dataset));

    internal string PartsDirectory(ModelIdentity model, DatasetIdentity dataset) => Chunks(model, dataset).Parts;

    internal string ChunkPath(ModelIdentity model, DatasetIdentity dataset, int chunk) => Chunks(model, dataset).ChunkPath(chunk);

    /// <summary>Records the chunk size of an evaluation, or returns the one already recorded (a resume keeps it).</summary>
    internal ChunkLayout EnsureLayout(ModelIdentity model, DatasetIdentity dataset, int chunkSize, Device device)
    {
        var datasetFile = Path.Combine(Root, dataset.Key, DatasetFile);
        if (!File.Exists(datasetFile)) AtomicFile.CreateNew(datasetFile, JsonSerializer.Serialize(dataset, Json));
        return Chunks(model, dataset).EnsureLayout(new ChunkLayout(chunkSize, dataset.Count, ChunkedEntry.DeviceKind(device)));
    }

    /// <summary>Stores one chunk; false when another writer completed the entry meanwhile (nothing written).</summary>
    internal bool WriteChunk(ModelIdentity model, DatasetIdentity dataset, int chunk, Tensor probabilities, long[] predictions,
        long[] labels, bool[] readable, IReadOnlyList<ItemError> errors)
    {
        using var p = tensor(predictions);
        using var l = tensor(labels);
        using var r = tensor(readable);
        return Chunks(model, dataset).WriteChunk(chunk,
            new[] { (ProbabilitiesFile, probabilities), (PredictionsFile, p), (LabelsFile, l), (ReadableFile, r) }, errors);
    }

    internal void WriteTiming(ModelIdentity model, DatasetIdentity dataset, InferenceTiming timing) =>
        AtomicFile.WriteAllText(Path.Combine(PartsDirectory(model, dataset), $"timing-{Environment.ProcessId}-{Guid.NewGuid():N}.json"),
            JsonSerializer.Serialize(timing, Json));

    /// <summary>
    /// When every chunk exists, merges them into the final arrays and writes meta.json last; returns the entry.
    /// Returns null while chunks are missing (other shards still running). Safe to call from several processes.
    /// </summary>
    public StoreEntry? TryComplete(ModelIdentity model, DatasetIdentity dataset)
    {
        var chunks = Chunks(model, dataset);
        var complete = chunks.TryMerge(ArrayFiles, _ =>
        {
            var layout = chunks.ReadLayout()!;
            int readableCount;
            using (var readable = Npy.Read(Path.Combine(chunks.Directory, ReadableFile)))
            using (var sum = readable.sum())
                readableCount = (int)sum.item<long>();
            var timings = Directory.EnumerateFiles(chunks.Parts, "timing-*.json")
                .Select(f => JsonSerializer.Deserialize<InferenceTiming>(File.ReadAllText(f), Json)!).ToList();
            InferenceTiming? timing = MedianTiming(timings);
            return JsonSerializer.Serialize(
                new StoreEntryMeta(model, dataset, layout.ChunkSize, readableCount, timing, DateTimeOffset.UtcNow), Json);
        });
        return complete ? TryGet(model, dataset) : null;
    }

    /// <summary>
    /// Replaces the stored timing of a complete entry (a dedicated re-measurement); false when the entry does not exist
    /// or is unfinished. meta.json is rewritten atomically; nothing else changes.
    /// </summary>
    public bool ReplaceTiming(ModelIdentity model, DatasetIdentity dataset, InferenceTiming timing)
    {
        var metaPath = Path.Combine(EntryDirectory(model, dataset), MetaFile);
        if (!File.Exists(metaPath)) return false;
        var meta = JsonSerializer.Deserialize<StoreEntryMeta>(File.ReadAllText(metaPath), Json)
                   ?? throw new InvalidDataException($"{metaPath}: empty metadata.");
        AtomicFile.WriteAllText(metaPath, JsonSerializer.Serialize(meta with { Timing = timing }, Json));
        return true;
    }

    /// <summary>
    /// The timing of the shard with the median batch-1 latency, the reliable ones preferred (shards measure separately,
    /// maybe on busy and quiet nodes); kept whole so its quartiles and conditions stay with it.
    /// </summary>
    internal static InferenceTiming? MedianTiming(IReadOnlyList<InferenceTiming> timings)
    {
        if (timings.Count == 0) return null;
        var pool = timings.Where(t => t.Reliable == true).ToList();
        if (pool.Count == 0) pool = timings.ToList();
        var sorted = pool.OrderBy(t => t.Batch1Milliseconds).ToList();
        return sorted[(sorted.Count - 1) / 2];
    }
}
