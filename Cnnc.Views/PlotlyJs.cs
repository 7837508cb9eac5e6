using System.Text.RegularExpressions;

namespace Cnnc.Views;

/// <summary>
/// plotly.js, inlined from the copy embedded in Plotly.NET.dll (never a CDN, so saved notebooks and reports draw
/// offline). The inlined script is guarded: it runs only when <c>window.Plotly</c> is undefined, and with
/// <c>define</c>, <c>module</c> and <c>exports</c> shadowed, so pages that have require.js (Jupyter's HTML export,
/// classic Jupyter) get a global <c>Plotly</c> instead of a "Mismatched anonymous define()" error. Views that run
/// before it arrives queue themselves on <c>window.__cnncPlotlyQueue</c>, which the loader drains.
/// </summary>
public static class PlotlyJs
{
    private static readonly Lazy<(string Name, string Source)> Resource = new(Load);
    private static int _includedInNotebook;

    /// <summary>Name of the embedded resource, e.g. <c>Plotly.NET.plotly-2.28.0.min.js</c>.</summary>
    public static string ResourceName => Resource.Value.Name;

    /// <summary>The plotly.js version, e.g. <c>2.28.0</c>.</summary>
    public static string Version => Regex.Match(ResourceName, @"plotly-([0-9.]+)\.min\.js").Groups[1].Value;

    /// <summary>The plotly.js source (about 3.6 MB).</summary>
    public static string Source => Resource.Value.Source;

    /// <summary>Marker comment that starts the inlined script (tests count it to check "once per page").</summary>
    public const string Marker = "cnnc: plotly.js inlined";

    /// <summary>The guarded <c>&lt;script&gt;</c> element that defines <c>window.Plotly</c> once per page.</summary>
    public static string ScriptElement() =>
        "<script type=\"text/javascript\">/* " + Marker + " (" + Version + ", from Plotly.NET) */\n" +
        "(function(){\n" +
        "if (typeof window.Plotly === 'undefined') {\n" +
        "(function(define, module, exports){\n" +
        Regex.Replace(Source, "</script", "<\\/script", RegexOptions.IgnoreCase) +
        "\n}).call(window, undefined, undefined, undefined);\n" +
        "}\n" +
        "var q = window.__cnncPlotlyQueue; window.__cnncPlotlyQueue = [];\n" +
        "if (q) { for (var i = 0; i < q.length; i++) { try { q[i](); } catch (e) { console.error(e); } } }\n" +
        "})();\n</script>";

    /// <summary>
    /// For notebook output: true the first time it is called in this kernel session (that output inlines plotly.js),
    /// false afterwards (the page has it). <see cref="ResetNotebook"/> makes the next view inline it again.
    /// </summary>
    public static bool ClaimForNotebook() => Interlocked.Exchange(ref _includedInNotebook, 1) == 0;

    /// <summary>Makes the next notebook view inline plotly.js again (e.g. after clearing the output that held it).</summary>
    public static void ResetNotebook() => Interlocked.Exchange(ref _includedInNotebook, 0);

    private static (string, string) Load()
    {
        FSharpCoreResolver.Install();
        return LoadFromPlotlyNet();
    }

    // A separate method: compiling it loads Plotly.NET, which must happen after the FSharp.Core resolver is installed.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static (string, string) LoadFromPlotlyNet()
    {
        var assembly = typeof(Plotly.NET.GenericChart).Assembly;
        var name = assembly.GetManifestResourceNames()
                       .Where(n => Regex.IsMatch(n, @"plotly-[0-9.]+\.min\.js$"))
                       .OrderByDescending(n => n, StringComparer.Ordinal)
                       .FirstOrDefault()
                   ?? throw new InvalidOperationException($"{assembly.GetName().Name} has no embedded plotly.js resource.");
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream);
        return (name, reader.ReadToEnd());
    }
}
