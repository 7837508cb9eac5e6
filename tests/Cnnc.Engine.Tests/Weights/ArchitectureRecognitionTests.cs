using Cnnc.Engine.Models;
using Cnnc.Engine.Runtime;
using Cnnc.Engine.Tests.Support;
using Cnnc.Engine.Weights;
using static TorchSharp.torch;

namespace Cnnc.Engine.Tests.Weights;

/// <summary>
/// A checkpoint of another builder (resnet50's file with --arch resnet18) is refused with an error that names the
/// builder whose state dict its keys are, from torchvision's layouts; nothing is loaded.
/// </summary>
public sealed class ArchitectureRecognitionTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("cnnc-recognition-").FullName;

    public ArchitectureRecognitionTests() => TorchRuntime.Initialize();

    public void Dispose() => Directory.Delete(dir, recursive: true);

    /// <summary>A randomly initialised <paramref name="architecture"/> written as safetensors.</summary>
    private string WeightsOf(string architecture, ArchitectureOptions? options = null)
    {
        using var model = ArchitectureCatalog.Create(architecture, options);
        var path = Path.Combine(dir, architecture + ".safetensors");
        WeightsWriter.Save(model, path);
        return path;
    }

    private static WeightsMismatchException LoadFails(string architecture, string path, ArchitectureOptions? options = null) =>
        Assert.Throws<WeightsMismatchException>(() => ModelReference.FromFile(architecture, path, options).Load());

    [Fact]
    public void TheEmbeddedLayoutsAreTorchvisionsAndEachNamesItsBuilderAlone()
    {
        var expected = PyTorchFixtures.TorchvisionBuilders().Builders
            .SelectMany(b => b.Weights.SelectMany(w => new[] { w.StateDict, w.FileStateDict }).OfType<IReadOnlyDictionary<string, long[]>>()
                .Select(layout => (b.Name, Layout: layout)))
            .ToList();
        var embedded = ArchitectureRecognition.TorchvisionLayouts;
        Assert.Equal(80, embedded.Select(l => l.Architecture).Distinct().Count());
        foreach (var (name, layout) in expected)
        {
            Assert.Contains(embedded, l => l.Architecture == name && l.Shapes.Count == layout.Count &&
                                           layout.All(kv => l.Shapes.TryGetValue(kv.Key, out var s) && s.SequenceEqual(kv.Value)));
            Assert.Equal(new[] { name }, ArchitectureRecognition.Matching(layout));
        }
        foreach (var layout in embedded) // and nothing else: each embedded layout is one of torchvision's
            Assert.Contains(expected, e => e.Name == layout.Architecture && e.Layout.Count == layout.Shapes.Count &&
                                           e.Layout.All(kv => layout.Shapes.TryGetValue(kv.Key, out var s) && s.SequenceEqual(kv.Value)));
    }

    [Theory]
    [InlineData("resnet50", "resnet18")]
    [InlineData("resnext50_32x4d", "resnet50")] // the same key names: told apart by shapes
    [InlineData("wide_resnet50_2", "resnext50_32x4d")]
    [InlineData("efficientnet_b0", "mobilenet_v2")]
    public void AnotherBuildersWeightsAreNamedAndNothingIsLoaded(string theirs, string asked)
    {
        var ex = LoadFails(asked, WeightsOf(theirs));
        Assert.StartsWith($"{dir}/{theirs}.safetensors: the weights do not fit the model; nothing was loaded.", ex.Message);
        Assert.EndsWith($"These weights look like {theirs}, not {asked}: build {theirs} for them (--arch {theirs}).", ex.Message);
    }

    [Fact]
    public void OtherClassesAndChannelsStillTellTheBuilder()
    {
        // A Fashion-MNIST-like model: 10 classes, greyscale. Head and stem differ from every layout; the rest decides.
        var greyscale = ArchitectureOptions.ImageNet with { NumClasses = 10, InputChannels = 1, InputSize = 28 };
        var ex = LoadFails("densenet169", WeightsOf("densenet121", greyscale), greyscale);
        Assert.EndsWith("These weights look like densenet121, not densenet169: build densenet121 for them (--arch densenet121).", ex.Message);
    }

    [Fact]
    public void TheRightBuilderWithOtherOptionsGetsNoLookAlikeHint()
    {
        // resnet18's own keys with a 10-class head: the mismatch is the classes, not the architecture.
        var ex = LoadFails("resnet18", WeightsOf("resnet18", ArchitectureOptions.ImageNet with { NumClasses = 10 }));
        Assert.Contains("fc.weight: model [1000, 512], file [10, 512]", ex.Message);
        Assert.DoesNotContain("look like", ex.Message);
    }

    [Fact]
    public void KeysOfNoBuilderMatchNothing()
    {
        var shapes = ArchitectureRecognition.TorchvisionLayouts.First(l => l.Architecture == "resnet18").Shapes
            .ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Equal(new[] { "resnet18" }, ArchitectureRecognition.Matching(shapes));
        shapes.Remove("fc.bias");
        Assert.Empty(ArchitectureRecognition.Matching(shapes));
        Assert.Null(ArchitectureRecognition.LookAlikeHint("resnet34", shapes));
    }

    [Fact]
    public void ResourceFormatErrorsNameTheLine()
    {
        var ex = Assert.Throws<FormatException>(() => ArchitectureRecognition.Parse(new StringReader("# comment\nconv1.weight\t64,3,7,7\n")));
        Assert.Equal("State-dict layouts, line 2: 'conv1.weight\t64,3,7,7' is not 'key<TAB>shape' inside a layout.", ex.Message);
    }
}
