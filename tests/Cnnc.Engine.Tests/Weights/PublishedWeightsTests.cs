using System.Globalization;
using Cnnc.Engine.Data;
using Cnnc.Engine.Models;
using Cnnc.Engine.Runtime;
using Cnnc.Engine.Tests.Data;
using Cnnc.Engine.Tests.Support;
using Cnnc.Engine.Weights;

namespace Cnnc.Engine.Tests.Weights;

/// <summary>The embedded catalog of torchvision's published weights, and recognising a file as one of them.</summary>
[Collection(Models.DefaultDeviceCollection.Name)] // one test builds on the meta device, libtorch's process-wide default
public sealed class PublishedWeightsTests : IDisposable
{
    private readonly TempDir _dir = new();

    public PublishedWeightsTests() => TorchRuntime.Initialize();

    public void Dispose() => _dir.Dispose();

    private static PublishedWeightsCatalog Catalog => PublishedWeightsCatalog.Torchvision;

    [Fact]
    public void CommittedCatalogIsWhatTheScriptWritesFromTorchvision()
    {
        var fresh = _dir.Combine("fresh.tsv");
        PyTorchFixtures.Run(Path.Combine(PyTorchFixtures.RepoRoot(), "tools", "published_weights.py"), $"--out \"{fresh}\"");
        var committed = Path.Combine(PyTorchFixtures.RepoRoot(), "Cnnc.Engine", "Weights", "Resources", "torchvision-weights.tsv");
        Assert.True(File.ReadAllText(committed) == File.ReadAllText(fresh),
            "Cnnc.Engine/Weights/Resources/torchvision-weights.tsv is stale: run /usr/bin/python3 tools/published_weights.py");
    }

    [Fact]
    public void CatalogHoldsTorchvisionsPublishedWeights()
    {
        Assert.Equal(115, Catalog.All.Count);
        Assert.Equal(80, Catalog.All.Select(e => e.Architecture).Distinct().Count());
        Assert.Equal(80, Catalog.All.Count(e => e.IsDefault));
        var r50 = Catalog.Find("ResNet50_Weights.IMAGENET1K_V2")!;
        Assert.Equal(("resnet50", "resnet50-11ad3fa6.pth", "11ad3fa6", 25557032L, 80.858, 95.434), (r50.Architecture, r50.FileName, r50.HashPrefix, r50.NumParams, r50.Acc1, r50.Acc5));
        Assert.True(r50.IsDefault);
        Assert.Equal((232, (224, 224), ResizeInterpolation.Bilinear), (r50.Preprocessing.ResizeShorterSide!.Value, r50.Preprocessing.CenterCrop!.Value, r50.Preprocessing.Interpolation));
        var vit = Catalog.Find("ViT_B_16_Weights.IMAGENET1K_SWAG_E2E_V1")!;
        Assert.Equal((384, (384, 384), ResizeInterpolation.Bicubic), (vit.Preprocessing.ResizeShorterSide!.Value, vit.Preprocessing.CenterCrop!.Value, vit.Preprocessing.Interpolation));
        var effv2 = Catalog.Find("EfficientNet_V2_L_Weights.IMAGENET1K_V1")!;
        Assert.Equal(new[] { 0.5f, 0.5f, 0.5f }, effv2.Preprocessing.Mean);
        Assert.True(double.IsNaN(Catalog.Find("VGG16_Weights.IMAGENET1K_FEATURES")!.Acc1)); // features only
        Assert.Equal("mnasnet0.5_top1_67.823-3ffadce67e.pth", Catalog.Find("MNASNet0_5_Weights.IMAGENET1K_V1")!.FileName);
        Assert.Equal("3ffadce67e", Catalog.Find("MNASNet0_5_Weights.IMAGENET1K_V1")!.HashPrefix); // 10 hex digits
    }

    [Fact]
    public void PublishedParameterCountsEqualTheEngineModels()
    {
        // For every entry: torchvision's published num_params equals our model's, built at the entry's crop size (ViT's
        // position embedding follows it: the SWAG weights at 384 and 518 have more parameters) on the meta device.
        foreach (var group in Catalog.All.GroupBy(e => (e.Architecture, Crop: e.Preprocessing.CenterCrop?.Height ?? 224)))
        {
            var info = ArchitectureCatalog.Get(group.Key.Architecture);
            var count = Models.TorchvisionBuilderTests.OnMetaDevice(() =>
            {
                using var model = info.Create(ArchitectureOptions.ImageNet with { InputSize = group.Key.Crop });
                return model.parameters().Sum(p => p.numel());
            });
            foreach (var entry in group) Assert.True(entry.NumParams == count, $"{entry.Name}: published {entry.NumParams}, ours {count}");
        }
    }

    [Fact]
    public void EveryEntryResolvesOrNamesTheMissingArchitecture()
    {
        // No second list: an entry works as soon as ArchitectureCatalog builds its architecture.
        foreach (var entry in Catalog.All)
        {
            var path = _dir.File(Path.Combine(entry.Name, entry.FileName), new byte[] { 1 });
            if (ArchitectureCatalog.Names.Contains(entry.Architecture))
            {
                var reference = ModelReference.FromWeights(path, new WeightsReferenceOptions { TrustNames = true });
                Assert.Equal((entry.Architecture, entry), (reference.Architecture, reference.Published));
                Assert.Equal(entry.Preprocessing, reference.Preprocessing);
            }
            else
            {
                var ex = Assert.Throws<ArgumentException>(() => ModelReference.FromWeights(path, new WeightsReferenceOptions { TrustNames = true }));
                Assert.Contains($"is torchvision's {entry.Name}; its architecture '{entry.Architecture}' is not built by CNNC yet", ex.Message);
            }
        }
    }

    [Fact]
    public void FileIsRecognisedByContentWhateverItsName()
    {
        // No published file can be downloaded here, so the catalog gets one more row in the embedded format: the real
        // weights of a PyTorch fixture under its own hash prefix. The same code recognises the embedded rows.
        var (weights, _, _) = PyTorchFixtures.For("resnet18");
        var sha = WeightsFile.Sha256(weights);
        var catalog = WithRow($"resnet18\tResNet18_Weights.TEST\t0\tresnet18-{sha[..8]}.pth\t{sha[..8]}\t11689512\t70.1\t89.2\t160\t128\tbicubic\t0.5,0.5,0.5\t0.25,0.25,0.25\t1,1");
        var renamed = Path.Combine(_dir.Path, "my-own-name.weights");
        File.Copy(weights, renamed);
        var reference = ModelReference.FromWeights(renamed, new WeightsReferenceOptions { Catalog = catalog });
        Assert.Equal("resnet18", reference.Architecture);
        Assert.Equal("ResNet18_Weights.TEST", reference.Published!.Name);
        Assert.Equal((160, (128, 128), ResizeInterpolation.Bicubic), (reference.Preprocessing.ResizeShorterSide!.Value, reference.Preprocessing.CenterCrop!.Value, reference.Preprocessing.Interpolation));
        Assert.Equal(new[] { 0.25f, 0.25f, 0.25f }, reference.Preprocessing.Std);
        Assert.Empty(reference.Notes);
        using var loaded = reference.Load();
        Assert.Equal(sha, loaded.Identity.WeightsSha256);
    }

    [Fact]
    public void FileNamedLikeAPublishedOneButDifferentLoadsAsTheUsersOwnWithANote()
    {
        var (weights, _, _) = PyTorchFixtures.For("resnet18");
        var path = Path.Combine(_dir.Path, "resnet18-f37072fd.pth"); // ResNet18_Weights.IMAGENET1K_V1's name
        File.Copy(weights, path);
        var reference = ModelReference.FromWeights(path);
        Assert.Null(reference.Published);
        Assert.Equal("resnet18", reference.Architecture); // from the name
        Assert.Equal(Preprocessing.ImageNet, reference.Preprocessing);
        var note = Assert.Single(reference.Notes);
        Assert.StartsWith("resnet18-f37072fd.pth is named like torchvision's ResNet18_Weights.IMAGENET1K_V1 but is not that file (its SHA-256 starts ", note);
        Assert.EndsWith("not f37072fd): loaded as your own weights.", note);
        Assert.DoesNotContain('\n', note);
        using var loaded = reference.Load();

        // Trusting names takes it for the published file (and its preprocessing) without hashing.
        var trusted = ModelReference.FromWeights(path, new WeightsReferenceOptions { TrustNames = true });
        Assert.Equal("ResNet18_Weights.IMAGENET1K_V1", trusted.Published!.Name);
        Assert.Empty(trusted.Notes);
    }

    [Fact]
    public void UnknownFileWithoutArchitectureIsAClearError()
    {
        var (weights, _, _) = PyTorchFixtures.For("resnet18");
        var path = Path.Combine(_dir.Path, "weights.pth");
        File.Copy(weights, path);
        var ex = Assert.Throws<ArgumentException>(() => ModelReference.FromWeights(path));
        Assert.StartsWith("Cannot tell the architecture of weights.pth: it is not one of torchvision's published weights files", ex.Message);
        Assert.Contains("(--arch)", ex.Message);
        Assert.Equal("resnet18", ModelReference.FromWeights(path, new WeightsReferenceOptions { Architecture = "resnet18" }).Architecture);
    }

    private static PublishedWeightsCatalog WithRow(string row)
    {
        var resource = File.ReadAllText(Path.Combine(PyTorchFixtures.RepoRoot(), "Cnnc.Engine", "Weights", "Resources", "torchvision-weights.tsv"));
        return PublishedWeightsCatalog.Parse(new StringReader(resource + row + "\n"));
    }
}
