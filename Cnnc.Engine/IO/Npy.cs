using System.Text;
using System.Text.RegularExpressions;
using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.IO;

/// <summary>
/// numpy's <c>.npy</c> format (versions 1-3), little-endian, C order: the array interchange format of the CLI and the
/// predictions store, readable with plain <c>numpy.load</c>.
/// </summary>
public static partial class Npy
{
    private static readonly byte[] Magic = { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y' };

    private static readonly Dictionary<string, ScalarType> DTypes = new()
    {
        ["<f4"] = ScalarType.Float32, ["<f8"] = ScalarType.Float64, ["<f2"] = ScalarType.Float16,
        ["<i8"] = ScalarType.Int64, ["<i4"] = ScalarType.Int32, ["<i2"] = ScalarType.Int16,
        ["|i1"] = ScalarType.Int8, ["|u1"] = ScalarType.Byte, ["|b1"] = ScalarType.Bool,
    };

    /// <summary>Reads a .npy file into a CPU tensor.</summary>
    public static Tensor Read(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return Read(stream);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Reads one .npy array from a stream into a CPU tensor.</summary>
    public static Tensor Read(Stream stream)
    {
        Runtime.TorchRuntime.Initialize();
        var (dtype, shape) = ReadHeader(stream);
        var byteCount = DataBytes(dtype, shape);
        if (stream.CanSeek && stream.Length - stream.Position < byteCount)
            throw new InvalidDataException($"truncated: header promises {byteCount} data bytes, file has {stream.Length - stream.Position}.");
        var data = new byte[byteCount];
        ReadExactly(stream, data, "data");
        var result = empty(shape, dtype);
        result.bytes = data;
        return result;
    }

    /// <summary>
    /// Reads rows [<paramref name="start"/>, <paramref name="start"/> + <paramref name="count"/>) of the first dimension
    /// of a .npy file, seeking past the others: one map of a large stack without reading the whole file.
    /// </summary>
    public static Tensor ReadRows(string path, long start, long count)
    {
        Runtime.TorchRuntime.Initialize();
        try
        {
            using var stream = File.OpenRead(path);
            var (dtype, shape) = ReadHeader(stream);
            if (shape.Length == 0 || start < 0 || count < 0 || start + count > shape[0])
                throw new ArgumentOutOfRangeException(nameof(start),
                    $"{path}: rows {start}..{start + count - 1} are outside an array of shape ({string.Join(", ", shape)}).");
            var rowShape = shape[1..];
            var rowBytes = DataBytes(dtype, rowShape);
            var dataStart = stream.Position;
            if (stream.Length - dataStart < checked(rowBytes * shape[0]))
                throw new InvalidDataException($"truncated: header promises {rowBytes * shape[0]} data bytes, file has {stream.Length - dataStart}.");
            stream.Position = dataStart + start * rowBytes;
            var data = new byte[checked(rowBytes * count)];
            ReadExactly(stream, data, "data");
            var result = empty(new[] { count }.Concat(rowShape).ToArray(), dtype);
            result.bytes = data;
            return result;
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Reads a .npy header, leaving the stream at the first data byte: the dtype and the shape.</summary>
    internal static (ScalarType DType, long[] Shape) ReadHeader(Stream stream)
    {
        var head = new byte[8];
        ReadExactly(stream, head, "header");
        if (!head.AsSpan(0, 6).SequenceEqual(Magic)) throw new InvalidDataException("not a .npy file (bad magic).");
        int major = head[6];
        int headerLength;
        if (major == 1)
        {
            var len = new byte[2];
            ReadExactly(stream, len, "header length");
            headerLength = BitConverter.ToUInt16(len);
        }
        else if (major is 2 or 3)
        {
            var len = new byte[4];
            ReadExactly(stream, len, "header length");
            headerLength = checked((int)BitConverter.ToUInt32(len));
            if (headerLength > 1 << 20) throw new InvalidDataException($"header of {headerLength} bytes is too large.");
        }
        else throw new InvalidDataException($"unsupported .npy version {major}.");
        var headerBytes = new byte[headerLength];
        ReadExactly(stream, headerBytes, "header");
        var header = Encoding.Latin1.GetString(headerBytes);
        var descr = DescrRegex().Match(header);
        var order = FortranRegex().Match(header);
        var shapeMatch = ShapeRegex().Match(header);
        if (!descr.Success || !order.Success || !shapeMatch.Success)
            throw new InvalidDataException($"malformed header: {header.Trim()}");
        if (order.Groups[1].Value == "True") throw new InvalidDataException("Fortran-ordered arrays are not supported.");
        var dtypeText = descr.Groups[1].Value.Replace('=', '<');
        if (dtypeText is "<u1" or "<i1" or "<b1") dtypeText = "|" + dtypeText[1..];
        if (!DTypes.TryGetValue(dtypeText, out var dtype))
            throw new InvalidDataException($"unsupported dtype '{descr.Groups[1].Value}' (little-endian numbers and bool only).");
        var shape = shapeMatch.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => long.Parse(s.TrimEnd('L'))).ToArray();
        if (shape.Any(s => s < 0)) throw new InvalidDataException("negative dimension in shape.");
        return (dtype, shape);
    }

    /// <summary>Bytes of the data of an array of <paramref name="shape"/> (checked against overflow).</summary>
    internal static long DataBytes(ScalarType dtype, IEnumerable<long> shape)
    {
        long count = 1;
        foreach (var s in shape) count = checked(count * s);
        return checked(count * ElementSize(dtype));
    }

    /// <summary>Writes a tensor as a .npy file (atomically: temporary file, then rename).</summary>
    public static void Write(string path, Tensor tensor) => AtomicFile.Write(path, s => Write(s, tensor));

    /// <summary>Writes a tensor to a stream in .npy version 1 format (version 2 for very long headers).</summary>
    public static void Write(Stream stream, Tensor tensor)
    {
        using var cpu = tensor.detach().cpu().contiguous();
        WriteHeader(stream, cpu.dtype, cpu.shape);
        stream.Write(cpu.bytes);
    }

    /// <summary>Writes the header of a .npy array (version 1, or 2 for very long headers); the data follows, C order.</summary>
    internal static void WriteHeader(Stream stream, ScalarType dtype, long[] shape)
    {
        var descr = DTypes.FirstOrDefault(kv => kv.Value == dtype).Key
                    ?? throw new ArgumentException($"dtype {dtype} cannot be written to .npy.");
        var shapeText = shape.Length switch
        {
            0 => "()",
            1 => $"({shape[0]},)",
            _ => "(" + string.Join(", ", shape) + ")",
        };
        var dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shapeText}, }}";
        var preamble = 10;
        var total = preamble + dict.Length + 1;
        var padded = (total + 63) / 64 * 64;
        var version = padded - preamble > ushort.MaxValue ? 2 : 1;
        if (version == 2) { preamble = 12; total = preamble + dict.Length + 1; padded = (total + 63) / 64 * 64; }
        var header = dict + new string(' ', padded - total) + "\n";
        stream.Write(Magic);
        stream.WriteByte((byte)version);
        stream.WriteByte(0);
        if (version == 1) stream.Write(BitConverter.GetBytes((ushort)header.Length));
        else stream.Write(BitConverter.GetBytes((uint)header.Length));
        stream.Write(Encoding.Latin1.GetBytes(header));
    }

    internal static int ElementSize(ScalarType dtype) => dtype switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float16 or ScalarType.Int16 or ScalarType.BFloat16 => 2,
        ScalarType.Byte or ScalarType.Int8 or ScalarType.Bool => 1,
        _ => throw new ArgumentException($"unsupported dtype {dtype}"),
    };

    private static void ReadExactly(Stream stream, byte[] buffer, string what)
    {
        try { stream.ReadExactly(buffer); }
        catch (EndOfStreamException) { throw new InvalidDataException($"truncated: file ends inside the {what}."); }
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([<>|=]?[a-zA-Z]\d*)'")]
    private static partial Regex DescrRegex();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranRegex();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapeRegex();
}
