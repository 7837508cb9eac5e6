using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Weights;

/// <summary>Dtype tables and chunked raw I/O between streams and CPU tensor memory (no intermediate managed copy).</summary>
internal static class TensorData
{
    /// <summary>Largest span handed to one read or write (TorchSharp's <c>bytes</c> span is limited to 2 GiB).</summary>
    internal static long ChunkBytes = 1L << 30;

    /// <summary>The dtypes every reader and writer here supports.</summary>
    public static readonly IReadOnlySet<ScalarType> Supported = new HashSet<ScalarType>
    {
        ScalarType.Float64, ScalarType.Float32, ScalarType.Float16, ScalarType.BFloat16, ScalarType.Int64,
        ScalarType.Int32, ScalarType.Int16, ScalarType.Int8, ScalarType.Byte, ScalarType.Bool,
    };

    public static int ElementSize(ScalarType dtype) => dtype switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
        ScalarType.Int8 or ScalarType.Byte or ScalarType.Bool => 1,
        _ => throw new InvalidDataException($"unsupported dtype {dtype}."),
    };

    /// <summary>Element count of a shape; an error (not an overflow) for a lying shape.</summary>
    public static long Numel(IReadOnlyList<long> shape, string what)
    {
        long n = 1;
        foreach (var s in shape)
        {
            if (s < 0) throw new InvalidDataException($"{what}: negative dimension {s} in shape [{string.Join(", ", shape)}].");
            try { n = checked(n * s); }
            catch (OverflowException) { throw new InvalidDataException($"{what}: shape [{string.Join(", ", shape)}] overflows."); }
        }
        return n;
    }

    /// <summary>Byte count of <paramref name="numel"/> elements, checked.</summary>
    public static long ByteCount(long numel, ScalarType dtype, string what)
    {
        try { return checked(numel * ElementSize(dtype)); }
        catch (OverflowException) { throw new InvalidDataException($"{what}: {numel} elements of {dtype} overflow."); }
    }

    /// <summary>Fills a new contiguous CPU tensor of the given shape from the stream.</summary>
    public static Tensor ReadNew(Stream stream, long[] shape, ScalarType dtype, string what)
    {
        var tensor = empty(shape, dtype);
        try
        {
            ReadInto(tensor, stream, what);
            return tensor;
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
    }

    /// <summary>Reads exactly the tensor's byte count from the stream into its (contiguous, CPU) memory.</summary>
    public static void ReadInto(Tensor tensor, Stream stream, string what)
    {
        var total = tensor.NumberOfElements * tensor.ElementSize;
        if (total == 0) return;
        try
        {
            if (total <= ChunkBytes)
            {
                stream.ReadExactly(tensor.bytes);
                return;
            }
            using var flat = tensor.view(-1);
            var perChunk = ChunkBytes / tensor.ElementSize;
            for (long start = 0; start < flat.shape[0]; start += perChunk)
            {
                using var chunk = flat.narrow(0, start, Math.Min(perChunk, flat.shape[0] - start));
                stream.ReadExactly(chunk.bytes);
            }
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"truncated: the file ends inside the data of {what}.");
        }
    }

    /// <summary>Writes the tensor's elements (C order, little-endian) to the stream.</summary>
    public static void Write(Tensor tensor, Stream stream)
    {
        using var detached = tensor.detach();
        using var onCpu = detached.cpu();
        using var cpu = onCpu.contiguous();
        var total = cpu.NumberOfElements * cpu.ElementSize;
        if (total == 0) return;
        if (total <= ChunkBytes)
        {
            stream.Write(cpu.bytes);
            return;
        }
        using var flat = cpu.view(-1);
        var perChunk = ChunkBytes / cpu.ElementSize;
        for (long start = 0; start < flat.shape[0]; start += perChunk)
        {
            using var chunk = flat.narrow(0, start, Math.Min(perChunk, flat.shape[0] - start));
            stream.Write(chunk.bytes);
        }
    }

    public static string Shape(IEnumerable<long> shape) => "[" + string.Join(", ", shape) + "]";
}

/// <summary>Writes a file through a temporary file in the same folder and a rename, so readers never see half a file.</summary>
internal static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}

/// <summary>Puts the file name in front of every format error, once.</summary>
internal static class FileErrors
{
    public static T Wrap<T>(string path, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{path}: truncated: unexpected end of file.", e);
        }
    }
}
