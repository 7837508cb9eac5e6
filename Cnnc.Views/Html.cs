using System.Net;

namespace Cnnc.Views;

/// <summary>What every view's HTML shares: encoding, the view scripts and the "plotly.js is missing" note.</summary>
internal static class Html
{
    private static readonly Lazy<string> Mount = new(() => Resources.Read("mount.js"));

    public static string Encode(string text) => WebUtility.HtmlEncode(text);

    /// <summary>
    /// A view's script, called with the fragment's root element id, after the shared helper that runs a view once
    /// plotly.js is on the page (<c>mount.js</c>, defined once per page).
    /// </summary>
    public static string Script(string resource, string rootId) =>
        "<script type=\"text/javascript\">" + Mount.Value + "</script>\n" +
        "<script type=\"text/javascript\">" + Resources.Read(resource) + "('" + rootId + "');</script>\n";

    /// <summary>
    /// Ends a chart view's fragment: its data as JSON (the default encoder escapes &lt;, &gt; and &amp;, so the JSON
    /// cannot end the &lt;script&gt; element early), then its script, then the root element's end.
    /// </summary>
    public static string Finish(System.Text.StringBuilder html, System.Text.Json.Nodes.JsonObject payload, string script, string rootId)
    {
        html.Append("<script type=\"application/json\" class=\"cnnc-data\">")
            .Append(payload.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = false })).Append("</script>\n");
        html.Append(Script(script, rootId));
        return html.Append("</div>").ToString();
    }

    /// <summary>The note a view shows when plotly.js never arrives, naming the command that brings it again.</summary>
    public static string MissingPlotly(string command, ViewHost host = ViewHost.Notebook) => host == ViewHost.Report
        ? "<div class=\"cnnc-missing-plotly\" style=\"display:none\">plotly.js did not run on this page: the report carries it at " +
          "the top; open the file in a browser with scripts enabled.</div>\n"
        : "<div class=\"cnnc-missing-plotly\" style=\"display:none\">plotly.js is not on this page (the output that carried it " +
          $"was cleared?): run <code>#!cnnc {command} … --inline-plotly</code>.</div>\n";
}

/// <summary>Styles shared by every CNNC view (scoped under <c>.cnnc-view</c>).</summary>
internal static class Styles
{
    public const string Element =
        "<style>" +
        ".cnnc-view{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;font-size:13px;color:#222;max-width:1200px}" +
        ".cnnc-view code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px}" +
        ".cnnc-view .cnnc-header{margin:4px 0 6px}" +
        ".cnnc-view .cnnc-note{margin:2px 0 6px;color:#8a4b00}" +
        ".cnnc-view .cnnc-controls{margin:0 0 6px}.cnnc-view .cnnc-controls label{margin-right:12px}" +
        ".cnnc-view .cnnc-grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(440px,1fr));gap:8px}" +
        ".cnnc-view .cnnc-chart{min-height:360px;min-width:0;overflow:hidden;border:1px solid #eee;border-radius:4px}" +
        ".cnnc-view table{border-collapse:collapse;margin:6px 0}" +
        ".cnnc-view th,.cnnc-view td{border-bottom:1px solid #e5e5e5;padding:3px 8px;text-align:left}" +
        ".cnnc-view th{background:#f6f6f6}" +
        ".cnnc-view .cnnc-missing-plotly{color:#a00;margin:4px 0}" +
        ".cnnc-view .cnnc-error{color:#a00}" +
        ".cnnc-view .cnnc-explain{margin:8px 0;padding:6px 8px;border:1px solid #eee;border-radius:4px}" +
        ".cnnc-view .cnnc-d-note,.cnnc-view .cnnc-d-follow,.cnnc-view .cnnc-d-caption{margin:3px 0;color:#444}" +
        ".cnnc-view .cnnc-d-follow:empty{display:none}.cnnc-view .cnnc-d-follow{color:#a05a00}" +
        ".cnnc-view .cnnc-d-row{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}" +
        ".cnnc-view .cnnc-d-row figure{margin:0;font-size:11px;line-height:1.35}" +
        ".cnnc-view .cnnc-d-row img{display:block;border:1px solid #ddd}" +
        ".cnnc-view progress{width:240px;vertical-align:middle}" +
        ".cnnc-view .cnnc-unreliable{color:#a05a00;cursor:help}" +
        "</style>\n";
}

/// <summary>Text resources embedded in this assembly.</summary>
internal static class Resources
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> Cache = new();

    public static string Read(string name) => Cache.GetOrAdd(name, Load);

    private static string Load(string name)
    {
        var assembly = typeof(Resources).Assembly;
        using var stream = assembly.GetManifestResourceStream("Cnnc.Views." + name)
                           ?? throw new InvalidOperationException($"Resource {name} is missing from {assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
