using Cnnc.Engine.Runtime;
using Xunit.Abstractions;

namespace Cnnc.Engine.Tests.Explain;

/// <summary>
/// RegNet is explainable at its default layer (<c>trunk_output.block4</c>): all ten methods on small-scale X and Y
/// members, and RegNetY-400MF (parity-fixture weights, its 2×3×224×224 input) equal to the independent PyTorch
/// computation for Grad-CAM, Grad-CAM++, LayerCAM and Score-CAM.
/// </summary>
public sealed class RegNetExplainTests
{
    private readonly ITestOutputHelper output;

    public RegNetExplainTests(ITestOutputHelper output)
    {
        this.output = output;
        TorchRuntime.Initialize();
    }

    // 28 px greyscale, width 0.25: a 4×4 grid at trunk_output.block4 (small-input stem).
    [Theory]
    [InlineData("regnet_y_400mf", 28, 1, 0.25)]
    [InlineData("regnet_x_400mf", 28, 1, 0.25)]
    public void AllTenMethodsRunAtTheDefaultLayer(string arch, int size, int channels, double width) =>
        new ClassicCnnExplainTests(output).AllTenMethodsRunAtTheDefaultLayer(arch, size, channels, width);

    [Theory]
    [InlineData("gradcam")]
    [InlineData("gradcam++")]
    [InlineData("layercam")]
    [InlineData("scorecam")]
    public void RegNetY400MFMatchesPyTorchAtItsDefaultLayer(string method) =>
        ExplainReferenceChecks.MatchesPyTorch("regnet_y_400mf", "2,3,224,224", method, parityInput: true, output);
}
