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
/// MaxViT is explainable at its default layer, the last stage <c>blocks.3</c> (channels first, no layout conversion):
/// all ten methods run on the small-scale member and give maps in [0, 1]; maxvit_t at 224 px (the parity fixture's
/// weights) equals an independent PyTorch computation (tests/fixtures/explain_reference.py) for Grad-CAM, Grad-CAM++
/// and LayerCAM. Score-CAM needs one forward per channel (512 of maxvit_t at 224 px per image; PyTorch took 12 s per
/// image here under the shared load: well over an hour), so it is compared, with the other three, on maxvit_t at
/// 224 px with Width 0.125 (64 channels at blocks.3), built by torchvision's own MaxVit class with the same widths.
/// </summary>
/// <remarks>
/// With the parity fixture's random weights, maxvit_t's <c>blocks.3</c> (a residual stream, not rectified) gives
/// Grad-CAM++ and LayerCAM raw maps that are negative at all 7×7 cells for both images, so both sides' [0, 1] maps are
/// zero there: the raw maps, compared to 1e-3 of their scale, carry that comparison. At Width 0.125 all four maps are
/// non-trivial.
/// </remarks>
public sealed class MaxVitExplainTests
{
    private const string Layer = "blocks.3";
    private readonly ITestOutputHelper output;

    public MaxVitExplainTests(ITestOutputHelper output)
    {
        this.output = output;
        TorchRuntime.Initialize();
    }

    [Fact]
    public void AllTenMethodsRunAtTheDefaultLayer()
    {
        const int size = 28;
        var info = ArchitectureCatalog.Get("maxvit_t");
        Assert.Equal(Layer, info.DefaultTargetLayer);
        using var scope = NewDisposeScope();
        manual_seed(5);
        using var model = info.Create(new ArchitectureOptions { NumClasses = 10, InputChannels = 1, InputSize = size, Width = 0.25 });
        model.eval();
        using var image = randn(1, size, size);
        Assert.Equal(10, ExplainerCatalog.Names.Count());
        foreach (var method in ExplainerCatalog.Names)
        {
            var explainer = FastExplainers.Create(method);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var e = explainer.Explain(model, image);
            Assert.Equal(explainer.UsesLayer ? Layer : null, e.Layer);
            Assert.Equal(size, e.Map.Height);
            Assert.Equal(size, e.Map.Width);
            if (explainer.UsesLayer) Assert.True(e.Raw.Height == 2 && e.Raw.Width == 2, $"{method}: {e.Raw.Height}x{e.Raw.Width} grid");
            Assert.All(e.Map.Data, v => Assert.True(v is >= 0 and <= 1, $"{method}: value {v} outside [0, 1]"));
            var max = e.Map.Data.Max();
            Assert.True(max == 0 || Math.Abs(max - 1) < 1e-6, $"{method}: max {max}");
            output.WriteLine($"maxvit_t small {method}: raw {e.Raw.Height}x{e.Raw.Width}, {clock.ElapsedMilliseconds} ms");
        }
    }

    [Theory]
    [InlineData("gradcam")]
    [InlineData("gradcam++")]
    [InlineData("layercam")]
    public void MaxVitTMatchesPyTorchAtItsDefaultLayer(string method)
    {
        var (weights, inputPath, _) = PyTorchFixtures.For("maxvit_t");
        var dir = ExplainReference.Folder("maxvit_t-224", "maxvit_t", weights, "2,3,224,224", Layer, "gradcam,gradcam++,layercam",
            inputSource: inputPath);
        using var model = ArchitectureCatalog.Create("maxvit_t");
        WeightsLoader.Load(model, weights);
        ExplainReferenceChecks.Compare(method, dir, model, Layer, grid: 7, output);
    }

    [Theory]
    [InlineData("gradcam")]
    [InlineData("gradcam++")]
    [InlineData("layercam")]
    [InlineData("scorecam")]
    public void MaxVitTAtWidthOneEighthMatchesPyTorchAtItsDefaultLayer(string method)
    {
        const string name = "maxvit_t_width0.125";
        var weights = Path.Combine(PyTorchFixtures.Directory, name + ".pth"); // made (seeded) by the script
        var dir = ExplainReference.Folder(name + "-224", name, weights, "2,3,224,224", Layer, "gradcam,gradcam++,layercam,scorecam");
        using var model = ArchitectureCatalog.Create("maxvit_t", ArchitectureOptions.ImageNet with { Width = 0.125 });
        var report = WeightsLoader.Load(model, weights); // strict: torchvision's names and shapes at this width
        Assert.Equal(model.state_dict().Count, report.Loaded.Count);
        ExplainReferenceChecks.Compare(method, dir, model, Layer, grid: 7, output);
    }
}
