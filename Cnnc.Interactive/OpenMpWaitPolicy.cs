using System.Runtime.InteropServices;
using Cnnc.Engine.Runtime;

namespace Cnnc.Interactive;

/// <summary>
/// Makes libtorch's OpenMP threads sleep instead of spinning while they wait (<c>OMP_WAIT_POLICY=PASSIVE</c>) in the
/// notebook kernel. A kernel is a long-lived process that shares the machine with the browser, the host and often
/// builds: with libgomp's default policy (spin, then sleep), libtorch's two threads collapsed when the cores were
/// oversubscribed (a TorchSharp program at load 4–11 on 2 cores: Smooth Grad-CAM++ of 50 zoo images 0.9–26 s, 20 s or
/// more in 3 of 6 runs; 1.6–4.6 s passive). OpenMP reads the variable once, when libtorch loads, from the native
/// environment (which <see cref="Environment.SetEnvironmentVariable(string, string)"/> does not change on Unix): this
/// sets it with libc's <c>setenv</c> before the extension loads libtorch. A value the user set
/// (<c>OMP_WAIT_POLICY</c> or <c>GOMP_SPINCOUNT</c>), Windows, or libtorch already loaded: nothing changes.
/// </summary>
internal static class OpenMpWaitPolicy
{
    /// <summary>What <see cref="Apply"/> did: "OMP_WAIT_POLICY=PASSIVE", or why not.</summary>
    public static string? Applied { get; private set; }

    /// <summary>Sets the passive wait policy unless something above rules it out. Idempotent.</summary>
    public static void Apply()
    {
        if (Applied is not null) return;
        if (TorchRuntime.Report is not null) { Applied = "unchanged: libtorch was loaded before the extension"; return; }
        if (!(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())) { Applied = "unchanged: not a Unix system"; return; }
        if (Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is { Length: > 0 } policy)
        { Applied = $"unchanged: OMP_WAIT_POLICY={policy} set by the user"; return; }
        if (Environment.GetEnvironmentVariable("GOMP_SPINCOUNT") is { Length: > 0 } spin)
        { Applied = $"unchanged: GOMP_SPINCOUNT={spin} set by the user"; return; }
        try
        {
            Applied = setenv("OMP_WAIT_POLICY", "PASSIVE", 0) == 0 ? "OMP_WAIT_POLICY=PASSIVE" : "unchanged: setenv failed";
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            Applied = "unchanged: libc setenv not found";
        }
    }

    [DllImport("libc", EntryPoint = "setenv", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int setenv(string name, string value, int overwrite);
}
