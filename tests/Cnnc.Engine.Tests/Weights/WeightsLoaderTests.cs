using Cnnc.Engine.IO;
using Cnnc.Engine.Runtime;
using Cnnc.Engine.Tests.Support;
using Cnnc.Engine.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Tests.Weights;

public sealed class WeightsLoaderTests
{
    public WeightsLoaderTests() => TorchRuntime.Initialize();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TorchvisionResnet18CheckpointReproducesPyTorchLogits(bool legacy)
    {
        var (weights, input, logits) = PyTorchFixtures.For("resnet18", legacy);
        using var model = torchvision.models.resnet18();
        var report = WeightsLoader.Load(model, weights);
        Assert.Equal(legacy ? WeightsFormat.PyTorchLegacy : WeightsFormat.PyTorchZip, report.Format);
        Assert.Equal(model.state_dict().Count, report.Loaded.Count);
        Assert.Empty(report.Missing);
        Assert.Empty(report.Unexpected);

        model.eval();
        using var x = Npy.Read(input);
        using var expected = Npy.Read(logits);
        using var _ = no_grad();
        using var y = model.call(x);
        var maxDiff = (y - expected).abs().max().item<float>();
        Assert.True(maxDiff < 1e-4f, $"max |logit difference| = {maxDiff}");
    }

    private static Dictionary<string, Tensor> Snapshot(nn.Module model) =>
        model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());

    private static void AssertUnchanged(Dictionary<string, Tensor> before, nn.Module model)
    {
        foreach (var (key, t) in model.state_dict()) WeightsCases.AssertIdentical(before[key], t, key);
    }

    /// <summary>A safetensors file holding <paramref name="source"/>'s state dict, edited by <paramref name="edit"/>.</summary>
    private static string FileFrom(nn.Module source, Action<Dictionary<string, Tensor>> edit)
    {
        var sd = source.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value);
        edit(sd);
        var path = WeightsCases.TempPath(".safetensors");
        SafeTensors.Write(path, sd);
        return path;
    }

    [Fact]
    public void MissingUnexpectedAndWrongShapeAreOneErrorAndLoadNothing()
    {
        using var source = TorchSharpFormatWeightsTests.SmallModel(10);
        using var target = TorchSharpFormatWeightsTests.SmallModel(11);
        var before = Snapshot(target);
        using var wide = zeros(5, 999);
        using var extra = ones(3);
        var path = FileFrom(source, sd =>
        {
            sd.Remove("conv.bias");
            sd["fc.weight"] = wide;
            sd["head.extra"] = extra;
        });
        try
        {
            var e = Assert.Throws<WeightsMismatchException>(() => WeightsLoader.Load(target, path));
            Assert.Equal(new[] { "conv.bias" }, e.Missing);
            Assert.Equal(new[] { "head.extra" }, e.Unexpected);
            Assert.Equal("fc.weight", Assert.Single(e.ShapeMismatches).Key);
            Assert.Contains(path, e.Message);
            Assert.Contains("1 missing key(s) (in the model, not in the file): conv.bias", e.Message);
            Assert.Contains("1 unexpected key(s) (in the file, not in the model): head.extra", e.Message);
            Assert.Contains("fc.weight: model [5, 144], file [5, 999]", e.Message);
            AssertUnchanged(before, target); // conv.weight, bn.* ... matched, yet nothing was copied
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("unexpected")]
    [InlineData("shape")]
    public void EachKindOfMismatchAloneIsRefused(string kind)
    {
        using var source = TorchSharpFormatWeightsTests.SmallModel(12);
        using var target = TorchSharpFormatWeightsTests.SmallModel(13);
        var before = Snapshot(target);
        using var odd = ones(4, 3, 3, 2);
        var path = FileFrom(source, sd =>
        {
            if (kind == "missing") sd.Remove("bn.running_var");
            if (kind == "unexpected") sd["bn.extra_buffer"] = odd;
            if (kind == "shape") sd["conv.weight"] = odd;
        });
        try
        {
            var e = Assert.Throws<WeightsMismatchException>(() => WeightsLoader.Load(target, path));
            Assert.Contains(kind switch { "missing" => "bn.running_var", "unexpected" => "bn.extra_buffer", _ => "conv.weight" }, e.Message);
            Assert.Equal(kind == "missing" ? 1 : 0, e.Missing.Count);
            Assert.Equal(kind == "unexpected" ? 1 : 0, e.Unexpected.Count);
            Assert.Equal(kind == "shape" ? 1 : 0, e.ShapeMismatches.Count);
            AssertUnchanged(before, target);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void LongKeyListsAreCutAfterTen()
    {
        using var model = torchvision.models.resnet18(num_classes: 10);
        var before = Snapshot(model);
        using var source = torchvision.models.resnet18(num_classes: 10);
        var path = FileFrom(source, sd =>
        {
            foreach (var k in sd.Keys.Where(k => !k.StartsWith("fc.")).ToList()) sd.Remove(k);
        });
        try
        {
            var e = Assert.Throws<WeightsMismatchException>(() => WeightsLoader.Load(model, path));
            var total = model.state_dict().Count - 2;
            Assert.Equal(total, e.Missing.Count);
            Assert.Contains($"{total} missing key(s)", e.Message);
            Assert.Contains($"(+{total - 10} more)", e.Message);
            Assert.DoesNotContain(e.Missing[10], e.Message.Replace(e.Missing[0], "")); // 11th not listed
            AssertUnchanged(before, model); // fc matched and was still not copied
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void NonStrictLoadsTheIntersectionAndReports()
    {
        using var source = TorchSharpFormatWeightsTests.SmallModel(14);
        using var target = TorchSharpFormatWeightsTests.SmallModel(15);
        var before = Snapshot(target);
        using var extra = ones(2);
        var path = FileFrom(source, sd =>
        {
            sd.Remove("fc.weight");
            sd["unused"] = extra;
        });
        try
        {
            var report = WeightsLoader.Load(target, path, new WeightsLoadOptions(Strict: false));
            Assert.Equal(new[] { "fc.weight" }, report.Missing);
            Assert.Equal(new[] { "unused" }, report.Unexpected);
            Assert.Equal(source.state_dict().Count - 1, report.Loaded.Count);
            foreach (var (key, t) in target.state_dict())
                WeightsCases.AssertIdentical(key == "fc.weight" ? before[key] : source.state_dict()[key], t, key);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ConvertsDtypeAndStripsPrefix()
    {
        using var target = TorchSharpFormatWeightsTests.SmallModel(16);
        using var source = TorchSharpFormatWeightsTests.SmallModel(17);
        var doubles = source.state_dict().ToDictionary(
            kv => "module." + kv.Key,
            kv => kv.Value.dtype == ScalarType.Float32 ? kv.Value.to(ScalarType.Float64) : kv.Value.alias());
        var path = WeightsCases.TempPath(".safetensors");
        try
        {
            SafeTensors.Write(path, doubles);
            Assert.Throws<WeightsMismatchException>(() => WeightsLoader.Load(target, path));
            WeightsLoader.Load(target, path, new WeightsLoadOptions(StripPrefix: "module."));
            foreach (var (key, t) in target.state_dict())
            {
                Assert.Equal(source.state_dict()[key].dtype, t.dtype); // the parameter keeps its dtype
                WeightsCases.AssertIdentical(source.state_dict()[key], t, key); // float32 → float64 → float32 is exact
            }
        }
        finally
        {
            File.Delete(path);
            foreach (var t in doubles.Values) t.Dispose();
        }
    }

    [Theory]
    [InlineData(WeightsFormat.SafeTensors)]
    [InlineData(WeightsFormat.TorchSharp)]
    public void SaveThenLoadRoundTripsAModel(WeightsFormat format)
    {
        using var source = TorchSharpFormatWeightsTests.SmallModel(18);
        using var target = TorchSharpFormatWeightsTests.SmallModel(19);
        var path = WeightsCases.TempPath(".weights");
        try
        {
            File.WriteAllText(path, "old content, replaced atomically");
            WeightsWriter.Save(source, path, format);
            var report = WeightsLoader.Load(target, path);
            Assert.Equal(format, report.Format);
            foreach (var (key, t) in source.state_dict()) WeightsCases.AssertIdentical(t, target.state_dict()[key], key);
            using var x = randn(2, 3, 8, 8);
            source.eval();
            target.eval();
            using var a = source.call(x);
            using var b = target.call(x);
            Assert.True(a.allclose(b, rtol: 0, atol: 0));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void PthWithNestedStateDictLoadsIntoMatchingModel()
    {
        // nested.zip.pth is {"epoch": 7, "state_dict": {...}, "optimizer": {...}}: its state dict is found and applied.
        using var sd = WeightsFile.Read(WeightsCases.File_("nested.zip.pth"));
        Assert.Equal(WeightsCases.Expected().Count, sd.Count);
        var e = Assert.Throws<WeightsMismatchException>(() => WeightsLoader.Load(nn.Linear(2, 3), WeightsCases.File_("nested.zip.pth")));
        Assert.Contains("f32", e.Message);
        Assert.Equal(new[] { "weight", "bias" }, e.Missing);
    }
}
