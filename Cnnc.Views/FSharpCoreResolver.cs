using System.Reflection;
using System.Runtime.Loader;

namespace Cnnc.Views;

/// <summary>
/// Lets Plotly.NET 6.0.0 (built against FSharp.Core 10.1) run in notebook hosts that ship FSharp.Core 10.0
/// (dotnet-interactive 1.0.712001, dotnet-repl 0.3.259): when the default load context cannot bind a request for
/// FSharp.Core, it is answered with the FSharp.Core the process already has (or the host's own, loaded by name
/// without a version). Must be installed before any Plotly.NET type is touched; installing twice is harmless.
/// </summary>
public static class FSharpCoreResolver
{
    private static int _installed;

    [ThreadStatic] private static bool _resolving;

    /// <summary>Installs the resolver (idempotent).</summary>
    public static void Install()
    {
        if (Interlocked.Exchange(ref _installed, 1) == 1) return;
        AssemblyLoadContext.Default.Resolving += Resolve;
    }

    /// <summary>True once <see cref="Install"/> ran.</summary>
    public static bool IsInstalled => Volatile.Read(ref _installed) == 1;

    private static Assembly? Resolve(AssemblyLoadContext context, AssemblyName name)
    {
        if (!string.Equals(name.Name, "FSharp.Core", StringComparison.Ordinal)) return null;
        var loaded = AppDomain.CurrentDomain.GetAssemblies()
            .Where(a => string.Equals(a.GetName().Name, "FSharp.Core", StringComparison.Ordinal))
            .OrderByDescending(a => a.GetName().Version)
            .FirstOrDefault();
        if (loaded is not null || _resolving) return loaded;
        try
        {
            _resolving = true;
            // Not loaded yet: ask for it without a version, which binds to the host's (trusted platform) copy.
            return context.LoadFromAssemblyName(new AssemblyName("FSharp.Core"));
        }
        catch (Exception)
        {
            return null;
        }
        finally
        {
            _resolving = false;
        }
    }
}
