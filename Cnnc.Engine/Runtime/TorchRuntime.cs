using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using TorchSharp;

namespace Cnnc.Engine.Runtime;

/// <summary>Options for <see cref="TorchRuntime.Initialize"/>.</summary>
/// <param name="TuneMalloc">
/// On glibc systems, keep freed large buffers in the process instead of returning them to the kernel after every op
/// (glibc's <c>mallopt</c>: mmap threshold, trim threshold, top pad). Default on; the environment variable
/// <c>CNNC_MALLOC_TUNING=0</c> turns it off too. See BENCHMARKS.md for its effect.
/// </param>
/// <param name="NativeCacheDirectory">
/// Where a patched copy of libLibTorchSharp.so is kept when the system libstdc++ is too old. Default:
/// <c>$CNNC_NATIVE_CACHE</c>, else <c>$XDG_CACHE_HOME/cnnc/native</c>, else <c>~/.cache/cnnc/native</c>.
/// </param>
/// <param name="OpenMpSpinCount">
/// How long libtorch's OpenMP threads spin before they sleep when waiting for work (libgomp's <c>GOMP_SPINCOUNT</c>,
/// set before libtorch loads), unless the user set <c>OMP_WAIT_POLICY</c> or <c>GOMP_SPINCOUNT</c> themselves. Default
/// 10,000 (libgomp's own: 300,000; 0 = sleep at once, like <c>OMP_WAIT_POLICY=PASSIVE</c>; null = leave libgomp's
/// default). Why this default (BENCHMARKS.md, "Runtime settings", has the figures): on a quiet machine it is as fast
/// as libgomp's default while sleeping at once slows small-input work; beside busy processes libgomp's long spin
/// collapses and this one does not. The environment variable
/// <c>CNNC_OMP_SPINCOUNT</c> (a number, or <c>default</c>) overrides this option.
/// </param>
public sealed record TorchRuntimeOptions(bool TuneMalloc = true, string? NativeCacheDirectory = null, int? OpenMpSpinCount = 10_000);

/// <summary>What <see cref="TorchRuntime.Initialize"/> did.</summary>
/// <param name="NativeLibraryPath">The libLibTorchSharp that is used, or null when left to TorchSharp's own loader.</param>
/// <param name="RelaxedVersions">libstdc++ symbol versions that were relaxed (empty where the system one sufficed).</param>
/// <param name="MallocSettings">glibc malloc settings that were applied, e.g. "M_MMAP_THRESHOLD=…".</param>
/// <param name="OpenMpWait">The OpenMP wait setting in effect, e.g. "GOMP_SPINCOUNT=10000" or "default".</param>
public sealed record TorchRuntimeReport(
    string? NativeLibraryPath, IReadOnlyList<string> RelaxedVersions, IReadOnlyList<string> MallocSettings,
    string OpenMpWait = "default")
{
    public override string ToString() =>
        $"native: {NativeLibraryPath ?? "TorchSharp default"}; relaxed: [{string.Join(", ", RelaxedVersions)}]; " +
        $"malloc: [{string.Join(", ", MallocSettings)}]; openmp: {OpenMpWait}";
}

/// <summary>
/// Makes TorchSharp load and run well on this machine, before anything touches <c>torch</c>. Idempotent and
/// thread-safe; called by every engine entry point, so users rarely call it themselves.
/// </summary>
public static class TorchRuntime
{
    private static readonly object Gate = new();
    private static TorchRuntimeReport? _report;
    private static IntPtr _patchedHandle;
    private static string? _consolidatedDirectory;

    /// <summary>The report of the first initialisation, or null before it.</summary>
    public static TorchRuntimeReport? Report => _report;

    /// <summary>Prepares native loading (and malloc tuning) once per process; later calls return the first report.</summary>
    public static TorchRuntimeReport Initialize(TorchRuntimeOptions? options = null)
    {
        if (_report is not null) return _report;
        lock (Gate)
        {
            if (_report is not null) return _report;
            options ??= new TorchRuntimeOptions();
            var malloc = options.TuneMalloc && Environment.GetEnvironmentVariable("CNNC_MALLOC_TUNING") != "0"
                ? GlibcMalloc.Tune()
                : Array.Empty<string>();
            // Before libtorch (and its libgomp, which reads the environment once, when loaded) is in the process.
            var openMp = OpenMpWait.Configure(OpenMpWait.SpinCount(options.OpenMpSpinCount, Environment.GetEnvironmentVariable("CNNC_OMP_SPINCOUNT")));
            string? nativePath = null;
            IReadOnlyList<string> relaxed = Array.Empty<string>();
            if (OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64)
                (nativePath, relaxed) = PrepareLibTorchSharp(options);
            _report = new TorchRuntimeReport(nativePath, relaxed, malloc, openMp);
            return _report;
        }
    }

    /// <summary>The device to use by default: CUDA when libtorch sees a GPU, else the CPU.</summary>
    public static torch.Device DefaultDevice
    {
        get
        {
            Initialize();
            return torch.cuda.is_available() ? torch.CUDA : torch.CPU;
        }
    }

    /// <summary>Parses "cpu", "cuda", "cuda:1" or "auto" (the default device).</summary>
    public static torch.Device ParseDevice(string? name)
    {
        Initialize();
        if (string.IsNullOrWhiteSpace(name) || name.Equals("auto", StringComparison.OrdinalIgnoreCase)) return DefaultDevice;
        if (name.StartsWith("cuda", StringComparison.OrdinalIgnoreCase) && !torch.cuda.is_available())
            throw new ArgumentException($"Device '{name}' was asked for, but CUDA is not available (the libtorch in use " +
                                        "is a CPU build, or it sees no GPU: reference a CUDA build of libtorch, see docs/runtime.md).");
        try { return torch.device(name); }
        catch (Exception e) { throw new ArgumentException($"Unknown device '{name}': use cpu, cuda, cuda:N or auto.", e); }
    }

    private static (string?, IReadOnlyList<string>) PrepareLibTorchSharp(TorchRuntimeOptions options)
    {
        var original = FindNativeFile("libLibTorchSharp.so", "torchsharp");
        if (original is null) return (null, Array.Empty<string>()); // TorchSharp will report its own, detailed error.
        var elf = File.ReadAllBytes(original);
        var needed = ElfVersionPatcher.NeededVersions(elf, "libstdc++.so.6");
        var provided = SystemLibStdCxxVersions();
        if (provided is null) return (null, Array.Empty<string>());
        var missing = needed.Where(v => !provided.Contains(v)).ToList();
        if (missing.Count == 0) return (null, Array.Empty<string>()); // new enough: change nothing

        // Prefer the libtorch beside LibTorchSharp (a build output has both): the process must load one copy only.
        var besideOriginal = Path.Combine(Path.GetDirectoryName(original)!, "libtorch_cpu.so");
        var libtorchCpu = (File.Exists(besideOriginal) ? besideOriginal : FindNativeFile("libtorch_cpu.so", "libtorch-cpu-linux-x64"))
            ?? throw new DllNotFoundException("libtorch_cpu.so was not found next to TorchSharp nor in the NuGet cache; " +
                                              "reference the libtorch-cpu-linux-x64 package.");
        // One consolidated folder per (library, libtorch folder): its links must point at the very files the host's
        // own probing loads, or two copies of libtorch end up in the process.
        var libtorchDir = Path.GetDirectoryName(libtorchCpu)!;
        var hash = Convert.ToHexString(SHA256.HashData(elf.Concat(Encoding.UTF8.GetBytes(libtorchDir)).ToArray()))[..16]
            .ToLowerInvariant();
        var cacheRoot = options.NativeCacheDirectory ?? DefaultCacheDirectory();
        var dir = Path.Combine(cacheRoot, $"libtorchsharp-{hash}");
        var patched = Path.Combine(dir, "libLibTorchSharp.so");
        if (File.Exists(patched) && !LinksAreIntact(dir)) Directory.Delete(dir, recursive: true);
        if (!File.Exists(patched))
        {
            ElfVersionPatcher.RelaxVersions(elf, missing);
            BuildConsolidatedDirectory(dir, elf, libtorchDir, Path.GetDirectoryName(original)!);
        }
        _consolidatedDirectory = dir;
        _patchedHandle = NativeLibrary.Load(patched);
        foreach (var assembly in new[] { typeof(torch).Assembly, TryLoadAssembly("TorchVision") })
        {
            if (assembly is null) continue;
            try { NativeLibrary.SetDllImportResolver(assembly, ResolveLibTorchSharp); }
            catch (InvalidOperationException) { /* a resolver is already set (e.g. by the host); leave it */ }
        }
        return (patched, missing);
    }

    /// <summary>
    /// Serves LibTorchSharp and every libtorch library TorchSharp asks for by name ("torch_cpu", "c10", …) from the
    /// consolidated directory, so a second copy from another folder is never loaded beside it.
    /// </summary>
    private static IntPtr ResolveLibTorchSharp(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name is "LibTorchSharp" or "libLibTorchSharp" or "libLibTorchSharp.so") return _patchedHandle;
        if (_consolidatedDirectory is null || name.Contains('/')) return IntPtr.Zero;
        foreach (var candidate in new[] { name, $"lib{name}.so", $"{name}.so" })
        {
            var file = Path.Combine(_consolidatedDirectory, candidate);
            if (File.Exists(file) && NativeLibrary.TryLoad(file, out var handle)) return handle;
        }
        return IntPtr.Zero;
    }

    private static Assembly? TryLoadAssembly(string name)
    {
        try { return Assembly.Load(name); }
        catch (Exception) { return null; }
    }

    /// <summary>Writes the patched library beside links to libtorch's files, so its <c>$ORIGIN</c> run path resolves.</summary>
    private static void BuildConsolidatedDirectory(string dir, byte[] patchedElf, string libtorchDir, string torchSharpDir)
    {
        var staging = dir + ".tmp-" + Environment.ProcessId + "-" + Guid.NewGuid().ToString("N")[..8];
        Directory.CreateDirectory(staging);
        try
        {
            foreach (var source in new[] { libtorchDir, torchSharpDir }.Distinct())
            foreach (var file in Directory.EnumerateFiles(source))
            {
                var fileName = Path.GetFileName(file);
                if (fileName == "libLibTorchSharp.so" || !fileName.Contains(".so")) continue;
                var link = Path.Combine(staging, fileName);
                if (!File.Exists(link)) File.CreateSymbolicLink(link, file);
            }
            File.WriteAllBytes(Path.Combine(staging, "libLibTorchSharp.so"), patchedElf);
            Directory.CreateDirectory(Path.GetDirectoryName(dir)!);
            try { Directory.Move(staging, dir); }
            catch (IOException) when (File.Exists(Path.Combine(dir, "libLibTorchSharp.so"))) { /* another process won */ }
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }

    private static bool LinksAreIntact(string dir) =>
        Directory.EnumerateFiles(dir).All(f => new FileInfo(f).LinkTarget is not { } target || File.Exists(target));

    private static string DefaultCacheDirectory()
    {
        var explicitDir = Environment.GetEnvironmentVariable("CNNC_NATIVE_CACHE");
        if (!string.IsNullOrEmpty(explicitDir)) return explicitDir;
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var baseDir = !string.IsNullOrEmpty(xdg) ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(baseDir, "cnnc", "native");
    }

    /// <summary>Version names the loaded system libstdc++ defines, or null when it cannot be found.</summary>
    private static HashSet<string>? SystemLibStdCxxVersions()
    {
        if (!NativeLibrary.TryLoad("libstdc++.so.6", out _)) return null;
        var path = File.ReadLines("/proc/self/maps")
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(p => p.Length >= 6 && Path.GetFileName(p[5]).StartsWith("libstdc++.so.6", StringComparison.Ordinal))
            .Select(p => p[5]).FirstOrDefault();
        if (path is null) return null;
        var bytes = File.ReadAllBytes(path);
        var text = Encoding.ASCII.GetString(bytes);
        var versions = new HashSet<string>(StringComparer.Ordinal);
        foreach (var prefix in new[] { "GLIBCXX_", "CXXABI_" })
        {
            for (var i = text.IndexOf(prefix, StringComparison.Ordinal); i >= 0; i = text.IndexOf(prefix, i + 1, StringComparison.Ordinal))
            {
                var end = text.IndexOf('\0', i);
                if (end > i && end - i < 32) versions.Add(text[i..end]);
            }
        }
        return versions;
    }

    /// <summary>Finds a native file where the host, the build output or the NuGet cache keeps it.</summary>
    private static string? FindNativeFile(string fileName, string packageId)
    {
        const string rid = "linux-x64";
        var dirs = new List<string>();
        if (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") is string searchDirs)
            dirs.AddRange(searchDirs.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        dirs.Add(AppContext.BaseDirectory);
        dirs.Add(Path.Combine(AppContext.BaseDirectory, "runtimes", rid, "native"));
        var torchSharpDir = Path.GetDirectoryName(typeof(torch).Assembly.Location);
        if (!string.IsNullOrEmpty(torchSharpDir))
        {
            dirs.Add(torchSharpDir);
            dirs.Add(Path.Combine(torchSharpDir, "..", "..", "runtimes", rid, "native"));
        }
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (string.IsNullOrEmpty(packages))
            packages = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var packageDir = Path.Combine(packages, packageId);
        if (Directory.Exists(packageDir))
            dirs.AddRange(Directory.EnumerateDirectories(packageDir).OrderByDescending(d => d, StringComparer.Ordinal)
                .Select(d => Path.Combine(d, "runtimes", rid, "native")));
        return dirs.Select(d => Path.Combine(d, fileName)).FirstOrDefault(File.Exists) is { } found
            ? Path.GetFullPath(found)
            : null;
    }
}
