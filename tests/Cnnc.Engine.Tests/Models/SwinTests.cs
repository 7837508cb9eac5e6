using Cnnc.Engine.Models;
using Cnnc.Engine.Models.Architectures;
using Cnnc.Engine.Runtime;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Cnnc.Engine.Tests.Models;

/// <summary>
/// Swin and Swin V2 (issue 13) beyond names, shapes and logits parity (TorchvisionBuilderTests,
/// ArchitectureParityTests): torchvision's published MACs, the attention's own count, small-scale runs, the
/// channels-last layout of the stages, initialisation and input errors.
/// </summary>
public sealed class SwinTests
{
    private static readonly ArchitectureOptions FashionMnist = new() { NumClasses = 10, InputChannels = 1, InputSize = 28, Width = 0.25 };

    private readonly ITestOutputHelper output;

    public SwinTests(ITestOutputHelper output)
    {
        this.output = output;
        TorchRuntime.Initialize();
    }

    // torchvision's "_ops" of each published weights entry (GFLOPS, i.e. multiply-accumulates; in torchvision's
    // metadata from 0.15 on, not yet in 0.14's), at the weights' crop size. They count every matrix product on the
    // padded windows (qkv, q·kᵀ, attention·v, proj), the MLPs, patch merging, the patch convolution, the head and V2's
    // position MLP once per forward — what our hooks and ShiftedWindowAttention.OwnMacs count. The values have three
    // decimals: the tolerance is half a unit of the last one.
    [Theory]
    [InlineData("swin_t", 4.491, 224)]
    [InlineData("swin_s", 8.741, 224)]
    [InlineData("swin_b", 15.431, 224)]
    [InlineData("swin_v2_t", 5.940, 256)]
    [InlineData("swin_v2_s", 11.546, 256)]
    [InlineData("swin_v2_b", 20.325, 256)]
    public void MacsMatchTorchvisionsPublishedOps(string arch, double publishedGigaMacs, int size)
    {
        using var model = ArchitectureCatalog.Create(arch, ArchitectureOptions.ImageNet with { InputSize = size });
        var complexity = ModelComplexity.Measure(model, 3, size, size);
        output.WriteLine($"{arch}: {complexity.GigaMacs:F5} GMACs at {size} px, {complexity.Parameters:N0} parameters");
        Assert.InRange(complexity.GigaMacs, publishedGigaMacs - 0.00051, publishedGigaMacs + 0.00051);
    }

    [Fact]
    public void AttentionCountsItsProductsOnThePaddedWindows()
    {
        // Width 8, 2 heads, window 2, shift 1, on a 3×3 map: padded to 4×4 = 16 tokens; per token qkv 8·24, proj 8·8,
        // q·kᵀ and attention·v 4·8 each. Its qkv and proj are applied functionally, so only OwnMacs counts them.
        // (In a Sequential: TorchSharp's named_modules leaves out the module it is called on.)
        using var attention = nn.Sequential(("attn", new SwinTransformer.ShiftedWindowAttention(8, 2, 1, 2, v2: false)));
        var complexity = ModelComplexity.Measure(attention, 3, 3, 8); // input 1×3×3×8 (N×H×W×C)
        Assert.Equal(16 * (8 * 24 + 8 * 8 + 2 * 4 * 8), complexity.Macs);
    }

    [Theory]
    [InlineData("swin_t")]
    [InlineData("swin_v2_t")]
    public void SmallScaleRunsWithAChannelsLastGridAtTheDefaultLayer(string arch)
    {
        var info = ArchitectureCatalog.Get(arch);
        using var scope = NewDisposeScope();
        using var model = info.Create(FashionMnist);
        using var big = info.Create();
        Assert.Equal(big.state_dict().Keys.ToHashSet(), model.state_dict().Keys.ToHashSet());
        Assert.Equal(1, model.state_dict()["features.0.0.weight"].shape[1]);
        Assert.Equal(new long[] { 24, 1, 4, 4 }, model.state_dict()["features.0.0.weight"].shape); // 96 · 0.25, same kernel

        var target = (nn.Module<Tensor, Tensor>)model.named_modules().Single(m => m.name == info.DefaultTargetLayer).module;
        long[]? shape = null;
        var remover = target.register_forward_hook((_, _, o) =>
        {
            shape = o.shape;
            return o;
        });
        model.eval();
        manual_seed(0);
        using var input = randn(2, 1, 28, 28);
        using (no_grad())
        {
            using var logits = model.call(input);
            Assert.Equal(new long[] { 2, 10 }, logits.shape);
            Assert.True(logits.isfinite().all().item<bool>());
        }
        remover.remove();
        // Stride-2 patch embedding: 14×14 tokens, then 7, 4 (odd sides padded), 2; width 24 · 8 = 192.
        Assert.Equal(new long[] { 2, 2, 2, 192 }, shape);
        output.WriteLine($"{arch}: features.7 {string.Join("x", shape!)}, {model.parameters().Sum(p => p.numel()):N0} parameters");

        model.train();
        using var loss = model.call(input).square().mean();
        loss.backward();
        var first = model.parameters().First();
        Assert.NotNull(first.grad);
        Assert.True(first.grad!.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void StagesAreChannelsLastAndTheRestChannelsFirst()
    {
        using var model = SwinTransformer.SwinV2T(ArchitectureOptions.ImageNet);
        var layouts = (IActivationLayout)model;
        foreach (var path in new[] { "features", "features.0", "features.0.1", "features.0.2", "features.1", "features.2", "features.7",
                     "features.7.1", "features.7.1.attn", "features.7.1.mlp", "norm" })
            Assert.Equal(ActivationLayout.ChannelsLast, layouts.LayoutOf(path));
        foreach (var path in new[] { "features.0.0", "features.1.0.attn.cpb_mlp", "features.1.0.attn.cpb_mlp.0", "permute", "avgpool", "flatten", "head" })
            Assert.Equal(ActivationLayout.ChannelsFirst, layouts.LayoutOf(path));
        // Every path asked about exists.
        var paths = model.named_modules().Select(m => m.name).ToHashSet();
        Assert.Contains("features.1.0.attn.cpb_mlp.0", paths);
        Assert.Contains("features.0.1", paths);
    }

    [Fact]
    public void InitialisationIsTorchvisions()
    {
        manual_seed(3);
        using var model = SwinTransformer.SwinV2T(ArchitectureOptions.ImageNet);
        var sd = model.state_dict();
        // Linear weights truncated N(0, 0.02), zero bias.
        var mlp = sd["features.5.3.mlp.0.weight"];
        Assert.InRange(mlp.std().item<float>(), 0.019f, 0.021f);
        Assert.Equal(0f, sd["features.5.3.mlp.0.bias"].abs().max().item<float>());
        Assert.Equal(0f, sd["features.1.0.attn.qkv.bias"].abs().max().item<float>());
        Assert.Equal(0f, sd["head.bias"].abs().max().item<float>());
        // Logit scale log 10; LayerNorm 1 / 0.
        Assert.True(sd["features.1.0.attn.logit_scale"].allclose(full(3, 1, 1, Math.Log(10.0))));
        Assert.Equal(1f, sd["norm.weight"].min().item<float>());
        // The relative position index of a 8×8 window: 8⁴ entries into the 15×15 table, the diagonal its centre.
        var index = sd["features.1.0.attn.relative_position_index"];
        Assert.Equal(ScalarType.Int64, index.dtype);
        Assert.Equal(0, index.min().item<long>());
        Assert.Equal(15 * 15 - 1, index.max().item<long>());
        Assert.Equal(7 * 15 + 7, index[0].item<long>());
        // V2's coordinates table, log-spaced in [-8, 8] → sign · log2(1 + |x|) / 3, corners ±log2(9) / 3.
        var table = sd["features.1.0.attn.relative_coords_table"];
        Assert.Equal(new long[] { 1, 15, 15, 2 }, table.shape);
        Assert.Equal(Math.Log2(9) / 3, table.max().item<float>(), 5);

        using var v1 = SwinTransformer.SwinT(ArchitectureOptions.ImageNet);
        var bias = v1.state_dict()["features.3.1.attn.relative_position_bias_table"];
        Assert.Equal(new long[] { 169, 6 }, bias.shape);
        Assert.InRange(bias.std().item<float>(), 0.017f, 0.023f);
    }

    [Fact]
    public void OddAndNonSquareInputsRunAsInTorchvision()
    {
        // 100×60 px: 25×15 tokens, padded to 28×21 windows; stage 4 4×2 (one window per side there: no shift).
        using var model = SwinTransformer.SwinT(ArchitectureOptions.ImageNet with { NumClasses = 5, Width = 0.25 });
        model.eval();
        using var _ = no_grad();
        using var logits = model.call(randn(1, 3, 100, 60));
        Assert.Equal(new long[] { 1, 5 }, logits.shape);
        Assert.True(logits.isfinite().all().item<bool>());
    }

    [Fact]
    public void TooSmallOrMisshapedInputIsOneClearError()
    {
        using var model = SwinTransformer.SwinT(ArchitectureOptions.ImageNet with { Width = 0.25 });
        model.eval();
        using var _ = no_grad();
        var small = Assert.Throws<ArgumentException>(() => model.call(zeros(1, 3, 3, 64)));
        Assert.Equal("swin_t needs images of at least 4×4 pixels (got 3×64).", small.Message);
        var flat = Assert.Throws<ArgumentException>(() => model.call(zeros(3, 224, 224)));
        Assert.StartsWith("swin_t takes a batch of images N×C×H×W (got a 3-D tensor", flat.Message);
    }

    [Theory]
    [InlineData("swin_t")]
    [InlineData("swin_v2_t")]
    public void ChannelsLastGivesTheSameLogits(string arch)
    {
        // Apply also converts V2's 4-D relative_coords_table buffer: its cpb_mlp must take the strided table.
        using var model = ArchitectureCatalog.Create(arch, ArchitectureOptions.ImageNet with { NumClasses = 7, Width = 0.25, InputSize = 64 });
        model.eval();
        manual_seed(1);
        using var input = randn(2, 3, 64, 64);
        using var _ = no_grad();
        using var before = model.call(input);
        if (!ChannelsLast.Apply(model)) return; // CNNC_CHANNELS_LAST=0: nothing to compare
        using var after = model.call(input);
        Assert.True((before - after).abs().max().item<float>() < 1e-5f);
    }
}
