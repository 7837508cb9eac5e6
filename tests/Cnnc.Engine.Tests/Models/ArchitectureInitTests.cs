using Cnnc.Engine.Models;
using Cnnc.Engine.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Tests.Models;

/// <summary>Fresh models use torchvision's initialisation scheme (checked statistically; the RNG differs).</summary>
public sealed class ArchitectureInitTests
{
    public ArchitectureInitTests() => TorchRuntime.Initialize();

    [Theory]
    [InlineData("resnet18")]
    [InlineData("resnet50")]
    [InlineData("mobilenet_v2")]
    public void ConvolutionsAreKaimingNormalFanOutAndBatchNormIsOneZero(string arch)
    {
        using var scope = NewDisposeScope();
        using var model = ArchitectureCatalog.Create(arch);
        var convs = 0;
        foreach (var (name, module) in model.named_modules())
        {
            switch (module)
            {
                case TorchSharp.Modules.Conv2d conv:
                    var w = conv.weight!;
                    if (w.numel() < 4096) break; // too few samples for a tight std estimate
                    var fanOut = w.shape[0] * w.shape[2] * w.shape[3];
                    var expected = Math.Sqrt(2.0 / fanOut);
                    var std = w.std().item<float>();
                    Assert.True(Math.Abs(std / expected - 1) < 0.1, $"{name}: std {std} vs Kaiming fan-out {expected}");
                    Assert.True(Math.Abs(w.mean().item<float>()) < 0.1 * expected, $"{name}: mean not ~0");
                    Assert.Null(conv.bias);
                    convs++;
                    break;
                case TorchSharp.Modules.BatchNorm2d bn:
                    Assert.True(bn.weight!.eq(1).all().item<bool>(), $"{name}.weight != 1");
                    Assert.True(bn.bias!.eq(0).all().item<bool>(), $"{name}.bias != 0");
                    Assert.True(bn.running_mean!.eq(0).all().item<bool>() && bn.running_var!.eq(1).all().item<bool>());
                    Assert.Equal(0L, bn.num_batches_tracked!.item<long>());
                    break;
            }
        }
        Assert.True(convs >= 10);

        var linear = model.modules().OfType<TorchSharp.Modules.Linear>().Single();
        if (arch == "mobilenet_v2")
        {
            // normal(0, 0.01), zero bias.
            Assert.True(Math.Abs(linear.weight!.std().item<float>() / 0.01 - 1) < 0.05);
            Assert.True(linear.bias!.eq(0).all().item<bool>());
        }
        else
        {
            // ResNet's fc keeps PyTorch's default Linear init: uniform within 1/sqrt(fan_in).
            var bound = 1 / Math.Sqrt(linear.weight!.shape[1]);
            Assert.True(linear.weight.abs().max().item<float>() <= bound);
            Assert.True(Math.Abs(linear.weight.std().item<float>() / (bound / Math.Sqrt(3)) - 1) < 0.05);
        }
    }

    [Fact]
    public void AlexNetUsesPyTorchDefaultLayerInit()
    {
        using var scope = NewDisposeScope();
        using var model = ArchitectureCatalog.Create("alexnet");
        foreach (var (name, p) in model.named_parameters())
        {
            // kaiming_uniform(a = sqrt 5) for weights and uniform(±1/sqrt(fan_in)) for biases: both bound 1/sqrt(fan_in).
            var owner = model.named_modules().Single(m => m.name == name[..name.LastIndexOf('.')]).module;
            var weight = owner is TorchSharp.Modules.Conv2d conv ? conv.weight! : ((TorchSharp.Modules.Linear)owner).weight!;
            var fanIn = weight.numel() / weight.shape[0];
            var bound = 1 / Math.Sqrt(fanIn);
            Assert.True(p.abs().max().item<float>() <= bound * (1 + 1e-6), $"{name} exceeds {bound}");
            if (p.numel() >= 4096)
                Assert.True(Math.Abs(p.std().item<float>() / (bound / Math.Sqrt(3)) - 1) < 0.05, $"{name}: not uniform(±{bound})");
        }
    }
}
