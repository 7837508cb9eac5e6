using Cnnc.Engine.Models;
using Cnnc.Engine.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Tests.Models;

/// <summary>Each architecture's head, run on its head layer's captured output, gives the network's own logits.</summary>
public sealed class ClassifierHeadTests
{
    public ClassifierHeadTests() => TorchRuntime.Initialize();

    [Theory]
    [InlineData("alexnet", 28)]
    [InlineData("alexnet", 96)]
    [InlineData("mobilenet_v2", 28)]
    [InlineData("resnet18", 28)]
    [InlineData("resnet50", 28)]
    [InlineData("densenet121", 28)]
    [InlineData("squeezenet1_1", 28)]
    [InlineData("shufflenet_v2_x0_5", 28)]
    // Issue 13, classic CNNs.
    [InlineData("vgg11", 28)]
    [InlineData("vgg16_bn", 28)]
    [InlineData("vgg11", 96)]
    [InlineData("googlenet", 64)]
    [InlineData("inception_v3", 80)]
    [InlineData("resnext50_32x4d", 28)]
    [InlineData("squeezenet1_0", 28)]
    [InlineData("shufflenet_v2_x1_0", 28)]
    [InlineData("mnasnet0_5", 28)]
    [InlineData("mobilenet_v3_small", 28)]
    [InlineData("mobilenet_v3_large", 28)]
    public void HeadOfTheDefaultLayersOutputGivesTheLogits(string arch, int size)
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var options = new ArchitectureOptions { NumClasses = 10, InputChannels = 1, InputSize = size, Width = 0.25 };
        using var model = ArchitectureCatalog.Create(arch, options);
        model.eval();
        var head = Assert.IsAssignableFrom<IClassifierHead>(model);
        Assert.Equal(ArchitectureCatalog.Get(arch).DefaultTargetLayer, head.HeadInputLayer);

        var layer = (nn.Module<Tensor, Tensor>)ModulePaths.Find(model, head.HeadInputLayer);
        Tensor? captured = null;
        var hook = layer.register_forward_hook((_, _, output) => { captured = output.clone().DetachFromDisposeScope(); return null!; });
        var input = randn(2, 1, size, size);
        using var mode = inference_mode();
        var logits = model.call(input);
        hook.remove();
        Assert.NotNull(captured);
        var fromHead = head.Head(captured!);
        Assert.Equal(logits.shape, fromHead.shape);
        Assert.True((fromHead - logits).abs().max().item<float>() < 1e-5f, $"{arch}: head differs from forward");
        captured!.Dispose();
    }
}
