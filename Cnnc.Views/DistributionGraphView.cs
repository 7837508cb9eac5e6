using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cnnc.Engine.Analysis;
using Cnnc.Engine.Studies;

namespace Cnnc.Views;

/// <summary>
/// View B alone: the engine's <see cref="DistributionGraph"/> (what <c>Study.DistributionGraph(model)</c> returns) as a
/// self-contained, zoomable chart fragment.
/// </summary>
public static class DistributionGraphView
{
    /// <summary>The fragment; <paramref name="includePlotly"/> inlines plotly.js (once per page).</summary>
    public static string ToHtml(this DistributionGraph graph, bool includePlotly = true)
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
            .Append(Html.MissingPlotly("overview"))
            .Append("<div class=\"cnnc-chart\" data-chart=\"b\" style=\"max-width:640px\"></div>\n")
            .Append("<script type=\"application/json\" class=\"cnnc-data\">").Append(data).Append("</script>\n")
            .Append(Html.Script("chart.js", id))
            .Append("</div>");
        return html.ToString();
    }
}
