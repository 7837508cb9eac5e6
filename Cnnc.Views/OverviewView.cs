using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cnnc.Engine.Studies;

namespace Cnnc.Views;

/// <summary>
/// Renders an <see cref="Overview"/> as one self-contained HTML fragment: the six Phase 1 charts (A1–A4, E range and
/// average), the data to relink them, and a small script — works in notebook outputs, exported notebooks and plain
/// pages alike, with no kernel round trip.
/// </summary>
public static class OverviewView
{

    /// <summary>The charts of the grid, in page order (the paper's A1, A2, B, A3, A4, then E).</summary>
    public static IReadOnlyList<string> Charts { get; } = new[] { "a1", "a2", "b", "a3", "a4", "range", "average" };

    /// <summary>
    /// The overview as a self-contained HTML fragment (charts, data and linking script; plotly.js inlined unless
    /// <paramref name="includePlotly"/> is false because the page already has it); <paramref name="host"/> decides
    /// whether its hints speak of <c>#!cnnc</c> commands or of the report.
    /// </summary>
    public static string ToHtml(this Overview o, bool includePlotly = true, ViewHost host = ViewHost.Notebook)
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
        if (o.PreprocessingNote is { } mixed)
            html.Append($"<div class=\"cnnc-note cnnc-preprocessing-note\">⚠ {E(mixed)}: the models do not see the same pixels.</div>\n");
        html.Append("<div class=\"cnnc-controls\"><label>Pin model <select class=\"cnnc-pin-model\">");
        for (var i = 0; i < o.Models.Count; i++)
            html.Append($"<option value=\"{i}\"{(o.Models[i].Name == o.PinnedModel ? " selected" : "")}>{E(o.Models[i].Name)}</option>");
        html.Append("</select></label> <label>Pin root <select class=\"cnnc-pin-root\">");
        for (var r = 0; r < o.Hierarchy.RootCount; r++)
            html.Append($"<option value=\"{r}\"{(o.Hierarchy.Roots[r] == o.PinnedRoot ? " selected" : "")}>{E(o.Hierarchy.Roots[r])}</option>");
        html.Append("</select></label></div>\n");
        html.Append(Html.MissingPlotly("overview", host));
        html.Append("<div class=\"cnnc-grid\">");
        foreach (var chart in Charts)
            html.Append($"<div class=\"cnnc-chart\" data-chart=\"{chart}\"></div>");
        html.Append("</div>\n");
        html.Append(ExplanationExamplesView.Section(o, host));
        html.Append(Table(o));
        html.Append("<script type=\"application/json\" class=\"cnnc-data\">").Append(Payload(o, host)).Append("</script>\n");
        html.Append(Html.Script("overview.js", id));
        html.Append("</div>");
        return html.ToString();
    }

    /// <summary>The data the page needs: figures from Plotly.NET plus what relinking uses.</summary>
    internal static string Payload(Overview o, ViewHost host = ViewHost.Notebook)
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
                ["a3"] = OverviewCharts.Wrap(OverviewCharts.A3TitleTemplate), ["a4"] = OverviewCharts.Wrap(OverviewCharts.A4TitleTemplate),
                ["b"] = OverviewCharts.Wrap(OverviewCharts.BTitleTemplate),
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
                // What the page says when the pin leaves the explained model ({shown}, {model}: names).
                ["follow"] = host == ViewHost.Report
                    ? "D still shows {shown}'s explanations (computed when this report was made): make the report again with cnnc report --pin {model} for {model}'s."
                    : "D still shows {shown}'s explanations (computed in the kernel): run #!cnnc overview --pin {model} for {model}'s, or add --explain all to embed every model's.",
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
            ["crowded"] = OverviewCharts.IsCrowded(o),
            ["faint"] = OverviewCharts.FaintOpacity,
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
        var published = o.Models.Any(m => !double.IsNaN(m.PublishedAccuracy));
        var t = new StringBuilder("<details class=\"cnnc-table\"><summary>Models table</summary><table><thead><tr>")
            .Append("<th>model</th><th>architecture</th><th>accuracy</th>")
            .Append(published ? "<th>published acc@1</th>" : "")
            .Append("<th>top-5</th><th>parameters</th><th>MACs</th><th>latency</th>");
        foreach (var root in o.Hierarchy.Roots) t.Append($"<th>{E(root)}</th>");
        t.Append("</tr></thead><tbody>");
        foreach (var m in o.Models)
        {
            t.Append($"<tr><td>{E(m.Name)}</td><td>{E(m.Architecture)}</td><td>{Format.Percent(m.Accuracy.Overall)}</td>")
                .Append(published ? $"<td>{(double.IsNaN(m.PublishedAccuracy) ? "–" : Format.Percent(m.PublishedAccuracy))}</td>" : "")
                .Append($"<td>{Format.Percent(m.Accuracy.Top5)}</td><td>{Format.Count(m.Parameters)}</td>")
                .Append($"<td>{Format.Count(m.Macs)}</td><td>{LatencyMark.Html(m.LatencyMs, m.LatencyCaveat)}</td>");
            foreach (var g in m.Accuracy.PerRoot) t.Append($"<td>{Format.Percent(g.Accuracy)}</td>");
            t.Append("</tr>");
        }
        return t.Append("</tbody></table></details>\n").ToString();
    }

    private static string E(string text) => Html.Encode(text);
}
