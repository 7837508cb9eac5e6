using System.Text.Json;
using Cnnc.Engine.IO;
using Cnnc.Engine.Models;
using Cnnc.Engine.Runtime;
using Cnnc.Engine.Tests.Support;
using TorchSharp;
using Cnnc.Engine.Weights;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Cnnc.Engine.Tests.Models;

/// <summary>
/// Our ImageNet-default architectures against real PyTorch/torchvision 0.14: same state-dict keys, same parameter
/// count, and the same logits for the same weights and input.
/// </summary>
public sealed class ArchitectureParityTests
{
    private readonly ITestOutputHelper output;

    public ArchitectureParityTests(ITestOutputHelper output)
    {
        this.output = output;
        TorchRuntime.Initialize();
    }

    [Theory]
    [InlineData("alexnet")]
    [InlineData("mobilenet_v2")]
    [InlineData("resnet18")]
    [InlineData("resnet34")]
    [InlineData("resnet50")]
    [InlineData("resnet101")]
    [InlineData("resnet152")]
    [InlineData("densenet121")]
    [InlineData("densenet161")]
    [InlineData("densenet169")]
    [InlineData("densenet201")]
    [InlineData("squeezenet1_1")]
    [InlineData("shufflenet_v2_x0_5")]
    public void MatchesTorchvision(string arch)
    {
        var (weights, inputPath, logitsPath) = PyTorchFixtures.For(arch);
        using var scope = NewDisposeScope();
        using var model = ArchitectureCatalog.Create(arch);

        // Same keys (parameters and buffers, num_batches_tracked included).
        var ours = model.state_dict().Keys.ToHashSet();
        var theirs = PthKeys(weights);
        Assert.Empty(ours.Except(theirs));
        Assert.Empty(theirs.Except(ours));

        // Same parameter count as torchvision's.
        var expectedParameters = JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(weights, ".json")))
            .RootElement.GetProperty("parameters").GetInt64();
        Assert.Equal(expectedParameters, model.parameters().Sum(p => p.numel()));

        // Same logits.
        var report = WeightsLoader.Load(model, weights); // our own .pth reader, strict
        Assert.Equal(ours.Count, report.Loaded.Count);
        model.eval();
        var input = Npy.Read(inputPath);
        var expected = Npy.Read(logitsPath);
        using (no_grad())
        {
            var logits = model.call(input);
            Assert.Equal(expected.shape, logits.shape);
            var maxDiff = (logits - expected).abs().max().item<float>();
            output.WriteLine($"{arch}: max |diff| {maxDiff:E3}, max |logit| {expected.abs().max().item<float>():G4}");
            Assert.True(maxDiff < 1e-4, $"{arch}: max |ours - torchvision| = {maxDiff:E3}");
        }
    }

    private static HashSet<string> PthKeys(string path)
    {
        using var stateDict = WeightsFile.Read(path);
        return stateDict.Keys.ToHashSet();
    }
}
