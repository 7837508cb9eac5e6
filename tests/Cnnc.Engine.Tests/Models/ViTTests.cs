using Cnnc.Engine.Explain;
using Cnnc.Engine.Models;
using Cnnc.Engine.Models.Architectures;
using Cnnc.Engine.Runtime;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Cnnc.Engine.Tests.Models;

/// <summary>
/// The ViT family of issue 13 (vit_b_16, vit_b_32, vit_l_16, vit_l_32, vit_h_14) beyond names, shapes and logits
/// parity (TorchvisionBuilderTests, ArchitectureParityTests): small-scale runs, token layouts, torchvision's
/// published MACs, initialisation and input-size errors.
/// </summary>
public sealed class ViTTests
{
    private static readonly ArchitectureOptions FashionMnist = new() { NumClasses = 10, InputChannels = 1, InputSize = 28, Width = 0.25 };

    private readonly ITestOutputHelper output;

    public ViTTests(ITestOutputHelper output)
    {
        this.output = output;
        TorchRuntime.Initialize();
    }

    // Below 64 px every member uses patch 4: 28 px gives 7×7 patches plus the class token at the default layer.
    [Theory]
    [InlineData("vit_b_16", 12, 192)]
    [InlineData("vit_b_32", 12, 192)]
    [InlineData("vit_l_16", 24, 256)]
    [InlineData("vit_h_14", 32, 320)]
    public void SmallScaleRunsOnFashionMnistShapes(string arch, int blocks, int hidden)
    {
        var info = ArchitectureCatalog.Get(arch);
        Assert.Equal($"encoder.layers.encoder_layer_{blocks - 1}.ln_1", info.DefaultTargetLayer);
        using var scope = NewDisposeScope();
        using var model = info.Create(FashionMnist);
        Assert.Equal(info.DefaultTargetLayer, Explainer.DefaultLayer(model));
        Assert.Equal(ActivationLayout.ClassTokenThenGrid, ((IActivationLayout)model).LayoutOf(info.DefaultTargetLayer));
        Assert.Equal(new long[] { 1, 1 + 7 * 7, hidden }, model.state_dict()["encoder.pos_embedding"].shape);
        Assert.Equal(new long[] { hidden, 1, 4, 4 }, model.state_dict()["conv_proj.weight"].shape);

        var target = (nn.Module<Tensor, Tensor>)ModulePaths.Find(model, info.DefaultTargetLayer);
        long[]? targetShape = null;
        var remover = target.register_forward_hook((_, _, o) =>
        {
            targetShape = o.shape;
            return o;
        });
        manual_seed(0);
        using var input = randn(2, 1, 28, 28);
        model.eval();
        using (no_grad())
        {
            using var logits = model.call(input);
            Assert.Equal(new long[] { 2, 10 }, logits.shape);
            Assert.True(logits.isfinite().all().item<bool>());
        }
        remover.remove();
        Assert.Equal(new long[] { 2, 1 + 7 * 7, hidden }, targetShape);
        output.WriteLine($"{arch}: {info.DefaultTargetLayer} output {string.Join("x", targetShape!)}, " +
                         $"{model.parameters().Sum(p => p.numel()):N0} parameters");

        // Training mode: a backward pass reaches the patch convolution, which takes one channel (the head is redrawn:
        // torchvision's zero head would pass no gradient back).
        model.train();
        using (no_grad()) model.state_dict()["heads.head.weight"].normal_(0, 0.02);
        using var loss = model.call(input).square().mean();
        loss.backward();
        var patches = model.named_parameters().Single(p => p.name == "conv_proj.weight").parameter;
        Assert.NotNull(patches.grad);
        Assert.True(patches.grad!.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void EncoderOutputsAreClassTokenThenGridAndThePatchConvolutionIsChannelsFirst()
    {
        using var model = ArchitectureCatalog.Create("vit_b_32", FashionMnist);
        var layouts = (IActivationLayout)model;
        foreach (var path in new[] { "encoder", "encoder.layers", "encoder.layers.encoder_layer_0", "encoder.layers.encoder_layer_11", "encoder.ln",
                     "encoder.layers.encoder_layer_3.mlp" })
            Assert.Equal(ActivationLayout.ClassTokenThenGrid, layouts.LayoutOf(path));
        Assert.Equal(ActivationLayout.ChannelsFirst, layouts.LayoutOf("conv_proj"));
    }

    // torchvision's "_ops" (GMACs; weights metadata of torchvision 0.15+, same builders as 0.14) for every member at a
    // published crop size, counted by our hooks during one CPU forward: the patch convolution, every Linear and the
    // attention's own products (q/k/v projection and the two S×S products per block, IMacCounted). Tolerance 0.0005 G:
    // torchvision rounds to three decimals, the count itself is exact. Not run here: vit_l_16 at 512 (361.986) and
    // vit_h_14 at 518 (1016.717), a teraMAC forward on CPU; the same count gives them, see docs/models-and-weights.md.
    [Theory]
    [InlineData("vit_b_16", 224, 17.564)] // IMAGENET1K_V1, IMAGENET1K_SWAG_LINEAR_V1
    [InlineData("vit_b_16", 384, 55.484)] // IMAGENET1K_SWAG_E2E_V1
    [InlineData("vit_b_32", 224, 4.409)] // IMAGENET1K_V1
    [InlineData("vit_l_16", 224, 61.555)] // IMAGENET1K_V1, IMAGENET1K_SWAG_LINEAR_V1
    [InlineData("vit_l_32", 224, 15.378)] // IMAGENET1K_V1
    [InlineData("vit_h_14", 224, 167.295)] // IMAGENET1K_SWAG_LINEAR_V1
    public void MacsMatchTorchvisionOps(string arch, int size, double publishedGigaMacs)
    {
        using var model = ArchitectureCatalog.Create(arch, ArchitectureOptions.ImageNet with { InputSize = size });
        var complexity = ModelComplexity.Measure(model, 3, size, size);
        output.WriteLine($"{arch}@{size}: {complexity.GigaMacs:F6} GMACs, {complexity.Parameters:N0} parameters");
        Assert.InRange(complexity.GigaMacs, publishedGigaMacs - 0.0005, publishedGigaMacs + 0.0005);
    }

    [Fact]
    public void InitialisationIsTorchvisions()
    {
        manual_seed(1);
        using var model = ArchitectureCatalog.Create("vit_b_32");
        var p = model.state_dict();
        // Zero head and class token; LayerNorms 1 / 0; attention biases 0; MLP biases N(0, 1e-12).
        Assert.Equal(0, p["heads.head.weight"].abs().max().item<float>());
        Assert.Equal(0, p["heads.head.bias"].abs().max().item<float>());
        Assert.Equal(0, p["class_token"].abs().max().item<float>());
        Assert.Equal(0, p["encoder.layers.encoder_layer_0.self_attention.in_proj_bias"].abs().max().item<float>());
        Assert.Equal(0, p["encoder.layers.encoder_layer_0.self_attention.out_proj.bias"].abs().max().item<float>());
        Assert.Equal(1, p["encoder.ln.weight"].min().item<float>());
        Assert.InRange(p["encoder.layers.encoder_layer_0.mlp.0.bias"].std().item<float>(), 0.5e-6, 2e-6);
        // Position embedding N(0, 0.02²); patch convolution truncated normal with std √(1/(3·32·32)).
        Assert.InRange(p["encoder.pos_embedding"].std().item<float>(), 0.019, 0.021);
        var conv = p["conv_proj.weight"];
        Assert.InRange(conv.std().item<float>(), 0.95 * Math.Sqrt(1.0 / 3072), 1.05 * Math.Sqrt(1.0 / 3072));
        Assert.Equal(0, p["conv_proj.bias"].abs().max().item<float>());
        // Xavier uniform: bound √(6 / (fan_in + fan_out)).
        var inProj = p["encoder.layers.encoder_layer_0.self_attention.in_proj_weight"];
        var bound = Math.Sqrt(6.0 / (768 + 3 * 768));
        Assert.InRange(inProj.abs().max().item<float>(), 0.99 * bound, bound);
        var fc1 = p["encoder.layers.encoder_layer_0.mlp.0.weight"];
        Assert.InRange(fc1.abs().max().item<float>(), 0.99 * Math.Sqrt(6.0 / (768 + 3072)), Math.Sqrt(6.0 / (768 + 3072)));
    }

    [Fact]
    public void AnImageSizeThatIsNotAMultipleOfThePatchIsOneClearError()
    {
        var error = Assert.Throws<ArgumentException>(() => ArchitectureCatalog.Create("vit_b_16", ArchitectureOptions.ImageNet with { InputSize = 230 }));
        Assert.Equal("vit_b_16 takes images whose side is a multiple of its patch size 16 (got InputSize 230).", error.Message);
        error = Assert.Throws<ArgumentException>(() => ArchitectureCatalog.Create("vit_h_14", FashionMnist with { InputSize = 30 }));
        Assert.Equal("vit_h_14 takes images whose side is a multiple of its patch size 4 (got InputSize 30).", error.Message);
    }

    [Fact]
    public void AnotherSizeThanTheBuiltOneIsOneClearError()
    {
        using var model = ArchitectureCatalog.Create("vit_b_32", FashionMnist);
        model.eval();
        using var wrong = zeros(1, 1, 32, 32);
        var error = Assert.Throws<ArgumentException>(() => model.call(wrong));
        Assert.Equal("vit_b_32 was built for 28×28 images (InputSize) and takes a batch N×C×28×28 (got [1, 1, 32, 32]).", error.Message);
        using var flat = zeros(1, 28, 28);
        error = Assert.Throws<ArgumentException>(() => model.call(flat));
        Assert.Equal("vit_b_32 was built for 28×28 images (InputSize) and takes a batch N×C×28×28 (got [1, 28, 28]).", error.Message);
    }
}
