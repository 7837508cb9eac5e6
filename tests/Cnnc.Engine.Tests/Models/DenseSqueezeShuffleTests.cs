using System.Collections;
using System.Text.Json;
using Cnnc.Engine.IO;
using Cnnc.Engine.Models;
using Cnnc.Engine.Runtime;
using Cnnc.Engine.Tests.Support;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Cnnc.Engine.Tests.Models;

/// <summary>DenseNet, SqueezeNet 1.1 and ShuffleNet V2 at small scale (parity with torchvision: ArchitectureParityTests).</summary>
public sealed class DenseSqueezeShuffleTests
{
    private readonly ITestOutputHelper output;

    public DenseSqueezeShuffleTests(ITestOutputHelper output)
    {
        this.output = output;
        TorchRuntime.Initialize();
    }

    [Theory]
    [InlineData("densenet121")]
    [InlineData("densenet161")]
    [InlineData("densenet169")]
    [InlineData("densenet201")]
    [InlineData("squeezenet1_1")]
    [InlineData("shufflenet_v2_x0_5")]
    public void SmallScaleRunsOnFashionMnistShapes(string arch)
    {
        var info = ArchitectureCatalog.Get(arch);
        var options = new ArchitectureOptions { NumClasses = 10, InputChannels = 1, InputSize = 28, Width = 0.25 };
        using var scope = NewDisposeScope();
        using var model = info.Create(options);
        var target = model.named_modules().Where(m => m.name == info.DefaultTargetLayer).Select(m => m.module).SingleOrDefault();
        Assert.NotNull(target);
        var hooked = Assert.IsAssignableFrom<nn.Module<Tensor, Tensor>>(target);
        long[]? targetShape = null;
        var remover = hooked.register_forward_hook((_, _, output) =>
        {
            targetShape = output.shape;
            return output;
        });

        manual_seed(0);
        using var input = randn(2, 1, 28, 28);
        using var logits = model.call(input);
        remover.remove();
        Assert.Equal(new long[] { 2, 10 }, logits.shape);
        Assert.True(logits.isfinite().all().item<bool>());
        Assert.NotNull(targetShape);
        output.WriteLine($"{arch}: {info.DefaultTargetLayer} output {string.Join("x", targetShape!)}");
        Assert.Equal(2, targetShape![0]);
        Assert.True(targetShape[2] >= 2 && targetShape[3] >= 2,
            $"{arch}: {info.DefaultTargetLayer} output is {string.Join("x", targetShape)}");

        // Training mode too: a backward pass reaches the first convolution.
        model.train();
        using var loss = model.call(input).square().mean();
        loss.backward();
        var firstGrad = model.parameters().First().grad;
        Assert.NotNull(firstGrad);
        Assert.Equal(1, model.parameters().First().shape[1]); // InputChannels = 1 in the first conv
    }

    [Theory]
    [InlineData("densenet121")]
    [InlineData("squeezenet1_1")]
    [InlineData("shufflenet_v2_x0_5")]
    public void FreshModelFollowsTorchvisionInitialisation(string arch)
    {
        manual_seed(0);
        using var scope = NewDisposeScope();
        using var model = ArchitectureCatalog.Create(arch);
        var checkedWeights = 0;
        foreach (var (name, module) in model.named_modules())
        {
            switch (module)
            {
                case TorchSharp.Modules.Conv2d conv:
                {
                    var fanIn = conv.weight.shape.Skip(1).Aggregate(1L, (a, b) => a * b);
                    var expected = arch switch
                    {
                        "densenet121" => Math.Sqrt(2.0 / fanIn), // kaiming_normal_
                        "squeezenet1_1" when name == "classifier.1" => 0.01, // normal_(0, 0.01)
                        "squeezenet1_1" => Math.Sqrt(2.0 / fanIn), // kaiming_uniform_
                        _ => 1.0 / Math.Sqrt(3.0 * fanIn), // PyTorch's default (kaiming_uniform_, a = sqrt(5))
                    };
                    checkedWeights += CheckStd(name + ".weight", conv.weight, expected);
                    if (conv.bias is not null && arch == "squeezenet1_1")
                        Assert.Equal(0f, conv.bias.abs().max().item<float>());
                    break;
                }
                case TorchSharp.Modules.BatchNorm2d bn:
                    Assert.Equal(1f, bn.weight!.min().item<float>());
                    Assert.Equal(1f, bn.weight!.max().item<float>());
                    Assert.Equal(0f, bn.bias!.abs().max().item<float>());
                    break;
                case TorchSharp.Modules.Linear linear:
                {
                    var fanIn = linear.weight.shape[1];
                    checkedWeights += CheckStd(name + ".weight", linear.weight, 1.0 / Math.Sqrt(3.0 * fanIn));
                    if (arch == "densenet121") Assert.Equal(0f, linear.bias!.abs().max().item<float>());
                    else Assert.True(linear.bias!.abs().max().item<float>() > 0);
                    break;
                }
            }
        }
        Assert.True(checkedWeights > 0);
    }

    /// <summary>Checks a large enough weight's standard deviation within 10 %; returns 1 when checked.</summary>
    private static int CheckStd(string name, Tensor weight, double expected)
    {
        if (weight.numel() < 2000) return 0;
        var std = weight.std().item<float>();
        Assert.True(Math.Abs(std / expected - 1) < 0.1, $"{name}: std {std}, expected {expected}");
        Assert.True(Math.Abs(weight.mean().item<float>()) < 0.1 * expected, $"{name}: mean not near 0");
        return 1;
    }
}
