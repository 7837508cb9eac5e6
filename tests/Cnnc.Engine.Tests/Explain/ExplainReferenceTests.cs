using Cnnc.Engine.Explain;
using Cnnc.Engine.IO;
using Cnnc.Engine.Models;
using Cnnc.Engine.Runtime;
using Cnnc.Engine.Tests.Support;
using Cnnc.Engine.Weights;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Cnnc.Engine.Tests.Explain;

/// <summary>
/// Each method against an independent plain-PyTorch computation (tests/fixtures/explain_reference.py, torch 1.13) on
/// the same weights and inputs: a tiny GAP+linear network and torchvision's resnet18 (parity fixture weights).
/// </summary>
public sealed class ExplainReferenceTests
{
    private readonly ITestOutputHelper output;

    public ExplainReferenceTests(ITestOutputHelper output)
    {
        this.output = output;
        TorchRuntime.Initialize();
    }

    public static TheoryData<string> SmallNetMethods => new()
    {
        "gradcam", "gradcam++", "xgradcam", "layercam", "eigencam", "scorecam", "ablationcam", "bbmp",
    };

    [Theory]
    [MemberData(nameof(SmallNetMethods))]
    public void SmallNetMatchesPyTorch(string method)
    {
        var (model, input, dir) = ExplainReference.SmallNet();
        using (model)
        using (input)
        {
            var explanations = ExplainerCatalog.Create(method).ExplainBatch(model, input, layer: "features");
            Compare(method, dir, explanations, mapTolerance: method == "bbmp" ? 2e-3 : 1e-4);
        }
    }

    [Theory]
    [InlineData("smoothgradcam++")]
    [InlineData("gradcam++")]
    [InlineData("layercam")]
    [InlineData("scorecam")]
    [InlineData("rise")]
    public void SmallNetConvolutionLayerMatchesPyTorch(string method)
    {
        // TorchSharp's CPU generator gives PyTorch's streams for the same seed, so the seeded methods can be compared.
        var (model, input, dir) = ExplainReference.SmallNet("features.2");
        using (model)
        using (input)
        {
            var explainer = method == "rise" ? new Rise { Masks = 500 } : ExplainerCatalog.Create(method);
            var explanations = explainer.ExplainBatch(model, input, layer: "features.2");
            Compare(method, dir, explanations, mapTolerance: 1e-4);
        }
    }

    public static TheoryData<string> ResNetMethods => new() { "gradcam", "gradcam++", "xgradcam", "layercam", "eigencam" };

    [Theory]
    [MemberData(nameof(ResNetMethods))]
    public void ResNet18MatchesPyTorch(string method)
    {
        var (weights, inputPath, _) = PyTorchFixtures.For("resnet18");
        var dir = ExplainReference.Folder("resnet18-224", "resnet18", weights, "2,3,224,224", "layer4",
            "gradcam,gradcam++,xgradcam,layercam,eigencam", inputSource: inputPath);
        using var model = ArchitectureCatalog.Create("resnet18");
        WeightsLoader.Load(model, weights);
        using var input = Npy.Read(Path.Combine(dir, "input.npy"));
        var explanations = ExplainerCatalog.Create(method).ExplainBatch(model, input); // default layer: layer4
        Assert.All(explanations, e => Assert.Equal("layer4", e.Layer));
        Compare(method, dir, explanations, mapTolerance: 1e-4);
    }

    [Theory]
    [InlineData("scorecam")]
    [InlineData("ablationcam")]
    public void ResNet18SmallInputMatchesPyTorch(string method)
    {
        var (weights, _, _) = PyTorchFixtures.For("resnet18");
        var dir = ExplainReference.Folder("resnet18-64", "resnet18", weights, "1,3,64,64", "layer4", "scorecam,ablationcam");
        using var model = ArchitectureCatalog.Create("resnet18");
        WeightsLoader.Load(model, weights);
        using var input = Npy.Read(Path.Combine(dir, "input.npy"));
        var explanations = ExplainerCatalog.Create(method).ExplainBatch(model, input, layer: "layer4");
        Compare(method, dir, explanations, mapTolerance: 1e-4);
    }

    private void Compare(string method, string dir, IReadOnlyList<Explanation> explanations, double mapTolerance)
    {
        using var expectedMaps = Npy.Read(Path.Combine(dir, method + ".map.npy"));
        using var expectedRaw = Npy.Read(Path.Combine(dir, method + ".raw.npy"));
        using var targets = Npy.Read(Path.Combine(dir, "targets.npy"));
        using var logits = Npy.Read(Path.Combine(dir, "logits.npy"));
        for (var i = 0; i < explanations.Count; i++)
        {
            var e = explanations[i];
            Assert.Equal(targets[i].item<long>(), e.TargetClass);
            Assert.Equal(e.TargetClass, e.PredictedClass);
            Assert.Equal(logits[i, e.TargetClass].item<float>(), e.Score, 3);
            using var map = e.Map.ToTensor();
            using var raw = e.Raw.ToTensor();
            var mapDiff = (map - expectedMaps[i]).abs().max().item<float>();
            var scale = Math.Max(expectedRaw[i].abs().max().item<float>(), 1e-12f);
            var rawDiff = (raw - expectedRaw[i]).abs().max().item<float>() / scale;
            output.WriteLine($"{method} image {i}: raw[0,0] ours {e.Raw[0, 0]:R} reference {expectedRaw[i, 0, 0].item<float>():R}");
            output.WriteLine($"{method} image {i}: max |map diff| {mapDiff:E2}, max |raw diff| / max |raw| {rawDiff:E2}, raw max {scale:E2}");
            Assert.True(mapDiff <= mapTolerance, $"{method} image {i}: map differs by {mapDiff:E3}");
            Assert.True(rawDiff <= 10 * mapTolerance, $"{method} image {i}: raw map differs by {rawDiff:E3} of its scale");
        }
    }
}
