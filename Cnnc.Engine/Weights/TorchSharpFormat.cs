using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Weights;

/// <summary>
/// TorchSharp's own weights format, as <c>Module.save</c> writes it and <c>Module.load</c> reads it: LEB128 entry
/// count; per entry the name (.NET <c>BinaryWriter</c> string: 7-bit-encoded byte length, UTF-8), LEB128 dtype
/// (TorchSharp's <c>ScalarType</c> number), LEB128 rank, LEB128 dimensions, then the raw C-order bytes. There is no
/// magic number: a file is accepted only if this structure accounts for every byte of it.
/// </summary>
public static class TorchSharpFormat
{
    /// <summary>Reads every tensor of a TorchSharp weights file.</summary>
    public static StateDict Read(string path)
    {
        Runtime.TorchRuntime.Initialize();
        return FileErrors.Wrap(path, () =>
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            var tensors = new List<KeyValuePair<string, Tensor>>();
            try
            {
                Parse(stream, (name, dtype, shape) =>
                    tensors.Add(new(name, TensorData.ReadNew(stream, shape, dtype, $"tensor '{name}'"))));
            }
            catch
            {
                foreach (var (_, t) in tensors) t.Dispose();
                throw;
            }
            return new StateDict(tensors, path, WeightsFormat.TorchSharp);
        });
    }

    /// <summary>Writes tensors in TorchSharp's format (byte-identical to <c>Module.save</c> for the same state dict), atomically.</summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors)
    {
        Runtime.TorchRuntime.Initialize();
        var list = tensors.ToList();
        foreach (var (name, tensor) in list)
            if (!TensorData.Supported.Contains(tensor.dtype))
                throw new ArgumentException($"tensor '{name}': dtype {tensor.dtype} is not supported.");
        AtomicFile.Write(path, stream =>
        {
            using var writer = new BinaryWriter(stream, new UTF8Encoding(false), leaveOpen: true);
            WriteLeb128(writer, list.Count);
            foreach (var (name, tensor) in list)
            {
                writer.Write(name);
                WriteLeb128(writer, (long)tensor.dtype);
                WriteLeb128(writer, tensor.shape.Length);
                foreach (var s in tensor.shape) WriteLeb128(writer, s);
                writer.Flush();
                TensorData.Write(tensor, stream);
            }
        });
    }

    /// <summary>
    /// Whether the whole file parses as TorchSharp's format (headers only; data is skipped, not read). When it does not,
    /// <paramref name="entries"/> says how many entry headers parsed before <paramref name="error"/>: one or more means
    /// the file is most likely a damaged TorchSharp file.
    /// </summary>
    internal static bool LooksLike(Stream stream, out int entries, out string? error)
    {
        var parsed = 0;
        try
        {
            stream.Position = 0;
            Parse(stream, (name, dtype, shape) =>
                stream.Seek(TensorData.ByteCount(TensorData.Numel(shape, name), dtype, name), SeekOrigin.Current),
                () => parsed++);
            error = null;
            return true;
        }
        catch (InvalidDataException e)
        {
            error = e.Message;
            return false;
        }
        finally
        {
            entries = parsed;
            stream.Position = 0;
        }
    }

    /// <summary>Walks the structure, validating every header against the bytes that remain; <paramref name="onTensor"/>
    /// must consume (read or skip) exactly the tensor's data.</summary>
    private static void Parse(Stream stream, Action<string, ScalarType, long[]> onTensor, Action? onHeader = null)
    {
        var count = ReadLeb128(stream, "entry count");
        if (count > stream.Length - stream.Position)
            throw new InvalidDataException($"entry count {count} is larger than the file: not a TorchSharp weights file.");
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (long i = 0; i < count; i++)
        {
            var name = ReadName(stream);
            var what = $"tensor '{name}'";
            if (!names.Add(name)) throw new InvalidDataException($"{what} appears twice.");
            var code = ReadLeb128(stream, $"{what} dtype");
            var dtype = (ScalarType)code;
            if (code > 64 || !TensorData.Supported.Contains(dtype))
                throw new InvalidDataException($"{what}: unsupported dtype code {code}.");
            onHeader?.Invoke();
            var rank = ReadLeb128(stream, $"{what} rank");
            if (rank > 64) throw new InvalidDataException($"{what}: rank {rank} is implausible.");
            var shape = new long[rank];
            for (var d = 0; d < rank; d++) shape[d] = ReadLeb128(stream, $"{what} shape");
            var bytes = TensorData.ByteCount(TensorData.Numel(shape, what), dtype, what);
            if (bytes > stream.Length - stream.Position)
                throw new InvalidDataException(
                    $"truncated: {what} ({dtype} × {TensorData.Shape(shape)}) needs {bytes} bytes, only {stream.Length - stream.Position} remain.");
            onTensor(name, dtype, shape);
        }
        if (stream.Position != stream.Length)
            throw new InvalidDataException($"{stream.Length - stream.Position} unexplained bytes after the last tensor.");
    }

    private static string ReadName(Stream stream)
    {
        // .NET's 7-bit encoded Int32 (BinaryWriter.Write7BitEncodedInt): at most 5 bytes.
        long length = 0;
        for (var shift = 0; ; shift += 7)
        {
            if (shift > 28) throw new InvalidDataException("malformed name length.");
            var b = ReadByte(stream);
            length |= (long)(b & 0x7f) << shift;
            if ((b & 0x80) == 0) break;
        }
        if (length > 1 << 16 || length > stream.Length - stream.Position)
            throw new InvalidDataException($"name length {length} is implausible.");
        var bytes = new byte[length];
        stream.ReadExactly(bytes);
        try { return new UTF8Encoding(false, true).GetString(bytes); }
        catch (DecoderFallbackException) { throw new InvalidDataException("a tensor name is not valid UTF-8."); }
    }

    private static long ReadLeb128(Stream stream, string what)
    {
        long result = 0;
        for (var shift = 0; ; shift += 7)
        {
            if (shift > 56) throw new InvalidDataException($"{what}: LEB128 number too long.");
            var b = ReadByte(stream);
            result |= (long)(b & 0x7f) << shift;
            if ((b & 0x80) == 0) return result;
        }
    }

    private static int ReadByte(Stream stream)
    {
        var b = stream.ReadByte();
        return b >= 0 ? b : throw new InvalidDataException("truncated: unexpected end of file.");
    }

    private static void WriteLeb128(BinaryWriter writer, long value)
    {
        while (true)
        {
            var b = (byte)(value & 0x7f);
            value >>= 7;
            if (value == 0)
            {
                writer.Write(b);
                return;
            }
            writer.Write((byte)(b | 0x80));
        }
    }
}
