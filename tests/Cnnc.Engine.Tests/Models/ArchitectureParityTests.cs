using System.Collections;
using System.Text.Json;
using Cnnc.Engine.IO;
using Cnnc.Engine.Models;
using Cnnc.Engine.Runtime;
using Cnnc.Engine.Tests.Support;
using TorchSharp;
using TorchSharp.PyBridge;
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
        model.load_py(weights, strict: true);
        model.eval();
        var input = Npy.Read(inputPath);
        var expected = Npy.Read(logitsPath);
        using (no_grad())
        {
            var logits = model.call(input);
            Assert.Equal(expected.shape, logits.shape);
            var maxDiff = (logits - expected).abs().max().item<float>();
            var scale = expected.abs().max().item<float>();
            // Below 1e-4 absolute, or 1e-5 relative to the largest logit where logits exceed 10. The fixtures' random
            // BatchNorm statistics do not normalise the Kaiming-initialised activations, so deep ResNets' logits grow
            // to 1e3 (resnet50) ... 3e11 (resnet152); there float32 round-off (PyTorch 1.13 vs libtorch 2.x kernels)
            // alone is ~2e-6 relative. A structural error is O(1) relative.
            output.WriteLine($"{arch}: max |diff| {maxDiff:E3}, max |logit| {scale:G4}, relative {maxDiff / scale:E2}");
            Assert.True(maxDiff < 1e-5 * Math.Max(10.0, scale),
                $"{arch}: max |ours - torchvision| = {maxDiff:E3}, relative {maxDiff / scale:E2} (max |logit| {scale:G4})");
        }
    }

    private static HashSet<string> PthKeys(string path)
    {
        using var stream = File.OpenRead(path);
        var table = PyTorchUnpickler.UnpickleStateDict(stream);
        var keys = new HashSet<string>();
        foreach (DictionaryEntry entry in table)
        {
            keys.Add((string)entry.Key);
            (entry.Value as IDisposable)?.Dispose();
        }
        return keys;
    }
}
