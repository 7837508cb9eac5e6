using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Cnnc.Interactive.Html;

/// <summary>
/// Renders an <see cref="Overview"/> as one self-contained HTML fragment: the six Phase 1 charts (A1–A4, E range and
/// average), the data to relink them, and a small script — works in notebook outputs, exported notebooks and plain
/// pages alike, with no kernel round trip.
/// </summary>
public static class OverviewHtml
{
    private static readonly Lazy<string> Script = new(() => Resources.Read("overview.js"));

    /// <summary>The charts of the grid, in page order (the paper's A1, A2, B, A3, A4, then E).</summary>
    public static IReadOnlyList<string> Charts { get; } = new[] { "a1", "a2", "b", "a3", "a4", "range", "average" };

    /// <summary>The fragment; <paramref name="includePlotly"/> inlines plotly.js (once per page).</summary>
    public static string Render(Overview o, bool includePlotly)
    {
        var id = "cnnc-overview-" + Guid.NewGuid().ToString("N")[..12];
        var html = new StringBuilder();
        if (includePlotly) html.Append(PlotlyJs.ScriptElement()).Append('\n');
        html.Append($"<div class=\"cnnc-view cnnc-overview\" id=\"{id}\" data-cnnc-pinned-model=\"{E(o.PinnedModel)}\" data-cnnc-pinned-root=\"{E(o.PinnedRoot)}\">\n");
        html.Append(Styles.Element);
        html.Append("<div class=\"cnnc-header\">")
            .Append($"<b>CNNC overview</b> · {o.Models.Count} model{(o.Models.Count == 1 ? "" : "s")} on <code>{E(o.Dataset)}</code> ({o.Images:N0} images, ")
            .Append($"{o.Hierarchy.ClassCount} classes in {o.Hierarchy.RootCount} roots) · pinned model <b class=\"cnnc-pinned-model\">{E(o.PinnedModel)}</b>, ")
            .Append($"root <b class=\"cnnc-pinned-root\">{E(o.PinnedRoot)}</b>")
            .Append("</div>\n");
        html.Append("<div class=\"cnnc-controls\"><label>Pin model <select class=\"cnnc-pin-model\">");
        for (var i = 0; i < o.Models.Count; i++)
            html.Append($"<option value=\"{i}\"{(o.Models[i].Name == o.PinnedModel ? " selected" : "")}>{E(o.Models[i].Name)}</option>");
        html.Append("</select></label> <label>Pin root <select class=\"cnnc-pin-root\">");
        for (var r = 0; r < o.Hierarchy.RootCount; r++)
            html.Append($"<option value=\"{r}\"{(o.Hierarchy.Roots[r] == o.PinnedRoot ? " selected" : "")}>{E(o.Hierarchy.Roots[r])}</option>");
        html.Append("</select></label></div>\n");
        html.Append("<div class=\"cnnc-missing-plotly\" style=\"display:none\">plotly.js is not on this page (the output that carried it ")
            .Append("was cleared?): run <code>#!cnnc overview --inline-plotly</code>.</div>\n");
        html.Append("<div class=\"cnnc-grid\">");
        foreach (var chart in Charts)
            html.Append($"<div class=\"cnnc-chart\" data-chart=\"{chart}\"></div>");
        html.Append("</div>\n");
        html.Append(ExplanationsHtml.Section(o));
        html.Append(Table(o));
        html.Append("<script type=\"application/json\" class=\"cnnc-data\">").Append(Payload(o)).Append("</script>\n");
        html.Append("<script type=\"text/javascript\">").Append(Script.Value).Append("('").Append(id).Append("');</script>\n");
        html.Append("</div>");
        return html.ToString();
    }

    /// <summary>The data the page needs: figures from Plotly.NET plus what relinking uses.</summary>
    internal static string Payload(Overview o)
    {
        var h = o.Hierarchy;
        var models = o.Models;
        JsonArray PerModel(Func<ModelSummary, int, JsonNode?> value) => new(models.Select(m =>
            (JsonNode)new JsonArray(Enumerable.Range(0, h.ClassCount).Select(c => value(m, c)).ToArray())).ToArray());
        var payload = new JsonObject
        {
            ["figures"] = new JsonObject
            {
                ["a1"] = OverviewCharts.AccuracyComplexity(o),
                ["a2"] = OverviewCharts.RootRadar(o),
                ["a3"] = OverviewCharts.RankedClasses(o),
                ["a4"] = OverviewCharts.RankedRootClasses(o),
                ["b"] = OverviewCharts.DistributionGraph(o),
                ["range"] = OverviewCharts.RangeOfClassAccuracy(o),
                ["average"] = OverviewCharts.AverageOfClassAccuracy(o),
            },
            ["titles"] = new JsonObject
            {
                ["a3"] = OverviewCharts.A3TitleTemplate, ["a4"] = OverviewCharts.A4TitleTemplate, ["b"] = OverviewCharts.BTitleTemplate,
            },
            // B of every model (null where none), coordinates in class order; the page regroups them by root.
            ["distribution"] = new JsonObject
            {
                ["x"] = new JsonArray(o.DistributionGraphs.Select(g => g is null ? null
                    : (JsonNode)new JsonArray(g.Points.Select(p => (JsonNode)OverviewCharts.Coordinate(p.X)).ToArray())).ToArray()),
                ["y"] = new JsonArray(o.DistributionGraphs.Select(g => g is null ? null
                    : (JsonNode)new JsonArray(g.Points.Select(p => (JsonNode)OverviewCharts.Coordinate(p.Y)).ToArray())).ToArray()),
                ["rootClasses"] = new JsonArray(Enumerable.Range(0, h.RootCount).Select(r => (JsonNode)new JsonArray(
                    Enumerable.Range(0, h.ClassCount).Where(c => h.RootOf(c) == r).Select(c => (JsonNode)c).ToArray())).ToArray()),
            },
            ["explain"] = new JsonObject
            {
                ["scope"] = o.ExplainScope.ToString().ToLowerInvariant(),
                ["models"] = new JsonArray(o.Explanations.Select(x => (JsonNode)x.Model).ToArray()),
            },
            ["models"] = new JsonArray(models.Select(m => (JsonNode)m.Name).ToArray()),
            ["classes"] = new JsonArray(models[0].Accuracy.PerClass.Select(g => (JsonNode)g.Name).ToArray()),
            ["roots"] = new JsonArray(h.Roots.Select(r => (JsonNode)r).ToArray()),
            ["classRoot"] = new JsonArray(Enumerable.Range(0, h.ClassCount).Select(c => (JsonNode)h.RootOf(c)).ToArray()),
            ["rootColors"] = new JsonArray(Enumerable.Range(0, h.RootCount).Select(r => (JsonNode)OverviewCharts.RootColor(r)).ToArray()),
            ["accuracy"] = PerModel((m, c) => m.Accuracy.PerClass[c].Accuracy is var a && double.IsNaN(a) ? null : Math.Round(a, 5)),
            ["correct"] = PerModel((m, c) => m.Accuracy.PerClass[c].Correct),
            ["total"] = PerModel((m, c) => m.Accuracy.PerClass[c].Total),
            ["ranking"] = new JsonArray(models.Select(m => (JsonNode)new JsonArray(o.Ranking(m.Name).Select(c => (JsonNode)c).ToArray())).ToArray()),
            ["highlight"] = o.HighlightedClass ?? -1,
            ["pin"] = new JsonObject
            {
                ["model"] = models.Select(m => m.Name).ToList().IndexOf(o.PinnedModel),
                ["root"] = h.IndexOfRoot(o.PinnedRoot),
            },
        };
        // The default encoder escapes <, > and &, so the JSON cannot end the <script> element early.
        return payload.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
    }

    /// <summary>The models table under the charts (also readable where scripts do not run).</summary>
    private static string Table(Overview o)
    {
        var t = new StringBuilder("<details class=\"cnnc-table\"><summary>Models table</summary><table><thead><tr>")
            .Append("<th>model</th><th>architecture</th><th>accuracy</th><th>top-5</th><th>parameters</th><th>MACs</th><th>latency</th>");
        foreach (var root in o.Hierarchy.Roots) t.Append($"<th>{E(root)}</th>");
        t.Append("</tr></thead><tbody>");
        foreach (var m in o.Models)
        {
            t.Append($"<tr><td>{E(m.Name)}</td><td>{E(m.Architecture)}</td><td>{OverviewCharts.Percent(m.Accuracy.Overall)}</td>")
                .Append($"<td>{OverviewCharts.Percent(m.Accuracy.Top5)}</td><td>{OverviewCharts.Count(m.Parameters)}</td>")
                .Append($"<td>{OverviewCharts.Count(m.Macs)}</td><td>{(m.LatencyMs is { } ms ? $"{ms:F2} ms" : "–")}</td>");
            foreach (var g in m.Accuracy.PerRoot) t.Append($"<td>{OverviewCharts.Percent(g.Accuracy)}</td>");
            t.Append("</tr>");
        }
        return t.Append("</tbody></table></details>\n").ToString();
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);
}

/// <summary>Styles shared by every CNNC view (scoped under <c>.cnnc-view</c>).</summary>
internal static class Styles
{
    public const string Element =
        "<style>" +
        ".cnnc-view{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;font-size:13px;color:#222;max-width:1200px}" +
        ".cnnc-view code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px}" +
        ".cnnc-view .cnnc-header{margin:4px 0 6px}" +
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
        "</style>\n";
}

/// <summary>Text resources embedded in this assembly.</summary>
internal static class Resources
{
    public static string Read(string name)
    {
        var assembly = typeof(Resources).Assembly;
        using var stream = assembly.GetManifestResourceStream("Cnnc.Interactive." + name)
                           ?? throw new InvalidOperationException($"Resource {name} is missing from {assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
