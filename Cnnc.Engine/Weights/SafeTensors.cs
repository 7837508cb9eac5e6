using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Weights;

/// <summary>
/// The <c>.safetensors</c> format: an 8-byte little-endian header length N, N bytes of UTF-8 JSON
/// (<c>{"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}}</c>), then the data
/// section, with offsets relative to its start. Reading validates everything a lying header could get wrong.
/// </summary>
public static class SafeTensors
{
    /// <summary>Largest header accepted (the reference implementation's limit is 100 MB).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private static readonly Dictionary<string, ScalarType> DTypes = new(StringComparer.Ordinal)
    {
        ["F64"] = ScalarType.Float64, ["F32"] = ScalarType.Float32, ["F16"] = ScalarType.Float16,
        ["BF16"] = ScalarType.BFloat16, ["I64"] = ScalarType.Int64, ["I32"] = ScalarType.Int32,
        ["I16"] = ScalarType.Int16, ["I8"] = ScalarType.Int8, ["U8"] = ScalarType.Byte, ["BOOL"] = ScalarType.Bool,
    };

    private sealed record Entry(string Name, ScalarType DType, long[] Shape, long Begin, long End);

    /// <summary>Reads every tensor (and the <c>__metadata__</c>) of a safetensors file.</summary>
    public static StateDict Read(string path)
    {
        Runtime.TorchRuntime.Initialize();
        return FileErrors.Wrap(path, () =>
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            var (entries, metadata, dataStart) = ReadHeader(stream);
            var tensors = new List<KeyValuePair<string, Tensor>>(entries.Count);
            try
            {
                foreach (var e in entries)
                {
                    stream.Position = dataStart + e.Begin;
                    tensors.Add(new(e.Name, TensorData.ReadNew(stream, e.Shape, e.DType, $"tensor '{e.Name}'")));
                }
            }
            catch
            {
                foreach (var (_, t) in tensors) t.Dispose();
                throw;
            }
            return new StateDict(tensors, path, WeightsFormat.SafeTensors, metadata);
        });
    }

    /// <summary>Parses and validates the header; entries come back in header order.</summary>
    private static (List<Entry> Entries, Dictionary<string, string> Metadata, long DataStart) ReadHeader(Stream stream)
    {
        var fileLength = stream.Length;
        if (fileLength < 8) throw new InvalidDataException($"truncated: {fileLength} bytes cannot hold a safetensors header length.");
        var lengthBytes = new byte[8];
        stream.ReadExactly(lengthBytes);
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > (ulong)(fileLength - 8))
            throw new InvalidDataException($"header length {headerLength} runs past the end of the file ({fileLength} bytes): truncated or not safetensors.");
        if (headerLength > MaxHeaderBytes) throw new InvalidDataException($"header length {headerLength} exceeds {MaxHeaderBytes} bytes.");
        if (headerLength < 2) throw new InvalidDataException($"header length {headerLength} is too small.");
        var header = new byte[headerLength];
        stream.ReadExactly(header);
        var dataStart = 8 + (long)headerLength;
        var dataLength = fileLength - dataStart;

        var entries = new List<Entry>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        // JsonDocument checks UTF-8 only when a string is read, and then throws InvalidOperationException.
        if (!System.Text.Unicode.Utf8.IsValid(header)) throw new InvalidDataException("header is not valid UTF-8.");
        JsonDocument doc;
        try { doc = JsonDocument.Parse(header); }
        catch (JsonException e) { throw new InvalidDataException($"header is not valid JSON: {e.Message}"); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException("header is not a JSON object.");
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (!names.Add(property.Name)) throw new InvalidDataException($"header names '{property.Name}' twice.");
                if (property.Name == "__metadata__")
                {
                    if (property.Value.ValueKind != JsonValueKind.Object) throw new InvalidDataException("__metadata__ is not an object.");
                    foreach (var m in property.Value.EnumerateObject())
                        metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String
                            ? m.Value.GetString()!
                            : throw new InvalidDataException($"__metadata__ value '{m.Name}' is not a string.");
                    continue;
                }
                entries.Add(ParseEntry(property.Name, property.Value));
            }
        }

        // Spans must tile the data section exactly: in bounds, sized dtype × shape, no overlap, no gap.
        long expected = 0;
        Entry? previous = null;
        foreach (var e in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            var what = $"tensor '{e.Name}'";
            var bytes = TensorData.ByteCount(TensorData.Numel(e.Shape, what), e.DType, what);
            if (e.End - e.Begin != bytes)
                throw new InvalidDataException(
                    $"{what}: {e.DType} × {TensorData.Shape(e.Shape)} needs {bytes} bytes, but data_offsets [{e.Begin}, {e.End}] span {e.End - e.Begin}.");
            if (e.End > dataLength)
                throw new InvalidDataException(
                    $"{what}: data_offsets [{e.Begin}, {e.End}] lie outside the data section of {dataLength} bytes (truncated?).");
            if (e.Begin < expected)
                throw new InvalidDataException($"{what}: data_offsets [{e.Begin}, {e.End}] overlap tensor '{previous!.Name}'.");
            if (e.Begin > expected)
                throw new InvalidDataException($"{what}: gap of {e.Begin - expected} bytes before its data_offsets [{e.Begin}, {e.End}].");
            expected = e.End;
            previous = e;
        }
        if (expected != dataLength)
            throw new InvalidDataException($"the tensors cover {expected} bytes of a data section of {dataLength} bytes.");
        return (entries, metadata, dataStart);
    }

    private static Entry ParseEntry(string name, JsonElement value)
    {
        var what = $"tensor '{name}'";
        if (value.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{what}: header entry is not an object.");
        if (!value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw new InvalidDataException($"{what}: no dtype.");
        var dtypeName = dtypeElement.GetString()!;
        if (!DTypes.TryGetValue(dtypeName, out var dtype))
            throw new InvalidDataException($"{what}: unsupported dtype '{dtypeName}' (supported: {string.Join(", ", DTypes.Keys)}).");
        var shape = Integers(value, "shape", what);
        if (shape.Length > 64) throw new InvalidDataException($"{what}: rank {shape.Length} is implausible.");
        var offsets = Integers(value, "data_offsets", what);
        if (offsets.Length != 2 || offsets[0] > offsets[1])
            throw new InvalidDataException($"{what}: data_offsets must be [begin, end] with begin <= end.");
        return new Entry(name, dtype, shape, offsets[0], offsets[1]);
    }

    private static long[] Integers(JsonElement value, string property, string what)
    {
        if (!value.TryGetProperty(property, out var array) || array.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"{what}: no {property} array.");
        return array.EnumerateArray().Select(x =>
            x.ValueKind == JsonValueKind.Number && x.TryGetInt64(out var v) && v >= 0
                ? v
                : throw new InvalidDataException($"{what}: {property} holds '{x}', not a non-negative integer.")).ToArray();
    }

    /// <summary>
    /// Writes tensors (any device, any strides; stored C-contiguous, little-endian) in the given order, atomically
    /// (temporary file, then rename).
    /// </summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors,
                             IReadOnlyDictionary<string, string>? metadata = null)
    {
        Runtime.TorchRuntime.Initialize();
        var list = tensors.ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata) json.WriteString(k, v);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, tensor) in list)
            {
                if (name == "__metadata__" || !names.Add(name)) throw new ArgumentException($"tensor name '{name}' is reserved or repeated.");
                var code = DTypes.FirstOrDefault(kv => kv.Value == tensor.dtype).Key
                           ?? throw new ArgumentException($"tensor '{name}': dtype {tensor.dtype} cannot be written to safetensors.");
                var bytes = tensor.NumberOfElements * TensorData.ElementSize(tensor.dtype);
                json.WriteStartObject(name);
                json.WriteString("dtype", code);
                json.WriteStartArray("shape");
                foreach (var s in tensor.shape) json.WriteNumberValue(s);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + bytes);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += bytes;
            }
            json.WriteEndObject();
        }
        var header = buffer.ToArray();
        var padded = (header.Length + 7) / 8 * 8; // the reference writer pads with spaces to 8-byte alignment
        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
            stream.Write(length);
            stream.Write(header);
            for (var i = header.Length; i < padded; i++) stream.WriteByte((byte)' ');
            foreach (var (_, tensor) in list) TensorData.Write(tensor, stream);
        });
    }

    /// <summary>True when the start of the stream is a plausible safetensors header (used by format detection).</summary>
    internal static bool LooksLike(Stream stream)
    {
        if (stream.Length < 9) return false;
        Span<byte> head = stackalloc byte[9];
        stream.Position = 0;
        stream.ReadExactly(head);
        stream.Position = 0;
        var n = BinaryPrimitives.ReadUInt64LittleEndian(head);
        // Not bounded by the file length: a truncated file is still detected, then reported as truncated.
        return head[8] == '{' && n is >= 2 and <= MaxHeaderBytes;
    }
}
