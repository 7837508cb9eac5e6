using System.Text.Json;
using Cnnc.Engine.IO;
using Cnnc.Engine.Runtime;
using Cnnc.Engine.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Cli.Tests;

public sealed class CliTests
{
    public CliTests() => TorchRuntime.Initialize();

    [Fact]
    public void ModelsListPrintsEveryArchitectureWithCountedParamsAndMacs()
    {
        var result = CliProcess.Run("models", "list", "--json");
        Assert.Equal(0, result.ExitCode);
        var rows = JsonDocument.Parse(result.Stdout).RootElement.EnumerateArray().ToList();
        Assert.Equal(Cnnc.Engine.Models.ArchitectureCatalog.All.Count, rows.Count);
        var resnet18 = rows.Single(r => r.GetProperty("name").GetString() == "resnet18");
        Assert.Equal(11_689_512, resnet18.GetProperty("parameters").GetInt64()); // torchvision's resnet18
        Assert.InRange(resnet18.GetProperty("macs").GetInt64(), 1_810_000_000, 1_820_000_000);
        Assert.Equal("layer4", resnet18.GetProperty("default_target_layer").GetString());
        Assert.Equal("features.norm5", rows.Single(r => r.GetProperty("name").GetString() == "densenet121").GetProperty("default_target_layer").GetString());
        Assert.Equal("features.29", rows.Single(r => r.GetProperty("name").GetString() == "vgg16").GetProperty("default_target_layer").GetString());
    }

    [Fact]
    public void PredictWithTorchvisionWeightsMatchesPyTorchLogits()
    {
        var (weights, inputPath, logitsPath) = PyTorchFixtures.For("resnet18");
        var dir = Directory.CreateTempSubdirectory("cnnc-predict").FullName;
        try
        {
            using var input = Npy.Read(inputPath);
            var first = Path.Combine(dir, "x.npy");
            Npy.Write(first, input[0..1]);
            var outFile = Path.Combine(dir, "logits.npy");
            var result = CliProcess.Run("predict", "--arch", "resnet18", "--weights", weights, "--tensor", first, "--out", outFile, "--json");
            Assert.True(result.ExitCode == 0, result.Stderr);
            using var ours = Npy.Read(outFile);
            using var expected = Npy.Read(logitsPath);
            Assert.True((ours - expected[0..1]).abs().max().item<float>() < 1e-4);
            var top = JsonDocument.Parse(result.Stdout).RootElement.GetProperty("top5").EnumerateArray().ToList();
            Assert.Equal(5, top.Count);
            Assert.Equal(expected[0].argmax().item<long>(), top[0].GetProperty("index").GetInt64());
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Theory]
    [InlineData(new[] { "predict", "--arch", "vgg17", "--weights", "/etc/hostname", "--tensor", "x.npy" }, "error: Unknown architecture 'vgg17'. Known (")]
    [InlineData(new[] { "predict", "--arch", "resnet18", "--weights", "/nonexistent.pth", "--tensor", "x.npy" }, "error: Weights file '/nonexistent.pth' does not exist.")]
    [InlineData(new[] { "predict", "--arch", "resnet18", "--weights", "/etc/hostname", "--tensor", "x.npy" }, "error: /etc/hostname: ")]
    [InlineData(new[] { "evaluate", "--model", "resnet18", "--shard", "3/2" }, "error: Invalid shard '3/2': expected k/n with 1 <= k <= n")]
    [InlineData(new[] { "evaluate", "--model", "resnet18", "--data", "cifar" }, "error: Unknown dataset 'cifar'.")]
    [InlineData(new[] { "evaluate", "--model", "resnet18", "--corruption", "snowfall" }, "error: Unknown corruption 'snowfall'. Valid: gaussian_noise, shot_noise, ")]
    [InlineData(new[] { "evaluate", "--model", "resnet18", "--corruption", "fog", "--severity", "6" }, "error: Severity must be an integer in 1..5.")]
    [InlineData(new[] { "predict" }, "error: Name a model: --model NAME (zoo) or --weights FILE (with --arch A unless it is a torchvision published file).")]
    public void BadInputIsOneClearLineWithoutStackTrace(string[] args, string expectedStart)
    {
        var result = CliProcess.Run(args);
        Assert.Equal(1, result.ExitCode);
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith(expectedStart, lines[0]);
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    [Fact]
    public void EvaluateUnderACorruptionIsAStoreEntryOfItsOwnAndShards()
    {
        var store = Directory.CreateTempSubdirectory("cnnc-corrupt-cli").FullName;
        try
        {
            var result = CliProcess.Run("evaluate", "--model", "alexnet", "--store", store, "--corruption", "contrast", "--severity", "2",
                "--corruption-seed", "4", "--shard", "1/20", "--chunk-size", "100");
            Assert.True(result.ExitCode == 0, result.Stderr);
            Assert.Contains("shard 1/20 stored (500 images evaluated", result.Stdout);
            var entry = Assert.Single(Directory.GetDirectories(store));
            Assert.Contains("contrast-2", Path.GetFileName(entry));
            Assert.Equal(5, Directory.GetFiles(store, "chunk-*.npz", SearchOption.AllDirectories).Length); // chunks 0, 20, 40, 60, 80 of 100
        }
        finally
        {
            Directory.Delete(store, true);
        }
    }

    [Fact]
    public void DataInfoGroupsClassesByAUserHierarchyFileAndRejectsAnIncompleteOne()
    {
        var dir = Directory.CreateTempSubdirectory("cnnc-hierarchy").FullName;
        try
        {
            var good = Path.Combine(dir, "good.json");
            File.WriteAllText(good, """{"roots": {"upper": ["T-shirt/top", "Shirt", "Pullover", "Coat", "Dress"], "lower": ["Trouser"], "shoes": ["Sandal", "Sneaker", "Ankle boot"], "other": ["Bag"]}}""");
            var result = CliProcess.Run("data", "info", "--hierarchy", good);
            Assert.True(result.ExitCode == 0, result.Stderr);
            Assert.Contains("10 classes in 4 roots", result.Stdout);
            Assert.Contains("upper (5000 images): T-shirt/top 1000", result.Stdout);

            var bad = Path.Combine(dir, "bad.csv");
            File.WriteAllText(bad, "class,root\nT-shirt/top,upper\nJacket,upper\n");
            var error = CliProcess.Run("data", "info", "--hierarchy", bad);
            Assert.Equal(1, error.ExitCode);
            Assert.Contains("Jacket", error.Stderr);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
