using System.Text.Json;
using Cnnc.Engine.IO;
using Cnnc.Engine.Runtime;
using static TorchSharp.torch;

namespace Cnnc.Cli.Tests;

public sealed class AnalysisCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cnnc-analysis-cli").FullName;

    public AnalysisCliTests() => TorchRuntime.Initialize();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A radial bump of the given radius centred at (cx, cy) on a 32x32 grid, peak 1.</summary>
    private string Bump(string name, double cx, double cy, double radius)
    {
        var values = new float[32 * 32];
        for (var y = 0; y < 32; y++)
        for (var x = 0; x < 32; x++)
            values[y * 32 + x] = (float)Math.Max(0, 1 - Math.Sqrt((x - cx) * (x - cx) + (y - cy) * (y - cy)) / radius);
        var path = Path.Combine(_dir, name + ".npy");
        using var t = tensor(values).reshape(32, 32);
        Npy.Write(path, t);
        return path;
    }

    [Fact]
    public void SimilarityPrintsASymmetricMatrixWithOnesOnTheDiagonal()
    {
        var a = Bump("a", 10, 10, 8);
        var b = Bump("b", 22, 20, 8);
        var result = CliProcess.Run("similarity", "--rule", "ssim", a, Path.Combine(_dir, "a.npy"), b);
        Assert.True(result.ExitCode == 0, result.Stderr);
        var json = JsonDocument.Parse(result.Stdout).RootElement;
        var m = json.GetProperty("matrix").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        Assert.Equal(3, m.Length);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(1.0, m[i][i], 9);
            for (var j = 0; j < 3; j++) Assert.Equal(m[i][j], m[j][i], 12);
        }
        Assert.Equal(1.0, m[0][1], 9);  // the same map twice
        Assert.True(m[0][2] < 0.5, $"distant bumps should not look alike (SSIM {m[0][2]})");
        Assert.Equal("ssim", json.GetProperty("rule").GetString());
    }

    [Fact]
    public void ContoursOfARadialBumpAreCirclesAndTheOverlayIsAPng()
    {
        var map = Bump("bump", 16, 16, 12);
        var overlay = Path.Combine(_dir, "overlay.png");
        var result = CliProcess.Run("contours", "--map", map, "--threshold", "0.5", "--levels", "2", "--sigma", "0", "--overlay", overlay);
        Assert.True(result.ExitCode == 0, result.Stderr);
        var json = JsonDocument.Parse(result.Stdout).RootElement;
        var first = json.GetProperty("lines").EnumerateArray().First(l => l.GetProperty("level_index").GetInt32() == 0);
        var xs = first.GetProperty("x").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var ys = first.GetProperty("y").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        // Level 0.5 of 1 - r/12 lies at r = 6 (sub-pixel interpolation makes it exact up to linear error).
        Assert.All(xs.Zip(ys), p => Assert.InRange(Math.Sqrt((p.First - 16) * (p.First - 16) + (p.Second - 16) * (p.Second - 16)), 5.8, 6.2));
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(overlay)[..4]);
    }

    [Fact]
    public void BadRuleIsOneClearLine()
    {
        var a = Bump("a", 10, 10, 8);
        var result = CliProcess.Run("similarity", "--rule", "cosine", a, a);
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error: ", result.Stderr);
        Assert.Contains("cosine", result.Stderr);
    }

    [Fact]
    public void DistributionOfAZooModelWritesAlgorithm1DistancesAndTsnePoints()
    {
        var outDir = Path.Combine(_dir, "distribution");
        var result = CliProcess.Run("distribution", "--model", "squeezenet1_1", "--store", Path.Combine(_dir, "store"), "--out", outDir);
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var distances = Npy.Read(Path.Combine(outDir, "distances.npy"));
        Assert.Equal(new long[] { 10, 10 }, distances.shape);
        Assert.True(distances.allclose(distances.t(), rtol: 0, atol: 1e-6));
        Assert.Equal(0.0, distances.diagonal().abs().max().item<double>(), 9);
        Assert.InRange(distances.max().item<double>(), 0.5, 1.0); // mean (1 - p_j) over a class: at most 1
        var points = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "points.json"))).RootElement;
        Assert.Equal(10, points.GetProperty("points").GetArrayLength());
        Assert.True(double.IsFinite(points.GetProperty("kl_divergence").GetDouble()));
        Assert.Equal(11, File.ReadAllLines(Path.Combine(outDir, "points.csv")).Length);
    }
}
