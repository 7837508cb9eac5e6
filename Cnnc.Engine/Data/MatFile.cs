using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Cnnc.Engine.Data;

/// <summary>
/// A minimal reader for MATLAB level-5 MAT-files (the format of the ILSVRC2012 devkit's <c>meta.mat</c>): numeric,
/// char, cell and struct arrays, compressed (<c>miCOMPRESSED</c>) or not, either byte order. Sparse arrays and objects
/// are not supported.
/// </summary>
internal static class MatFile
{
    private const int MiInt8 = 1, MiUInt8 = 2, MiInt16 = 3, MiUInt16 = 4, MiInt32 = 5, MiUInt32 = 6, MiSingle = 7,
        MiDouble = 9, MiInt64 = 12, MiUInt64 = 13, MiMatrix = 14, MiCompressed = 15, MiUtf8 = 16, MiUtf16 = 17, MiUtf32 = 18;

    private const int MxCell = 1, MxStruct = 2, MxChar = 4;

    /// <summary>A struct array: <see cref="Count"/> elements, each with the same fields.</summary>
    internal sealed class Struct
    {
        public Struct(string[] fields, object?[,] values)
        {
            Fields = fields;
            Values = values;
        }

        public string[] Fields { get; }

        /// <summary>[element, field]: double[], string, object?[] (cell), Struct, or null (empty).</summary>
        public object?[,] Values { get; }

        public int Count => Values.GetLength(0);

        public bool Has(string field) => Array.IndexOf(Fields, field) >= 0;

        public object? Get(int element, string field)
        {
            var f = Array.IndexOf(Fields, field);
            if (f < 0) throw new InvalidDataException($"struct has no field '{field}' (fields: {string.Join(", ", Fields)}).");
            return Values[element, f];
        }

        public double Number(int element, string field) =>
            Get(element, field) is double[] { Length: > 0 } d ? d[0] : throw new InvalidDataException($"field '{field}' of element {element + 1} is not a number.");

        public string Text(int element, string field) =>
            Get(element, field) switch
            {
                string s => s,
                null => "",
                _ => throw new InvalidDataException($"field '{field}' of element {element + 1} is not text."),
            };
    }

    /// <summary>Reads the named variables of a MAT-file.</summary>
    public static Dictionary<string, object?> Read(string path) => Read(File.ReadAllBytes(path));

    /// <summary>Reads the named variables of an in-memory MAT-file.</summary>
    public static Dictionary<string, object?> Read(byte[] data)
    {
        if (data.Length < 128 || !Encoding.ASCII.GetString(data, 0, 10).StartsWith("MATLAB", StringComparison.Ordinal))
            throw new InvalidDataException("no 'MATLAB 5.0 MAT-file' header.");
        bool bigEndian = data[126] == 'M' && data[127] == 'I';
        if (!bigEndian && !(data[126] == 'I' && data[127] == 'M')) throw new InvalidDataException("bad endian indicator.");
        var reader = new Reader(data, 128, data.Length, bigEndian);
        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        while (reader.Position + 8 <= data.Length)
        {
            var (type, bytes, start) = reader.Tag();
            if (type == MiCompressed)
            {
                var inflated = Inflate(data, start, bytes);
                var inner = new Reader(inflated, 0, inflated.Length, bigEndian);
                var (innerType, innerBytes, innerStart) = inner.Tag();
                if (innerType == MiMatrix)
                {
                    var (name, value) = inner.Matrix(innerStart, innerBytes);
                    result[name] = value;
                }
                reader.Position = start + bytes; // compressed elements are not padded
            }
            else
            {
                if (type == MiMatrix)
                {
                    var (name, value) = reader.Matrix(start, bytes);
                    result[name] = value;
                }
                reader.Position = start + Pad8(bytes);
            }
        }
        return result;
    }

    private static int Pad8(int n) => (n + 7) & ~7;

    private static byte[] Inflate(byte[] data, int start, int count)
    {
        using var zlib = new ZLibStream(new MemoryStream(data, start, count), CompressionMode.Decompress);
        using var output = new MemoryStream();
        zlib.CopyTo(output);
        return output.ToArray();
    }

    private sealed class Reader(byte[] data, int position, int end, bool bigEndian)
    {
        public int Position { get; set; } = position;

        private int Int32(int at) => bigEndian ? BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(at)) : BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(at));

        /// <summary>Reads a tag at <see cref="Position"/>: (type, byte count, data start). Small elements included.</summary>
        public (int Type, int Bytes, int Start) Tag()
        {
            if (Position + 8 > end) throw new EndOfStreamException("element tag past the end of its container.");
            var first = Int32(Position);
            var small = (first >> 16) & 0xFFFF;
            if (small != 0)
            {
                // Small data element: type and size in one word, up to 4 bytes of data in the next.
                var result = (first & 0xFFFF, small, Position + 4);
                Position += 8;
                return result;
            }
            var bytes = Int32(Position + 4);
            var start = Position + 8;
            if (bytes < 0 || start + bytes > end) throw new EndOfStreamException("element data past the end of its container.");
            Position = start;
            return (first, bytes, start);
        }

        public (string Name, object? Value) Matrix(int start, int bytes)
        {
            var saved = Position;
            var sub = new Reader(data, start, start + bytes, bigEndian);
            var result = bytes == 0 ? ("", null) : sub.MatrixBody();
            Position = saved;
            return result;
        }

        private (string Name, object? Value) MatrixBody()
        {
            var (_, _, flagsAt) = ElementFull();
            var flags = Int32(flagsAt);
            var mxClass = flags & 0xFF;
            var complex = (flags & 0x0800) != 0;
            var (dimType, dimBytes, dimAt) = ElementFull();
            var dims = Numbers(dimType, dimAt, dimBytes).Select(d => (int)d).ToArray();
            var count = dims.Aggregate(1, (a, b) => a * b);
            var (_, nameBytes, nameAt) = ElementFull();
            var name = Encoding.ASCII.GetString(data, nameAt, nameBytes);
            switch (mxClass)
            {
                case MxStruct:
                {
                    var (_, _, lengthAt) = ElementFull();
                    var fieldLength = Int32(lengthAt);
                    var (_, namesBytes, namesAt) = ElementFull();
                    var fieldCount = fieldLength == 0 ? 0 : namesBytes / fieldLength;
                    var fields = new string[fieldCount];
                    for (var f = 0; f < fieldCount; f++)
                        fields[f] = Encoding.ASCII.GetString(data, namesAt + f * fieldLength, fieldLength).TrimEnd('\0');
                    var values = new object?[count, fieldCount];
                    for (var e = 0; e < count; e++)
                        for (var f = 0; f < fieldCount; f++)
                            values[e, f] = NestedMatrix();
                    return (name, new Struct(fields, values));
                }
                case MxCell:
                {
                    var cells = new object?[count];
                    for (var e = 0; e < count; e++) cells[e] = NestedMatrix();
                    return (name, cells);
                }
                case MxChar:
                {
                    if (count == 0) return (name, "");
                    var (type, bytes, at) = ElementFull();
                    var text = type switch
                    {
                        MiUtf8 or MiUInt8 or MiInt8 => Encoding.UTF8.GetString(data, at, bytes),
                        MiUInt16 or MiUtf16 or MiInt16 => bigEndian ? Encoding.BigEndianUnicode.GetString(data, at, bytes) : Encoding.Unicode.GetString(data, at, bytes),
                        MiUtf32 => new UTF32Encoding(bigEndian, false).GetString(data, at, bytes),
                        _ => throw new NotSupportedException($"char data of type {type}."),
                    };
                    if (dims.Length == 2 && dims[0] > 1 && text.Length == count)
                    {
                        // Column-major character matrix: one string per row.
                        var rows = Enumerable.Range(0, dims[0]).Select(r => new string(Enumerable.Range(0, dims[1]).Select(c => text[c * dims[0] + r]).ToArray()));
                        text = string.Join("\n", rows);
                    }
                    return (name, text);
                }
                case >= 6 and <= 15:
                {
                    if (count == 0) return (name, Array.Empty<double>());
                    var (type, bytes, at) = ElementFull();
                    var real = Numbers(type, at, bytes);
                    if (complex) ElementFull(); // imaginary part ignored
                    return (name, real);
                }
                default:
                    throw new NotSupportedException($"MATLAB array class {mxClass} (sparse/object) in variable '{name}'.");
            }
        }

        private object? NestedMatrix()
        {
            var (type, bytes, start) = ElementFull();
            if (type != MiMatrix) throw new InvalidDataException($"expected a matrix element, found type {type}.");
            return Matrix(start, bytes).Value;
        }

        /// <summary>Next element (tag + data), advancing past it including padding.</summary>
        private (int Type, int Bytes, int Start) ElementFull()
        {
            var tagAt = Position;
            var (type, bytes, start) = Tag();
            Position = start == tagAt + 4 ? tagAt + 8 : start + Pad8(bytes);
            return (type, bytes, start);
        }

        private double[] Numbers(int type, int at, int bytes)
        {
            int size = type switch
            {
                MiInt8 or MiUInt8 => 1,
                MiInt16 or MiUInt16 => 2,
                MiInt32 or MiUInt32 or MiSingle => 4,
                MiDouble or MiInt64 or MiUInt64 => 8,
                _ => throw new NotSupportedException($"numeric data of type {type}."),
            };
            var n = bytes / size;
            var result = new double[n];
            for (var i = 0; i < n; i++)
            {
                var span = data.AsSpan(at + i * size, size);
                result[i] = type switch
                {
                    MiInt8 => (sbyte)span[0],
                    MiUInt8 => span[0],
                    MiInt16 => bigEndian ? BinaryPrimitives.ReadInt16BigEndian(span) : BinaryPrimitives.ReadInt16LittleEndian(span),
                    MiUInt16 => bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(span) : BinaryPrimitives.ReadUInt16LittleEndian(span),
                    MiInt32 => bigEndian ? BinaryPrimitives.ReadInt32BigEndian(span) : BinaryPrimitives.ReadInt32LittleEndian(span),
                    MiUInt32 => bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(span) : BinaryPrimitives.ReadUInt32LittleEndian(span),
                    MiSingle => bigEndian ? BinaryPrimitives.ReadSingleBigEndian(span) : BinaryPrimitives.ReadSingleLittleEndian(span),
                    MiDouble => bigEndian ? BinaryPrimitives.ReadDoubleBigEndian(span) : BinaryPrimitives.ReadDoubleLittleEndian(span),
                    MiInt64 => bigEndian ? BinaryPrimitives.ReadInt64BigEndian(span) : BinaryPrimitives.ReadInt64LittleEndian(span),
                    _ => bigEndian ? BinaryPrimitives.ReadUInt64BigEndian(span) : BinaryPrimitives.ReadUInt64LittleEndian(span),
                };
            }
            return result;
        }
    }
}
