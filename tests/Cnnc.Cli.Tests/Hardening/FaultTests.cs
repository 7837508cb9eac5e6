using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json;
using Cnnc.Engine.Zoo;

namespace Cnnc.Cli.Tests.Hardening;

/// <summary>
/// Faults during an evaluation — disk full, Ctrl+C, a kill in the middle of writing — leave a store that reads back,
/// shows no partial file as data, and a rerun completes with the model card's accuracy.
/// </summary>
public sealed class FaultTests : Hardening
{
    private const string Model = "resnet18";

    private string Store => Path.Combine(Dir, "store");

    private string[] Evaluate(string store) => new[] { "evaluate", "--model", Model, "--store", store, "--batch-size", "32", "--json" };

    private static void CompletesWithTheCardsAccuracy(CliProcess.Result result)
    {
        Assert.True(result.ExitCode == 0, result.Stderr);
        var accuracy = JsonDocument.Parse(result.Stdout).RootElement.GetProperty("accuracy").GetDouble();
        Assert.Equal(ZooCatalog.Card(Model).TestAccuracy, accuracy, 12);
    }

    /// <summary>Every chunk present opens as a complete zip; no temporary file remains; nothing claims completeness.</summary>
    private static void StoreIsConsistentAndUnfinished(string store)
    {
        Assert.Empty(Directory.GetFiles(store, "meta.json", SearchOption.AllDirectories));
        foreach (var chunk in Directory.GetFiles(store, "chunk-*.npz", SearchOption.AllDirectories))
        {
            using var zip = ZipFile.OpenRead(chunk);
            Assert.Contains(zip.Entries, e => e.FullName == "probabilities.npy");
        }
    }

    [Fact]
    public void DiskFullIsOneLineAndTheRerunWithSpaceCompletes()
    {
        // A 128 KiB tmpfs in a private mount namespace: room for the layout and a chunk or two, not for 10.
        var mount = Path.Combine(Dir, "small-disk");
        Directory.CreateDirectory(mount);
        var store = Path.Combine(mount, "store");
        var args = string.Join(' ', Evaluate(store).Select(a => $"'{a}'"));
        var script =
            $"set -u; mount -t tmpfs -o size=128k tmpfs '{mount}' || exit 99\n" +
            $"dotnet '{CliProcess.Dll}' {args} >'{Dir}/full.out' 2>'{Dir}/full.err'; echo $? >'{Dir}/full.rc'\n" +
            $"find '{store}' -name '*.tmp' >'{Dir}/full.tmp-files'\n" +
            $"cp -r '{store}' '{Dir}/store-after-full'\n" +
            $"mount -o remount,size=64m '{mount}'\n" +
            $"dotnet '{CliProcess.Dll}' {args} >'{Dir}/rerun.out' 2>'{Dir}/rerun.err'; echo $? >'{Dir}/rerun.rc'\n";
        var psi = new ProcessStartInfo("unshare", new[] { "--mount", "--propagation", "private", "sh", "-c", script })
        {
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using (var process = Process.Start(psi)!)
        {
            var stderr = process.StandardError.ReadToEnd();
            Assert.True(process.WaitForExit(600_000));
            Assert.True(process.ExitCode == 0, $"unshare/mount failed ({process.ExitCode}): {stderr}");
        }

        Assert.Equal("1", File.ReadAllText(Path.Combine(Dir, "full.rc")).Trim());
        // stderr carries the progress lines ("[resnet18] …") and then exactly one error line.
        var lines = File.ReadAllText(Path.Combine(Dir, "full.err")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var error = Assert.Single(lines, l => !l.StartsWith($"[{Model}] ", StringComparison.Ordinal));
        Assert.Equal(error, lines[^1]);
        Assert.StartsWith("error: ", error);
        Assert.Contains("No space left on device", error);
        Assert.Empty(File.ReadAllText(Path.Combine(Dir, "full.tmp-files")).Trim());
        StoreIsConsistentAndUnfinished(Path.Combine(Dir, "store-after-full"));

        Assert.Equal("0", File.ReadAllText(Path.Combine(Dir, "rerun.rc")).Trim());
        CompletesWithTheCardsAccuracy(new CliProcess.Result(0, File.ReadAllText(Path.Combine(Dir, "rerun.out")), ""));
    }

    [Fact]
    public void CtrlCStopsWithExitCode130AndTheRerunResumes()
    {
        using (var process = Process.Start(CliProcess.StartInfo(Evaluate(Store)))!)
        {
            WaitForChunks(process, 1);
            using (var kill = Process.Start("kill", new[] { "-INT", process.Id.ToString() })) kill.WaitForExit();
            var stderr = process.StandardError.ReadToEnd();
            Assert.True(process.WaitForExit(60_000), "cnnc did not stop on SIGINT");
            Assert.Equal(130, process.ExitCode);
            Assert.EndsWith("cancelled", stderr.Trim());
        }
        StoreIsConsistentAndUnfinished(Store);
        Assert.Empty(Directory.GetFiles(Store, "*.tmp", SearchOption.AllDirectories));
        CompletesWithTheCardsAccuracy(CliProcess.Run(Evaluate(Store)));
    }

    [Fact]
    public void AFileHalfWrittenWhenTheWriterWasKilledIsNeverReadAndIsCleanedUp()
    {
        // What SIGKILL in the middle of a chunk write leaves: a partial temporary file of a process that is gone.
        using (var process = Process.Start(CliProcess.StartInfo(Evaluate(Store)))!)
        {
            var chunks = WaitForChunks(process, 2);
            process.Kill();
            process.WaitForExit();
            var parts = Path.GetDirectoryName(chunks[0])!;
            var bytes = File.ReadAllBytes(chunks[0]);
            File.WriteAllBytes(Path.Combine(parts, $".chunk-000009.npz.{process.Id}.0123456789abcdef.tmp"), bytes[..(bytes.Length / 3)]);
        }
        StoreIsConsistentAndUnfinished(Store);
        CompletesWithTheCardsAccuracy(CliProcess.Run(Evaluate(Store)));
        Assert.Empty(Directory.GetFiles(Store, "*.tmp", SearchOption.AllDirectories));
    }

    private string[] WaitForChunks(Process process, int count)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromMinutes(3) && !process.HasExited)
        {
            var chunks = Directory.Exists(Store) ? Directory.GetFiles(Store, "chunk-*.npz", SearchOption.AllDirectories) : Array.Empty<string>();
            if (chunks.Length >= count) return chunks;
            Thread.Sleep(20);
        }
        Assert.Fail($"no {count} chunk(s) appeared before the evaluation ended (exited: {process.HasExited})");
        return Array.Empty<string>();
    }
}
