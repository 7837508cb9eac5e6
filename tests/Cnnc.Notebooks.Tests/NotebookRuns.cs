using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;

namespace Cnnc.Notebooks.Tests;

/// <summary>
/// Runs every walkthrough notebook (<c>notebooks/0*.ipynb</c>) once per test run in both real hosts — Jupyter with the
/// .NET kernel (nbconvert --execute) and dotnet-repl — through <c>tools/notebooks.sh</c>, exactly as a developer would,
/// packing the current Release build into the local feed first. The executed notebooks and their HTML exports land in
/// <c>notebooks/.executed/&lt;host&gt;/</c> (kept after the run, for inspection).
/// </summary>
public sealed class NotebookRuns
{
    public static readonly string[] Hosts = { "jupyter", "repl" };

    public NotebookRuns()
    {
        Out = Path.Combine(Repo.Root, "notebooks", ".executed");
        var start = Stopwatch.StartNew();
        if (Environment.GetEnvironmentVariable("CNNC_NOTEBOOKS_REUSE") == "1")
        {
            // For iterating on the assertions: check what the last run left in notebooks/.executed, run nothing.
            Log = "CNNC_NOTEBOOKS_REUSE=1: reusing " + Out;
            return;
        }
        var psi = new ProcessStartInfo("bash")
        {
            WorkingDirectory = Repo.Root, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
        };
        foreach (var arg in new[] { "tools/notebooks.sh", "--no-build", "--out", Out }) psi.ArgumentList.Add(arg);
        using var process = Process.Start(psi)!;
        process.StandardInput.Close();
        var log = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(TimeSpan.FromMinutes(45)))
        {
            process.Kill(entireProcessTree: true);
            log.AppendLine("notebook run killed after 45 minutes");
        }
        process.WaitForExit();
        ExitCode = process.HasExited ? process.ExitCode : -1;
        Log = log.ToString();
        Elapsed = start.Elapsed;
        Console.WriteLine($"notebooks: both hosts ran {Repo.Notebooks.Count} notebook(s) in {Elapsed.TotalSeconds:F0} s (exit {ExitCode})\n{Log}");
    }

    /// <summary>Where the executed notebooks are: <c>Out/&lt;host&gt;/&lt;name&gt;.ipynb|.html|.log</c>.</summary>
    public string Out { get; }

    public int ExitCode { get; }
    public string Log { get; }
    public TimeSpan Elapsed { get; }

    public string Executed(string host, string notebook) => Path.Combine(Out, host, notebook + ".ipynb");
    public string Html(string host, string notebook) => Path.Combine(Out, host, notebook + ".html");

    /// <summary>The executed notebook; fails with the run's log when the host did not write it.</summary>
    public JsonObject Load(string host, string notebook)
    {
        var path = Executed(host, notebook);
        Assert.True(File.Exists(path), $"{host} wrote no executed copy of {notebook} ({path}). Run log:\n{Log}\nHost log:\n{HostLog(host, notebook)}");
        return JsonNode.Parse(File.ReadAllText(path))!.AsObject();
    }

    public string HostLog(string host, string notebook)
    {
        var path = Path.Combine(Out, host, notebook + ".log");
        if (!File.Exists(path)) return "(no log)";
        var text = File.ReadAllText(path);
        return text.Length > 6000 ? "…" + text[^6000..] : text;
    }
}

[CollectionDefinition("notebooks")]
public sealed class NotebookCollection : ICollectionFixture<NotebookRuns>;

/// <summary>The repository (found from the test binaries upwards) and its walkthrough notebooks.</summary>
public static class Repo
{
    public static string Root { get; } = Find();

    /// <summary>Names (without .ipynb) of every <c>notebooks/0*.ipynb</c>: new walkthroughs are covered when they land.</summary>
    public static IReadOnlyList<string> Notebooks { get; } = Directory.GetFiles(Path.Combine(Root, "notebooks"), "0*.ipynb")
        .Select(p => Path.GetFileNameWithoutExtension(p)).Order(StringComparer.Ordinal).ToList();

    /// <summary>Every (host, notebook) pair, for theories.</summary>
    public static TheoryData<string, string> HostsAndNotebooks()
    {
        var data = new TheoryData<string, string>();
        foreach (var host in NotebookRuns.Hosts)
            foreach (var notebook in Notebooks) data.Add(host, notebook);
        return data;
    }

    /// <summary>Pairs whose notebook shows a <c>#!cnnc overview</c>.</summary>
    public static TheoryData<string, string> HostsAndOverviewNotebooks()
    {
        var data = new TheoryData<string, string>();
        foreach (var host in NotebookRuns.Hosts)
            foreach (var notebook in Notebooks.Where(HasOverview)) data.Add(host, notebook);
        return data;
    }

    public static bool HasOverview(string notebook) =>
        Ipynb.CodeCells(JsonNode.Parse(File.ReadAllText(Path.Combine(Root, "notebooks", notebook + ".ipynb")))!.AsObject())
            .Any(c => Ipynb.Source(c).TrimStart().StartsWith("#!cnnc overview", StringComparison.Ordinal));

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Cnnc.sln"))) return dir.FullName;
        throw new InvalidOperationException("Cnnc.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>Reading .ipynb JSON (nbformat 4).</summary>
public static class Ipynb
{
    public static IEnumerable<JsonObject> CodeCells(JsonObject notebook) =>
        notebook["cells"]!.AsArray().Select(c => c!.AsObject()).Where(c => (string?)c["cell_type"] == "code");

    /// <summary>A multiline field: a string or an array of strings.</summary>
    public static string Text(JsonNode? node) => node switch
    {
        null => "",
        JsonArray lines => string.Concat(lines.Select(l => (string?)l)),
        _ => (string?)node ?? "",
    };

    public static string Source(JsonObject cell) => Text(cell["source"]);

    public static IEnumerable<JsonObject> Outputs(JsonObject cell) =>
        cell["outputs"] is JsonArray outputs ? outputs.Select(o => o!.AsObject()) : Enumerable.Empty<JsonObject>();

    /// <summary>Everything a cell's outputs show: stream text, every mime type of display data, error texts.</summary>
    public static string OutputText(JsonObject cell)
    {
        var text = new StringBuilder();
        foreach (var output in Outputs(cell))
        {
            text.Append(Text(output["text"]));
            if (output["data"] is JsonObject data)
                foreach (var (_, value) in data) text.Append(Text(value)).Append('\n');
            if ((string?)output["output_type"] == "error")
                text.Append((string?)output["ename"]).Append(": ").Append((string?)output["evalue"]).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>The texts a cell declares it must show (metadata cnnc.expect, written by notebooks/make_notebooks.py).</summary>
    public static IReadOnlyList<string> Expected(JsonObject cell) =>
        cell["metadata"]?["cnnc"]?["expect"] is JsonArray expect ? expect.Select(e => (string)e!).ToList() : Array.Empty<string>();
}
