using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Serialization;
using Cnnc.Engine.IO;
using static TorchSharp.torch;

namespace Cnnc.Engine.Evaluation;

/// <summary>Timing measured while evaluating.</summary>
/// <param name="Batch1Milliseconds">Median latency of one image (batch 1), in ms.</param>
/// <param name="ImagesPerSecond">Throughput of batched inference.</param>
/// <param name="BatchSize">Batch size of the batched run.</param>
/// <param name="Device">Device, e.g. "cpu".</param>
public sealed record InferenceTiming(double Batch1Milliseconds, double ImagesPerSecond, int BatchSize, string Device);

/// <summary>The metadata of a complete store entry (meta.json).</summary>
public sealed record StoreEntryMeta(
    ModelIdentity Model, DatasetIdentity Dataset, int ChunkSize, int ReadableCount, InferenceTiming? Timing,
    DateTimeOffset CompletedAt, string Format = PredictionsStore.FormatVersion);

/// <summary>A complete evaluation of one model on one dataset, read from the store.</summary>
public sealed class StoreEntry
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
    public StoreEntryMeta Meta { get; }

    /// <summary>Predicted class per image (-1 for unreadable images).</summary>
    public long[] Predictions { get; }

    /// <summary>Label per image.</summary>
    public long[] Labels { get; }

    /// <summary>Whether each image could be read.</summary>
    public bool[] Readable { get; }

    /// <summary>Images that could not be read, with reasons.</summary>
    public IReadOnlyList<ItemError> Errors { get; }

    /// <summary>The confidence matrix: softmax probabilities, float32 [M, N] (rows of unreadable images are 0). Loaded on first use.</summary>
    public Tensor Probabilities => _probabilities.Value;

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
        LabelsFile = "labels.npy", ReadableFile = "readable.npy", ErrorsFile = "errors.json", MetaFile = "meta.json",
        DatasetFile = "dataset.json", PartsFolder = "parts", LayoutFile = "layout.json";

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

    internal string PartsDirectory(ModelIdentity model, DatasetIdentity dataset) =>
        Path.Combine(EntryDirectory(model, dataset), PartsFolder);

    internal string ChunkPath(ModelIdentity model, DatasetIdentity dataset, int chunk) =>
        Path.Combine(PartsDirectory(model, dataset), $"chunk-{chunk:D6}.npz");

    /// <summary>Records the chunk size of an evaluation, or returns the one already recorded (a resume keeps it).</summary>
    internal int EnsureLayout(ModelIdentity model, DatasetIdentity dataset, int chunkSize)
    {
        var parts = PartsDirectory(model, dataset);
        Directory.CreateDirectory(parts);
        AtomicFile.DeleteStaleTemporaryFiles(parts); // left by a run killed mid-write
        var datasetFile = Path.Combine(Root, dataset.Key, DatasetFile);
        if (!File.Exists(datasetFile)) AtomicFile.WriteAllText(datasetFile, JsonSerializer.Serialize(dataset, Json));
        var layout = Path.Combine(parts, LayoutFile);
        if (File.Exists(layout))
            return JsonSerializer.Deserialize<Layout>(File.ReadAllText(layout), Json)!.ChunkSize;
        AtomicFile.WriteAllText(layout, JsonSerializer.Serialize(new Layout(chunkSize, dataset.Count), Json));
        return JsonSerializer.Deserialize<Layout>(File.ReadAllText(layout), Json)!.ChunkSize; // another process may have won
    }

    internal static void WriteChunk(string path, Tensor probabilities, long[] predictions, long[] labels, bool[] readable,
        IReadOnlyList<ItemError> errors)
    {
        AtomicFile.Write(path, stream =>
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
            void Add(string name, Tensor t)
            {
                using var entry = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
                Npy.Write(entry, t);
            }
            Add(ProbabilitiesFile, probabilities);
            using (var p = tensor(predictions)) Add(PredictionsFile, p);
            using (var l = tensor(labels)) Add(LabelsFile, l);
            using (var r = tensor(readable)) Add(ReadableFile, r);
            using var e = zip.CreateEntry(ErrorsFile).Open();
            JsonSerializer.Serialize(e, errors, Json);
        });
    }

    internal static (Tensor Probabilities, long[] Predictions, long[] Labels, bool[] Readable, List<ItemError> Errors) ReadChunk(string path)
    {
        using var zip = ZipFile.OpenRead(path);
        Tensor Read(string name)
        {
            var entry = zip.GetEntry(name) ?? throw new InvalidDataException($"{path}: missing {name}.");
            using var s = entry.Open();
            using var buffered = new MemoryStream();
            s.CopyTo(buffered);
            buffered.Position = 0;
            return Npy.Read(buffered);
        }
        var probabilities = Read(ProbabilitiesFile);
        using var predictions = Read(PredictionsFile);
        using var labels = Read(LabelsFile);
        using var readable = Read(ReadableFile);
        using var errorsStream = (zip.GetEntry(ErrorsFile) ?? throw new InvalidDataException($"{path}: missing {ErrorsFile}.")).Open();
        var errors = JsonSerializer.Deserialize<List<ItemError>>(errorsStream, Json) ?? new();
        return (probabilities, predictions.data<long>().ToArray(), labels.data<long>().ToArray(), readable.data<bool>().ToArray(), errors);
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
        var existing = TryGet(model, dataset);
        if (existing is not null) return existing;
        var parts = PartsDirectory(model, dataset);
        var layoutPath = Path.Combine(parts, LayoutFile);
        if (!File.Exists(layoutPath)) return null;
        var layout = JsonSerializer.Deserialize<Layout>(File.ReadAllText(layoutPath), Json)!;
        var chunks = ChunkCount(dataset.Count, layout.ChunkSize);
        for (var c = 0; c < chunks; c++)
            if (!File.Exists(ChunkPath(model, dataset, c))) return null;

        var dir = EntryDirectory(model, dataset);
        using var lockFile = AcquireLock(Path.Combine(dir, ".complete.lock"));
        existing = TryGet(model, dataset);
        if (existing is not null) return existing;

        var probabilityParts = new List<Tensor>();
        var predictions = new List<long>(dataset.Count);
        var labels = new List<long>(dataset.Count);
        var readable = new List<bool>(dataset.Count);
        var errors = new List<ItemError>();
        try
        {
            for (var c = 0; c < chunks; c++)
            {
                var chunk = ReadChunk(ChunkPath(model, dataset, c));
                probabilityParts.Add(chunk.Probabilities);
                predictions.AddRange(chunk.Predictions);
                labels.AddRange(chunk.Labels);
                readable.AddRange(chunk.Readable);
                errors.AddRange(chunk.Errors);
            }
            if (predictions.Count != dataset.Count)
                throw new InvalidDataException($"{parts}: chunks hold {predictions.Count} rows, expected {dataset.Count}.");
            using (var all = cat(probabilityParts, 0)) Npy.Write(Path.Combine(dir, ProbabilitiesFile), all);
        }
        finally
        {
            foreach (var t in probabilityParts) t.Dispose();
        }
        using (var t = tensor(predictions.ToArray())) Npy.Write(Path.Combine(dir, PredictionsFile), t);
        using (var t = tensor(labels.ToArray())) Npy.Write(Path.Combine(dir, LabelsFile), t);
        using (var t = tensor(readable.ToArray())) Npy.Write(Path.Combine(dir, ReadableFile), t);
        AtomicFile.WriteAllText(Path.Combine(dir, ErrorsFile), JsonSerializer.Serialize(errors, Json));

        var timings = Directory.EnumerateFiles(parts, "timing-*.json")
            .Select(f => JsonSerializer.Deserialize<InferenceTiming>(File.ReadAllText(f), Json)!).ToList();
        InferenceTiming? timing = timings.Count == 0 ? null : new InferenceTiming(
            Median(timings.Select(t => t.Batch1Milliseconds)), Median(timings.Select(t => t.ImagesPerSecond)),
            timings[0].BatchSize, timings[0].Device);
        var meta = new StoreEntryMeta(model, dataset, layout.ChunkSize, readable.Count(r => r), timing, DateTimeOffset.UtcNow);
        AtomicFile.WriteAllText(Path.Combine(dir, MetaFile), JsonSerializer.Serialize(meta, Json));
        Directory.Delete(parts, recursive: true);
        return TryGet(model, dataset);
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>An exclusive advisory lock between processes (released on dispose or process exit).</summary>
    internal static FileStream AcquireLock(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        for (var attempt = 0; ; attempt++)
        {
            try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (attempt < 600) { Thread.Sleep(100); }
        }
    }

    private sealed record Layout(int ChunkSize, int Count);
}
