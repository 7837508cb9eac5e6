using System.Diagnostics;
using System.Text.Json;
using Cnnc.Engine.Zoo;

namespace Cnnc.Cli.Tests;

public sealed class EvaluateKillResumeTests : IDisposable
{
    private readonly string _store = Directory.CreateTempSubdirectory("cnnc-kill").FullName;

    public void Dispose() => Directory.Delete(_store, recursive: true);

    [Fact]
    public void SigkilledEvaluationLeavesAReadableStoreAndTheRerunCompletesWithTheCardsAccuracy()
    {
        const string model = "densenet121";
        var args = new[] { "evaluate", "--model", model, "--store", _store, "--batch-size", "16", "--json" };
        using (var process = Process.Start(CliProcess.StartInfo(args))!)
        {
            var clock = Stopwatch.StartNew();
            string[] chunks = Array.Empty<string>();
            while (clock.Elapsed < TimeSpan.FromMinutes(3) && !process.HasExited)
            {
                chunks = Directory.Exists(_store)
                    ? Directory.GetFiles(_store, "chunk-*.npz", SearchOption.AllDirectories)
                    : Array.Empty<string>();
                if (chunks.Length >= 2) break;
                Thread.Sleep(50);
            }
            Assert.False(process.HasExited, "the evaluation finished before it could be killed");
            process.Kill(); // SIGKILL on Linux: no handler runs
            process.WaitForExit();
        }

        // Killed mid-way: finished chunks are intact, nothing claims completeness, no temporary file is visible as data.
        Assert.Empty(Directory.GetFiles(_store, "meta.json", SearchOption.AllDirectories));
        var kept = Directory.GetFiles(_store, "chunk-*.npz", SearchOption.AllDirectories);
        Assert.InRange(kept.Length, 2, 9);

        var rerun = CliProcess.Run(args);
        Assert.True(rerun.ExitCode == 0, rerun.Stderr);
        var summary = JsonDocument.Parse(rerun.Stdout).RootElement;
        Assert.Equal(ZooCatalog.Card(model).TestAccuracy, summary.GetProperty("accuracy").GetDouble(), 12);
        Assert.Single(Directory.GetFiles(_store, "meta.json", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetFiles(_store, "*.npz", SearchOption.AllDirectories));
    }
}
