using System.Runtime.InteropServices;

namespace Cnnc.Engine.Runtime;

/// <summary>libgomp's wait policy, set in the native environment before libtorch loads libgomp.</summary>
internal static class OpenMpWait
{
    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int SetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);

    /// <summary>The spin count to set: <paramref name="variable"/> (a number, or "default" for none) over the option.</summary>
    public static int? SpinCount(int? option, string? variable)
    {
        if (string.IsNullOrWhiteSpace(variable)) return option;
        if (variable.Trim().Equals("default", StringComparison.OrdinalIgnoreCase)) return null;
        return int.TryParse(variable, out var n) && n >= 0
            ? n
            : throw new ArgumentException($"CNNC_OMP_SPINCOUNT='{variable}' is not a spin count: use a number >= 0 or 'default'.");
    }

    /// <summary>Sets GOMP_SPINCOUNT when asked and the user set neither variable; returns what is in effect.</summary>
    public static string Configure(int? spinCount)
    {
        var policy = Environment.GetEnvironmentVariable("OMP_WAIT_POLICY");
        var spin = Environment.GetEnvironmentVariable("GOMP_SPINCOUNT");
        if (policy is not null || spin is not null)
            return string.Join(" ", new[] { policy is null ? null : $"OMP_WAIT_POLICY={policy}", spin is null ? null : $"GOMP_SPINCOUNT={spin}" }.Where(s => s is not null));
        if (spinCount is null || !OperatingSystem.IsLinux()) return "default";
        var value = spinCount.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            if (SetEnv("GOMP_SPINCOUNT", value, 0) != 0) return "default";
            Environment.SetEnvironmentVariable("GOMP_SPINCOUNT", value); // keep .NET's view (and child processes) in step
            return $"GOMP_SPINCOUNT={value}";
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return "default";
        }
    }
}
