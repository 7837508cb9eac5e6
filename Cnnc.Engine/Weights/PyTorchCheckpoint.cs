using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Weights;

/// <summary>
/// Reads PyTorch <c>.pth</c>/<c>.pt</c> files written by <c>torch.save</c> — the zip format (PyTorch 1.6+) and the
/// legacy pickle-stream format — with our own restricted unpickler (<see cref="RestrictedUnpickler"/>): only
/// tensor-rebuild globals are accepted, nothing in the file is executed.
/// </summary>
/// <remarks>
/// <para>Which dict is the state dict (the documented rule): the top-level object if it is a dict whose values are all
/// tensors; otherwise the first of the keys <see cref="StateDictKeys"/> whose value satisfies the rule (recursively);
/// otherwise an error listing the top-level keys.</para>
/// <para>Tensors come back exactly as saved: dtype, shape, and strides (a transposed tensor stays a non-contiguous
/// view; tensors that shared a storage share it again). Each storage is read once, straight into tensor memory.</para>
/// </remarks>
public static class PyTorchCheckpoint
{
    /// <summary>Keys of a checkpoint dict that are searched, in this order, for the state dict.</summary>
    public static readonly IReadOnlyList<string> StateDictKeys =
        new[] { "state_dict", "model_state_dict", "model", "module", "net", "network", "weights", "params", "model_ema" };

    /// <summary>The first bytes of every legacy file: PROTO 2, LONG1 of 10 bytes, the magic number 0x1950a86a20f9469cfc6c.</summary>
    internal static readonly byte[] LegacyMagic =
        { 0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19 };

    private static readonly BigInteger MagicNumber = BigInteger.Parse("1950a86a20f9469cfc6c", System.Globalization.NumberStyles.HexNumber);

    /// <summary>Largest data.pkl accepted (it holds names and small values; the tensors live elsewhere).</summary>
    private const long MaxPickleBytes = 1L << 30;

    /// <summary>Reads the state dict of a zip or legacy <c>torch.save</c> file.</summary>
    public static StateDict Read(string path, string? entry = null)
    {
        Runtime.TorchRuntime.Initialize();
        return FileErrors.Wrap(path, () =>
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            var head = new byte[LegacyMagic.Length];
            var n = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            stream.Position = 0;
            if (n >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) return ReadZip(stream, path, entry);
            if (n == LegacyMagic.Length && head.AsSpan().SequenceEqual(LegacyMagic)) return ReadLegacy(stream, path, entry);
            throw new InvalidDataException("not a torch.save file (neither a zip archive nor the legacy magic number).");
        });
    }

    private static StateDict ReadZip(FileStream stream, string path, string? entry)
    {
        try
        {
            return ReadZipArchive(stream, path, entry);
        }
        catch (NotSupportedException e) // e.g. an entry compressed with a method .NET cannot read
        {
            throw new InvalidDataException($"unsupported zip archive: {e.Message}", e);
        }
    }

    private static StateDict ReadZipArchive(FileStream stream, string path, string? entryName)
    {
        ZipArchive zip;
        try { zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true); }
        catch (InvalidDataException e) { throw new InvalidDataException($"not a readable zip archive (truncated?): {e.Message}"); }
        using (zip)
        {
            var pickles = zip.Entries.Where(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) &&
                                                 e.FullName.IndexOf('/') == e.FullName.Length - "/data.pkl".Length).ToList();
            if (pickles.Count != 1)
                throw new InvalidDataException($"expected one '<name>/data.pkl' in the archive, found {pickles.Count}.");
            var prefix = pickles[0].FullName[..^"data.pkl".Length];
            var entries = new Dictionary<string, ZipArchiveEntry>(StringComparer.Ordinal);
            foreach (var entry in zip.Entries)
                if (!entries.TryAdd(entry.FullName, entry))
                    throw new InvalidDataException($"the archive holds '{entry.FullName}' twice.");
            if (entries.TryGetValue(prefix + "byteorder", out var byteOrder))
            {
                var order = Encoding.ASCII.GetString(ReadSmallEntry(byteOrder, stream.Length, 64)).Trim();
                if (order != "little") throw new InvalidDataException($"byte order '{order}' is not supported (little-endian only).");
            }

            var storages = new Dictionary<string, StorageRef>(StringComparer.Ordinal);
            object? root;
            using (var pkl = new MemoryStream(ReadSmallEntry(pickles[0], stream.Length, MaxPickleBytes)))
                root = RestrictedUnpickler.Load(pkl, pid => PersistentLoad(pid, storages, legacy: false));
            var refs = FindStateDict(root, entryName);

            return Materialize(refs, path, WeightsFormat.PyTorchZip, storage =>
            {
                if (!entries.TryGetValue(prefix + "data/" + storage.Key, out var entry))
                    throw new InvalidDataException($"storage '{storage.Key}' is missing from the archive.");
                var bytes = TensorData.ByteCount(storage.Numel, storage.DType, $"storage '{storage.Key}'");
                if (entry.Length != bytes)
                    throw new InvalidDataException(
                        $"storage '{storage.Key}' holds {entry.Length} bytes, but the pickle says {storage.Numel} × {storage.DType} = {bytes}.");
                CheckPlausibleEntry(entry, stream.Length);
                using var data = entry.Open();
                return TensorData.ReadNew(data, new[] { storage.Numel }, storage.DType, $"storage '{storage.Key}'");
            });
        }
    }

    private static StateDict ReadLegacy(FileStream stream, string path, string? entryName)
    {
        var magic = RestrictedUnpickler.Load(stream);
        if (magic is not BigInteger m || m != MagicNumber) throw new InvalidDataException("bad legacy magic number.");
        var protocol = RestrictedUnpickler.Load(stream);
        if (protocol is not 1001L) throw new InvalidDataException($"unsupported legacy protocol version {protocol}.");
        if (RestrictedUnpickler.Load(stream) is not PyDict sysInfo) throw new InvalidDataException("malformed legacy system info.");
        if (sysInfo.TryGet("little_endian", out var little) && little is false)
            throw new InvalidDataException("big-endian legacy files are not supported.");

        var storages = new Dictionary<string, StorageRef>(StringComparer.Ordinal);
        var root = RestrictedUnpickler.Load(stream, pid => PersistentLoad(pid, storages, legacy: true));
        var refs = FindStateDict(root, entryName);
        if (RestrictedUnpickler.Load(stream) is not List<object?> keys || keys.Any(k => k is not string))
            throw new InvalidDataException("malformed legacy storage key list.");

        var needed = refs.Select(r => r.Value.Storage.Key).ToHashSet(StringComparer.Ordinal);
        var loaded = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            var header = new byte[8];
            foreach (var key in keys.Cast<string>())
            {
                if (!storages.TryGetValue(key, out var storage))
                    throw new InvalidDataException($"storage '{key}' is listed but never used by the pickle.");
                try { stream.ReadExactly(header); }
                catch (EndOfStreamException) { throw new InvalidDataException($"truncated: the file ends before storage '{key}'."); }
                var count = BinaryPrimitives.ReadInt64LittleEndian(header);
                if (count != storage.Numel)
                    throw new InvalidDataException($"storage '{key}' holds {count} elements, but the pickle says {storage.Numel}.");
                var bytes = TensorData.ByteCount(count, storage.DType, $"storage '{key}'");
                if (bytes > stream.Length - stream.Position)
                    throw new InvalidDataException(
                        $"truncated: storage '{key}' needs {bytes} bytes, only {stream.Length - stream.Position} remain.");
                if (needed.Contains(key) && !loaded.ContainsKey(key))
                    loaded[key] = TensorData.ReadNew(stream, new[] { count }, storage.DType, $"storage '{key}'");
                else stream.Seek(bytes, SeekOrigin.Current);
            }
            return Materialize(refs, path, WeightsFormat.PyTorchLegacy, storage =>
            {
                if (!loaded.Remove(storage.Key, out var tensor))
                    throw new InvalidDataException($"storage '{storage.Key}' is not in the file's storage list.");
                return tensor;
            });
        }
        finally
        {
            foreach (var t in loaded.Values) t.Dispose();
        }
    }

    /// <summary>('storage', storage type, key, location, numel[, view metadata]) → a storage reference.</summary>
    private static object PersistentLoad(PyTuple pid, Dictionary<string, StorageRef> storages, bool legacy)
    {
        if (pid.Count < 5 || pid[0] is not "storage")
            throw new InvalidDataException("malformed persistent id (expected ('storage', type, key, location, size)).");
        if (pid[1] is not PyGlobal { Module: "torch" } type || !RestrictedUnpickler.StorageTypes.TryGetValue(type.Name, out var dtype))
            throw new InvalidDataException($"unsupported storage type {RestrictedUnpickler.Describe(pid[1])}.");
        var key = pid[2] as string ?? throw new InvalidDataException("malformed persistent id (key is not a string).");
        var numel = RestrictedUnpickler.AsLong(pid[4], "storage size");
        if (numel < 0) throw new InvalidDataException($"storage '{key}' has negative size {numel}.");
        if (legacy && pid.Count > 5 && pid[5] is not null)
            throw new InvalidDataException($"storage '{key}' is a legacy storage view, which is not supported.");
        if (storages.TryGetValue(key, out var known))
        {
            if (known.DType != dtype || known.Numel != numel)
                throw new InvalidDataException($"storage '{key}' is named with two different types or sizes.");
            return known;
        }
        return storages[key] = new StorageRef(key, dtype, numel);
    }

    /// <summary>The state dict inside a checkpoint's object, by the rule in the class remarks.</summary>
    private static List<KeyValuePair<string, TensorRef>> FindStateDict(object? root, string? entry)
    {
        if (root is not PyDict dict)
            throw new InvalidDataException($"the file holds {RestrictedUnpickler.Describe(root)}, not a dict of tensors.");
        if (entry is not null)
        {
            if (!dict.TryGet(entry, out var inner) || inner is not PyDict innerDict)
                throw new InvalidDataException($"the checkpoint has no dict entry '{entry}' (top-level keys {TopKeys(dict)}).");
            return TryFind(innerDict, 1) ?? throw new InvalidDataException($"the checkpoint entry '{entry}' is not a dict of tensors.");
        }
        var found = TryFind(dict, 0);
        if (found is not null) return found;
        throw new InvalidDataException(
            $"no state dict found: the top-level dict (keys {TopKeys(dict)}) is not a dict of tensors, and none of " +
            $"{string.Join(", ", StateDictKeys.Select(k => $"'{k}'"))} holds one.");
    }

    private static string TopKeys(PyDict dict) =>
        string.Join(", ", dict.Items.Select(kv => kv.Key is string s ? $"'{s}'" : kv.Key?.ToString()).Take(20));

    private static List<KeyValuePair<string, TensorRef>>? TryFind(PyDict dict, int depth)
    {
        if (dict.Items.All(kv => kv.Key is string && kv.Value is TensorRef))
            return dict.Items.Select(kv => new KeyValuePair<string, TensorRef>((string)kv.Key, (TensorRef)kv.Value!)).ToList();
        if (depth >= 4) return null;
        foreach (var key in StateDictKeys)
            if (dict.TryGet(key, out var inner) && inner is PyDict d && TryFind(d, depth + 1) is { } found)
                return found;
        return null;
    }

    /// <summary>Reads each needed storage once and rebuilds every tensor as a strided view of it.</summary>
    private static StateDict Materialize(List<KeyValuePair<string, TensorRef>> refs, string path, WeightsFormat format,
                                         Func<StorageRef, Tensor> readStorage)
    {
        var storages = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var tensors = new List<KeyValuePair<string, Tensor>>(refs.Count);
        try
        {
            foreach (var (name, r) in refs)
            {
                CheckView(name, r);
                if (!storages.TryGetValue(r.Storage.Key, out var storage))
                    storages[r.Storage.Key] = storage = readStorage(r.Storage);
                tensors.Add(new(name, storage.as_strided(r.Size, r.Stride, r.Offset)));
            }
            return new StateDict(tensors, path, format);
        }
        catch
        {
            foreach (var (_, t) in tensors) t.Dispose();
            throw;
        }
        finally
        {
            foreach (var s in storages.Values) s.Dispose(); // the views keep the memory alive
        }
    }

    /// <summary>The view must stay inside its storage: a lying header must not read outside it.</summary>
    private static void CheckView(string name, TensorRef r)
    {
        if (r.Size.Length != r.Stride.Length)
            throw new InvalidDataException($"tensor '{name}': size {TensorData.Shape(r.Size)} and stride {TensorData.Shape(r.Stride)} differ in rank.");
        if (r.Size.Length > 64) throw new InvalidDataException($"tensor '{name}': rank {r.Size.Length} is implausible.");
        if (r.Offset < 0 || r.Stride.Any(s => s < 0))
            throw new InvalidDataException($"tensor '{name}': negative storage offset or stride.");
        var numel = TensorData.Numel(r.Size, $"tensor '{name}'");
        try
        {
            var last = r.Offset;
            if (numel > 0)
                for (var i = 0; i < r.Size.Length; i++) last = checked(last + (r.Size[i] - 1) * r.Stride[i]);
            var fits = numel == 0 ? r.Offset <= r.Storage.Numel : last < r.Storage.Numel;
            if (!fits)
                throw new InvalidDataException(
                    $"tensor '{name}': size {TensorData.Shape(r.Size)}, stride {TensorData.Shape(r.Stride)}, offset {r.Offset} " +
                    $"reach past the end of storage '{r.Storage.Key}' ({r.Storage.Numel} elements).");
        }
        catch (OverflowException)
        {
            throw new InvalidDataException($"tensor '{name}': size and stride overflow.");
        }
    }

    private static byte[] ReadSmallEntry(ZipArchiveEntry entry, long fileLength, long max)
    {
        if (entry.Length > max) throw new InvalidDataException($"'{entry.FullName}' of {entry.Length} bytes is implausibly large.");
        CheckPlausibleEntry(entry, fileLength);
        var buffer = new byte[entry.Length];
        using var s = entry.Open();
        try { s.ReadExactly(buffer); }
        catch (EndOfStreamException) { throw new InvalidDataException($"truncated: '{entry.FullName}' ends early."); }
        return buffer;
    }

    /// <summary>A zip entry's declared size must be reachable from the bytes actually in the file (deflate: ≤ 1032:1).</summary>
    private static void CheckPlausibleEntry(ZipArchiveEntry entry, long fileLength)
    {
        if (entry.CompressedLength > fileLength || entry.Length > entry.CompressedLength * 1032 + 1024)
            throw new InvalidDataException(
                $"'{entry.FullName}' claims {entry.Length} bytes from {entry.CompressedLength} stored bytes in a file of {fileLength}.");
    }
}
