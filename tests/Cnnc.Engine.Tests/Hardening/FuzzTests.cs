using System.Diagnostics;
using Cnnc.Engine.Data;
using Cnnc.Engine.Runtime;
using Cnnc.Engine.Tests.Data;
using Cnnc.Engine.Weights;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace Cnnc.Engine.Tests.Hardening;

/// <summary>
/// A short, seeded fuzz run of the image and weights readers: random mutations of valid files (bit flips, overwritten
/// runs, truncation, inserted and deleted bytes, copied blocks). Every outcome must be a decoded result or the reader's
/// one documented exception — never another exception type, a hang or a crash. Bounded by iterations and time.
/// </summary>
public sealed class FuzzTests : IDisposable
{
    private const int Iterations = 250;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(8);
    private readonly TempDir _dir = new();

    public FuzzTests() => TorchRuntime.Initialize();

    public void Dispose() => _dir.Dispose();

    public static TheoryData<string> ImageFormats() => new() { "png", "jpeg", "gif", "bmp" };

    [Theory]
    [MemberData(nameof(ImageFormats))]
    public void MutatedImagesDecodeOrFailWithImageDecodeException(string format)
    {
        IImageEncoder encoder = format switch
        {
            "png" => new PngEncoder(),
            "jpeg" => new JpegEncoder { Quality = 85 },
            "gif" => new GifEncoder(),
            _ => new BmpEncoder(),
        };
        using var image = new Image<Rgb24>(24, 20);
        for (var y = 0; y < 20; y++)
            for (var x = 0; x < 24; x++)
                image[x, y] = new Rgb24((byte)(x * 10), (byte)(y * 12), (byte)(x * y));
        using var ms = new MemoryStream();
        image.Save(ms, encoder);
        var valid = ms.ToArray();
        Assert.Equal(24, ImageDecoder.Decode(_dir.File("valid." + format, valid)).Width);

        var outcomes = Fuzz(valid, format, path =>
        {
            try
            {
                var decoded = ImageDecoder.Decode(path);
                Assert.True(decoded.Width > 0 && decoded.Height > 0);
                return "decoded";
            }
            catch (ImageDecodeException e)
            {
                Assert.Contains(path, e.Message);
                return e.Reason.ToString();
            }
        });
        // The mutations must reach the error paths, or the run proves nothing.
        Assert.True(outcomes.Keys.Count(k => k != "decoded") >= 1, string.Join(", ", outcomes));
    }

    public static TheoryData<string> WeightFormats() => new() { "safetensors", "torchsharp", "pth-zip", "pth-legacy" };

    [Theory]
    [MemberData(nameof(WeightFormats))]
    public void MutatedWeightFilesReadOrFailWithInvalidDataException(string format)
    {
        var path = _dir.Combine("valid." + format);
        var tensors = new Dictionary<string, Tensor>
        {
            ["conv.weight"] = arange(0, 54, dtype: ScalarType.Float32).reshape(2, 3, 3, 3),
            ["conv.bias"] = tensor(new[] { 0.5f, -1f }),
            ["bn.num_batches_tracked"] = tensor(7L),
            ["fc.weight"] = ones(4, 2, dtype: ScalarType.Float64),
        };
        switch (format)
        {
            case "safetensors":
                SafeTensors.Write(path, tensors);
                break;
            case "torchsharp":
                TorchSharpFormat.Write(path, tensors);
                break;
            default:
                Py.Run("import sys, torch\n" +
                       "sd = {'conv.weight': torch.arange(54.).reshape(2, 3, 3, 3), 'conv.bias': torch.tensor([0.5, -1.0]),\n" +
                       "      'bn.num_batches_tracked': torch.tensor(7), 'fc.weight': torch.ones(4, 2, dtype=torch.float64)}\n" +
                       "torch.save(sd, sys.argv[1], _use_new_zipfile_serialization=(sys.argv[2] == 'zip'))\n",
                    $"\"{path}\" {(format == "pth-zip" ? "zip" : "legacy")}");
                break;
        }
        using (var read = WeightsFile.Read(path))
            Assert.Equal(1431f, read["conv.weight"].sum().item<float>(), 3); // 0 + 1 + … + 53

        var valid = File.ReadAllBytes(path);
        var outcomes = Fuzz(valid, format, file =>
        {
            try
            {
                using var state = WeightsFile.Read(file);
                foreach (var (_, t) in state) _ = t.numel();
                return "read";
            }
            catch (InvalidDataException)
            {
                return "invalid";
            }
        });
        Assert.True(outcomes.GetValueOrDefault("invalid") >= 1, string.Join(", ", outcomes));
    }

    /// <summary>
    /// Applies seeded mutations to <paramref name="valid"/>, calls <paramref name="read"/> on each mutant file and tallies
    /// its outcome. Any exception escaping <paramref name="read"/> fails the test naming the seed that reproduces it.
    /// </summary>
    private Dictionary<string, int> Fuzz(byte[] valid, string name, Func<string, string> read)
    {
        var outcomes = new Dictionary<string, int>();
        var clock = Stopwatch.StartNew();
        for (var seed = 0; seed < Iterations && clock.Elapsed < Budget; seed++)
        {
            var mutant = Mutate(valid, new Random(seed * 7919 + name.Length));
            var path = _dir.File($"mutant-{name}-{seed}.bin", mutant);
            string outcome;
            try
            {
                outcome = read(path);
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException)
            {
                throw new Xunit.Sdk.XunitException($"{name} mutant seed {seed} ({mutant.Length} bytes) escaped as {e.GetType().Name}: {e.Message}");
            }
            finally
            {
                File.Delete(path);
            }
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }
        Assert.True(outcomes.Values.Sum() >= 30, $"only {outcomes.Values.Sum()} mutants in {Budget.TotalSeconds} s");
        return outcomes;
    }

    private static byte[] Mutate(byte[] valid, Random random)
    {
        var bytes = new List<byte>(valid);
        var edits = 1 + random.Next(4);
        for (var e = 0; e < edits && bytes.Count > 1; e++)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(6))
            {
                case 0: // flip bits
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1: // overwrite a run with random or extreme bytes
                    var run = Math.Min(1 + random.Next(8), bytes.Count - at);
                    var fill = random.Next(3);
                    for (var i = 0; i < run; i++)
                        bytes[at + i] = fill == 0 ? (byte)0xFF : fill == 1 ? (byte)0 : (byte)random.Next(256);
                    break;
                case 2: // truncate
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 3: // insert bytes
                    bytes.InsertRange(at, Enumerable.Range(0, 1 + random.Next(16)).Select(_ => (byte)random.Next(256)));
                    break;
                case 4: // delete bytes
                    bytes.RemoveRange(at, Math.Min(1 + random.Next(16), bytes.Count - at));
                    break;
                default: // copy a block elsewhere
                    var length = Math.Min(1 + random.Next(32), bytes.Count - at);
                    var block = bytes.GetRange(at, length);
                    bytes.InsertRange(random.Next(bytes.Count), block);
                    break;
            }
        }
        return bytes.ToArray();
    }
}
