using System.Globalization;
using System.Text.Json.Nodes;
using Cnnc.Engine.Studies;
using PChart = Plotly.NET.CSharp.Chart;

namespace Cnnc.Views;

/// <summary>
/// The charts of the analysis views (confusion, calibration, significance, agreement), built with Plotly.NET and
/// adjusted as figure JSON like <see cref="OverviewCharts"/>, whose layout, title and colour helpers they share.
/// </summary>
internal static class AnalysisCharts
{
    /// <summary>
    /// A labelled matrix as a heatmap: rows top to bottom, <paramref name="hover"/>[row][column] in the hover, the value
    /// printed in each cell when the matrix is small.
    /// </summary>
    public static JsonObject Matrix(IReadOnlyList<string> rows, IReadOnlyList<string> columns, double[][] z, string[][] hover,
        string title, string colorscale, double zmin, double zmax, string valueFormat)
    {
        var chart = PChart.Heatmap<double, string, string, string>(
            zData: z.Select(r => (IEnumerable<double>)r).ToList(), X: columns.ToList(), Y: rows.ToList(), UseDefaults: false);
        var figure = OverviewCharts.Figure(chart);
        var trace = OverviewCharts.Traces(figure).Single();
        // JSON has no NaN: an undefined value is a hole in the map.
        trace["z"] = new JsonArray(z.Select(r => (JsonNode)new JsonArray(r.Select(v => double.IsFinite(v) ? (JsonNode)v : null).ToArray())).ToArray());
        trace["text"] = new JsonArray(hover.Select(r => (JsonNode)new JsonArray(r.Select(s => (JsonNode)s).ToArray())).ToArray());
        trace["hovertemplate"] = "%{text}<extra></extra>";
        if (rows.Count * columns.Count <= 400) trace["texttemplate"] = "%{z:" + valueFormat + "}";
        trace["zmin"] = zmin;
        trace["zmax"] = zmax;
        trace["colorscale"] = colorscale;
        // plotly's sequential scales (Blues, Greens, …) run dark to light: reversed, 0 is white and the most is dark.
        if (colorscale is "Blues" or "Greens" or "Reds" or "Greys") trace["reversescale"] = true;
        trace["xgap"] = 1;
        trace["ygap"] = 1;
        var side = Math.Clamp(18 * Math.Max(rows.Count, columns.Count), 240, 900);
        OverviewCharts.Layout(figure, title, null, null, height: side + OverviewCharts.TopMargin + 120);
        var layout = figure["layout"]!;
        layout["xaxis"]!["type"] = "category";
        layout["yaxis"]!["type"] = "category";
        layout["yaxis"]!["autorange"] = "reversed";
        layout["xaxis"]!["tickangle"] = -45;
        layout["margin"]!["l"] = 120;
        layout["margin"]!["b"] = 120;
        return figure;
    }

    /// <summary>The confusion heatmap: counts or row shares, root blocks outlined in their colours, click to list a cell.</summary>
    public static JsonObject Confusion(ConfusionView v)
    {
        var t = v.Table;
        var shares = t.RowNormalised();
        var z = v.Normalised ? shares : t.Counts.Select(r => r.Select(c => (double)c).ToArray()).ToArray();
        var hover = t.Counts.Select((row, i) => row.Select((c, j) =>
            $"true <b>{t.RowLabels[i]}</b><br>predicted <b>{t.ColumnLabels[j]}</b><br>{c:N0} image{(c == 1 ? "" : "s")} " +
            $"({Format.Percent(shares[i][j])} of the row)<br>click: list them").ToArray()).ToArray();
        var max = z.SelectMany(r => r).Where(double.IsFinite).DefaultIfEmpty(0).Max();
        var title = v.Level switch
        {
            "root" => $"Confusion of {v.Confusion.Model}: root '{v.Root}' (its classes; last column: predicted in another root)",
            "roots" => $"Confusion of {v.Confusion.Model}: root × root ({v.Confusion.Classes.RowLabels.Count} classes: drill down with --root)",
            _ => $"Confusion of {v.Confusion.Model} (classes grouped by root; click a cell for its images)",
        };
        var figure = Matrix(t.RowLabels, t.ColumnLabels, z, hover, title, "Blues", 0, v.Normalised ? 1 : Math.Max(max, 1),
            v.Normalised ? ".2f" : "d");
        var shapes = new JsonArray();
        foreach (var span in v.Spans)
            shapes.Add(new JsonObject
            {
                ["type"] = "rect", ["xref"] = "x", ["yref"] = "y",
                ["x0"] = span.Start - 0.5, ["x1"] = span.Start + span.Count - 0.5,
                ["y0"] = span.Start - 0.5, ["y1"] = span.Start + span.Count - 0.5,
                ["line"] = new JsonObject { ["color"] = OverviewCharts.RootColor(span.RootIndex), ["width"] = 3 },
                ["name"] = span.Root,
            });
        figure["layout"]!["shapes"] = shapes;
        figure["layout"]!["xaxis"]!["title"] = new JsonObject { ["text"] = "predicted" };
        figure["layout"]!["yaxis"]!["title"] = new JsonObject { ["text"] = "true" };
        return figure;
    }

    internal static string R(double v) => double.IsFinite(v) ? v.ToString("R", CultureInfo.InvariantCulture) : "";
}
