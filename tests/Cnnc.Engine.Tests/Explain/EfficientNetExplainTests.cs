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
/// EfficientNet and EfficientNet V2 are explainable at their default layer (the 1×1 head convolution block): all ten
/// methods run on a small-scale member of each and give maps in [0, 1]; on EfficientNet-B0 (torchvision weights of the
/// parity fixture, 96-px images) Grad-CAM, Grad-CAM++, LayerCAM and Score-CAM equal an independent PyTorch computation
/// (tests/fixtures/explain_reference.py).
/// </summary>
public sealed class EfficientNetExplainTests
{
    private readonly ITestOutputHelper output;

    public EfficientNetExplainTests(ITestOutputHelper output)
    {
        this.output = output;
        TorchRuntime.Initialize();
    }

    // Fashion-MNIST-sized members: the small-input stem leaves a 4×4 grid at the default layer.
    [Theory]
    [InlineData("efficientnet_b0", "features.8", 28, 1, 0.25)]
    [InlineData("efficientnet_v2_s", "features.7", 28, 1, 0.25)]
    public void AllTenMethodsRunAtTheDefaultLayer(string arch, string layer, int size, int channels, double width)
    {
        var info = ArchitectureCatalog.Get(arch);
        Assert.Equal(layer, info.DefaultTargetLayer);
        using var scope = NewDisposeScope();
        manual_seed(5);
        using var model = info.Create(new ArchitectureOptions { NumClasses = 10, InputChannels = channels, InputSize = size, Width = width });
        model.eval();
        using var image = randn(channels, size, size);
        Assert.Equal(10, ExplainerCatalog.Names.Count());
        foreach (var method in ExplainerCatalog.Names)
        {
            var explainer = FastExplainers.Create(method);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var e = explainer.Explain(model, image);
            Assert.Equal(explainer.UsesLayer ? layer : null, e.Layer);
            Assert.Equal(size, e.Map.Height);
            Assert.Equal(size, e.Map.Width);
            if (explainer.UsesLayer) Assert.True(e.Raw.Height == 4 && e.Raw.Width == 4, $"{arch}: {e.Raw.Height}x{e.Raw.Width} grid");
            Assert.All(e.Map.Data, v => Assert.True(v is >= 0 and <= 1, $"{arch} {method}: value {v} outside [0, 1]"));
            var max = e.Map.Data.Max();
            Assert.True(max == 0 || Math.Abs(max - 1) < 1e-6, $"{arch} {method}: max {max}");
            output.WriteLine($"{arch} {method}: raw {e.Raw.Height}x{e.Raw.Width}, {clock.ElapsedMilliseconds} ms");
        }
    }

    [Theory]
    [InlineData("gradcam")]
    [InlineData("gradcam++")]
    [InlineData("layercam")]
    [InlineData("scorecam")]
    public void EfficientNetB0MatchesPyTorchAtItsDefaultLayer(string method)
    {
        // The parity fixture's weights; a 96-px input (3×3 at features.8) keeps Score-CAM's 2 × 1280 masked forwards
        // affordable on CPU (at 224 px they took over a quarter of an hour per side on a busy machine).
        var (weights, _, _) = PyTorchFixtures.For("efficientnet_b0");
        var dir = ExplainReference.Folder("efficientnet_b0-96", "efficientnet_b0", weights, "2,3,96,96", "features.8",
            "gradcam,gradcam++,layercam,scorecam");
        using var model = ArchitectureCatalog.Create("efficientnet_b0");
        WeightsLoader.Load(model, weights);
        using var input = Npy.Read(Path.Combine(dir, "input.npy"));
        var explanations = ExplainerCatalog.Create(method).ExplainBatch(model, input); // default layer
        Assert.All(explanations, e => Assert.Equal("features.8", e.Layer));

        using var expectedMaps = Npy.Read(Path.Combine(dir, method + ".map.npy"));
        using var expectedRaw = Npy.Read(Path.Combine(dir, method + ".raw.npy"));
        using var targets = Npy.Read(Path.Combine(dir, "targets.npy"));
        Assert.Equal(2, explanations.Count);
        for (var i = 0; i < explanations.Count; i++)
        {
            var e = explanations[i];
            Assert.Equal(targets[i].item<long>(), e.TargetClass);
            Assert.Equal(3, e.Raw.Height);
            using var map = e.Map.ToTensor();
            using var raw = e.Raw.ToTensor();
            var mapDiff = (map - expectedMaps[i]).abs().max().item<float>();
            var scale = Math.Max(expectedRaw[i].abs().max().item<float>(), 1e-12f);
            var rawDiff = (raw - expectedRaw[i]).abs().max().item<float>() / scale;
            output.WriteLine($"{method} image {i}: max |map diff| {mapDiff:E2}, max |raw diff| / max |raw| {rawDiff:E2}");
            Assert.True(mapDiff <= 1e-4, $"{method} image {i}: map differs by {mapDiff:E3}");
            Assert.True(rawDiff <= 1e-3, $"{method} image {i}: raw map differs by {rawDiff:E3} of its scale");
        }
    }
}
