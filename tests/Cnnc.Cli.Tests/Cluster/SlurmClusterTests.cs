using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Cnnc.Engine.IO;

namespace Cnnc.Cli.Tests.Cluster;

/// <summary>
/// The cluster scripts under a real Slurm (tools/cluster/local-slurm.sh: Debian's slurm-wlm and munge, one node,
/// loopback): a study of 3 zoo models × 4 shards and an explanation precompute run as job arrays into one store, which
/// must hold exactly the bytes a single process writes; a task cancelled mid-run and resubmitted, a second array on the
/// same entry, a shard count that changes between submissions, and failing tasks' exit codes in sacct.
/// </summary>
public sealed class SlurmClusterTests : IDisposable
{
    private const int ChunkSize = 250, BatchSize = 64, Shards = 4;
    private static readonly string[] Models = { "alexnet", "shufflenet_v2_x0_5", "resnet18" }; // the zoo's cheapest three
    private const string Victim = "resnet18";
    private const int VictimTask = 2 * Shards; // resnet18, shard 1/4: chunks 0, 4, …, 36
    private const string ExplainModel = "shufflenet_v2_x0_5", Images = "0:1000";
    private const int ExplainChunk = 100;

    private readonly string _dir = Directory.CreateTempSubdirectory("cnnc-cluster-test").FullName;
    private readonly LocalSlurm _slurm = new();

    private string Cnnc => $"dotnet {CliProcess.Dll}";
    private string ClusterStore => Path.Combine(_dir, "cluster-store");
    private string ReferenceStore => Path.Combine(_dir, "reference-store");

    public void Dispose()
    {
        _slurm.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void ArraysOfModelsShardsAndExplanationsFillOneStoreWithTheBytesOfASingleProcessRun()
    {
        // The reference: each model in one process, with the chunking and the one thread of the cluster's tasks.
        var reference = new List<string>();
        foreach (var model in Models)
            Succeeds(CliProcess.Run(new[] { "evaluate", "--model", model, "--store", ReferenceStore, "--chunk-size", $"{ChunkSize}",
                "--batch-size", $"{BatchSize}" }, _slurm.Environment.ToDictionary()));
        Succeeds(CliProcess.Run(new[] { "explanations", "precompute", "--model", ExplainModel, "--images", Images, "--store", ReferenceStore,
            "--chunk-size", $"{ExplainChunk}" }, _slurm.Environment.ToDictionary()));

        // A second array on one of the study's entries, submitted first so that its tasks and the study's overlap;
        // then the study (3 models x 4 shards) and half of a 4-shard explanation precompute.
        string[] Work(params string[] more) => new[] { "--store", ClusterStore, "--chunk-size", $"{ChunkSize}", "--batch-size", $"{BatchSize}",
            "--cnnc", Cnnc, "--time", "00:20:00" }.Concat(more).ToArray();
        var second = _slurm.Submit(new[] { "evaluate", "--models", "alexnet", "--shards", "2" }.Concat(Work()).ToArray());
        var study = _slurm.Submit(new[] { "evaluate", "--models", string.Join(",", Models), "--shards", $"{Shards}" }.Concat(Work()).ToArray());
        string[] Explain(int shards, params string[] more) => new[] { "explain", "--methods", "gradcam", "--models", ExplainModel,
            "--images", Images, "--shards", $"{shards}", "--store", ClusterStore, "--chunk-size", $"{ExplainChunk}", "--cnnc", Cnnc }.Concat(more).ToArray();
        var explainHalf = _slurm.Submit(Explain(4, "--tasks", "0-1"));

        // Cancel resnet18's shard 1/4 once it has stored its first chunk, well before its tenth.
        var victimParts = WaitForChunk(Victim, 0, TimeSpan.FromMinutes(10));
        Assert.True(_slurm.Run("scancel", new[] { $"{study}_{VictimTask}" }).ExitCode == 0);
        _slurm.Wait(new[] { study, second, explainHalf }, TimeSpan.FromMinutes(15));
        var victimChunks = VictimChunks(victimParts);
        Assert.InRange(victimChunks, 1, 9); // cut mid-run: some of its 10 chunks stored, not all

        var studyTasks = _slurm.Tasks(study);
        Assert.Equal(Models.Length * Shards, studyTasks.Count);
        foreach (var task in studyTasks)
        {
            var expected = task.Task == VictimTask ? "CANCELLED" : "COMPLETED";
            Assert.True(task.State == expected, $"study task {task.Task}: {task.State} {task.ExitCode}\n{Log("evaluate", study, task.Task)}");
            Assert.Equal(expected, _slurm.Sacct(task.JobId).State);
            if (expected == "COMPLETED") Assert.Equal("0:0", _slurm.Sacct(task.JobId).ExitCode);
        }
        Assert.All(_slurm.Tasks(second).Concat(_slurm.Tasks(explainHalf)), t => Assert.Equal(("COMPLETED", "0:0"), (t.State, t.ExitCode)));
        Assert.Null(Entry(ClusterStore, Victim)); // its missing chunks keep the entry incomplete: nothing claims completeness

        // Resubmit exactly the cancelled task: it resumes from its stored chunks and completes the entry. Finish the
        // explanations with 3 shards instead of 4: the other 2 of 4 are never run.
        var resubmitted = _slurm.Submit(new[] { "evaluate", "--models", string.Join(",", Models), "--shards", $"{Shards}", "--tasks", $"{VictimTask}" }
            .Concat(Work()).ToArray());
        var explainRest = _slurm.Submit(Explain(3));
        _slurm.Wait(new[] { resubmitted, explainRest }, TimeSpan.FromMinutes(10));
        Assert.Equal(("COMPLETED", "0:0"), (_slurm.Tasks(resubmitted).Single().State, _slurm.Tasks(resubmitted).Single().ExitCode));
        var resumed = ThisRun(Log("evaluate", resubmitted, VictimTask));
        Assert.Equal((ChunkSize * (10 - victimChunks), ChunkSize * victimChunks), resumed); // nothing done twice, nothing skipped
        var rest = _slurm.Tasks(explainRest);
        Assert.All(rest, t => Assert.Equal(("COMPLETED", "0:0"), (t.State, t.ExitCode)));
        // The 3-shard run computed exactly the 4 chunks the 2 tasks of the 4-shard run had not (1000 - 6 x 100 images).
        Assert.Equal(400, rest.Sum(t => ThisRun(Log("explain", explainRest, t.Task)).Done));

        // The merged store is the single-process store, byte for byte (meta.json apart from times).
        foreach (var model in Models) SameEntry(Entry(ReferenceStore, model)!, Entry(ClusterStore, model)!);
        SameEntry(Explanations(ReferenceStore), Explanations(ClusterStore));
        Assert.Empty(Directory.GetFiles(ClusterStore, "*.tmp", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetDirectories(ClusterStore, "parts", SearchOption.AllDirectories));
        var listing = CliProcess.Run("store", "list", "--store", ClusterStore);
        Assert.Equal(Models.Length + 1, listing.Stdout.Split('\n').Count(l => l.Contains("complete (")));

        // Failing tasks say why in sacct: a bad model (1, a rerun repeats it) and a bad submission (2).
        var bad = _slurm.Submit(new[] { "evaluate", "--models", "no_such_model", "--shards", "1" }.Concat(Work()).ToArray());
        var raw = _slurm.Run("sbatch", new[] { "--parsable", "--array=0", $"--output={_dir}/raw-%A_%a.out", LocalSlurm.Script("array.sbatch"),
            "evaluate", "--models", "alexnet", "--store", ClusterStore });
        Assert.True(raw.ExitCode == 0, raw.Stderr);
        var rawJob = raw.Stdout.Trim();
        _slurm.Wait(new[] { bad, rawJob }, TimeSpan.FromMinutes(5));
        Assert.Equal(("FAILED", "1:0"), _slurm.Sacct(_slurm.Tasks(bad).Single().JobId));
        Assert.Contains("error: Unknown zoo model 'no_such_model'", Log("evaluate", bad, 0));
        Assert.Equal(("FAILED", "2:0"), _slurm.Sacct(_slurm.Tasks(rawJob).Single().JobId));
        Assert.Contains("--shards must be a positive number", File.ReadAllText(Path.Combine(_dir, $"raw-{rawJob}_0.out")));

        // The overview reads the cluster's store: nothing is evaluated again, and each model's accuracy is the stored one.
        var before = Snapshot(ClusterStore);
        var html = Path.Combine(_dir, "report.html");
        Succeeds(CliProcess.Run(new[] { "report", "--store", ClusterStore, "--models", string.Join(",", Models), "--out", html },
            _slurm.Environment.ToDictionary()));
        Assert.Equal(before, Snapshot(ClusterStore));
        var page = File.ReadAllText(html);
        foreach (var model in Models)
        {
            var entry = Entry(ClusterStore, model)!;
            using var predictions = Npy.Read(Path.Combine(entry, "predictions.npy"));
            using var labels = Npy.Read(Path.Combine(entry, "labels.npy"));
            var accuracy = predictions.data<long>().ToArray().Zip(labels.data<long>().ToArray()).Count(p => p.First == p.Second) / 10000.0;
            Assert.Contains($"{accuracy * 100:F1}%, top-5", page);
        }

        // Stopping the cluster ends every process it started: daemons, slurmstepd, jobs.
        var stop = _slurm.Stop();
        Assert.True(stop.ExitCode == 0, stop.Stderr);
        Assert.Empty(ProcessesMentioning(_slurm.Directory).Concat(ProcessesMentioning(ClusterStore)));
    }

    private static void Succeeds(CliProcess.Result result) =>
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Stderr}");

    /// <summary>The complete predictions entry of a model (its folder), or null.</summary>
    private static string? Entry(string store, string model) =>
        Directory.GetDirectories(store, "*", SearchOption.TopDirectoryOnly)
            .SelectMany(d => Directory.GetDirectories(d, model + "-*"))
            .SingleOrDefault(d => File.Exists(Path.Combine(d, "meta.json")));

    private static string Explanations(string store) =>
        Directory.GetDirectories(Entry(store, ExplainModel) ?? Path.Combine(store, "missing"), "gradcam@*", SearchOption.AllDirectories).Single();

    /// <summary>Waits until chunk <paramref name="chunk"/> of a model's unfinished entry exists; returns its parts folder.</summary>
    private string WaitForChunk(string model, int chunk, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            var parts = Directory.Exists(ClusterStore)
                ? Directory.GetDirectories(ClusterStore, "parts", SearchOption.AllDirectories)
                    .FirstOrDefault(p => Path.GetFileName(Path.GetDirectoryName(p)!).StartsWith(model + "-", StringComparison.Ordinal))
                : null;
            if (parts is not null && File.Exists(Path.Combine(parts, $"chunk-{chunk:D6}.npz"))) return parts;
            Thread.Sleep(20);
        }
        Assert.Fail($"chunk {chunk} of {model} did not appear within {timeout}");
        return "";
    }

    /// <summary>Chunks of the victim's shard (1 of 4: every 4th chunk from 0) stored in its parts folder.</summary>
    private static int VictimChunks(string parts) =>
        Enumerable.Range(0, 10).Count(i => File.Exists(Path.Combine(parts, $"chunk-{i * Shards:D6}.npz")));

    private string Log(string kind, string job, int task)
    {
        var path = Path.Combine(ClusterStore, "logs", $"cnnc-{kind}-{job}_{task}.out");
        return File.Exists(path) ? File.ReadAllText(path) : $"(no log {path})";
    }

    /// <summary>What a task's cnnc run did: "(N images evaluated|explained, M resumed)" or "nothing left to …".</summary>
    private static (int Done, int Resumed) ThisRun(string log)
    {
        if (log.Contains("nothing left to")) return (0, -1);
        var match = Regex.Match(log, @"(\d+) images (?:evaluated|explained), (\d+) resumed");
        Assert.True(match.Success, "no summary in the task's log:\n" + log);
        return (int.Parse(match.Groups[1].Value), int.Parse(match.Groups[2].Value));
    }

    /// <summary>Two entries hold the same bytes in every array and errors.json, and the same meta.json but for times.</summary>
    private static void SameEntry(string expected, string actual)
    {
        static string[] Files(string d) => Directory.GetFiles(d).Select(Path.GetFileName).Where(n => !n!.StartsWith('.')).Order().ToArray()!;
        Assert.Equal(Files(expected), Files(actual));
        foreach (var name in Files(expected).Where(n => n != "meta.json"))
            Assert.True(File.ReadAllBytes(Path.Combine(expected, name)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(actual, name))),
                $"{Path.GetFileName(expected)}/{name} differs between the single-process run and the cluster's");
        static JsonNode Meta(string d)
        {
            var meta = JsonNode.Parse(File.ReadAllText(Path.Combine(d, "meta.json")))!.AsObject();
            foreach (var varying in new[] { "completed_at", "timing", "milliseconds_per_image" }) meta.Remove(varying);
            return meta;
        }
        Assert.True(JsonNode.DeepEquals(Meta(expected), Meta(actual)), $"{Meta(expected)}\n{Meta(actual)}");
    }

    /// <summary>Every file of a store with its size and time of last change.</summary>
    private static string Snapshot(string store) =>
        string.Join("\n", Directory.GetFiles(store, "*", SearchOption.AllDirectories).Where(f => !f.Contains($"{Path.DirectorySeparatorChar}logs{Path.DirectorySeparatorChar}"))
            .Order(StringComparer.Ordinal).Select(f => $"{f} {new FileInfo(f).Length} {File.GetLastWriteTimeUtc(f):O}"));

    /// <summary>Live processes whose command line or environment mentions <paramref name="text"/>.</summary>
    private static List<string> ProcessesMentioning(string text)
    {
        var found = new List<string>();
        foreach (var dir in Directory.GetDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out var pid) && pid != Environment.ProcessId))
        {
            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                var environ = File.ReadAllText(Path.Combine(dir, "environ"));
                if (cmdline.Length > 0 && (cmdline.Contains(text) || environ.Contains(text))) found.Add($"{Path.GetFileName(dir)}: {cmdline}");
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return found;
    }
}
