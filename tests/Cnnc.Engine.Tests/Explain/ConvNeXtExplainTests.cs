using Cnnc.Engine.Runtime;
using Xunit.Abstractions;

namespace Cnnc.Engine.Tests.Explain;

/// <summary>
/// ConvNeXt is explainable at its default layer (<c>features.7</c>): all ten methods on small-scale members, and
/// ConvNeXt-T (parity-fixture weights) equal to the independent PyTorch computation for Grad-CAM, Grad-CAM++, LayerCAM
/// and Score-CAM. The reference runs on one 64 px image (2×2 at features.7), not 224 px: Score-CAM's 768 masked
/// forwards of ConvNeXt-T at 224 px would take minutes on each side.
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
    [InlineData("scorecam")]
    public void ConvNeXtTinyMatchesPyTorchAtItsDefaultLayer(string method) =>
        ExplainReferenceChecks.MatchesPyTorch("convnext_tiny", "1,3,64,64", method, parityInput: false, output);
}
