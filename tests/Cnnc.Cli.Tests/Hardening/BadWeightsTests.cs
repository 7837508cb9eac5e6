using System.Text;
using Cnnc.Engine.Runtime;
using Cnnc.Engine.Weights;
using TorchSharp;

namespace Cnnc.Cli.Tests.Hardening;

/// <summary>
/// Weights files that do not fit or are not what they claim: each ends in one line naming the problem, and a pickle
/// naming a foreign global is refused without running it.
/// </summary>
public sealed class BadWeightsTests : Hardening
{
    public BadWeightsTests() => TorchRuntime.Initialize();

    /// <summary>predict with the zoo resnet18's architecture options and <paramref name="weights"/>.</summary>
    private string[] Predict(string weights) => new[]
    {
        "predict", "--arch", "resnet18", "--weights", weights, "--num-classes", "10", "--in-channels", "1",
        "--input-size", "28", "--width", "0.25", "--image", Write("shirt.png", Png(28, 28)), "--json",
    };

    /// <summary>The zoo resnet18's tensors, changed by <paramref name="edit"/>, written as safetensors.</summary>
    private string Edited(string name, Action<Dictionary<string, torch.Tensor>> edit)
    {
        using var original = SafeTensors.Read(ZooWeights());
        var tensors = original.ToDictionary(p => p.Key, p => p.Value);
        edit(tensors);
        var path = Path.Combine(Dir, name);
        SafeTensors.Write(path, tensors);
        return path;
    }

    [Fact]
    public void TheUneditedCopyLoads()
    {
        // The control for the cases below: the same path with nothing changed predicts.
        Assert.Contains("top5", Succeeds(Predict(Edited("same.safetensors", _ => { }))));
    }

    [Fact]
    public void MissingKeysAreNamed()
    {
        var path = Edited("missing.safetensors", t => t.Remove("fc.weight"));
        FailsWithOneLine(Predict(path), "fc.weight", "missing");
    }

    [Fact]
    public void UnexpectedKeysAreNamed()
    {
        var path = Edited("unexpected.safetensors", t => t["extra.head.weight"] = torch.zeros(3));
        FailsWithOneLine(Predict(path), "extra.head.weight", "unexpected");
    }

    [Fact]
    public void WrongShapesAreNamedWithBothShapes()
    {
        var path = Edited("shape.safetensors", t => t["fc.weight"] = torch.zeros(7, 64));
        FailsWithOneLine(Predict(path), "fc.weight", "7");
    }

    [Fact]
    public void AnotherArchitecturesWeightsNameTheirArchitecture()
    {
        // The zoo's resnet18 file, told it is resnet34: the line names the architecture whose keys the file has.
        var args = Predict(Edited("resnet18-as-34.safetensors", _ => { }));
        args[Array.IndexOf(args, "resnet18")] = "resnet34";
        FailsWithOneLine(args, "nothing was loaded", "These weights look like resnet18, not resnet34: build resnet18 for them (--arch resnet18).");
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.02)]
    public void TruncatedFileIsOneLine(double keep)
    {
        var bytes = File.ReadAllBytes(ZooWeights());
        var path = Write("truncated.safetensors", bytes[..(int)(bytes.Length * keep)]);
        FailsWithOneLine(Predict(path), "truncated.safetensors");
    }

    [Fact]
    public void SafetensorsHeaderLyingAboutSizesIsRefusedBeforeAllocating()
    {
        // The header claims a 4 GB tensor; the file holds 16 bytes of data.
        var header = "{\"conv1.weight\":{\"dtype\":\"F32\",\"shape\":[1000000,1000],\"data_offsets\":[0,4000000000]}}";
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = BitConverter.GetBytes((ulong)json.Length).Concat(json).Concat(new byte[16]).ToArray();
        var line = FailsWithOneLine(Predict(Write("lying.safetensors", bytes)), "lying.safetensors");
        Assert.Contains("conv1.weight", line);
    }

    [Fact]
    public void PthWhosePickleCallsOsSystemIsRefusedAndNeverRuns()
    {
        var marker = Path.Combine(Dir, "MARKER-must-not-exist");
        var path = Path.Combine(Dir, "evil.pth");
        Python(
            "import os, sys, torch\n" +
            "class Payload:\n" +
            "    def __reduce__(self):\n" +
            "        return (os.system, ('touch ' + sys.argv[2],))\n" +
            "torch.save({'fc.weight': torch.zeros(10, 64), 'payload': Payload()}, sys.argv[1])\n", path, marker);
        var line = FailsWithOneLine(Predict(path), "evil.pth");
        Assert.Contains("system", line);
        Assert.False(File.Exists(marker), "the pickle's payload ran");
    }

    [Fact]
    public void ATextFileIsNotWeights()
    {
        FailsWithOneLine(Predict(Write("weights.pth", "not a checkpoint\n"u8.ToArray())), "weights.pth");
    }
}
