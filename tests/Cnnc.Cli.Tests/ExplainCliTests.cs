using System.Text.Json;
using Cnnc.Engine.Data;
using Cnnc.Engine.Explain;
using Cnnc.Engine.IO;
using Cnnc.Engine.Models;
using Cnnc.Engine.Runtime;
using Cnnc.Engine.Weights;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace Cnnc.Cli.Tests;

public sealed class ExplainCliTests : IDisposable
{
    private static readonly ArchitectureOptions Small = new() { NumClasses = 10, InputChannels = 1, InputSize = 28, Width = 0.25 };
    private readonly string _dir = Directory.CreateTempSubdirectory("cnnc-explain-cli").FullName;
    private readonly string _weights;

    public ExplainCliTests()
    {
        TorchRuntime.Initialize();
        random.manual_seed(5);
        using var model = ArchitectureCatalog.Create("resnet18", Small);
        _weights = Path.Combine(_dir, "resnet18.safetensors");
        WeightsWriter.Save(model, _weights);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string[] ModelArgs => new[]
    {
        "--arch", "resnet18", "--weights", _weights, "--num-classes", "10", "--in-channels", "1", "--input-size", "28",
        "--width", "0.25", "--device", "cpu",
    };

    [Fact]
    public void TensorInputWritesTheSameMapAsTheEngine()
    {
        var input = Path.Combine(_dir, "x.npy");
        using (var x = randn(1, 1, 28, 28)) Npy.Write(input, x);
        var map = Path.Combine(_dir, "map.npy");
        var png = Path.Combine(_dir, "overlay.png");
        var result = CliProcess.Run(ModelArgs.Prepend("explain")
            .Concat(new[] { "--tensor", input, "--method", "Grad-CAM++", "--class", "3", "--out", map, "--overlay", png }).ToArray());
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Single(result.Stdout.Trim().Split('\n'));
        var json = JsonDocument.Parse(result.Stdout).RootElement;
        Assert.Equal("gradcam++", json.GetProperty("method").GetString());
        Assert.Equal("layer4", json.GetProperty("layer").GetString());
        Assert.Equal(3, json.GetProperty("class").GetInt32());
        Assert.InRange(json.GetProperty("prediction").GetInt32(), 0, 9);
        Assert.True(json.GetProperty("ms").GetDouble() > 0);

        using var written = Npy.Read(map);
        Assert.Equal(ScalarType.Float32, written.dtype);
        Assert.Equal(new long[] { 28, 28 }, written.shape);
        using var model = ArchitectureCatalog.Create("resnet18", Small);
        WeightsLoader.Load(model, _weights);
        using var x2 = Npy.Read(input);
        var expected = new GradCamPlusPlus().Explain(model, x2, target: 3);
        using var expectedMap = expected.Map.ToTensor();
        Assert.True((written - expectedMap).abs().max().item<float>() < 1e-5);
        Assert.Equal(expected.Score, json.GetProperty("score").GetSingle(), 4);
        var overlay = ImageDecoder.Decode(png);
        Assert.Equal((28, 28, 3), (overlay.Width, overlay.Height, overlay.Channels));
    }

    [Fact]
    public void ImageInputIsPreprocessedAndErrorsAreOneLine()
    {
        var image = Path.Combine(_dir, "img.png");
        using (var png = new Image<L8>(40, 40))
        {
            for (var y = 10; y < 30; y++)
            for (var x = 10; x < 30; x++) png[x, y] = new L8(255);
            png.SaveAsPng(image);
        }
        var ok = CliProcess.Run(ModelArgs.Prepend("explain").Concat(new[] { "--image", image, "--method", "eigencam" }).ToArray());
        Assert.True(ok.ExitCode == 0, ok.Stderr);
        var json = JsonDocument.Parse(ok.Stdout).RootElement;
        Assert.Equal(28, json.GetProperty("height").GetInt32()); // resized to the model's 28x28
        Assert.Equal(json.GetProperty("prediction").GetInt32(), json.GetProperty("class").GetInt32());

        var badLayer = CliProcess.Run(ModelArgs.Prepend("explain").Concat(new[] { "--image", image, "--layer", "layer9" }).ToArray());
        Assert.Equal(1, badLayer.ExitCode);
        Assert.Contains("Unknown layer 'layer9'", badLayer.Stderr);
        Assert.Contains("layer4", badLayer.Stderr);
        Assert.Single(badLayer.Stderr.Trim().Split('\n'));
        var badMethod = CliProcess.Run(ModelArgs.Prepend("explain").Concat(new[] { "--image", image, "--method", "cam" }).ToArray());
        Assert.Equal(1, badMethod.ExitCode);
        Assert.Contains("rise", badMethod.Stderr);
        var both = CliProcess.Run(ModelArgs.Prepend("explain").ToArray());
        Assert.Equal(1, both.ExitCode);
        Assert.Contains("--image", both.Stderr);
    }
}
