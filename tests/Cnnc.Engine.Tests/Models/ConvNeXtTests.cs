using Cnnc.Engine.Models;
using Cnnc.Engine.Runtime;
using Cnnc.Engine.Tests.Support;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Cnnc.Engine.Tests.Models;

/// <summary>
/// ConvNeXt (issue 13) beyond names, shapes and logits parity (TorchvisionBuilderTests, ArchitectureParityTests):
/// small-scale runs, torchvision's published MACs, initialisation and input-size errors.
/// </summary>
public sealed class ConvNeXtTests
{
    private readonly ITestOutputHelper output;

    public ConvNeXtTests(ITestOutputHelper output)
    {
        this.output = output;
        TorchRuntime.Initialize();
    }

    // 28 px with the small-input stem (stride 1): 25, then 12, 6, 3 after the three downsamplings.
    [Theory]
    [InlineData("convnext_tiny")]
    [InlineData("convnext_small")]
    public void SmallScaleRunsOnFashionMnistShapes(string arch) =>
        FamilyChecks.SmallScaleRun(arch, new ArchitectureOptions { NumClasses = 10, InputChannels = 1, InputSize = 28, Width = 0.25 },
            expectedGrid: 3, output);

    // torchvision's published "_ops" (torchvision ≥ 0.15's weights metadata; 0.14 has none), to three decimals. The
    // count is convolutions and linear layers (the blocks' MLPs on N×H×W×C tensors), as ModelComplexity counts;
    // LayerNorm, GELU and the layer scale are not in either, so only their rounding differs: at most 0.0005 G.
    [Theory]
    [InlineData("convnext_tiny", 4.456, 224)]
    [InlineData("convnext_small", 8.684, 224)]
    [InlineData("convnext_base", 15.355, 224)]
    [InlineData("convnext_large", 34.361, 224)]
    public void MacsMatchTorchvisionsPublishedOps(string arch, double publishedGigaMacs, int size) =>
        FamilyChecks.MacsMatch(arch, publishedGigaMacs, size, output);

    [Theory]
    [InlineData(224, 31, "convnext_tiny needs images of at least 32×32 pixels (got 31×31).")]
    [InlineData(28, 10, "convnext_tiny needs images of at least 11×11 pixels (got 10×10).")]
    public void TooSmallInputsAreOneClearError(int builtFor, int size, string message)
    {
        using var model = ArchitectureCatalog.Create("convnext_tiny", new ArchitectureOptions { NumClasses = 10, InputSize = builtFor, Width = 0.125 });
        model.eval();
        using (no_grad())
        {
            var smallest = builtFor < ArchitectureOptions.SmallInputThreshold ? 11 : 32;
            using var fits = randn(1, 3, smallest, smallest);
            using var logits = model.call(fits);
            Assert.Equal(new long[] { 1, 10 }, logits.shape);
        }
        using var input = randn(1, 3, size, size);
        var error = Assert.Throws<ArgumentException>(() => model.call(input));
        Assert.Equal(message, error.Message);
    }

    // Only the small-input stem can be built too small (the 4×4 stride-4 stem is used from 64 px on).
    [Theory]
    [InlineData(8, "convnext_tiny needs images of at least 11×11 pixels (got InputSize 8).")]
    [InlineData(10, "convnext_tiny needs images of at least 11×11 pixels (got InputSize 10).")]
    public void BuildingForATooSmallInputIsOneClearError(int size, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => ArchitectureCatalog.Create("convnext_tiny", new ArchitectureOptions { InputSize = size, Width = 0.125 }));
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void FreshModelFollowsTorchvisionInitialisation()
    {
        manual_seed(0);
        using var scope = NewDisposeScope();
        using var model = ArchitectureCatalog.Create("convnext_tiny", ArchitectureOptions.ImageNet with { Width = 0.5 });
        var state = model.state_dict();
        // Layer scale 1e-6 everywhere (18 blocks), LayerNorms 1 / 0, every weight of conv and linear trunc-normal(0.02).
        var scales = state.Where(kv => kv.Key.EndsWith("layer_scale", StringComparison.Ordinal)).ToList();
        Assert.Equal(18, scales.Count);
        Assert.All(scales, kv => Assert.True(kv.Value.eq(1e-6f).all().item<bool>(), kv.Key));
        foreach (var (name, module) in model.named_modules())
        {
            switch (module)
            {
                case TorchSharp.Modules.Conv2d { weight: { } w } conv when w.numel() > 10_000:
                    AssertStd(name, w, 0.02);
                    Assert.Equal(0f, conv.bias!.abs().max().item<float>());
                    break;
                case TorchSharp.Modules.Linear { weight: { } w } linear:
                    AssertStd(name, w, 0.02);
                    Assert.True(w.abs().max().item<float>() <= 2f, name);
                    Assert.Equal(0f, linear.bias!.abs().max().item<float>());
                    break;
                case TorchSharp.Modules.LayerNorm ln:
                    Assert.True(ln.weight!.eq(1).all().item<bool>() && ln.bias!.eq(0).all().item<bool>(), name);
                    break;
            }
        }
    }

    private static void AssertStd(string name, Tensor w, double expected)
    {
        var std = w.std().item<float>();
        Assert.True(Math.Abs(std - expected) < 0.1 * expected, $"{name}: std {std:G4}, torchvision's {expected:G4}");
    }
}
