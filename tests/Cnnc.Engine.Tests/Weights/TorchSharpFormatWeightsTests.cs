using Cnnc.Engine.Runtime;
using Cnnc.Engine.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Tests.Weights;

public sealed class TorchSharpFormatWeightsTests
{
    public TorchSharpFormatWeightsTests() => TorchRuntime.Initialize();

    internal static nn.Module<Tensor, Tensor> SmallModel(long seed)
    {
        manual_seed(seed);
        var model = nn.Sequential(
            ("conv", nn.Conv2d(3, 4, 3)),
            ("bn", nn.BatchNorm2d(4)),
            ("relu", nn.ReLU()),
            ("flat", nn.Flatten()),
            ("fc", nn.Linear(4 * 6 * 6, 5)));
        using (no_grad())
        {
            // Non-default buffers, so that a load that skipped them would show.
            var bn = (nn.Module)model.named_children().First(c => c.name == "bn").module;
            foreach (var (name, buffer) in bn.named_buffers())
                if (buffer.dtype == ScalarType.Float32) buffer.uniform_(0.5, 1.5);
                else buffer.fill_(seed);
        }
        return model;
    }

    [Fact]
    public void ReadsWhatModuleSaveWrites()
    {
        using var model = SmallModel(3);
        var path = WeightsCases.TempPath(".dat");
        try
        {
            model.save(path);
            Assert.Equal(WeightsFormat.TorchSharp, WeightsFile.DetectFormat(path));
            using var sd = WeightsFile.Read(path);
            var expected = model.state_dict();
            Assert.Equal(expected.Keys, sd.Keys);
            Assert.Contains("bn.num_batches_tracked", sd.Keys);
            foreach (var (key, t) in expected) WeightsCases.AssertIdentical(t, sd[key], key);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void WriterIsByteIdenticalToModuleSaveAndModuleLoadReadsIt()
    {
        using var model = SmallModel(4);
        var ours = WeightsCases.TempPath(".dat");
        var theirs = WeightsCases.TempPath(".dat");
        try
        {
            WeightsWriter.Save(model, ours, WeightsFormat.TorchSharp);
            model.save(theirs);
            Assert.Equal(File.ReadAllBytes(theirs), File.ReadAllBytes(ours));

            using var other = SmallModel(5);
            other.load(ours); // TorchSharp's own loader accepts our file
            foreach (var (key, t) in model.state_dict()) WeightsCases.AssertIdentical(t, other.state_dict()[key], key);
        }
        finally
        {
            File.Delete(ours);
            File.Delete(theirs);
        }
    }

    [Fact]
    public void WriteThenReadIsExactForEveryDtype()
    {
        var tensors = SafeTensorsWeightsTests.AllDtypes();
        var path = WeightsCases.TempPath(".bin");
        try
        {
            TorchSharpFormat.Write(path, tensors);
            Assert.Equal(WeightsFormat.TorchSharp, WeightsFile.DetectFormat(path));
            using var back = WeightsFile.Read(path);
            Assert.Equal(tensors.Select(t => t.Key), back.Keys);
            foreach (var (key, t) in tensors) WeightsCases.AssertIdentical(t, back[key], key);
        }
        finally
        {
            File.Delete(path);
            foreach (var (_, t) in tensors) t.Dispose();
        }
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.999)]
    public void TruncatedFilesAreClearErrors(double keep)
    {
        using var model = SmallModel(6);
        var full = WeightsCases.TempPath(".dat");
        model.save(full);
        var cut = WeightsCases.CopyToTemp(full, ".dat", (long)(new FileInfo(full).Length * keep));
        try
        {
            var e = Assert.Throws<InvalidDataException>(() => WeightsFile.Read(cut));
            Assert.StartsWith(cut + ":", e.Message);
            Assert.Contains("TorchSharp", e.Message);
            Assert.Contains("truncated", e.Message);
            var direct = Assert.Throws<InvalidDataException>(() => TorchSharpFormat.Read(cut));
            Assert.Contains("truncated", direct.Message);
        }
        finally
        {
            File.Delete(full);
            File.Delete(cut);
        }
    }
}
