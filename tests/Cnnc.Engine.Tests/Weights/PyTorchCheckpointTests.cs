using Cnnc.Engine.Runtime;
using Cnnc.Engine.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Tests.Weights;

public sealed class PyTorchCheckpointWeightsTests
{
    public PyTorchCheckpointWeightsTests() => TorchRuntime.Initialize();

    [Theory]
    [InlineData("cases.zip.pth", WeightsFormat.PyTorchZip)]
    [InlineData("cases.legacy.pth", WeightsFormat.PyTorchLegacy)]
    [InlineData("cases.p4.zip.pth", WeightsFormat.PyTorchZip)]   // pickle protocol 4: FRAME, MEMOIZE, STACK_GLOBAL
    [InlineData("nested.zip.pth", WeightsFormat.PyTorchZip)]     // {"epoch", "state_dict": ..., "optimizer": {...}}
    [InlineData("nested.legacy.pth", WeightsFormat.PyTorchLegacy)] // {"arch", "model": ..., "best_acc1", "big": 2**70}
    public void ReadsEveryDtypeAndLayoutExactly(string file, WeightsFormat format)
    {
        var path = WeightsCases.File_(file);
        Assert.Equal(format, WeightsFile.DetectFormat(path));
        using var sd = WeightsFile.Read(path);
        Assert.Equal(format, sd.Format);
        var expected = WeightsCases.Expected();
        Assert.Equal(expected.Select(e => e.Key), sd.Keys); // file order kept
        foreach (var (key, dtypeName) in expected)
        {
            var actual = sd[key];
            Assert.Equal(WeightsCases.DType(dtypeName), actual.dtype);
            using var want = WeightsCases.ExpectedValue(key);
            // .npy has no bfloat16: the fixture holds its exact float32 widening.
            using var got = actual.dtype == ScalarType.BFloat16 ? actual.to(ScalarType.Float32) : actual.alias();
            WeightsCases.AssertIdentical(want, got, $"{file}:{key}");
        }
        // Layout as saved: the transposed tensor is a non-contiguous view, the shared ones keep their offsets.
        Assert.False(sd["transposed"].is_contiguous());
        Assert.Equal(new long[] { 5, 3 }, sd["transposed"].shape);
        Assert.Equal(new long[] { 1, 5 }, sd["transposed"].stride());
        Assert.Equal(2, sd["shared_a"].storage_offset());
        Assert.Equal(10, sd["shared_b"].storage_offset());
        Assert.Empty(sd["scalar"].shape);
        Assert.Equal(3.5f, sd["scalar"].item<float>());
    }

    [Fact]
    public void DetectionUsesBytesNotExtension()
    {
        var disguised = WeightsCases.CopyToTemp(WeightsCases.File_("cases.legacy.pth"), ".safetensors");
        var disguised2 = WeightsCases.CopyToTemp(WeightsCases.File_("cases.safetensors"), ".pth");
        try
        {
            Assert.Equal(WeightsFormat.PyTorchLegacy, WeightsFile.DetectFormat(disguised));
            Assert.Equal(WeightsFormat.SafeTensors, WeightsFile.DetectFormat(disguised2));
            using var sd = WeightsFile.Read(disguised);
            using var want = WeightsCases.ExpectedValue("f32");
            WeightsCases.AssertIdentical(want, sd["f32"], "f32");
        }
        finally
        {
            File.Delete(disguised);
            File.Delete(disguised2);
        }
    }

    [Fact]
    public void SafetensorsWrittenByAnIndependentWriterMatch()
    {
        // cases.safetensors was written by hand in Python from the spec (sorted keys, contiguous data).
        using var sd = WeightsFile.Read(WeightsCases.File_("cases.safetensors"));
        Assert.Equal(WeightsFormat.SafeTensors, sd.Format);
        Assert.Equal("pt", sd.Metadata["format"]);
        Assert.Equal(WeightsCases.Expected().Select(e => e.Key).OrderBy(k => k, StringComparer.Ordinal), sd.Keys);
        foreach (var (key, dtypeName) in WeightsCases.Expected())
        {
            Assert.Equal(WeightsCases.DType(dtypeName), sd[key].dtype);
            using var want = WeightsCases.ExpectedValue(key);
            using var got = sd[key].dtype == ScalarType.BFloat16 ? sd[key].to(ScalarType.Float32) : sd[key].alias();
            WeightsCases.AssertIdentical(want, got, key);
        }
    }

    [Theory]
    [InlineData("evil_system.zip.pth", "os.system")]
    [InlineData("evil_system.legacy.pth", "os.system")]
    [InlineData("evil_eval.zip.pth", "builtins.eval")]
    [InlineData("evil_eval.legacy.pth", "builtins.eval")]
    [InlineData("evil_stack.zip.pth", "os.system")]   // via protocol 4's STACK_GLOBAL
    [InlineData("evil_stack.legacy.pth", "os.system")]
    public void RefusesForeignGlobalsWithoutRunningThem(string file, string global)
    {
        var path = WeightsCases.File_(file);
        var marker = WeightsCases.File_("PWNED-" + file.Split('.')[0]);
        Assert.False(File.Exists(marker));
        var e = Assert.Throws<InvalidDataException>(() => WeightsFile.Read(path));
        Assert.Contains($"refusing to load global '{global}'", e.Message);
        Assert.Contains(path, e.Message);

        // Through the loader too: refused, and the model keeps its values.
        using var model = nn.Linear(2, 2);
        using var before = model.weight!.clone();
        Assert.Throws<InvalidDataException>(() => WeightsLoader.Load(model, path));
        Assert.True(before.allclose(model.weight!, rtol: 0, atol: 0));
        Thread.Sleep(200); // a spawned shell would have had time to create it
        Assert.False(File.Exists(marker), "the payload ran");
    }

    [Theory]
    [InlineData("lying_view.zip.pth", "reach past the end of storage")]
    [InlineData("lying_storage.zip.pth", "holds 16 bytes, but the pickle says 1099511627776")]
    [InlineData("lying_count.legacy.pth", "needs 4398046511104 bytes, only 16 remain")]
    public void LyingSizesAreClearErrors(string file, string expected)
    {
        var path = WeightsCases.File_(file);
        var e = Assert.Throws<InvalidDataException>(() => WeightsFile.Read(path));
        Assert.True(e.Message.Contains(expected), e.Message);
        Assert.StartsWith(path + ":", e.Message);
    }

    [Theory]
    [InlineData("cases.zip.pth", 0.5)]
    [InlineData("cases.zip.pth", 0.99)]
    [InlineData("cases.legacy.pth", 0.3)]   // inside the object pickle
    [InlineData("cases.legacy.pth", 0.9)]   // inside the storages
    public void TruncatedCheckpointsAreClearErrors(string file, double keep)
    {
        var source = WeightsCases.File_(file);
        var path = WeightsCases.CopyToTemp(source, ".pth", (long)(new FileInfo(source).Length * keep));
        try
        {
            var e = Assert.Throws<InvalidDataException>(() => WeightsFile.Read(path));
            Assert.StartsWith(path + ":", e.Message);
            Assert.Contains("truncated", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void UnknownBytesAreRejected()
    {
        var path = WeightsCases.TempPath(".pth");
        File.WriteAllBytes(path, "this is not a weights file at all"u8.ToArray());
        try
        {
            var e = Assert.Throws<InvalidDataException>(() => WeightsFile.Read(path));
            Assert.StartsWith(path + ":", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Sha256MatchesPythonHashlib()
    {
        var expected = File.ReadAllText(WeightsCases.File_("sha256.txt")).Split(' ')[0];
        Assert.Equal(expected, WeightsFile.Sha256(WeightsCases.File_("cases.zip.pth")));
    }
}
