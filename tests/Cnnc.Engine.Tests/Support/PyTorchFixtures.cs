using System.Diagnostics;

namespace Cnnc.Engine.Tests.Support;

/// <summary>
/// Reference fixtures written by real PyTorch (Debian's python3-torch / python3-torchvision, run by
/// <c>tests/fixtures/torchvision_parity.py</c>), generated on first use and cached outside git.
/// </summary>
public static class PyTorchFixtures
{
    /// <summary>Debian's interpreter: a pyenv python3 earlier on PATH lacks Debian's torch.</summary>
    public const string Python = "/usr/bin/python3";

    private static readonly object Gate = new();

    /// <summary>How many <see cref="Generate"/> calls this thread is inside (the machine-wide lock is taken once).</summary>
    [ThreadStatic] private static int _generating;

    /// <summary>Where fixtures are cached: $CNNC_FIXTURES, else tests/fixtures/.generated in the repo.</summary>
    public static string Directory { get; } =
        Environment.GetEnvironmentVariable("CNNC_FIXTURES") is { Length: > 0 } dir
            ? dir
            : Path.Combine(RepoRoot(), "tests", "fixtures", ".generated");

    /// <summary>Paths of one architecture's fixture, generating it when missing.</summary>
    public static (string Weights, string Input, string Logits) For(string arch, bool legacyFormat = false, int size = 224)
    {
        var dir = Path.Combine(Directory, legacyFormat ? "legacy" : "zip");
        var stem = size == 224 ? arch : $"{arch}@{size}";
        var weights = Path.Combine(dir, stem + ".pth");
        Generate(weights, () => Run(Path.Combine(RepoRoot(), "tests", "fixtures", "torchvision_parity.py"),
            $"--out \"{dir}\"{(legacyFormat ? " --legacy" : "")} --size {size} {arch}"));
        return (weights, Path.Combine(dir, stem + ".input.npy"), Path.Combine(dir, stem + ".logits.npy"));
    }

    /// <summary>
    /// What Debian's torchvision builds for every classification builder and published weights entry
    /// (<c>tests/fixtures/torchvision_builders.py</c>: state-dict names and shapes, torchvision's <c>num_params</c>),
    /// generated on first use (a few seconds: nothing is initialised).
    /// </summary>
    public static TorchvisionBuilders TorchvisionBuilders()
    {
        var path = Path.Combine(Directory, "torchvision_builders.json");
        Generate(path, () =>
        {
            var json = Run(Path.Combine(RepoRoot(), "tests", "fixtures", "torchvision_builders.py"), "");
            File.WriteAllText(path + ".tmp", json);
            File.Move(path + ".tmp", path, overwrite: true);
        });
        return Support.TorchvisionBuilders.Parse(File.ReadAllText(path));
    }

    /// <summary>
    /// Runs <paramref name="generate"/> unless <paramref name="marker"/> (the file a fixture script writes last) exists,
    /// once per machine: under a lock held across processes, because dotnet test runs the test projects side by side
    /// and they share this folder — without it a second project regenerated a fixture while the first read it.
    /// </summary>
    public static void Generate(string marker, Action generate)
    {
        if (File.Exists(marker)) return;
        lock (Gate)
        {
            if (File.Exists(marker)) return;
            using var machineWide = _generating == 0 ? LockAcrossProcesses() : null;
            _generating++;
            try
            {
                if (!File.Exists(marker)) generate();
            }
            finally
            {
                _generating--;
            }
        }
    }

    /// <summary>An exclusive lock on a file in <see cref="Directory"/> (.NET takes flock for FileShare.None on Unix).</summary>
    private static FileStream LockAcrossProcesses()
    {
        System.IO.Directory.CreateDirectory(Directory);
        var path = Path.Combine(Directory, ".generating.lock");
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (waited.Elapsed < TimeSpan.FromMinutes(40))
            {
                Thread.Sleep(250); // another test process is generating a fixture
            }
        }
    }

    /// <summary>Runs a Python script with Debian's interpreter; a failure is an exception carrying its output.</summary>
    public static string Run(string script, string arguments, int timeoutSeconds = 600)
    {
        if (!File.Exists(Python))
            throw new InvalidOperationException($"{Python} is missing: install python3-torch and python3-torchvision (.ci/setup does).");
        var psi = new ProcessStartInfo(Python, $"\"{script}\" {arguments}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.Environment.Remove("PYTHONPATH");
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeoutSeconds * 1000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{script} {arguments} did not finish in {timeoutSeconds} s.");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{script} {arguments} failed ({process.ExitCode}):\n{stdout.Result}\n{stderr.Result}");
        return stdout.Result;
    }

    /// <summary>The repository root (the folder holding global.json).</summary>
    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "global.json"))) return dir.FullName;
        throw new InvalidOperationException("Repository root (global.json) not found above " + AppContext.BaseDirectory);
    }
}
