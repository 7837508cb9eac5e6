using System.Text.Json;
using Cnnc.Engine.IO;
using Cnnc.Engine.Runtime;
using Cnnc.Engine.Tests.Support;
using TorchSharp;

namespace Cnnc.Cli.Tests;

/// <summary>
/// An ImageNet-val-layout folder of real photographs (labels given by hand, see tests/fixtures/photographs.py) evaluated
/// by several models the catalog recognises from their published file names: no --arch, each with its own published
/// preprocessing, predictions equal to PyTorch's with torchvision's transforms() and ImageFolder loader.
/// </summary>
public sealed class ImageNetStudyCliTests : IDisposable
{
    private readonly string _store = Path.Combine(Path.GetTempPath(), "cnnc-study-" + Guid.NewGuid().ToString("N")[..8]);

    public ImageNetStudyCliTests() => TorchRuntime.Initialize();

    public void Dispose()
    {
        try { Directory.Delete(_store, recursive: true); } catch (IOException) { }
    }

    private static JsonElement Study => JsonDocument.Parse(File.ReadAllText(Path.Combine(PhotographFixtures.Directory, "study.json"))).RootElement;

    [Fact]
    public void EvaluateRecognisedModelsOnTheImageNetLayoutFolder()
    {
        var val = Path.Combine(PhotographFixtures.Directory, "imagenet-val", "val");
        var study = Study;
        var keys = new HashSet<string>();
        foreach (var model in study.GetProperty("models").EnumerateArray())
        {
            var weights = Path.Combine(PhotographFixtures.Directory, model.GetProperty("file").GetString()!);
            var run = CliProcess.Run("evaluate", "--weights", weights, "--trust-names", "--data", $"imagenet-val:{val}",
                "--store", _store, "--device", "cpu", "--batch-size", "4", "--json");
            Assert.True(run.ExitCode == 0, run.Stderr + run.Stdout);
            var name = model.GetProperty("weights").GetString()!;
            Assert.Contains($"torchvision's {name}", run.Stderr);
            var json = JsonDocument.Parse(run.Stdout).RootElement;
            Assert.Equal(name, json.GetProperty("published").GetProperty("weights").GetString());
            Assert.Equal(model.GetProperty("accuracy").GetDouble(), json.GetProperty("accuracy").GetDouble(), 9);
            keys.Add(json.GetProperty("preprocessing").GetString()!);

            var directory = json.GetProperty("store").GetString()!;
            using var predictions = Npy.Read(Path.Combine(directory, "predictions.npy"));
            Assert.Equal(model.GetProperty("predictions").EnumerateArray().Select(p => p.GetInt64()).ToArray(), predictions.data<long>().ToArray());
            using var probabilities = Npy.Read(Path.Combine(directory, "probabilities.npy"));
            var top5 = probabilities.topk(5).indexes;
            var expected = model.GetProperty("top5").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt64()).ToArray()).ToArray();
            for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i], top5[i].data<long>().ToArray());
        }
        Assert.Equal(2, keys.Count); // resnet50 V2 resizes to 232; resnet18 and densenet121 V1 to 256
        Assert.Equal(9, study.GetProperty("images").GetArrayLength());
    }

    [Fact]
    public void IdentifySaysWhatEachFileIsAndThatTheStudyMixesPreprocessings()
    {
        var files = Study.GetProperty("models").EnumerateArray()
            .Select(m => Path.Combine(PhotographFixtures.Directory, m.GetProperty("file").GetString()!)).ToList();
        var trusted = CliProcess.Run(new[] { "models", "identify", "--trust-names" }.Concat(files), null);
        Assert.True(trusted.ExitCode == 0, trusted.Stderr);
        Assert.Contains("resnet50-11ad3fa6.pth: torchvision's ResNet50_Weights.IMAGENET1K_V2 (acc@1 80.858 %); resnet50; resize 232, crop 224, bilinear", trusted.Stdout);
        Assert.Contains("mixed preprocessings: resize 232, crop 224, bilinear (resnet50:IMAGENET1K_V2); resize 256, crop 224, bilinear (resnet18:IMAGENET1K_V1, densenet121:IMAGENET1K_V1)", trusted.Stdout);

        // By content they are not the published files: the user's own, one note each, ImageNet's preprocessing for all.
        var hashed = CliProcess.Run(new[] { "models", "identify" }.Concat(files), null);
        Assert.Contains("resnet50-11ad3fa6.pth: not a published file (your own weights); resnet50; resize 256, crop 224, bilinear", hashed.Stdout);
        Assert.Equal(3, hashed.Stdout.Split('\n').Count(l => l.Contains("note: ") && l.Contains("is named like torchvision's")));
        Assert.DoesNotContain("mixed preprocessings", hashed.Stdout);
    }

    [Fact]
    public void PublishedListsTheCatalog()
    {
        var run = CliProcess.Run("models", "published");
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("ViT_B_16_Weights.IMAGENET1K_SWAG_E2E_V1", run.Stdout);
        Assert.Contains("115 weights of 80 architectures", run.Stdout);
    }
}
