using System.IO.Compression;
using System.Text.Json;
using Cnnc.Engine.IO;
using static TorchSharp.torch;

namespace Cnnc.Engine.Evaluation;

/// <summary>How an entry is cut into chunks: rows per chunk and rows in all (<c>parts/layout.json</c>).</summary>
/// <param name="ChunkSize">Rows per chunk (the last may be shorter).</param>
/// <param name="Count">Rows of the whole entry.</param>
/// <param name="Device">Kind of device the chunks are computed on ("cpu", "cuda"); null in layouts of older writers.</param>
internal sealed record ChunkLayout(int ChunkSize, int Count, string? Device = null)
{
    /// <summary>Number of chunks.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int Chunks => (Count + ChunkSize - 1) / ChunkSize;

    /// <summary>First row of <paramref name="chunk"/>.</summary>
    public int Start(int chunk) => chunk * ChunkSize;

    /// <summary>Rows of <paramref name="chunk"/>.</summary>
    public int Length(int chunk) => Math.Min(ChunkSize, Count - chunk * ChunkSize);
}

/// <summary>
/// The write discipline every store entry shares (predictions and explanations). Rows are computed in fixed-size
/// chunks, each written atomically (temporary file + rename) as one <c>.npz</c> of named arrays plus
/// <c>errors.json</c> into <c>parts/</c>, so a process that dies loses at most the chunk it was writing and shards
/// compute disjoint chunks. Whoever finds every chunk present merges them under a file lock, streaming one chunk at a
/// time, into one <c>.npy</c> per array (each written atomically), writes <c>meta.json</c> last and removes
/// <c>parts/</c>: an entry is complete exactly when <c>meta.json</c> exists, and nothing is ever half-visible.
/// </summary>
/// <remarks>
/// Concurrent writers of one entry (two job arrays, a resubmitted task beside a running one) are safe: the first
/// layout recorded wins and every later writer adopts it; a chunk computed twice is replaced whole by identical work;
/// a writer that finds the entry completed stops and writes nothing more; a merge waits for a merge in progress
/// elsewhere. The lock is an advisory file lock (<c>flock</c>), so a shared store needs a filesystem where locks work
/// (local disks, NFS with locking, Lustre mounted with <c>-o flock</c>).
/// </remarks>
internal sealed class ChunkedEntry
{
    /// <summary>The kind of a device as layouts record it: "cpu", "cuda", …</summary>
    internal static string DeviceKind(TorchSharp.torch.Device device) => device.type.ToString().ToLowerInvariant();

    internal const string PartsFolder = "parts", LayoutFile = "layout.json", MetaFile = "meta.json", ErrorsFile = "errors.json",
        LockFile = ".complete.lock";

    public ChunkedEntry(string directory) => Directory = directory;

    /// <summary>The entry's folder.</summary>
    public string Directory { get; }

    /// <summary>Where the chunks of an unfinished entry live.</summary>
    public string Parts => Path.Combine(Directory, PartsFolder);

    /// <summary>The file whose existence means "complete".</summary>
    public string MetaPath => Path.Combine(Directory, MetaFile);

    /// <summary>Whether the entry is complete.</summary>
    public bool IsComplete => File.Exists(MetaPath);

    /// <summary>The file of one chunk.</summary>
    public string ChunkPath(int chunk) => Path.Combine(Parts, $"chunk-{chunk:D6}.npz");

    /// <summary>Whether a chunk is stored.</summary>
    public bool HasChunk(int chunk) => File.Exists(ChunkPath(chunk));

    /// <summary>
    /// Records <paramref name="requested"/> unless a layout is recorded already, and returns the recorded one: a resume
    /// (or a second writer) keeps the chunk size the entry started with. A recorded layout for another row count, or
    /// for another kind of device (CPU and CUDA results differ in the last bits, so one entry never mixes them), is an
    /// error. Also deletes the temporary files of writers that were killed mid-write.
    /// </summary>
    public ChunkLayout EnsureLayout(ChunkLayout requested)
    {
        System.IO.Directory.CreateDirectory(Parts);
        AtomicFile.DeleteStaleTemporaryFiles(Parts);
        var path = Path.Combine(Parts, LayoutFile);
        if (!File.Exists(path)) AtomicFile.CreateNew(path, JsonSerializer.Serialize(requested, PredictionsStore.Json));
        var recorded = ReadLayout() ?? throw new InvalidDataException($"{path}: missing after it was written.");
        if (recorded.Count != requested.Count || recorded.ChunkSize < 1)
            throw new InvalidDataException(
                $"{path}: this entry was started for {recorded.Count} rows in chunks of {recorded.ChunkSize}, this run has {requested.Count} rows. " +
                $"Delete {Directory} to start it again.");
        if (recorded.Device is not null && requested.Device is not null && recorded.Device != requested.Device)
            throw new InvalidDataException(
                $"{Directory} is being computed on {recorded.Device} ({path}) and this run is on {requested.Device}: one entry never mixes " +
                $"devices (their results differ in the last bits). Run it on {recorded.Device}, or delete {Directory} to start again on {requested.Device}.");
        return recorded;
    }

    /// <summary>
    /// What a shard still has to do: its chunks not stored yet, their rows, and the rows of its chunks that earlier
    /// runs stored (resumed).
    /// </summary>
    public (IReadOnlyList<int> Todo, int Rows, int Resumed) Plan(ChunkLayout layout, Shard shard)
    {
        var mine = Enumerable.Range(0, layout.Chunks).Where(shard.Owns).ToList();
        var todo = mine.Where(c => !HasChunk(c)).ToList();
        var rows = todo.Sum(layout.Length);
        return (todo, rows, mine.Sum(layout.Length) - rows);
    }

    /// <summary>The recorded layout, or null when none is recorded.</summary>
    public ChunkLayout? ReadLayout()
    {
        var path = Path.Combine(Parts, LayoutFile);
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<ChunkLayout>(File.ReadAllText(path), PredictionsStore.Json);
        }
        catch (FileNotFoundException) { return null; } // merged and removed meanwhile
        catch (DirectoryNotFoundException) { return null; }
    }

    /// <summary>
    /// Writes one chunk atomically: each array as <c>NAME.npy</c> (first dimension = the chunk's rows) and the errors.
    /// Returns false, leaving nothing behind, when another writer completed the entry meanwhile.
    /// </summary>
    public bool WriteChunk(int chunk, IReadOnlyList<(string Name, Tensor Array)> arrays, IReadOnlyList<ItemError> errors)
    {
        if (IsComplete) return false;
        try
        {
            AtomicFile.Write(ChunkPath(chunk), stream =>
            {
                using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
                foreach (var (name, array) in arrays)
                {
                    using var entry = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
                    Npy.Write(entry, array);
                }
                using var e = zip.CreateEntry(ErrorsFile).Open();
                JsonSerializer.Serialize(e, errors, PredictionsStore.Json);
            });
        }
        catch (IOException) when (IsComplete)
        {
            return false; // parts/ was removed under us by the writer that merged
        }
        if (!IsComplete) return true;
        TryDeleteParts(); // our write re-created parts/ after the merge removed it
        return false;
    }

    /// <summary>
    /// Completes the entry when every chunk is stored: merges them into one <c>.npy</c> per name in
    /// <paramref name="arrays"/> and <c>errors.json</c>, then writes <paramref name="meta"/>'s text as meta.json last.
    /// Returns true when the entry is complete (by this call or by another writer), false while chunks are missing.
    /// </summary>
    /// <param name="arrays">Names of the arrays every chunk holds (e.g. "probabilities.npy").</param>
    /// <param name="meta">Builds meta.json from the merged errors and the parts folder (read before it is removed).</param>
    public bool TryMerge(IReadOnlyList<string> arrays, Func<IReadOnlyList<ItemError>, string> meta)
    {
        if (IsComplete)
        {
            if (System.IO.Directory.Exists(Parts)) TryDeleteParts();
            return true;
        }
        var layout = ReadLayout();
        if (layout is null) return false;
        for (var c = 0; c < layout.Chunks; c++)
            if (!HasChunk(c)) return false;

        using var lockFile = AcquireLock(Path.Combine(Directory, LockFile), () => IsComplete);
        if (lockFile is null || IsComplete) return true; // merged by the writer that held the lock
        foreach (var name in arrays) MergeArray(name, layout);
        var errors = new List<ItemError>();
        for (var c = 0; c < layout.Chunks; c++)
        {
            using var zip = ZipFile.OpenRead(ChunkPath(c));
            using var stream = Open(zip, ErrorsFile, c);
            errors.AddRange(JsonSerializer.Deserialize<List<ItemError>>(stream, PredictionsStore.Json) ?? new());
        }
        AtomicFile.WriteAllText(Path.Combine(Directory, ErrorsFile), JsonSerializer.Serialize(errors, PredictionsStore.Json));
        AtomicFile.WriteAllText(MetaPath, meta(errors));
        TryDeleteParts();
        return true;
    }

    /// <summary>Concatenates one array of every chunk into <c>Directory/name</c>, one chunk in memory at a time.</summary>
    private void MergeArray(string name, ChunkLayout layout)
    {
        ScalarType dtype;
        long[] rowShape;
        using (var zip = ZipFile.OpenRead(ChunkPath(0)))
        using (var first = Open(zip, name, 0))
            (dtype, rowShape) = RowsOf(Npy.ReadHeader(first), name, 0, layout);
        AtomicFile.Write(Path.Combine(Directory, name), output =>
        {
            Npy.WriteHeader(output, dtype, new long[] { layout.Count }.Concat(rowShape).ToArray());
            for (var c = 0; c < layout.Chunks; c++)
            {
                using var zip = ZipFile.OpenRead(ChunkPath(c));
                using var input = Open(zip, name, c);
                var header = Npy.ReadHeader(input);
                var (chunkType, chunkRows) = RowsOf(header, name, c, layout);
                if (chunkType != dtype || !chunkRows.SequenceEqual(rowShape))
                    throw new InvalidDataException(
                        $"{ChunkPath(c)}: {name} is {chunkType} ({string.Join(", ", header.Shape)}), chunk 0 has {dtype} (…, {string.Join(", ", rowShape)}). " +
                        "Delete that chunk and rerun to compute it again.");
                CopyExactly(input, output, Npy.DataBytes(header.DType, header.Shape), ChunkPath(c));
            }
        });
    }

    private (ScalarType DType, long[] RowShape) RowsOf((ScalarType DType, long[] Shape) header, string name, int chunk, ChunkLayout layout)
    {
        if (header.Shape.Length == 0 || header.Shape[0] != layout.Length(chunk))
            throw new InvalidDataException(
                $"{ChunkPath(chunk)}: {name} has shape ({string.Join(", ", header.Shape)}), expected {layout.Length(chunk)} rows. " +
                "Delete that chunk and rerun to compute it again.");
        return (header.DType, header.Shape[1..]);
    }

    private Stream Open(ZipArchive zip, string name, int chunk) =>
        (zip.GetEntry(name) ?? throw new InvalidDataException(
            $"{ChunkPath(chunk)}: missing {name}. Delete that chunk and rerun to compute it again.")).Open();

    private static void CopyExactly(Stream input, Stream output, long bytes, string source)
    {
        var buffer = new byte[1 << 20];
        while (bytes > 0)
        {
            var read = input.Read(buffer, 0, (int)Math.Min(buffer.Length, bytes));
            if (read == 0) throw new InvalidDataException($"{source}: truncated array data.");
            output.Write(buffer, 0, read);
            bytes -= read;
        }
    }

    /// <summary>Removes parts/ of a complete entry; a writer adding a file at that moment leaves it for the next call.</summary>
    private void TryDeleteParts()
    {
        for (var attempt = 0; attempt < 3 && System.IO.Directory.Exists(Parts); attempt++)
        {
            try { System.IO.Directory.Delete(Parts, recursive: true); }
            catch (IOException) { Thread.Sleep(50); }
            catch (UnauthorizedAccessException) { return; }
        }
    }

    /// <summary>
    /// An exclusive advisory lock between processes (released on dispose or process exit). While another process holds
    /// it, waits — returning null as soon as <paramref name="done"/> says that process finished the work.
    /// </summary>
    internal static FileStream? AcquireLock(string path, Func<bool>? done = null)
    {
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        while (true)
        {
            try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (File.Exists(path))
            {
                if (done?.Invoke() == true) return null;
                Thread.Sleep(100);
            }
        }
    }
}
