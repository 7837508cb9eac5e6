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
/// The classic CNN families of issue 13 are explainable at their default layer: all ten methods run on one member
/// per family and give maps in [0, 1]; on MobileNet V3 small (torchvision weights of the parity fixture, 224 px) the
/// gradient and Score-CAM methods equal an independent PyTorch computation (tests/fixtures/explain_reference.py).
/// </summary>
public sealed class ClassicCnnExplainTests
{
    private readonly ITestOutputHelper output;

    public ClassicCnnExplainTests(ITestOutputHelper output)
    {
        this.output = output;
        TorchRuntime.Initialize();
    }

    // One member per family, small enough for CI: a 2×2 or larger grid at the default layer is all the methods need.
    [Theory]
    [InlineData("vgg11_bn", 28, 1, 0.25)]
    [InlineData("googlenet", 64, 3, 0.25)]
    [InlineData("inception_v3", 107, 3, 0.125)]
    [InlineData("resnext50_32x4d", 16, 1, 0.25)]
    [InlineData("squeezenet1_0", 28, 1, 0.25)]
    [InlineData("shufflenet_v2_x1_0", 28, 1, 0.25)]
    [InlineData("mnasnet0_5", 16, 1, 0.5)]
    [InlineData("mobilenet_v3_small", 28, 1, 0.25)]
    public void AllTenMethodsRunAtTheDefaultLayer(string arch, int size, int channels, double width)
    {
        var info = ArchitectureCatalog.Get(arch);
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
            Assert.Equal(explainer.UsesLayer ? info.DefaultTargetLayer : null, e.Layer);
            Assert.Equal(size, e.Map.Height);
            Assert.Equal(size, e.Map.Width);
            if (explainer.UsesLayer) Assert.True(e.Raw.Height >= 2 && e.Raw.Width >= 2, $"{arch}: {e.Raw.Height}x{e.Raw.Width} grid");
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
    public void MobileNetV3SmallMatchesPyTorchAtItsDefaultLayer(string method)
    {
        var (weights, inputPath, _) = PyTorchFixtures.For("mobilenet_v3_small");
        var dir = ExplainReference.Folder("mobilenet_v3_small-224", "mobilenet_v3_small", weights, "2,3,224,224", "features.12",
            "gradcam,gradcam++,layercam,scorecam", inputSource: inputPath);
        using var model = ArchitectureCatalog.Create("mobilenet_v3_small");
        WeightsLoader.Load(model, weights);
        using var input = Npy.Read(Path.Combine(dir, "input.npy"));
        var explanations = ExplainerCatalog.Create(method).ExplainBatch(model, input); // default layer
        Assert.All(explanations, e => Assert.Equal("features.12", e.Layer));

        using var expectedMaps = Npy.Read(Path.Combine(dir, method + ".map.npy"));
        using var expectedRaw = Npy.Read(Path.Combine(dir, method + ".raw.npy"));
        using var targets = Npy.Read(Path.Combine(dir, "targets.npy"));
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
            Assert.True(mapDiff <= 1e-4, $"{method} image {i}: map differs by {mapDiff:E3}");
            Assert.True(rawDiff <= 1e-3, $"{method} image {i}: raw map differs by {rawDiff:E3} of its scale");
        }
    }
}
