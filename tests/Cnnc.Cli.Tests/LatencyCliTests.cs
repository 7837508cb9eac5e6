using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Cnnc.Cli.Tests;

/// <summary><c>cnnc latency</c> re-measures and replaces the stored figure; <c>cnnc report --complexity latency</c>.</summary>
public sealed class LatencyCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cnnc-latency").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void LatencyReplacesTheStoredFigureAndTheReportPlotsIt()
    {
        var store = Path.Combine(_dir, "store");
        var output = Path.Combine(_dir, "report.html");
        var report = CliProcess.Run("report", "--out", output, "--models", "alexnet", "--store", store, "--complexity", "latency");
        Assert.True(report.ExitCode == 0, report.Stderr);
        var html = File.ReadAllText(output);
        Assert.Contains("Batch-1 latency", html);
        Assert.DoesNotContain("#!cnnc", html);
        var meta = Directory.EnumerateFiles(store, "meta.json", SearchOption.AllDirectories).Single();
        Assert.Equal("evaluation", (string)JsonNode.Parse(File.ReadAllText(meta))!["timing"]!["measured_by"]!);

        var result = CliProcess.Run("latency", "--models", "alexnet", "--store", store);
        Assert.True(result.ExitCode == 0, result.Stderr);
        var line = result.Stdout.Trim();
        Assert.StartsWith("alexnet", line);
        Assert.Matches(new Regex(@"quartiles [0-9.]+–[0-9.]+ ms, ±[0-9.]+ % over \d+ runs · \d+ img/s \(batch \d+, cpu, \d+ threads\) · load [0-9.]+, \d+ other runnable on \d+ cores"), line);

        var timing = JsonNode.Parse(File.ReadAllText(meta))!["timing"]!;
        Assert.Equal("latency", (string)timing["measured_by"]!);
        var reliable = (bool)timing["reliable"]!;
        // The printed line says what the store says: a clean number, or ⚠ with the stored reason.
        Assert.Equal(!reliable, line.Contains("⚠"));
        if (!reliable) Assert.Contains((string)timing["unreliable_reason"]!, line);
        Assert.True((double)timing["batch1_lower_quartile_ms"]! <= (double)timing["batch1_milliseconds"]!);
    }

    [Fact]
    public void LatencyOfAnUnevaluatedModelIsOneLine()
    {
        var result = CliProcess.Run("latency", "--models", "alexnet", "--store", Path.Combine(_dir, "empty"));
        Assert.Equal(1, result.ExitCode);
        Assert.Matches(new Regex("^error: No evaluation on '[^']+' yet for alexnet: evaluate first \\(cnnc evaluate --model MODEL, or cnnc report\\)\\.$"),
            result.Stderr.Trim());
    }
}
