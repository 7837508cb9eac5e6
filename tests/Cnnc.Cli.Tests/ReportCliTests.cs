using System.Text.RegularExpressions;

namespace Cnnc.Cli.Tests;

public sealed class ReportCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cnnc-report").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void ReportIsOneOfflinePageWithOverviewCompareAndInspect()
    {
        var output = Path.Combine(_dir, "report.html");
        var result = CliProcess.Run(new[]
        {
            "report", "--out", output, "--models", "resnet18,alexnet", "--store", Path.Combine(_dir, "store"),
            "--compare-class", "Shirt", "--inspect-model", "resnet18", "--inspect-classes", "Coat", "--rows", "6",
            "--inspect-method", "gradcam", "--title", "Shirts & coats",
        }, null);
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.StartsWith("wrote " + output, result.Stdout.Trim());
        var html = File.ReadAllText(output);
        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.Contains("<title>Shirts &amp; coats</title>", html);
        // plotly.js inlined exactly once, from Plotly.NET; no script is fetched from anywhere.
        Assert.Single(Regex.Matches(html, "cnnc: plotly.js inlined"));
        Assert.DoesNotMatch(new Regex("<script[^>]+src=", RegexOptions.IgnoreCase), html);
        Assert.Contains("<h2>Overview (paper 5.1)</h2>", html);
        Assert.Contains("<h2>Compare: Shirt (paper 6.1)</h2>", html);
        Assert.Contains("<h2>Inspect: resnet18 on Coat (paper 6.2)</h2>", html);
        foreach (var section in new[] { "Significance: McNemar and bootstrap intervals", "Calibration", "Agreement and error overlap" })
            Assert.Contains($"<h2>{section}</h2>", html);
        Assert.Matches("<h2>Confusion: (resnet18|alexnet)</h2>", html);
        Assert.Contains("resnet18", html);
        Assert.Contains("alexnet", html);
        // Inspect's page: 6 rows of Coat images, each with a PNG heatmap.
        Assert.True(Regex.Matches(html, "data:image/png;base64,").Count >= 6 + 2);
        // The CLI does it without the notebook extension: neither it nor .NET Interactive is a dependency of cnnc.
        var deps = File.ReadAllText(Path.Combine(Path.GetDirectoryName(CliProcess.Dll)!, "cnnc.deps.json"));
        Assert.Contains("\"Cnnc.Views/", deps);
        Assert.DoesNotContain("Cnnc.Interactive", deps);
        Assert.DoesNotContain("Microsoft.DotNet.Interactive", deps);
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(CliProcess.Dll)!, "Cnnc.Interactive.dll")));
    }

    [Fact]
    public void InspectWithoutClassesIsOneLine()
    {
        var result = CliProcess.Run("report", "--out", Path.Combine(_dir, "r.html"), "--inspect-model", "resnet18");
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("error: An inspect section needs both a model and at least one class.", result.Stderr.Trim());
        Assert.False(File.Exists(Path.Combine(_dir, "r.html")));
    }
}
