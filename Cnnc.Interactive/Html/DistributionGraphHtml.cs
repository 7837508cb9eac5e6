using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cnnc.Engine.Analysis;

namespace Cnnc.Interactive.Html;

/// <summary>
/// View B alone: the engine's <see cref="DistributionGraph"/> (what <c>CnncSession.DistributionGraph(model)</c>
/// returns) as a self-contained, zoomable chart fragment.
/// </summary>
public static class DistributionGraphHtml
{
    private static readonly Lazy<string> Script = new(() => Resources.Read("chart.js"));

    /// <summary>The fragment; <paramref name="includePlotly"/> inlines plotly.js (once per page).</summary>
    public static string Render(DistributionGraph graph, bool includePlotly)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var id = "cnnc-distribution-" + Guid.NewGuid().ToString("N")[..12];
        var figure = OverviewCharts.DistributionGraph(graph, graph.Roots, null, OverviewCharts.BTitle(graph.Model));
        var data = new JsonObject { ["figures"] = new JsonObject { ["b"] = figure } }.ToJsonString(new JsonSerializerOptions());
        var html = new StringBuilder();
        if (includePlotly) html.Append(PlotlyJs.ScriptElement()).Append('\n');
        html.Append($"<div class=\"cnnc-view cnnc-distribution\" id=\"{id}\" data-cnnc-model=\"{WebUtility.HtmlEncode(graph.Model)}\">\n")
            .Append(Styles.Element)
            .Append($"<div class=\"cnnc-header\"><b>{WebUtility.HtmlEncode(graph.Model)}</b> on <code>{WebUtility.HtmlEncode(graph.Dataset)}</code>: ")
            .Append($"{graph.Points.Count} classes in {graph.Roots.Count} roots · t-SNE KL {graph.KlDivergence.ToString("F4", System.Globalization.CultureInfo.InvariantCulture)} after {graph.Iterations} iterations</div>\n")
            .Append("<div class=\"cnnc-missing-plotly\" style=\"display:none\">plotly.js is not on this page (the output that carried it ")
            .Append("was cleared?): run <code>#!cnnc overview --inline-plotly</code>.</div>\n")
            .Append("<div class=\"cnnc-chart\" data-chart=\"b\" style=\"max-width:640px\"></div>\n")
            .Append("<script type=\"application/json\" class=\"cnnc-data\">").Append(data).Append("</script>\n")
            .Append("<script type=\"text/javascript\">").Append(Script.Value).Append("('").Append(id).Append("');</script>\n")
            .Append("</div>");
        return html.ToString();
    }
}
