using Cnnc.Engine.Models;
using Cnnc.Engine.Runtime;

namespace Cnnc.Engine.Tests.Models;

public sealed class ModulePathsTests
{
    public ModulePathsTests() => TorchRuntime.Initialize();

    [Theory]
    [InlineData("alexnet")]
    [InlineData("mobilenet_v2")]
    [InlineData("resnet18")]
    [InlineData("resnet50")]
    [InlineData("densenet121")]
    [InlineData("squeezenet1_1")]
    [InlineData("shufflenet_v2_x0_5")]
    public void DefaultTargetLayerExists(string arch)
    {
        var info = ArchitectureCatalog.Get(arch);
        using var model = info.Create();
        Assert.Contains(info.DefaultTargetLayer, ModulePaths.All(model));
        Assert.NotNull(ModulePaths.Find(model, info.DefaultTargetLayer));
    }

    [Fact]
    public void UnknownLayerListsValidOnes()
    {
        using var model = ArchitectureCatalog.Create("resnet18");
        var error = Assert.Throws<ArgumentException>(() => ModulePaths.Find(model, "layer4.9"));
        Assert.Contains("Unknown layer 'layer4.9'", error.Message);
        Assert.Contains("layer4.0", error.Message);
        Assert.Contains("conv1", error.Message);
    }

    [Fact]
    public void UnknownArchitectureListsKnownOnesByFamily()
    {
        var error = Assert.Throws<ArgumentException>(() => ArchitectureCatalog.Get("vgg17"));
        Assert.Contains("Unknown architecture 'vgg17'", error.Message);
        Assert.Contains($"Known ({ArchitectureCatalog.All.Count}): ", error.Message);
        foreach (var family in ArchitectureCatalog.Families)
            Assert.Contains($"{family.Key}: {string.Join(", ", family.Select(a => a.Name))}", error.Message);
    }
}
