using Cnnc.Engine.Models;
using Cnnc.Engine.Runtime;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Cnnc.Engine.Tests.Models;

/// <summary>Small-scale members of each family (Fashion-MNIST-sized input): they run, and CAM layers stay spatial.</summary>
public sealed class SmallScaleArchitectureTests
{
    private static readonly ArchitectureOptions Small = new() { NumClasses = 10, InputChannels = 1, InputSize = 28, Width = 0.25 };

    private readonly ITestOutputHelper output;

    public SmallScaleArchitectureTests(ITestOutputHelper output)
    {
        this.output = output;
        TorchRuntime.Initialize();
    }

    [Theory]
    [InlineData("alexnet")]
    [InlineData("mobilenet_v2")]
    [InlineData("resnet18")]
    [InlineData("resnet34")]
    [InlineData("resnet50")]
    [InlineData("resnet101")]
    [InlineData("resnet152")]
    public void BuildsRunsAndKeepsTargetLayerSpatial(string arch)
    {
        var info = ArchitectureCatalog.Get(arch);
        using var scope = NewDisposeScope();
        using var model = info.Create(Small);

        var target = model.named_modules().Where(m => m.name == info.DefaultTargetLayer).Select(m => m.module).SingleOrDefault();
        Assert.NotNull(target);
        var hookable = Assert.IsAssignableFrom<nn.Module<Tensor, Tensor>>(target);

        Tensor? captured = null;
        var calls = 0;
        var remover = hookable.register_forward_hook((_, _, output) =>
        {
            calls++;
            captured?.Dispose();
            captured = output.detach().alias().DetachFromDisposeScope();
            return output;
        });

        model.eval();
        manual_seed(0);
        using var input = randn(2, 1, 28, 28);
        Tensor logits;
        using (no_grad()) logits = model.call(input);
        remover.remove();

        Assert.Equal(new long[] { 2, 10 }, logits.shape);
        Assert.True(logits.isfinite().all().item<bool>());
        Assert.Equal(1, calls);
        Assert.NotNull(captured);
        using (captured)
        {
            output.WriteLine($"{arch}: {info.DefaultTargetLayer} -> {string.Join("x", captured!.shape)}, " +
                             $"{model.parameters().Sum(p => p.numel())} parameters");
            Assert.Equal(4, captured.dim());
            Assert.Equal(2, captured.shape[0]);
            Assert.True(captured.shape[2] >= 2 && captured.shape[3] >= 2,
                $"{arch}: {info.DefaultTargetLayer} output is {string.Join("x", captured.shape)}");
            Assert.True(captured.abs().sum().item<float>() > 0, "captured activation is all zeros");
        }

        // Training mode runs too (BatchNorm with batch statistics, dropout) and gradients reach the first layer.
        model.train();
        var loss = model.call(input).square().mean();
        loss.backward();
        var firstGrad = model.parameters().First().grad;
        Assert.NotNull(firstGrad);
        Assert.True(firstGrad!.abs().sum().item<float>() > 0);
    }

    [Theory]
    [InlineData("alexnet", "features.0.weight", 1)]
    [InlineData("mobilenet_v2", "features.0.0.weight", 1)]
    [InlineData("resnet18", "conv1.weight", 1)]
    public void SmallScaleKeepsStateDictKeys(string arch, string firstWeight, long inputChannels)
    {
        using var big = ArchitectureCatalog.Create(arch);
        using var small = ArchitectureCatalog.Create(arch, Small);
        Assert.Equal(big.state_dict().Keys.ToHashSet(), small.state_dict().Keys.ToHashSet());
        Assert.Equal(inputChannels, small.state_dict()[firstWeight].shape[1]);
        Assert.True(small.parameters().Sum(p => p.numel()) < big.parameters().Sum(p => p.numel()) / 4);
    }
}
