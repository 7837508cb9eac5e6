using System.Runtime.InteropServices;

namespace Cnnc.Engine.Runtime;

/// <summary>glibc malloc tuning through <c>mallopt</c>, the run-time equivalent of the MALLOC_*_ variables.</summary>
internal static class GlibcMalloc
{
    private const int MTrimThreshold = -1, MTopPad = -2, MMmapThreshold = -3;

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int Mallopt(int param, int value);

    public static IReadOnlyList<string> Tune()
    {
        if (!OperatingSystem.IsLinux()) return Array.Empty<string>();
        var applied = new List<string>();
        try
        {
            // glibc caps the mmap threshold (32 MiB on 64-bit before 2.35); try the largest value it accepts.
            foreach (var threshold in new[] { int.MaxValue, 512 << 20, 32 << 20 })
                if (Mallopt(MMmapThreshold, threshold) == 1) { applied.Add($"M_MMAP_THRESHOLD={threshold}"); break; }
            if (Mallopt(MTrimThreshold, int.MaxValue) == 1) applied.Add($"M_TRIM_THRESHOLD={int.MaxValue}");
            if (Mallopt(MTopPad, 1 << 30) == 1) applied.Add($"M_TOP_PAD={1 << 30}");
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc (e.g. musl): nothing to tune.
        }
        return applied;
    }
}
