using Cnnc.Engine.Models;
using Cnnc.Engine.Models.Architectures;
using Cnnc.Engine.Runtime;
using Cnnc.Engine.Tests.Support;
using Cnnc.Engine.Weights;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Cnnc.Engine.Tests.Models;

/// <summary>
/// MaxViT beyond names, shapes and logits (TorchvisionBuilderTests, ArchitectureParityTests): torchvision's published
/// MACs with the attention products counted, the relative-position index, input sizes it cannot take, the small-scale
/// member and initialisation.
/// </summary>
public sealed class MaxVitTests
{
    private readonly ITestOutputHelper output;

    public MaxVitTests(ITestOutputHelper output)
    {
        this.output = output;
        TorchRuntime.Initialize();
    }

    // torchvision publishes MaxVit_T_Weights.IMAGENET1K_V1.meta["_ops"] = 5.558 (GFLOPS, which torchvision counts as
    // multiply-accumulates of convolutions and matrix products, attention's included) from torchvision 0.15 on; 0.14's
    // metadata has no "_ops" field, so the value is written here. It has three decimals: the tolerance is half a unit of
    // the last one. Without the attention products (0.177 G) the count would be 5.381, far outside it.
    [Fact]
    public void MacsMatchTorchvisionsPublishedOps()
    {
        using var model = ArchitectureCatalog.Create("maxvit_t");
        var complexity = ModelComplexity.Measure(model, 3, 224, 224);
        output.WriteLine($"maxvit_t: {complexity.GigaMacs:F5} GMACs, {complexity.Parameters:N0} parameters");
        Assert.InRange(complexity.GigaMacs, 5.558 - 0.0005, 5.558 + 0.0005);
    }

    [Fact]
    public void AttentionCountsItsOwnProductsBesideItsLinears()
    {
        // G = 4 groups of P = 9 tokens of width D = 16 (2 heads of 8): to_qkv G·P·D·3D, merge G·P·D·D, and
        // q·kᵀ plus attention·v, G·P·P·D each.
        using var attention = nn.Sequential(new MaxVit.RelativePositionalMultiHeadAttention(16, 8, 9)); // a submodule, as in the model
        var macs = ModelComplexity.Measure(attention, 4, 9, 16).Macs;
        Assert.Equal(4 * 9 * 16 * 48 + 4 * 9 * 16 * 16 + 2 * 4 * 9 * 9 * 16, macs);
    }

    [Fact]
    public void RelativePositionIndexIsTorchvisions()
    {
        // The parity fixture's file holds torchvision's buffers; our model computes its own.
        var (weights, _, _) = PyTorchFixtures.For("maxvit_t");
        using var file = WeightsFile.Read(weights);
        using var model = ArchitectureCatalog.Create("maxvit_t");
        var ours = model.state_dict();
        var keys = ours.Keys.Where(k => k.EndsWith("relative_position_index", StringComparison.Ordinal)).ToList();
        Assert.Equal(2 * 11, keys.Count); // window and grid attention of each of the 11 layers
        foreach (var key in keys)
        {
            Assert.Equal(new long[] { 49, 49 }, ours[key].shape);
            Assert.Equal(file[key].shape, ours[key].shape);
            Assert.True(ours[key].to_type(ScalarType.Int64).eq(file[key].to_type(ScalarType.Int64)).all().item<bool>(), $"{key} differs from torchvision's");
        }
        Assert.Equal(168L, ours[keys[0]].max().item<long>()); // (2·7 − 1)² − 1: the last row of the bias table
    }

    [Theory]
    [InlineData(200, "50×50, 25×25, 13×13, 7×7")]
    [InlineData(112, "28×28, 14×14, 7×7, 4×4")]
    [InlineData(256, "64×64, 32×32, 16×16, 8×8")]
    public void RejectsAnInputSizeItsPartitionsDoNotDivideAtBuild(int size, string grids)
    {
        var error = Assert.Throws<ArgumentException>(() =>
            ArchitectureCatalog.Create("maxvit_t", ArchitectureOptions.ImageNet with { InputSize = size }));
        Assert.Contains($"maxvit_t cannot take {size}×{size} input", error.Message);
        Assert.Contains($"stage grids would be {grids}", error.Message);
        Assert.Contains("multiple of the partition size 7", error.Message);
    }

    [Fact]
    public void RejectsAnotherSizeThanTheBuiltOneAtForward()
    {
        using var model = ArchitectureCatalog.Create("maxvit_t", new ArchitectureOptions { NumClasses = 10, InputSize = 32, Width = 0.125 });
        model.eval();
        using var wrong = zeros(1, 3, 28, 28);
        var error = Assert.Throws<ArgumentException>(() => model.call(wrong));
        Assert.Equal("maxvit_t was built for 32×32 images, N×C×32×32 (got [1, 3, 28, 28]); build it with that InputSize.", error.Message);
    }

    [Theory]
    [InlineData(448)]
    [InlineData(221)] // grids 56, 28, 14, 7 as at 224
    public void BuildsAtOtherSizesItsPartitionsDivide(int size)
    {
        using var model = ArchitectureCatalog.Create("maxvit_t", ArchitectureOptions.ImageNet with { InputSize = size });
        Assert.Equal(30_919_624, model.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void SmallScaleMemberRunsWithPartitionsOfEachStagesGrid()
    {
        var small = new ArchitectureOptions { NumClasses = 10, InputChannels = 1, InputSize = 28, Width = 0.25 };
        using var scope = NewDisposeScope();
        using var big = ArchitectureCatalog.Create("maxvit_t");
        using var model = ArchitectureCatalog.Create("maxvit_t", small);
        var keys = model.state_dict();
        Assert.Equal(big.state_dict().Keys.ToHashSet(), keys.Keys.ToHashSet());
        Assert.Equal(1, keys["stem.0.0.weight"].shape[1]);
        Assert.Equal(new long[] { 10, 128 }, keys["classifier.5.weight"].shape); // 16 heads of 8
        // Stem stride 1: grids 14, 7, 4, 2, partitions 7, 7, 4, 2 (bias tables (2p − 1)² × heads).
        long[][] tables = [[169, 2], [169, 4], [49, 8], [9, 16]];
        for (var b = 0; b < 4; b++)
        {
            Assert.Equal(tables[b], keys[$"blocks.{b}.layers.0.layers.window_attention.attn_layer.1.relative_position_bias_table"].shape);
            Assert.Equal(tables[b], keys[$"blocks.{b}.layers.0.layers.grid_attention.attn_layer.1.relative_position_bias_table"].shape);
        }

        Tensor? captured = null;
        var target = (nn.Module<Tensor, Tensor>)model.named_modules().Single(m => m.name == "blocks.3").module;
        var remover = target.register_forward_hook((_, _, o) =>
        {
            captured = o.detach().alias().DetachFromDisposeScope();
            return o;
        });
        manual_seed(0);
        using var input = randn(2, 1, 28, 28);
        model.eval();
        using (no_grad())
        {
            var logits = model.call(input);
            Assert.Equal(new long[] { 2, 10 }, logits.shape);
            Assert.True(logits.isfinite().all().item<bool>());
        }
        remover.remove();
        Assert.NotNull(captured);
        Assert.Equal(new long[] { 2, 128, 2, 2 }, captured!.shape);

        var complexity = ModelComplexity.Measure(model, 1, 28, 28);
        output.WriteLine($"maxvit_t at 28 px, width 0.25: {complexity.Parameters:N0} parameters, {complexity.Macs / 1e6:F1} M MACs");
        Assert.True(complexity.Parameters < big.parameters().Sum(p => p.numel()) / 10);

        model.train();
        var loss = model.call(input).square().mean();
        loss.backward();
        var firstGrad = model.parameters().First().grad;
        Assert.NotNull(firstGrad);
        Assert.True(firstGrad!.abs().sum().item<float>() > 0);
        captured.Dispose();
    }

    [Fact]
    public void ChannelsLastGivesTheSameLogits()
    {
        // Loaded models run channels-last; the partitions reshape such tensors (a copy where strides demand it).
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var model = ArchitectureCatalog.Create("maxvit_t", new ArchitectureOptions { NumClasses = 10, InputSize = 32, Width = 0.25 });
        model.eval();
        using var input = randn(2, 3, 32, 32);
        using var _ = no_grad();
        var plain = model.call(input);
        Assert.True(ChannelsLast.Apply(model));
        var nhwc = model.call(input);
        var diff = (plain - nhwc).abs().max().item<float>();
        output.WriteLine($"max |channels-last - plain| {diff:E2}, max |logit| {plain.abs().max().item<float>():G3}");
        Assert.True(diff < 1e-5, $"channels-last changes the logits by {diff:E3}");
    }

    [Fact]
    public void InitialisationIsTorchvisions()
    {
        using var scope = NewDisposeScope();
        using var model = ArchitectureCatalog.Create("maxvit_t");
        foreach (var (name, module) in model.named_modules())
        {
            var (weight, bias) = module switch
            {
                TorchSharp.Modules.Conv2d conv => (conv.weight, conv.bias),
                TorchSharp.Modules.Linear linear => (linear.weight, linear.bias),
                _ => (null, null),
            };
            if (weight is not null && weight.numel() >= 4096) // enough samples for a tight std estimate
                Assert.True(Math.Abs(weight.std().item<float>() / 0.02 - 1) < 0.1, $"{name}: std {weight.std().item<float>()} vs 0.02");
            if (bias is not null) Assert.True(bias.eq(0).all().item<bool>(), $"{name}: bias not zero");
            if (module is TorchSharp.Modules.BatchNorm2d bn)
                Assert.True(bn.weight!.eq(1).all().item<bool>() && bn.bias!.eq(0).all().item<bool>(), name);
        }
        // Relative position bias: truncated normal, std 0.02, within ±2 (absolute bounds, as PyTorch's).
        var tables = model.named_parameters().Where(p => p.name.EndsWith("relative_position_bias_table", StringComparison.Ordinal))
            .Select(p => p.parameter).ToList();
        Assert.Equal(22, tables.Count);
        using var all = cat(tables.Select(t => t.flatten()).ToArray());
        Assert.True(Math.Abs(all.std().item<float>() / 0.02 - 1) < 0.05, $"bias table std {all.std().item<float>()}");
    }
}
