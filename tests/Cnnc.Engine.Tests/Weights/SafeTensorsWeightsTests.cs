using System.Buffers.Binary;
using System.Text;
using Cnnc.Engine.Runtime;
using Cnnc.Engine.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Tests.Weights;

public sealed class SafeTensorsWeightsTests
{
    public SafeTensorsWeightsTests() => TorchRuntime.Initialize();

    /// <summary>One tensor of every supported dtype, plus a 0-d, an empty and a non-contiguous one.</summary>
    internal static List<KeyValuePair<string, Tensor>> AllDtypes()
    {
        var g = new Generator(42);
        using var f = randn(new long[] { 3, 4 }, generator: g);
        return new List<KeyValuePair<string, Tensor>>
        {
            new("f32", f.clone()),
            new("f64", randn(new long[] { 2, 5 }, ScalarType.Float64, generator: g)),
            new("f16", f.to(ScalarType.Float16)),
            new("bf16", f.to(ScalarType.BFloat16)),
            new("i64", tensor(new long[] { long.MinValue, -1, 0, long.MaxValue })),
            new("i32", tensor(new[] { int.MinValue, 7, int.MaxValue })),
            new("i16", tensor(new short[] { short.MinValue, 3, short.MaxValue })),
            new("i8", tensor(new sbyte[] { -128, 0, 127 })),
            new("u8", tensor(new byte[] { 0, 128, 255 })),
            new("bool", tensor(new[] { true, false, false, true })),
            new("scalar", tensor(2.25f)),
            new("empty", zeros(0, 7)),
            new("transposed", f.t()),
        };
    }

    [Fact]
    public void WriteThenReadIsExact()
    {
        var tensors = AllDtypes();
        var path = WeightsCases.TempPath(".safetensors");
        try
        {
            var meta = new Dictionary<string, string> { ["arch"] = "resnet18", ["note"] = "ünïcode ✓" };
            SafeTensors.Write(path, tensors, meta);
            Assert.Equal(WeightsFormat.SafeTensors, WeightsFile.DetectFormat(path));
            // The header is 8-byte aligned, as the reference writer makes it.
            Assert.Equal(0ul, BinaryPrimitives.ReadUInt64LittleEndian(File.ReadAllBytes(path).AsSpan(0, 8)) % 8);
            using var back = WeightsFile.Read(path);
            Assert.Equal(tensors.Select(t => t.Key), back.Keys);
            Assert.Equal(meta, back.Metadata);
            foreach (var (key, t) in tensors) WeightsCases.AssertIdentical(t, back[key], key);
            Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}*"));
        }
        finally
        {
            File.Delete(path);
            foreach (var (_, t) in tensors) t.Dispose();
        }
    }

    private static string Handmade(string header, int dataBytes, long? declaredLength = null)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var path = WeightsCases.TempPath(".safetensors");
        using var f = File.Create(path);
        Span<byte> n = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(n, (ulong)(declaredLength ?? json.Length));
        f.Write(n);
        f.Write(json);
        f.Write(new byte[dataBytes]);
        return path;
    }

    [Theory]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,12]}}", 12, "needs 16 bytes, but data_offsets [0, 12] span 12")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "overlap tensor 'a'")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}}", 16, "gap of 4 bytes")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1000000],\"data_offsets\":[0,4000000]}}", 16, "outside the data section of 16 bytes")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8, "cover 4 bytes of a data section of 8")]
    [InlineData("{\"a\":{\"dtype\":\"C64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8, "unsupported dtype 'C64'")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, "not a non-negative integer")]
    [InlineData("{\"a\":{\"dtype\":\"U8\",\"shape\":[4294967296,4294967296,4294967296],\"data_offsets\":[0,4]}}", 4, "overflows")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "names 'a' twice")]
    [InlineData("{\"a\": [1, 2", 0, "not valid JSON")]
    public void LyingHeadersAreClearErrors(string header, int dataBytes, string expected)
    {
        var path = Handmade(header, dataBytes);
        try
        {
            var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(path));
            Assert.Contains(expected, e.Message);
            Assert.StartsWith(path + ":", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void HeaderLengthBeyondTheFileIsAnError()
    {
        var path = Handmade("{}", 0, declaredLength: 1 << 20);
        try
        {
            var e = Assert.Throws<InvalidDataException>(() => WeightsFile.Read(path));
            Assert.Contains("runs past the end of the file", e.Message);
            Assert.Contains(path, e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.97)]
    [InlineData(0.05)]
    public void TruncatedFilesAreClearErrors(double keep)
    {
        var tensors = AllDtypes();
        var full = WeightsCases.TempPath(".safetensors");
        SafeTensors.Write(full, tensors);
        foreach (var (_, t) in tensors) t.Dispose();
        var cut = WeightsCases.CopyToTemp(full, ".safetensors", (long)(new FileInfo(full).Length * keep));
        try
        {
            var e = Assert.Throws<InvalidDataException>(() => WeightsFile.Read(cut));
            Assert.StartsWith(cut + ":", e.Message);
            Assert.True(e.Message.Contains("truncated") || e.Message.Contains("outside the data section"), e.Message);
        }
        finally
        {
            File.Delete(full);
            File.Delete(cut);
        }
    }

    [Fact]
    public void LargeTensorsGoThroughTheChunkedPath()
    {
        // Shrink the chunk so that the >1 GiB path (views of at most ChunkBytes) runs on a small tensor.
        var saved = TensorData.ChunkBytes;
        var path = WeightsCases.TempPath(".safetensors");
        var path2 = WeightsCases.TempPath(".bin");
        using var big = randn(1000, 37, dtype: ScalarType.Float64);
        try
        {
            TensorData.ChunkBytes = 4096;
            SafeTensors.Write(path, new[] { KeyValuePair.Create("big", big) });
            TorchSharpFormat.Write(path2, new[] { KeyValuePair.Create("big", big) });
            using var back = SafeTensors.Read(path);
            using var back2 = TorchSharpFormat.Read(path2);
            WeightsCases.AssertIdentical(big, back["big"], "safetensors");
            WeightsCases.AssertIdentical(big, back2["big"], "torchsharp");
        }
        finally
        {
            TensorData.ChunkBytes = saved;
            File.Delete(path);
            File.Delete(path2);
        }
    }
}
