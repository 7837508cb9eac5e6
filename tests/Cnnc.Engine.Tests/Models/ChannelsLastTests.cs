using Cnnc.Engine.Explain;
using Cnnc.Engine.Models;
using Cnnc.Engine.Runtime;
using Cnnc.Engine.Zoo;
using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Tests.Models;

/// <summary>The channels-last inference layout changes memory order only: same outputs, same explanations.</summary>
public sealed class ChannelsLastTests
{
    private static readonly ArchitectureOptions Small = new() { NumClasses = 10, InputChannels = 3, InputSize = 32, Width = 0.25 };

    public ChannelsLastTests() => TorchRuntime.Initialize();

    [Theory]
    [InlineData("alexnet")]
    [InlineData("mobilenet_v2")]
    [InlineData("resnet18")]
    [InlineData("resnet50")]
    [InlineData("densenet121")]
    [InlineData("squeezenet1_1")]
    // Issue 13, classic CNNs.
    [InlineData("vgg11_bn")]
    [InlineData("googlenet")]
    [InlineData("resnext50_32x4d")]
    [InlineData("squeezenet1_0")]
    [InlineData("mnasnet0_5")]
    [InlineData("mobilenet_v3_small")]
    public void GivesTheSameLogitsAsTheDefaultLayout(string arch)
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var model = ArchitectureCatalog.Create(arch, Small);
        model.eval();
        var input = randn(3, 3, 32, 32);
        Tensor before;
        using (inference_mode()) before = model.call(input).clone();

        Assert.True(ChannelsLast.Apply(model));
        Assert.True(ChannelsLast.IsApplied(model));
        var convWeights = model.parameters().Where(p => p.dim() == 4).ToList();
        Assert.NotEmpty(convWeights);
        Assert.All(convWeights, p => Assert.True(ChannelsLast.Is(p), "a 4-D parameter kept the NCHW layout"));

        Tensor after;
        using (inference_mode()) after = model.call(input);
        Assert.Equal(before.shape, after.shape);
        var scale = before.abs().max().item<float>();
        Assert.True((after - before).abs().max().item<float>() <= 1e-4f * Math.Max(1f, scale),
            $"{arch}: logits moved by {(after - before).abs().max().item<float>()} (scale {scale})");
        Assert.False(ChannelsLast.Is(input), "the caller's input must not be changed");
    }

    [Fact]
    public void ApplyingTwiceIsHarmlessAndShuffleNetIsLeftAlone()
    {
        using var resnet = ArchitectureCatalog.Create("resnet18", Small);
        Assert.True(ChannelsLast.Apply(resnet));
        Assert.True(ChannelsLast.Apply(resnet));
        Assert.True(ChannelsLast.Is(resnet.parameters().First(p => p.dim() == 4)));

        using var shuffle = ArchitectureCatalog.Create("shufflenet_v2_x0_5", Small);
        Assert.False(ChannelsLast.Apply(shuffle));
        Assert.False(ChannelsLast.IsApplied(shuffle));
        Assert.All(shuffle.parameters(), p => Assert.True(p.is_contiguous()));
        Assert.Contains(shuffle.parameters(), p => p.dim() == 4 && !ChannelsLast.Is(p)); // 3×3 kernels stay NCHW
    }

    [Fact]
    public void PrepareConvertsOnlyForAMarkedModelAndOnlyFourDimensionalInputs()
    {
        using var marked = ArchitectureCatalog.Create("resnet18", Small);
        using var plain = ArchitectureCatalog.Create("resnet18", Small);
        ChannelsLast.Apply(marked);
        using var x = randn(2, 3, 8, 8);
        using var prepared = ChannelsLast.Prepare(marked, x);
        Assert.True(ChannelsLast.Is(prepared));
        Assert.Equal(x.data<float>().ToArray(), prepared.contiguous().data<float>().ToArray());
        Assert.Same(x, ChannelsLast.Prepare(plain, x));
        using var flat = randn(2, 5);
        Assert.Same(flat, ChannelsLast.Prepare(marked, flat));
        Assert.Same(prepared, ChannelsLast.Prepare(marked, prepared));
    }

    [Fact]
    public void LoadedZooModelsAreChannelsLastAndExplainAsBefore()
    {
        using var scope = NewDisposeScope();
        using var loaded = ModelReference.Zoo("resnet18").Load();
        Assert.True(ChannelsLast.IsApplied(loaded.Module));

        // The same weights in the default layout.
        using var plain = ArchitectureCatalog.Create("resnet18", loaded.Reference.Options);
        Cnnc.Engine.Weights.WeightsLoader.Load(plain, loaded.Reference.WeightsPath);
        plain.eval();

        var image = ZooCatalog.Preprocessing.Apply(Cnnc.Engine.Data.IdxDataset.FashionMnist().Load(7));
        foreach (var method in new[] { "gradcam", "gradcam++", "scorecam" })
        {
            var fast = ExplainerCatalog.Create(method).Explain(loaded, image);
            var reference = ExplainerCatalog.Create(method).Explain(plain, image, layer: "layer4");
            Assert.Equal(reference.TargetClass, fast.TargetClass);
            Assert.Equal(reference.Score, fast.Score, 3);
            var diff = fast.Map.Data.Zip(reference.Map.Data, (a, b) => Math.Abs(a - b)).Max();
            Assert.True(diff < 1e-3, $"{method}: maps differ by {diff}");
        }
    }
}
