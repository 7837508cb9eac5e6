using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Cnnc.Notebooks.Tests;

/// <summary>
/// The walkthrough notebooks as executed by the real hosts (Jupyter + .NET kernel, dotnet-repl): no cell fails, every
/// code cell ran, the outputs each cell declares are there, and the overview charts were built by Plotly.NET inside
/// the host (whose FSharp.Core 10.0 the extension's resolver must make do for Plotly.NET's 10.1).
/// </summary>
[Collection("notebooks")]
public sealed class NotebookTests(NotebookRuns runs)
{
    /// <summary>Marker of the inlined plotly.js (Cnnc.Views.PlotlyJs.Marker).</summary>
    private const string PlotlyMarker = "cnnc: plotly.js inlined";

    public static TheoryData<string, string> Cases => Repo.HostsAndNotebooks();
    public static TheoryData<string, string> OverviewCases => Repo.HostsAndOverviewNotebooks();

    [Fact]
    public void Every_walkthrough_notebook_is_covered()
    {
        Assert.Contains("01-overview", Repo.Notebooks);
        Assert.Contains("02-compare-models-on-one-image", Repo.Notebooks);
        Assert.Contains("03-investigate-one-model", Repo.Notebooks);
        Assert.Contains("04-bring-your-own", Repo.Notebooks);
        foreach (var host in NotebookRuns.Hosts)
            foreach (var notebook in Repo.Notebooks)
                Assert.True(File.Exists(runs.Executed(host, notebook)), $"{host} did not run {notebook}:\n{runs.Log}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Notebook_runs_without_a_cell_error(string host, string notebook)
    {
        var executed = runs.Load(host, notebook);
        var errors = Ipynb.CodeCells(executed)
            .SelectMany((cell, i) => Ipynb.Outputs(cell)
                .Where(o => (string?)o["output_type"] == "error" || IsErrorStream(o))
                .Select(o => $"code cell {i} ({FirstLine(cell)}): {(string?)o["ename"]} {(string?)o["evalue"]}{Ipynb.Text(o["text"])}"))
            .ToList();
        Assert.True(errors.Count == 0, $"{host} / {notebook}:\n{string.Join("\n", errors)}\nHost log:\n{runs.HostLog(host, notebook)}");
        // The host's own verdict too (dotnet-repl exits 2 when a cell fails; nbconvert non-zero when it cannot run).
        var exit = Path.ChangeExtension(runs.Executed(host, notebook), ".exit");
        Assert.True(File.Exists(exit), $"no exit code recorded for {host} / {notebook}");
        Assert.True(File.ReadAllText(exit).Trim() == "0", $"{host} exited with {File.ReadAllText(exit).Trim()} on {notebook}:\n{runs.HostLog(host, notebook)}");
        Assert.DoesNotContain("Could not load file or assembly 'FSharp.Core", File.ReadAllText(runs.Executed(host, notebook)));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_code_cell_ran_and_shows_what_it_declares(string host, string notebook)
    {
        var source = JsonNode.Parse(File.ReadAllText(Path.Combine(Repo.Root, "notebooks", notebook + ".ipynb")))!.AsObject();
        var executed = Ipynb.CodeCells(runs.Load(host, notebook)).ToList();
        var sourceCells = Ipynb.CodeCells(source).ToList();
        Assert.Equal(sourceCells.Count, executed.Count);
        for (var i = 0; i < sourceCells.Count; i++)
        {
            // Cells are matched by position and checked by source (a host must not drop or reorder cells).
            Assert.Equal(Normalize(Ipynb.Source(sourceCells[i])), Normalize(Ipynb.Source(executed[i])));
            if (host == "jupyter")
                Assert.True(executed[i]["execution_count"] is JsonValue, $"{notebook}: code cell {i} ({FirstLine(executed[i])}) did not run");
            var shown = Ipynb.OutputText(executed[i]);
            foreach (var expected in Ipynb.Expected(sourceCells[i]))
                Assert.True(shown.Contains(expected, StringComparison.Ordinal),
                    $"{host} / {notebook}: code cell {i} ({FirstLine(executed[i])}) should show '{expected}'; it shows:\n{Shorten(shown)}");
        }
    }

    [Theory]
    [MemberData(nameof(OverviewCases))]
    public void Overview_cells_show_plotly_figures_made_in_the_host(string host, string notebook)
    {
        var executed = runs.Load(host, notebook);
        var overviews = Ipynb.CodeCells(executed).Where(c => Ipynb.Source(c).TrimStart().StartsWith("#!cnnc overview", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(overviews);
        foreach (var cell in overviews)
        {
            var html = string.Concat(Ipynb.Outputs(cell).Select(o => Ipynb.Text(o["data"]?["text/html"])));
            Assert.Contains("class=\"cnnc-view cnnc-overview\"", html);
            // The figures are Plotly.NET's JSON (each with data traces and a layout): built in the host's process.
            var payload = Regex.Match(html, "<script type=\"application/json\" class=\"cnnc-data\">(.*?)</script>", RegexOptions.Singleline);
            Assert.True(payload.Success, $"{host} / {notebook}: overview output has no data payload");
            var figures = JsonNode.Parse(payload.Groups[1].Value)!["figures"]!.AsObject();
            Assert.Equal(new[] { "a1", "a2", "a3", "a4", "b", "range", "average" }, figures.Select(f => f.Key));
            foreach (var (name, figure) in figures)
            {
                Assert.True(figure!["data"] is JsonArray { Count: > 0 }, $"figure {name} has no traces");
                Assert.True(figure["layout"] is JsonObject, $"figure {name} has no layout");
            }
        }
        // plotly.js is inlined once per kernel session, from Plotly.NET.dll (never a CDN).
        var all = File.ReadAllText(runs.Executed(host, notebook));
        Assert.Single(Regex.Matches(all, Regex.Escape(PlotlyMarker)));
        // No CDN copy of plotly.js is referenced (plotly.js itself only names the CDN's root as a default setting).
        Assert.DoesNotMatch(@"cdn\.plot\.ly/plotly|plotly[-.0-9a-z]*\.js[""']", all.Replace(PlotlyMarker, ""));
    }

    [Fact]
    public void Jupyter_starts_the_dotnet_kernel_by_its_absolute_path_with_no_PATH_edit()
    {
        // tools/notebooks.sh runs Jupyter with ~/.dotnet/tools taken off PATH (as on a fresh machine): the notebooks ran
        // there, so the kernel spec that tools/notebook-hosts.sh wrote needs no PATH.
        Assert.True(File.Exists(runs.Executed("jupyter", Repo.Notebooks[0])), $"Jupyter did not run {Repo.Notebooks[0]}:\n{runs.Log}");
        var psi = new System.Diagnostics.ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-m", "jupyter_client.kernelspecapp", "list", "--json" }) psi.ArgumentList.Add(arg);
        using var process = System.Diagnostics.Process.Start(psi)!;
        var json = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var spec = JsonNode.Parse(json)!["kernelspecs"]![".net-csharp"]!["spec"]!;
        var argv = spec["argv"]!.AsArray().Select(a => (string)a!).ToList();
        Assert.True(Path.IsPathRooted(argv[0]) && File.Exists(argv[0]), $"the kernel starts '{argv[0]}', not an absolute path to the tool");
        Assert.Equal("jupyter", argv[1]);
        Assert.True(Directory.Exists((string?)spec["env"]?["DOTNET_ROOT"]), "the kernel spec sets no DOTNET_ROOT that exists");
    }

    private static bool IsErrorStream(JsonObject output) =>
        (string?)output["output_type"] == "stream" && (string?)output["name"] == "stderr"
        && Regex.IsMatch(Ipynb.Text(output["text"]), @"Exception|error", RegexOptions.IgnoreCase);

    private static string FirstLine(JsonObject cell) => Ipynb.Source(cell).Split('\n')[0].Trim();

    private static string Normalize(string source) => source.Replace("\r\n", "\n").Trim();

    private static string Shorten(string text) => text.Length > 3000 ? text[..3000] + "…" : text;
}
