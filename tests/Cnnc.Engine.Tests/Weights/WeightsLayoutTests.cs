using Cnnc.Engine.IO;
using Cnnc.Engine.Models;
using Cnnc.Engine.Runtime;
using Cnnc.Engine.Tests.Support;
using Cnnc.Engine.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Tests.Weights;

/// <summary>
/// Files in the layouts people have — torchvision's published DenseNet key names, DataParallel / DDP "module."
/// prefixes, nested and training checkpoints (model / model_ema) — written by Debian's PyTorch
/// (tests/fixtures/weights_layouts.py), load and give PyTorch's logits.
/// </summary>
public sealed class WeightsLayoutTests
{
    private static readonly Lazy<string> Root = new(() =>
    {
        var dir = Path.Combine(PyTorchFixtures.Directory, "layouts");
        PyTorchFixtures.Generate(Path.Combine(dir, "done"),
            () => PyTorchFixtures.Run(Path.Combine(PyTorchFixtures.RepoRoot(), "tests", "fixtures", "weights_layouts.py"), $"--out \"{dir}\""));
        return dir;
    });

    public WeightsLayoutTests() => TorchRuntime.Initialize();

    private static string FileOf(string name) => Path.Combine(Root.Value, name);

    private static void AssertLogits(ModelReference reference, string logitsFile)
    {
        using var scope = NewDisposeScope();
        using var loaded = reference.Load();
        using var input = Npy.Read(FileOf("input.npy"));
        using var expected = Npy.Read(FileOf(logitsFile));
        using var inference = inference_mode();
        var logits = loaded.Module.call(input);
        var max = (logits - expected).abs().max().item<float>();
        Assert.True(max < 1e-3f * Math.Max(1f, expected.abs().max().item<float>()), $"{logitsFile}: max |diff| {max}");
    }

    [Fact]
    public void DenseNetLegacyKeyNamesUnderThePublishedNameLoadWithoutArch()
    {
        var reference = ModelReference.FromWeights(FileOf("densenet121-a639ec97.pth"));
        Assert.Equal("densenet121", reference.Architecture);
        Assert.Null(reference.Published); // named like DenseNet121_Weights.IMAGENET1K_V1, other content
        Assert.Contains("is named like torchvision's DenseNet121_Weights.IMAGENET1K_V1 but is not that file", Assert.Single(reference.Notes));
        AssertLogits(reference, "densenet121-a639ec97.logits.npy");
    }

    [Theory]
    [InlineData("dataparallel")]
    [InlineData("ddp")]
    public void ModulePrefixNeedsStripPrefixAndSaysSo(string name)
    {
        var plain = ModelReference.FromWeights(FileOf(name + ".pth"), new WeightsReferenceOptions { Architecture = "resnet18" });
        var ex = Assert.Throws<WeightsMismatchException>(() => plain.Load());
        Assert.EndsWith("Every key in the file starts with 'module.' (a DataParallel / DistributedDataParallel checkpoint): " +
                        "remove it with --strip-prefix module. (WeightsLoadOptions.StripPrefix).", ex.Message);
        var stripped = ModelReference.FromWeights(FileOf(name + ".pth"), new WeightsReferenceOptions { Architecture = "resnet18", StripPrefix = "module." });
        AssertLogits(stripped, name + ".logits.npy");
    }

    [Fact]
    public void NestedStateDictLoads() =>
        AssertLogits(ModelReference.FromWeights(FileOf("nested.pth"), new WeightsReferenceOptions { Architecture = "resnet18" }), "nested.logits.npy");

    [Fact]
    public void TrainingCheckpointLoadsModelByDefaultAndModelEmaOnRequest()
    {
        var path = FileOf("train_checkpoint.pth");
        AssertLogits(ModelReference.FromWeights(path, new WeightsReferenceOptions { Architecture = "resnet18" }), "train_checkpoint.model.logits.npy");
        AssertLogits(ModelReference.FromWeights(path, new WeightsReferenceOptions { Architecture = "resnet18", CheckpointEntry = "model_ema" }),
            "train_checkpoint.model_ema.logits.npy");
        var missing = ModelReference.FromWeights(path, new WeightsReferenceOptions { Architecture = "resnet18", CheckpointEntry = "ema" });
        var ex = Assert.Throws<InvalidDataException>(() => missing.Load());
        Assert.Contains("the checkpoint has no dict entry 'ema' (top-level keys 'model', 'optimizer', 'lr_scheduler', 'epoch', 'args', 'model_ema')", ex.Message);
    }

    [Fact]
    public void LayoutsPeopleHaveAreRecognisedAsTheLoaderReadsThem()
    {
        // torchvision's pre-0.3 DenseNet names, renamed as the loader renames them.
        var densenet = ArchitectureRecognition.ShapesOf(FileOf("densenet121-a639ec97.pth"));
        Assert.Contains(densenet.Keys, k => k.Contains(".norm.1."));
        Assert.Equal(new[] { "densenet121" }, ArchitectureRecognition.Matching(densenet));
        // DataParallel's "module.": nobody's keys, unless the option that strips it is given.
        var dataParallel = ArchitectureRecognition.ShapesOf(FileOf("dataparallel.pth"));
        Assert.Empty(ArchitectureRecognition.Matching(dataParallel));
        Assert.Equal(new[] { "resnet18" }, ArchitectureRecognition.Matching(dataParallel, new WeightsLoadOptions(StripPrefix: "module.")));
        // A training checkpoint's model_ema (AveragedModel: "n_averaged" and "module."), undone without options.
        var ema = ArchitectureRecognition.ShapesOf(FileOf("train_checkpoint.pth"), new WeightsLoadOptions(Entry: "model_ema"));
        Assert.Contains("n_averaged", ema.Keys);
        Assert.Equal(new[] { "resnet18" }, ArchitectureRecognition.Matching(ema));
    }
}
