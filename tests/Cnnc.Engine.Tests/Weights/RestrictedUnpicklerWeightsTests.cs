using Cnnc.Engine.Runtime;
using Cnnc.Engine.Weights;

namespace Cnnc.Engine.Tests.Weights;

public sealed class RestrictedUnpicklerWeightsTests
{
    public RestrictedUnpicklerWeightsTests() => TorchRuntime.Initialize();

    /// <summary>Unpickles bytes given in hex (each pickle below was printed by CPython's pickle, or hand-assembled).</summary>
    private static object? Load(string hex) => RestrictedUnpickler.Load(new MemoryStream(Convert.FromHexString(hex)));

    [Theory]
    [InlineData("800263706f7369780a73797374656d0a71002e", "posix.system")]  // GLOBAL, as CPython pickles os.system on Linux
    [InlineData("8002696f730a73797374656d0a2858020000006c736c2e", "os.system")]  // INST (protocol 0 class call)
    [InlineData("800263746f7263680a6c6f61640a71002e", "torch.load")]  // torch, but not a rebuild function
    [InlineData("800263746f7263682e5f7574696c730a5f72656275696c645f7174656e736f720a71002e", "torch._utils._rebuild_qtensor")]
    [InlineData("8002635f5f6275696c74696e5f5f0a676574617474720a71002e", "__builtin__.getattr")]
    public void ForeignGlobalsAreRefusedWhenRead(string pickle, string global)
    {
        var e = Assert.Throws<InvalidDataException>(() => Load(pickle));
        Assert.Contains($"refusing to load global '{global}'", e.Message);
        Assert.Contains("Nothing from the file was executed", e.Message);
    }

    [Fact]
    public void StorageTypesCannotBeCalled()
    {
        var e = Assert.Throws<InvalidDataException>(() => Load("800263746f7263680a466c6f617453746f726167650a29522e"));
        Assert.Contains("refusing to call 'torch.FloatStorage'", e.Message);
    }

    [Fact]
    public void PlainValuesParse()
    {
        // pickle.dumps({'a': [1, -2, 3.5, None, True, 'é'], 'b': (70000, 2**70)}, protocol=2) by CPython.
        var o = Load("80027d71002858010000006171015d7102284b014afeffffff47400c0000000000004e885802000000c3a971036558010000006271044a701101008a09000000000000000040867105752e");
        var dict = Assert.IsType<PyDict>(o);
        Assert.True(dict.TryGet("a", out var a));
        Assert.Equal(new object?[] { 1L, -2L, 3.5, null, true, "é" }, Assert.IsType<List<object?>>(a));
        Assert.True(dict.TryGet("b", out var b));
        var tuple = Assert.IsType<PyTuple>(b);
        Assert.Equal(70000L, tuple[0]);
        Assert.Equal(System.Numerics.BigInteger.Pow(2, 70), tuple[1]);
    }

    [Theory]
    [InlineData("80027d7100", "truncated")]  // no STOP
    [InlineData("800258ffffff7f6162632e", "implausible")]  // string length 2 GB in a 10-byte pickle
    [InlineData("800258000001006162632e", "truncated")]  // 64 KB string in a 10-byte pickle
    [InlineData("8002ff4e2e", "unsupported pickle opcode 0xff")]
    [InlineData("800268072e", "memo 7 is unset")]
    [InlineData("8002732e", "stack underflow")]
    public void MalformedPicklesAreClearErrors(string pickle, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => Load(pickle));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void TorchSharpHeaderLyingAboutSizeIsRefusedBeforeAllocating()
    {
        // count 1, name "w", dtype Float32 (6), rank 1, dim 2**40 (LEB128), then only 16 bytes of data.
        var bytes = new List<byte> { 1, 1, (byte)'w', 6, 1 };
        var dim = 1L << 40;
        while (dim >= 0x80) { bytes.Add((byte)(dim & 0x7f | 0x80)); dim >>= 7; }
        bytes.Add((byte)dim);
        bytes.AddRange(new byte[16]);
        var path = WeightsCases.TempPath(".bin");
        File.WriteAllBytes(path, bytes.ToArray());
        try
        {
            var e = Assert.Throws<InvalidDataException>(() => TorchSharpFormat.Read(path));
            Assert.Contains("needs 4398046511104 bytes, only 16 remain", e.Message);
            Assert.StartsWith(path + ":", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
