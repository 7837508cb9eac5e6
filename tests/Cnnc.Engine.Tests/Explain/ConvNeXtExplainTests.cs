using Cnnc.Engine.Models;
using Cnnc.Engine.Runtime;
using Cnnc.Engine.Tests.Support;
using Cnnc.Engine.Weights;
using Xunit.Abstractions;

namespace Cnnc.Engine.Tests.Explain;

/// <summary>
/// ConvNeXt is explainable at its default layer (<c>features.7</c>): all ten methods on small-scale members, and equal
/// to the independent PyTorch computation (tests/fixtures/explain_reference.py): ConvNeXt-T itself (parity-fixture
/// weights and images, 7×7 at 224 px) for Grad-CAM, Grad-CAM++ and LayerCAM, one forward and backward each; and
/// ConvNeXt-T at Width 0.25 for those and Score-CAM, whose one forward per channel of features.7 (768 at full width)
/// took the PyTorch side over five minutes of CI even on a single 64 px image.
/// </summary>
public sealed class ConvNeXtExplainTests
{
    private readonly ITestOutputHelper output;

    public ConvNeXtExplainTests(ITestOutputHelper output)
    {
        this.output = output;
        TorchRuntime.Initialize();
    }

    // 28 px greyscale, width 0.25: a 3×3 grid at features.7 (small-input stem).
    [Theory]
    [InlineData("convnext_tiny", 28, 1, 0.25)]
    [InlineData("convnext_small", 28, 1, 0.25)]
    public void AllTenMethodsRunAtTheDefaultLayer(string arch, int size, int channels, double width) =>
        new ClassicCnnExplainTests(output).AllTenMethodsRunAtTheDefaultLayer(arch, size, channels, width);

    [Theory]
    [InlineData("gradcam")]
    [InlineData("gradcam++")]
    [InlineData("layercam")]
    public void ConvNeXtTinyMatchesPyTorchAtItsDefaultLayer(string method)
    {
        var (weights, inputPath, _) = PyTorchFixtures.For("convnext_tiny");
        var dir = ExplainReference.Folder("convnext_tiny-224", "convnext_tiny", weights, "2,3,224,224", "features.7",
            "gradcam,gradcam++,layercam", inputSource: inputPath);
        using var model = ArchitectureCatalog.Create("convnext_tiny");
        WeightsLoader.Load(model, weights);
        ExplainReferenceChecks.Compare(method, dir, model, "features.7", grid: 7, output);
    }

    [Theory]
    [InlineData("gradcam")]
    [InlineData("gradcam++")]
    [InlineData("layercam")]
    [InlineData("scorecam")]
    public void ConvNeXtTinyAtQuarterWidthMatchesPyTorchAtItsDefaultLayer(string method)
    {
        var weights = Path.Combine(PyTorchFixtures.Directory, "convnext_tiny_width0.25.pth");
        var dir = ExplainReference.Folder("convnext_tiny_width0.25-224", "convnext_tiny_width0.25", weights, "2,3,224,224",
            "features.7", "gradcam,gradcam++,layercam,scorecam");
        using var model = ArchitectureCatalog.Create("convnext_tiny", ArchitectureOptions.ImageNet with { Width = 0.25 });
        var report = WeightsLoader.Load(model, weights); // strict: the script's model is ours at Width 0.25
        Assert.Equal(model.state_dict().Count, report.Loaded.Count);
        ExplainReferenceChecks.Compare(method, dir, model, "features.7", grid: 7, output);
    }
}
