using System.Diagnostics;
using System.Text.RegularExpressions;
using Cnnc.Engine.Tests.Support;

namespace Cnnc.Cli.Tests.Cluster;

/// <summary>
/// A real single-node Slurm cluster (munged, slurmctld, slurmd on loopback), started by the project's own
/// <c>tools/cluster/local-slurm.sh</c> — which installs Debian's slurm-wlm and munge first when they are missing — with
/// its configuration and state in a temporary folder, and stopped again (every process it started) on dispose.
/// </summary>
public sealed class LocalSlurm : IDisposable
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    /// <summary>One task of a job array as scontrol reports it.</summary>
    public sealed record ArrayTask(int Task, string JobId, string State, string ExitCode);

    private bool _stopped;

    public LocalSlurm()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("cnnc-slurm").FullName;
        Environment = new Dictionary<string, string>
        {
            ["SLURM_CONF"] = Path.Combine(Directory, "etc", "slurm.conf"),
            ["CNNC_LOCAL_SLURM"] = Directory, // jobs submitted with it carry the cluster's marker: stop ends them too
            ["OMP_NUM_THREADS"] = "1",
        };
        var start = Run("bash", new[] { Script("local-slurm.sh"), "start", Directory }, timeoutSeconds: 900);
        if (start.ExitCode != 0)
        {
            Dispose();
            throw new InvalidOperationException($"local-slurm.sh start failed ({start.ExitCode}):\n{start.Stdout}\n{start.Stderr}");
        }
        Assert.Contains($"SLURM_CONF={Environment["SLURM_CONF"]}", start.Stdout);
    }

    /// <summary>The cluster's folder (configuration, key, state, logs).</summary>
    public string Directory { get; }

    /// <summary>What client commands and submitted jobs need: SLURM_CONF, the marker, one thread per task.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; }

    public static string Script(string name) => Path.Combine(PyTorchFixtures.RepoRoot(), "tools", "cluster", name);

    /// <summary>Runs a program with the cluster's environment.</summary>
    public Result Run(string program, IEnumerable<string> args, int timeoutSeconds = 120)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in Environment) psi.Environment[k] = v;
        psi.Environment.Remove("CNNC_DEBUG");
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeoutSeconds * 1000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish in {timeoutSeconds} s");
        }
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>tools/cluster/submit.sh with these arguments; returns the array's job id.</summary>
    public string Submit(params string[] args)
    {
        var result = Run("bash", new[] { Script("submit.sh") }.Concat(args));
        Assert.True(result.ExitCode == 0, $"submit.sh failed ({result.ExitCode}): {result.Stderr}");
        return result.Stdout.Trim().Split(';')[0];
    }

    /// <summary>Waits until none of <paramref name="jobs"/> is pending or running.</summary>
    public void Wait(IEnumerable<string> jobs, TimeSpan timeout)
    {
        var list = string.Join(",", jobs);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var queue = Run("squeue", new[] { "-h", "-j", list, "-o", "%i %T" });
            if (queue.ExitCode == 0 && queue.Stdout.Trim().Length == 0) return;
            if (clock.Elapsed > timeout) Assert.Fail($"jobs {list} still queued after {timeout}: {queue.Stdout}{queue.Stderr}");
            Thread.Sleep(300);
        }
    }

    /// <summary>The tasks of an array job (finished ones included: MinJobAge keeps them an hour).</summary>
    public IReadOnlyList<ArrayTask> Tasks(string job)
    {
        var show = Run("scontrol", new[] { "show", "job", "-o", job });
        Assert.True(show.ExitCode == 0, show.Stderr);
        return show.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => new ArrayTask(int.Parse(Field(line, "ArrayTaskId")), Field(line, "JobId"), Field(line, "JobState"), Field(line, "ExitCode")))
            .OrderBy(t => t.Task).ToList();
    }

    /// <summary>State and exit code of one job as sacct reports them (from the job completion log).</summary>
    public (string State, string ExitCode) Sacct(string jobId)
    {
        var result = Run("sacct", new[] { "--completion", "-n", "-P", "-j", jobId, "-o", "JobID,State,ExitCode" });
        Assert.True(result.ExitCode == 0, result.Stderr);
        var row = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('|')).Single(f => f[0] == jobId);
        return (row[1], row[2]);
    }

    /// <summary>Stops the cluster: cancels jobs, ends every process carrying its marker; returns the script's result.</summary>
    public Result Stop()
    {
        _stopped = true;
        return Run("bash", new[] { Script("local-slurm.sh"), "stop", Directory }, timeoutSeconds: 180);
    }

    public void Dispose()
    {
        if (!_stopped) Stop();
        try { System.IO.Directory.Delete(Directory, recursive: true); }
        catch (IOException) { }
    }

    private static string Field(string line, string name)
    {
        var match = Regex.Match(line, $@"(?:^|\s){name}=(\S+)");
        return match.Success ? match.Groups[1].Value : throw new InvalidDataException($"no {name} in: {line}");
    }
}
