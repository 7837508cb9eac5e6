using Cnnc.Engine.IO;
using Cnnc.Engine.Models;
using Cnnc.Engine.Models.Architectures;
using Cnnc.Engine.Runtime;
using Cnnc.Engine.Tests.Support;
using Cnnc.Engine.Weights;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Cnnc.Engine.Tests.Models;

/// <summary>
/// The classic CNN families of issue 13 (VGG, GoogLeNet, Inception v3, ResNeXt / Wide ResNet, SqueezeNet 1.0,
/// ShuffleNet V2, MNASNet, MobileNet V3) beyond names, shapes and logits parity (TorchvisionBuilderTests,
/// ArchitectureParityTests): small-scale runs, torchvision's published MACs, initialisation, published-file quirks
/// and input-size errors.
/// </summary>
public sealed class ClassicCnnTests
{
    private static readonly ArchitectureOptions FashionMnist = new() { NumClasses = 10, InputChannels = 1, InputSize = 28, Width = 0.25 };

    private readonly ITestOutputHelper output;

    public ClassicCnnTests(ITestOutputHelper output)
    {
        this.output = output;
        TorchRuntime.Initialize();
    }

    [Theory]
    [InlineData("vgg11_bn")]
    [InlineData("vgg19")]
    [InlineData("mobilenet_v3_small")]
    [InlineData("mobilenet_v3_large")]
    [InlineData("mnasnet0_5")]
    [InlineData("squeezenet1_0")]
    [InlineData("shufflenet_v2_x1_0")]
    [InlineData("resnext50_32x4d")]
    [InlineData("wide_resnet50_2")]
    public void SmallScaleRunsOnFashionMnistShapes(string arch)
    {
        var info = ArchitectureCatalog.Get(arch);
        using var scope = NewDisposeScope();
        using var model = info.Create(FashionMnist);
        Assert.Equal(info.DefaultTargetLayer, Cnnc.Engine.Explain.Explainer.DefaultLayer(model));
        var target = (nn.Module<Tensor, Tensor>)ModulePaths.Find(model, info.DefaultTargetLayer);
        long[]? targetShape = null;
        var remover = target.register_forward_hook((_, _, o) =>
        {
            targetShape = o.shape;
            return o;
        });

        manual_seed(0);
        using var input = randn(2, 1, 28, 28);
        model.eval();
        using (no_grad())
        {
            using var logits = model.call(input);
            Assert.Equal(new long[] { 2, 10 }, logits.shape);
            Assert.True(logits.isfinite().all().item<bool>());
        }
        remover.remove();
        output.WriteLine($"{arch}: {info.DefaultTargetLayer} output {string.Join("x", targetShape!)}, " +
                         $"{model.parameters().Sum(p => p.numel()):N0} parameters");
        Assert.True(targetShape![2] >= 2 && targetShape[3] >= 2, $"{arch}: {info.DefaultTargetLayer} is {string.Join("x", targetShape)}");

        // Training mode: a backward pass reaches the first convolution, which takes one channel.
        model.train();
        using var loss = model.call(input).square().mean();
        loss.backward();
        var first = model.parameters().First();
        Assert.Equal(1, first.shape[1]);
        Assert.NotNull(first.grad);
        Assert.True(first.grad!.abs().sum().item<float>() > 0);
    }

    // torchvision's model table ("GFLOPS", i.e. multiply-accumulates) at the published crop size, counted by our
    // hooks during one CPU forward (libtorch has no meta-device convolution).
    [Theory]
    [InlineData("vgg11", 7.61, 224)]
    [InlineData("vgg11_bn", 7.61, 224)]
    [InlineData("vgg13", 11.31, 224)]
    [InlineData("vgg16", 15.47, 224)]
    [InlineData("vgg19", 19.63, 224)]
    [InlineData("googlenet", 1.50, 224)]
    [InlineData("inception_v3", 5.71, 299)]
    [InlineData("resnext50_32x4d", 4.23, 224)]
    [InlineData("resnext101_32x8d", 16.41, 224)]
    [InlineData("resnext101_64x4d", 15.46, 224)]
    [InlineData("wide_resnet50_2", 11.40, 224)]
    [InlineData("wide_resnet101_2", 22.75, 224)]
    [InlineData("squeezenet1_0", 0.82, 224)]
    [InlineData("shufflenet_v2_x1_0", 0.14, 224)]
    [InlineData("shufflenet_v2_x1_5", 0.30, 224)]
    [InlineData("shufflenet_v2_x2_0", 0.58, 224)]
    [InlineData("mnasnet0_5", 0.10, 224)]
    [InlineData("mnasnet0_75", 0.22, 224)]
    [InlineData("mnasnet1_0", 0.31, 224)]
    [InlineData("mnasnet1_3", 0.53, 224)]
    [InlineData("mobilenet_v3_large", 0.22, 224)]
    [InlineData("mobilenet_v3_small", 0.06, 224)]
    public void MacsMatchTorchvisionTable(string arch, double publishedGigaMacs, int size)
    {
        using var model = ArchitectureCatalog.Create(arch, ArchitectureOptions.ImageNet with { InputSize = size });
        var complexity = ModelComplexity.Measure(model, 3, size, size);
        output.WriteLine($"{arch}: {complexity.GigaMacs:F4} GMACs, {complexity.Parameters:N0} parameters");
        Assert.InRange(complexity.GigaMacs, publishedGigaMacs - 0.0051, publishedGigaMacs + 0.0051);
    }

    [Fact]
    public void GoogLeNetIgnoresExactlyThePublishedFilesAuxiliaryHeads()
    {
        // The published file's extra keys (torchvision drops aux1 / aux2 after loading) are exactly these.
        var published = PyTorchFixtures.TorchvisionBuilders()["googlenet"].Weights.Single();
        var fileOnly = published.FileStateDict!.Keys.Except(published.StateDict.Keys).ToHashSet();
        Assert.True(fileOnly.SetEquals(GoogLeNet.AuxiliaryKeys), string.Join(", ", fileOnly.Order()));

        using var scope = NewDisposeScope();
        using var model = ArchitectureCatalog.Create("googlenet");
        using var source = ArchitectureCatalog.Create("googlenet");
        var file = source.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value);
        foreach (var key in fileOnly) file[key] = zeros(published.FileStateDict[key]);
        var report = WeightsLoader.Apply(model, file); // strict
        Assert.Equal(model.state_dict().Count, report.Loaded.Count);
        Assert.Empty(report.Unexpected);
        var fc = model.state_dict()["fc.weight"];
        Assert.True(fc.equal(source.state_dict()["fc.weight"]).all().item<bool>());

        // Anything else stays an error, and nothing is loaded.
        file["aux3.fc.weight"] = zeros(10, 10);
        using var fresh = ArchitectureCatalog.Create("googlenet");
        var before = fresh.state_dict()["fc.weight"].clone();
        var error = Assert.Throws<WeightsMismatchException>(() => WeightsLoader.Apply(fresh, file));
        Assert.Equal(["aux3.fc.weight"], error.Unexpected);
        Assert.True(fresh.state_dict()["fc.weight"].equal(before).all().item<bool>());
    }

    [Fact]
    public void MnasNetVersionOneCheckpointsLoadIntoAVersionOneModelAndGiveTorchvisionsLogits()
    {
        var (weights, inputPath, logitsPath) = PyTorchFixtures.For("mnasnet0_5_v1");
        using var scope = NewDisposeScope();

        // A version-2 model names the file's version instead of listing shape mismatches.
        using var current = ArchitectureCatalog.Create("mnasnet0_5");
        var error = Assert.Throws<InvalidOperationException>(() => WeightsLoader.Load(current, weights));
        Assert.Contains("version-1 MNASNet checkpoint", error.Message);
        Assert.Contains("version: 1", error.Message);

        using var model = new MNASNet(0.5, ArchitectureOptions.ImageNet, version: 1);
        WeightsLoader.Load(model, weights);
        model.eval();
        using var input = Npy.Read(inputPath);
        using var expected = Npy.Read(logitsPath);
        using (no_grad())
        {
            using var logits = model.call(input);
            var maxDiff = (logits - expected).abs().max().item<float>();
            output.WriteLine($"mnasnet0_5 version 1: max |diff| {maxDiff:E3}");
            Assert.True(maxDiff < 1e-4, $"max |ours - torchvision| = {maxDiff:E3}");
        }
    }

    [Theory]
    [InlineData("inception_v3", 64, "inception_v3 needs images of at least 75×75 pixels (got 64×64).")]
    [InlineData("googlenet", 12, "googlenet needs images of at least 15×15 pixels (got 12×12).")]
    [InlineData("vgg11", 16, "vgg11 needs images of at least 32×32 pixels (got 16×16).")]
    public void TooSmallInputsAreOneClearError(string arch, int size, string message)
    {
        using var model = ArchitectureCatalog.Create(arch, new ArchitectureOptions { NumClasses = 10, InputSize = 96, Width = 0.125 });
        model.eval();
        using var input = randn(1, 3, size, size);
        var error = Assert.Throws<ArgumentException>(() => model.call(input));
        Assert.Equal(message, error.Message);
    }

    [Theory]
    [InlineData("inception_v3", 64, "inception_v3 needs images of at least 75×75 pixels (got InputSize 64).")]
    [InlineData("googlenet", 12, "googlenet needs images of at least 15×15 pixels (got InputSize 12).")]
    public void BuildingForATooSmallInputIsOneClearError(string arch, int size, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => ArchitectureCatalog.Create(arch, new ArchitectureOptions { InputSize = size, Width = 0.125 }));
        Assert.Equal(message, error.Message);
    }

    [Theory]
    [InlineData("vgg16_bn")]
    [InlineData("mobilenet_v3_large")]
    [InlineData("mnasnet1_0")]
    [InlineData("googlenet")]
    [InlineData("inception_v3")]
    public void FreshModelFollowsTorchvisionInitialisation(string arch)
    {
        manual_seed(0);
        using var scope = NewDisposeScope();
        using var model = ArchitectureCatalog.Create(arch, ArchitectureOptions.ImageNet with { Width = 0.5, InputSize = 299 });
        var checkedWeights = 0;
        foreach (var (name, module) in model.named_modules())
        {
            switch (module)
            {
                case TorchSharp.Modules.Conv2d conv:
                {
                    var w = conv.weight!;
                    var fanOut = w.shape[0] * w.shape[2] * w.shape[3];
                    var expected = arch switch
                    {
                        "googlenet" => 0.01, // trunc_normal_(std 0.01, a −2, b 2): the cut at ±200 σ changes nothing
                        "inception_v3" => 0.1, // trunc_normal_(std 0.1, a −2, b 2): cut at ±20 σ
                        _ => Math.Sqrt(2.0 / fanOut), // kaiming_normal_(fan_out)
                    };
                    checkedWeights += CheckStd(name, w, expected);
                    if (conv.bias is not null && arch is "vgg16_bn" or "mobilenet_v3_large")
                        Assert.Equal(0f, conv.bias.abs().max().item<float>());
                    break;
                }
                case TorchSharp.Modules.BatchNorm2d bn:
                    Assert.True(bn.weight!.eq(1).all().item<bool>() && bn.bias!.eq(0).all().item<bool>(), name);
                    break;
                case TorchSharp.Modules.Linear linear:
                {
                    var w = linear.weight!;
                    var expected = arch switch
                    {
                        "googlenet" => 0.01,
                        "inception_v3" => name == "AuxLogits.fc" ? 0.001 : 0.1,
                        "mnasnet1_0" => 1 / Math.Sqrt(w.shape[0]), // kaiming_uniform_(fan_out, sigmoid gain 1)
                        _ => 0.01, // normal_(0, 0.01)
                    };
                    checkedWeights += CheckStd(name, w, expected);
                    if (arch is not ("googlenet" or "inception_v3")) Assert.Equal(0f, linear.bias!.abs().max().item<float>());
                    break;
                }
            }
        }
        Assert.True(checkedWeights >= 3, $"only {checkedWeights} weights large enough to check");
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
