using System.Text.Json;
using Cnnc.Engine.IO;
using Cnnc.Engine.Runtime;
using static TorchSharp.torch;

namespace Cnnc.Cli.Tests;

/// <summary>
/// The analysis subcommands of <c>cnnc bench</c> (used by tools/benchmark.sh): they print one JSON line and write the
/// result they timed, which must be the right one. No timing is asserted.
/// </summary>
public sealed class BenchCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cnnc-bench-cli").FullName;

    public BenchCliTests() => TorchRuntime.Initialize();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, Tensor t)
    {
        var path = Path.Combine(_dir, name);
        Npy.Write(path, t);
        t.Dispose();
        return path;
    }

    private static JsonElement Line(CliProcess.Result result)
    {
        Assert.True(result.ExitCode == 0, result.Stderr);
        var json = JsonDocument.Parse(result.Stdout.Trim().Split('\n')[^1]).RootElement;
        Assert.True(json.GetProperty("median_ms").GetDouble() >= 0);
        Assert.True(json.GetProperty("peak_rss_mb").GetDouble() > 0);
        return json;
    }

    [Fact]
    public void Forward_warms_up_for_the_time_asked_and_reports_the_first_call_and_the_90th_percentile()
    {
        var json = Line(CliProcess.Run("bench", "forward", "--arch", "resnet18", "--size", "32", "--repeat", "10",
            "--warmup-seconds", "0.5"));
        Assert.True(json.GetProperty("first_ms").GetDouble() > 0);
        // Calls of a 32x32 resnet18 forward take milliseconds: half a second of warm-up is many more than the minimum two.
        Assert.True(json.GetProperty("warmup_calls").GetInt32() > 2, json.ToString());
        var (min, p90, max) = (json.GetProperty("min_ms").GetDouble(), json.GetProperty("p90_ms").GetDouble(), json.GetProperty("max_ms").GetDouble());
        Assert.InRange(p90, min, max);

        var once = Line(CliProcess.Run("bench", "forward", "--arch", "resnet18", "--size", "32", "--repeat", "1",
            "--warmup-seconds", "0"));
        Assert.Equal(2, once.GetProperty("warmup_calls").GetInt32());
        Assert.Equal(once.GetProperty("max_ms").GetDouble(), once.GetProperty("p90_ms").GetDouble());
    }

    [Theory]
    [InlineData("--repeat", "0", "--repeat must be at least 1 (got 0).")]
    [InlineData("--warmup-seconds", "-1", "--warmup-seconds must be a non-negative number of seconds (got -1).")]
    public void Bad_repeat_or_warm_up_is_a_one_line_error(string option, string value, string message)
    {
        var result = CliProcess.Run("bench", "forward", "--arch", "resnet18", "--size", "32", option, value);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(message, result.Stderr);
    }

    [Fact]
    public void Algorithm1WritesTheHandComputedDistances()
    {
        // Class 0: two images, class 1 and 2: one each. Before symmetrising, row c = 1 - mean probability rows of class c.
        var p = Write("p.npy", tensor(new float[] { 0.8f, 0.1f, 0.1f, 0.6f, 0.3f, 0.1f, 0.3f, 0.6f, 0.1f, 0.1f, 0.1f, 0.8f }).reshape(4, 3));
        var y = Write("y.npy", tensor(new long[] { 0, 0, 1, 2 }));
        var output = Path.Combine(_dir, "d.npy");
        var json = Line(CliProcess.Run("bench", "algorithm1", "--probabilities", p, "--labels", y, "--out", output, "--repeat", "1"));
        Assert.Equal("algorithm1", json.GetProperty("what").GetString());
        Assert.Equal(3, json.GetProperty("classes").GetInt32());
        using var d = Npy.Read(output);
        var v = d.to(ScalarType.Float64).data<double>().ToArray();
        // Row 0: [0, 0.8, 0.9]; row 1: [0.7, 0, 0.9]; row 2: [0.9, 0.9, 0]; then (D + Dᵀ) / 2.
        var expected = new[] { 0, 0.75, 0.9, 0.75, 0, 0.9, 0.9, 0.9, 0 };
        for (var i = 0; i < 9; i++) Assert.Equal(expected[i], v[i], 6);
    }

    [Fact]
    public void SimilarityScoresIdenticalMapsAsOneAndTsneReportsItsRun()
    {
        var maps = new float[3, 32, 32];
        for (var y = 0; y < 32; y++)
        for (var x = 0; x < 32; x++)
        {
            maps[0, y, x] = maps[1, y, x] = (float)Math.Max(0, 1 - Math.Sqrt((x - 10) * (x - 10) + (y - 10) * (y - 10)) / 8);
            maps[2, y, x] = (float)Math.Max(0, 1 - Math.Sqrt((x - 22) * (x - 22) + (y - 20) * (y - 20)) / 8);
        }
        var file = Write("maps.npy", tensor(maps));
        var output = Path.Combine(_dir, "s.npy");
        var json = Line(CliProcess.Run("bench", "similarity", "--maps", file, "--rule", "ssim", "--out", output, "--repeat", "1"));
        Assert.Equal(3, json.GetProperty("pairs").GetInt32());
        using (var s = Npy.Read(output))
        {
            var v = s.data<double>().ToArray();
            Assert.Equal(1.0, v[1], 9);
            Assert.True(v[2] < 0.5, $"distant bumps should not look alike (SSIM {v[2]})");
        }

        var distances = new double[8 * 8];
        for (var i = 0; i < 8; i++)
        for (var j = 0; j < 8; j++) distances[i * 8 + j] = i == j ? 0 : (i / 4 == j / 4 ? 0.2 : 1.0);
        var d = Write("d.npy", tensor(distances).reshape(8, 8));
        var tsne = Line(CliProcess.Run("bench", "tsne", "--distances", d, "--iterations", "300", "--repeat", "1"));
        Assert.Equal(300, tsne.GetProperty("iterations").GetInt32());
        Assert.True(double.IsFinite(tsne.GetProperty("kl_divergence").GetDouble()));
    }
}
