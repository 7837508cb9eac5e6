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

    /// <summary>What <see cref="OnASmallDisk"/> saw: the run on the full disk, the store as it left it, the rerun with room.</summary>
    private sealed record SmallDiskRuns(int FullExitCode, string FullStderr, string TemporaryFiles, string StoreAfterFull,
        int RerunExitCode, string RerunStdout, string StoreAfterRerun);

    /// <summary>
    /// Runs cnnc with its store on a tmpfs of <paramref name="size"/> in a private mount namespace (root only, as in
    /// CI), copies the store aside, enlarges the tmpfs to 64 MiB and runs the same command again.
    /// </summary>
    private SmallDiskRuns OnASmallDisk(string size, Func<string, string[]> arguments)
    {
        var mount = Path.Combine(Dir, "small-disk");
        Directory.CreateDirectory(mount);
        var store = Path.Combine(mount, "store");
        var args = string.Join(' ', arguments(store).Select(a => $"'{a}'"));
        var script =
            $"set -u; mount -t tmpfs -o size={size} tmpfs '{mount}' || exit 99\n" +
            $"dotnet '{CliProcess.Dll}' {args} >'{Dir}/full.out' 2>'{Dir}/full.err'; echo $? >'{Dir}/full.rc'\n" +
            $"find '{store}' -name '*.tmp' >'{Dir}/full.tmp-files'\n" +
            $"cp -r '{store}' '{Dir}/store-after-full'\n" +
            $"mount -o remount,size=64m '{mount}'\n" +
            $"dotnet '{CliProcess.Dll}' {args} >'{Dir}/rerun.out' 2>'{Dir}/rerun.err'; echo $? >'{Dir}/rerun.rc'\n" +
            $"cp -r '{store}' '{Dir}/store-after-rerun'\n";
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
        string Read(string name) => File.ReadAllText(Path.Combine(Dir, name));
        return new SmallDiskRuns(int.Parse(Read("full.rc").Trim()), Read("full.err"), Read("full.tmp-files").Trim(),
            Path.Combine(Dir, "store-after-full"), int.Parse(Read("rerun.rc").Trim()), Read("rerun.out"), Path.Combine(Dir, "store-after-rerun"));
    }

    /// <summary>Exit code 75 (out of space: rerun to resume) and, after the progress lines, exactly one error line.</summary>
    private static void OutOfSpaceIsOneLineAndExitCode75(SmallDiskRuns runs, string progressPrefix)
    {
        Assert.True(runs.FullExitCode == 75, $"exit {runs.FullExitCode}: {runs.FullStderr}");
        var lines = runs.FullStderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var error = Assert.Single(lines, l => !l.StartsWith(progressPrefix, StringComparison.Ordinal));
        Assert.Equal(error, lines[^1]);
        Assert.StartsWith("error: ", error);
        Assert.Contains("No space left on device", error);
        Assert.Empty(runs.TemporaryFiles);
    }

    [Fact]
    public void DiskFullIsOneLineAndTheRerunWithSpaceCompletes()
    {
        // 128 KiB: room for the layout and a chunk or two, not for 10.
        var runs = OnASmallDisk("128k", Evaluate);
        OutOfSpaceIsOneLineAndExitCode75(runs, $"[{Model}] ");
        StoreIsConsistentAndUnfinished(runs.StoreAfterFull);
        Assert.Equal(0, runs.RerunExitCode);
        CompletesWithTheCardsAccuracy(new CliProcess.Result(0, runs.RerunStdout, ""));
    }

    private static string[] Precompute(string store) => new[] { "explanations", "precompute", "--model", "shufflenet_v2_x0_5",
        "--images", "0:1000", "--chunk-size", "100", "--store", store };

    /// <summary>The arrays of the complete explanation entry under <paramref name="store"/>, by file name.</summary>
    private static Dictionary<string, byte[]> ExplanationArrays(string store)
    {
        var entry = Directory.GetFiles(store, "meta.json", SearchOption.AllDirectories).Select(Path.GetDirectoryName)
            .Single(d => d!.Contains($"{Path.DirectorySeparatorChar}explanations{Path.DirectorySeparatorChar}"))!;
        return Directory.GetFiles(entry, "*.npy").ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
    }

    [Fact]
    public void AnExplanationPrecomputeOnAFullDiskStopsWithExitCode75AndTheRerunCompletesIt()
    {
        // 1000 maps of 28x28 floats need ~3.2 MB in chunks: 1 MiB holds a few of the 10 chunks.
        var runs = OnASmallDisk("1m", Precompute);
        OutOfSpaceIsOneLineAndExitCode75(runs, "[shufflenet_v2_x0_5 gradcam] ");
        Assert.Empty(Directory.GetFiles(runs.StoreAfterFull, "meta.json", SearchOption.AllDirectories));
        var kept = Directory.GetFiles(runs.StoreAfterFull, "chunk-*.npz", SearchOption.AllDirectories);
        Assert.InRange(kept.Length, 1, 9);
        foreach (var chunk in kept)
        {
            using var zip = ZipFile.OpenRead(chunk); // every chunk present is whole
            using var maps = Engine.IO.Npy.Read(zip.GetEntry("maps.npy")!.Open());
            Assert.Equal(100, maps.shape[0]);
        }
        Assert.Equal(0, runs.RerunExitCode);
        Assert.Contains($"{1000 - 100 * kept.Length} images explained, {100 * kept.Length} resumed", runs.RerunStdout);
        var reference = Path.Combine(Dir, "reference");
        Assert.Equal(0, CliProcess.Run(Precompute(reference)).ExitCode);
        var expected = ExplanationArrays(reference);
        var actual = ExplanationArrays(runs.StoreAfterRerun);
        foreach (var (name, bytes) in expected) Assert.True(bytes.AsSpan().SequenceEqual(actual[name]), $"{name} differs");
    }

    [Fact]
    public void AMergeThatDoesNotFitLeavesEveryChunkAndTheRerunMergesWithoutComputingAgain()
    {
        // 5 MiB holds the ~3.2 MB of chunks but not the merged arrays beside them.
        var runs = OnASmallDisk("5m", Precompute);
        OutOfSpaceIsOneLineAndExitCode75(runs, "[shufflenet_v2_x0_5 gradcam] ");
        Assert.Empty(Directory.GetFiles(runs.StoreAfterFull, "meta.json", SearchOption.AllDirectories));
        Assert.Equal(10, Directory.GetFiles(runs.StoreAfterFull, "chunk-*.npz", SearchOption.AllDirectories).Length);
        Assert.Equal(0, runs.RerunExitCode);
        Assert.Contains("this run: nothing left to explain", runs.RerunStdout);
        Assert.Contains("images-0-1000: 1000 explanations", runs.RerunStdout);
        Assert.Single(Directory.GetFiles(runs.StoreAfterRerun, "meta.json", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetDirectories(runs.StoreAfterRerun, "parts", SearchOption.AllDirectories));
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
