using Cnnc.Engine.Models;
using Cnnc.Engine.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Tests.Models;

public sealed class ModelComplexityTests
{
    public ModelComplexityTests() => TorchRuntime.Initialize();

    // torchvision's model table ("GFLOPS", which torchvision counts as multiply-accumulates, 224x224 input).
    [Theory]
    [InlineData("alexnet", 0.71)]
    [InlineData("mobilenet_v2", 0.30)]
    [InlineData("resnet18", 1.81)]
    [InlineData("resnet34", 3.66)]
    [InlineData("resnet50", 4.09)]
    [InlineData("resnet101", 7.80)]
    [InlineData("resnet152", 11.51)]
    [InlineData("densenet121", 2.83)]
    [InlineData("densenet161", 7.73)]
    [InlineData("densenet169", 3.36)]
    [InlineData("densenet201", 4.29)]
    [InlineData("squeezenet1_1", 0.35)]
    [InlineData("shufflenet_v2_x0_5", 0.04)]
    public void MacsMatchTorchvisionTable(string arch, double publishedGigaMacs)
    {
        using var model = ArchitectureCatalog.Create(arch);
        var complexity = ModelComplexity.Measure(model, 3, 224, 224);
        // The table rounds to two decimals.
        Assert.InRange(complexity.GigaMacs, publishedGigaMacs - 0.0051, publishedGigaMacs + 0.0051);
        Assert.Equal(model.parameters().Sum(p => p.numel()), complexity.Parameters);
    }

    [Fact]
    public void CountsConvAndLinearMacsByHand()
    {
        // conv 3->8, 3x3, padding 1 on 10x10: 8*10*10 outputs x 3*3*3 MACs = 21600; linear 800 -> 5: 4000.
        using var model = nn.Sequential(
            ("conv", nn.Conv2d(3, 8, 3, padding: 1)),
            ("flatten", nn.Flatten()),
            ("fc", nn.Linear(800, 5)));
        var complexity = ModelComplexity.Measure(model, 3, 10, 10);
        Assert.Equal(21600 + 4000, complexity.Macs);
        Assert.Equal(8 * 27 + 8 + 800 * 5 + 5, complexity.Parameters);
    }

    [Fact]
    public void GroupedConvolutionDividesByGroups()
    {
        using var model = nn.Sequential(("dw", nn.Conv2d(8, 8, 3, padding: 1, groups: 8, bias: false)));
        Assert.Equal(8 * 6 * 6 * 9, ModelComplexity.Measure(model, 8, 6, 6).Macs);
    }

    [Fact]
    public void MeasuringLeavesNoHookAndRestoresTrainingMode()
    {
        using var model = nn.Sequential(("conv", nn.Conv2d(1, 2, 3)), ("flatten", nn.Flatten()), ("fc", nn.Linear(2 * 4 * 4, 3)));
        model.train();
        var first = ModelComplexity.Measure(model, 1, 6, 6);
        var second = ModelComplexity.Measure(model, 1, 6, 6);
        Assert.Equal(first.Macs, second.Macs); // a hook left behind would count twice
        Assert.True(model.training);
    }
}
