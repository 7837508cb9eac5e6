using Cnnc.Engine.Models;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Cnnc.Engine.Tests.Support;

/// <summary>Checks every architecture family's test class runs the same way (RegNet, ConvNeXt).</summary>
internal static class FamilyChecks
{
    /// <summary>
    /// A small-scale member builds, its default layer is the explainers' default and gives an
    /// <paramref name="expectedGrid"/>² grid, logits have the class count, and a training-mode backward reaches the
    /// first convolution (which takes the options' input channels).
    /// </summary>
    public static void SmallScaleRun(string arch, ArchitectureOptions options, int expectedGrid, ITestOutputHelper output)
    {
        var info = ArchitectureCatalog.Get(arch);
        using var scope = NewDisposeScope();
        using var model = info.Create(options);
        Assert.Equal(info.DefaultTargetLayer, Cnnc.Engine.Explain.Explainer.DefaultLayer(model));
        var target = (nn.Module<Tensor, Tensor>)ModulePaths.Find(model, info.DefaultTargetLayer);
        long[]? targetShape = null;
        var remover = target.register_forward_hook((_, _, o) =>
        {
            targetShape = o.shape;
            return o;
        });

        manual_seed(0);
        using var input = randn(2, options.InputChannels, options.InputSize, options.InputSize);
        model.eval();
        using (no_grad())
        {
            using var logits = model.call(input);
            Assert.Equal(new long[] { 2, options.NumClasses }, logits.shape);
            Assert.True(logits.isfinite().all().item<bool>());
        }
        remover.remove();
        output.WriteLine($"{arch}: {info.DefaultTargetLayer} output {string.Join("x", targetShape!)}, " +
                         $"{model.parameters().Sum(p => p.numel()):N0} parameters");
        Assert.Equal(expectedGrid, targetShape![2]);
        Assert.Equal(expectedGrid, targetShape[3]);

        model.train();
        using var loss = model.call(input).square().mean();
        loss.backward();
        var first = model.parameters().First();
        Assert.Equal(options.InputChannels, first.shape[1]);
        Assert.NotNull(first.grad);
        Assert.True(first.grad!.abs().sum().item<float>() > 0);
    }

    /// <summary>
    /// ModelComplexity's MACs of the ImageNet member at <paramref name="size"/> px equal torchvision's published
    /// <c>_ops</c> up to its rounding to three decimals (0.0005 G, plus float slack).
    /// </summary>
    public static void MacsMatch(string arch, double publishedGigaMacs, int size, ITestOutputHelper output)
    {
        using var model = ArchitectureCatalog.Create(arch, ArchitectureOptions.ImageNet with { InputSize = size });
        var complexity = ModelComplexity.Measure(model, 3, size, size);
        output.WriteLine($"{arch}@{size}: {complexity.GigaMacs:F6} GMACs (published {publishedGigaMacs}), " +
                         $"ratio {complexity.GigaMacs / publishedGigaMacs:F6}, {complexity.Parameters:N0} parameters");
        Assert.InRange(complexity.GigaMacs, publishedGigaMacs - 0.000501, publishedGigaMacs + 0.000501);
    }
}
