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
/// Swin and Swin V2 are explainable at their default layer, the last stage <c>features.7</c>, whose N×h×w×C output the
/// explainers see as an N×C×h×w grid (the model declares it channels-last): all ten methods run on the small-scale
/// members and give maps in [0, 1]; on swin_t the gradient methods and Score-CAM equal an independent PyTorch
/// computation (tests/fixtures/explain_reference.py with --layout channels_last, pytorch-grad-cam's reshape_transform).
/// </summary>
public sealed class SwinExplainTests
{
    private readonly ITestOutputHelper output;

    public SwinExplainTests(ITestOutputHelper output)
    {
        this.output = output;
        TorchRuntime.Initialize();
    }

    [Theory]
    [InlineData("swin_t")]
    [InlineData("swin_v2_t")]
    public void AllTenMethodsRunAtTheDefaultLayer(string arch)
    {
        const int size = 28;
        var info = ArchitectureCatalog.Get(arch);
        Assert.Equal("features.7", info.DefaultTargetLayer);
        using var scope = NewDisposeScope();
        manual_seed(5);
        using var model = info.Create(new ArchitectureOptions { NumClasses = 10, InputChannels = 1, InputSize = size, Width = 0.25 });
        model.eval();
        using var image = randn(1, size, size);
        Assert.Equal(10, ExplainerCatalog.Names.Count());
        foreach (var method in ExplainerCatalog.Names)
        {
            var explainer = FastExplainers.Create(method);
            var e = explainer.Explain(model, image);
            Assert.Equal(explainer.UsesLayer ? "features.7" : null, e.Layer);
            Assert.Equal(size, e.Map.Height);
            Assert.Equal(size, e.Map.Width);
            // The small-input stem gives 14×14 tokens, 2×2 after three patch mergings.
            if (explainer.UsesLayer) Assert.True(e.Raw.Height == 2 && e.Raw.Width == 2, $"{arch} {method}: {e.Raw.Height}x{e.Raw.Width} grid");
            Assert.All(e.Map.Data, v => Assert.True(v is >= 0 and <= 1, $"{arch} {method}: value {v} outside [0, 1]"));
            var max = e.Map.Data.Max();
            Assert.True(max == 0 || Math.Abs(max - 1) < 1e-6, $"{arch} {method}: max {max}");
            output.WriteLine($"{arch} {method}: raw {e.Raw.Height}x{e.Raw.Width}");
        }
    }

    // swin_t itself (the parity fixture's randomised torchvision weights and its two 224 px images): 7×7×768 at
    // features.7; one forward and backward each.
    [Theory]
    [InlineData("gradcam")]
    [InlineData("gradcam++")]
    [InlineData("layercam")]
    public void SwinTMatchesPyTorchAtItsDefaultLayer(string method)
    {
        var (weights, inputPath, _) = PyTorchFixtures.For("swin_t");
        var dir = ExplainReference.Folder("swin_t-224", "swin_t", weights, "2,3,224,224", "features.7",
            "gradcam,gradcam++,layercam", inputSource: inputPath, layout: "channels_last");
        using var model = ArchitectureCatalog.Create("swin_t");
        WeightsLoader.Load(model, weights);
        ExplainReferenceChecks.Compare(method, dir, model, "features.7", grid: 7, output);
    }

    // Score-CAM runs one forward per channel: on swin_t at Width 0.25 (192 channels at features.7, 7×7 at 224 px),
    // built and randomised by the reference script; the gradient methods on it too.
    [Theory]
    [InlineData("gradcam")]
    [InlineData("gradcam++")]
    [InlineData("layercam")]
    [InlineData("scorecam")]
    public void SwinTAtQuarterWidthMatchesPyTorchAtItsDefaultLayer(string method)
    {
        var weights = Path.Combine(PyTorchFixtures.Directory, "swin_t_width0.25.pth");
        var dir = ExplainReference.Folder("swin_t_width0.25-224", "swin_t_width0.25", weights, "2,3,224,224", "features.7",
            "gradcam,gradcam++,layercam,scorecam", layout: "channels_last");
        using var model = ArchitectureCatalog.Create("swin_t", ArchitectureOptions.ImageNet with { Width = 0.25 });
        var report = WeightsLoader.Load(model, weights); // strict: the script's model is ours at Width 0.25
        Assert.Equal(model.state_dict().Count, report.Loaded.Count);
        ExplainReferenceChecks.Compare(method, dir, model, "features.7", grid: 7, output);
    }
}
