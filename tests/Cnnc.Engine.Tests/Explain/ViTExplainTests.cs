using Cnnc.Engine.Explain;
using Cnnc.Engine.IO;
using Cnnc.Engine.Models;
using Cnnc.Engine.Runtime;
using Cnnc.Engine.Tests.Support;
using Cnnc.Engine.Weights;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Cnnc.Engine.Tests.Explain;

/// <summary>
/// ViT is explainable at its default layer, the tokens entering the last block's attention (N × (1 + h·w) × C, read as
/// the h×w grid; the last block's output would give blank gradient CAMs, tested):
/// all ten methods run on small-scale members and give maps in [0, 1]; on ViT-B/16's small-scale member the gradient
/// and Score-CAM methods equal an independent PyTorch computation on torchvision's VisionTransformer with
/// pytorch-grad-cam's reshape_transform (tests/fixtures/explain_reference.py).
/// </summary>
public sealed class ViTExplainTests
{
    /// <summary>The reference's model (explain_reference.py's VIT_SMALL): RGB, because torchvision's patch convolution is.</summary>
    private static readonly ArchitectureOptions ReferenceScale = new() { NumClasses = 10, InputChannels = 3, InputSize = 28, Width = 0.25 };

    private readonly ITestOutputHelper output;

    public ViTExplainTests(ITestOutputHelper output)
    {
        this.output = output;
        TorchRuntime.Initialize();
    }

    // Small enough for CI (Score-CAM and Ablation-CAM run the network once per channel): 7×7 and 4×4 patch grids.
    [Theory]
    [InlineData("vit_b_16", 28, 0.25)]
    [InlineData("vit_l_16", 16, 0.125)]
    public void AllTenMethodsRunAtTheDefaultLayer(string arch, int size, double width)
    {
        var info = ArchitectureCatalog.Get(arch);
        using var scope = NewDisposeScope();
        manual_seed(5);
        using var model = info.Create(new ArchitectureOptions { NumClasses = 10, InputChannels = 1, InputSize = size, Width = width });
        using (no_grad()) model.state_dict()["heads.head.weight"].normal_(0, 0.1); // torchvision's zero head: all logits equal
        model.eval();
        using var image = randn(1, size, size);
        Assert.Equal(10, ExplainerCatalog.Names.Count());
        foreach (var method in ExplainerCatalog.Names)
        {
            var explainer = FastExplainers.Create(method);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var e = explainer.Explain(model, image);
            Assert.Equal(explainer.UsesLayer ? info.DefaultTargetLayer : null, e.Layer);
            Assert.Equal(size, e.Map.Height);
            Assert.Equal(size, e.Map.Width);
            if (explainer.UsesLayer) Assert.Equal((size / 4, size / 4), (e.Raw.Height, e.Raw.Width));
            Assert.All(e.Map.Data, v => Assert.True(v is >= 0 and <= 1, $"{arch} {method}: value {v} outside [0, 1]"));
            var max = e.Map.Data.Max();
            Assert.True(max == 0 || Math.Abs(max - 1) < 1e-6, $"{arch} {method}: max {max}");
            output.WriteLine($"{arch} {method}: raw {e.Raw.Height}x{e.Raw.Width}, max {max}, {clock.ElapsedMilliseconds} ms");
        }
    }

    [Fact]
    public void TheLastBlocksOutputGivesBlankGradientMapsWhichIsWhyItIsNotTheDefault()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        using var model = ArchitectureCatalog.Create("vit_b_16", new ArchitectureOptions { NumClasses = 10, InputChannels = 1, InputSize = 28, Width = 0.25 });
        using (no_grad()) model.state_dict()["heads.head.weight"].normal_(0, 0.1);
        model.eval();
        using var image = randn(1, 28, 28);
        // After the last block only the class token reaches the head: the patches' gradient is exactly zero there.
        var output = ExplainerCatalog.Create("gradcam").Explain(model, image, layer: "encoder.layers.encoder_layer_11");
        Assert.All(output.Raw.Data, v => Assert.Equal(0, v));
        var atDefault = ExplainerCatalog.Create("gradcam").Explain(model, image);
        Assert.Equal("encoder.layers.encoder_layer_11.ln_1", atDefault.Layer);
        Assert.Contains(atDefault.Raw.Data, v => v != 0);
    }

    [Theory]
    [InlineData("gradcam")]
    [InlineData("gradcam++")]
    [InlineData("layercam")]
    [InlineData("scorecam")]
    public void ViTB16MatchesPyTorchAtItsDefaultLayer(string method)
    {
        const string layer = "encoder.layers.encoder_layer_11.ln_1";
        var weights = Path.Combine(PyTorchFixtures.Directory, "vit_b_16_small.explain.pth");
        var dir = ExplainReference.Folder("vit_b_16_small-28-ln_1", "vit_b_16_small", weights, "2,3,28,28", layer,
            "gradcam,gradcam++,layercam,scorecam");
        using var model = ArchitectureCatalog.Create("vit_b_16", ReferenceScale);
        var report = WeightsLoader.Load(model, weights); // strict: the small member has torchvision's names and shapes
        Assert.Equal(model.state_dict().Count, report.Loaded.Count);
        model.eval();
        using var input = Npy.Read(Path.Combine(dir, "input.npy"));
        var explanations = ExplainerCatalog.Create(method).ExplainBatch(model, input); // default layer
        Assert.All(explanations, e => Assert.Equal(layer, e.Layer));

        using var expectedMaps = Npy.Read(Path.Combine(dir, method + ".map.npy"));
        using var expectedRaw = Npy.Read(Path.Combine(dir, method + ".raw.npy"));
        using var targets = Npy.Read(Path.Combine(dir, "targets.npy"));
        Assert.Equal(new long[] { 2, 7, 7 }, expectedRaw.shape);
        for (var i = 0; i < explanations.Count; i++)
        {
            var e = explanations[i];
            Assert.Equal(targets[i].item<long>(), e.TargetClass);
            using var map = e.Map.ToTensor();
            using var raw = e.Raw.ToTensor();
            var mapDiff = (map - expectedMaps[i]).abs().max().item<float>();
            var scale = Math.Max(expectedRaw[i].abs().max().item<float>(), 1e-12f);
            var rawDiff = (raw - expectedRaw[i]).abs().max().item<float>() / scale;
            output.WriteLine($"{method} image {i}: max |map diff| {mapDiff:E2}, max |raw diff| / max |raw| {rawDiff:E2}");
            Assert.True(expectedMaps[i].max().item<float>() > 0, $"{method} image {i}: the reference map is all zero");
            Assert.True(mapDiff <= 1e-4, $"{method} image {i}: map differs by {mapDiff:E3}");
            Assert.True(rawDiff <= 1e-3, $"{method} image {i}: raw map differs by {rawDiff:E3} of its scale");
        }
    }
}
