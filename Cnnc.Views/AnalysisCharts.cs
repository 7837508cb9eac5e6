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
        string title, string colorscale, bool reverse, double zmin, double zmax, string valueFormat)
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
        // plotly's sequential scales (Blues, …) run dark to light: reversed, 0 is white and the most is dark.
        trace["reversescale"] = reverse;
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
        var figure = Matrix(t.RowLabels, t.ColumnLabels, z, hover, title, "Blues", true, 0, v.Normalised ? 1 : Math.Max(max, 1),
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

    /// <summary>
    /// Pairwise McNemar p-values, models by accuracy (highest first); the hover has the 2×2 table, the accuracies and p.
    /// Dark = small p (the pair differs).
    /// </summary>
    public static JsonObject PValues(SignificanceView v)
    {
        var s = v.Pairwise;
        var names = v.Order.Select(m => s.Models[m]).ToList();
        var z = v.Order.Select(i => v.Order.Select(j => s.Tests[i][j].PValue).ToArray()).ToArray();
        var hover = v.Order.Select(i => v.Order.Select(j =>
        {
            var t = s.Tests[i][j];
            return $"<b>{t.ModelA}</b> ({Format.Percent(s.Accuracy[i])}) vs <b>{t.ModelB}</b> ({Format.Percent(s.Accuracy[j])})<br>" +
                   $"both right {t.BothRight:N0} · only A {t.OnlyA:N0} · only B {t.OnlyB:N0} · both wrong {t.BothWrong:N0}<br>" +
                   $"McNemar exact p = {P(t.PValue)}";
        }).ToArray()).ToArray();
        var figure = Matrix(names, names, z, hover, "McNemar exact p-values (models by accuracy; dark: the pair differs)",
            "Blues", false, 0, 1, ".3f");
        return figure;
    }

    /// <summary>Bootstrap intervals of overall accuracy: one point per model (by accuracy), the interval as error bars.</summary>
    public static JsonObject Intervals(SignificanceView v)
    {
        var byName = v.Intervals.Models.ToDictionary(m => m.Model, m => m.Overall);
        var names = v.Order.Select(m => v.Pairwise.Models[m]).ToList();
        var intervals = names.Select(n => byName[n]).ToList();
        var chart = PChart.Point<string, double, string>(x: names, y: intervals.Select(i => i.Accuracy).ToList(), Name: "accuracy",
            MultiText: intervals.Select((i, k) => $"<b>{names[k]}</b><br>accuracy {Format.Percent(i.Accuracy)}<br>" +
                $"{Format.Percent(v.Intervals.Confidence)} interval {Format.Percent(i.Lower)} – {Format.Percent(i.Upper)}").ToList(),
            MarkerColor: Plotly.NET.Color.fromString(OverviewCharts.ModelColor(0)), UseDefaults: false);
        var figure = OverviewCharts.Figure(chart);
        var trace = OverviewCharts.Traces(figure).Single();
        trace["hovertemplate"] = "%{text}<extra></extra>";
        trace["error_y"] = new JsonObject
        {
            ["type"] = "data", ["symmetric"] = false,
            ["array"] = new JsonArray(intervals.Select(i => (JsonNode)Math.Max(0, i.Upper - i.Accuracy)).ToArray()),
            ["arrayminus"] = new JsonArray(intervals.Select(i => (JsonNode)Math.Max(0, i.Accuracy - i.Lower)).ToArray()),
            ["thickness"] = 1.5, ["width"] = 6,
        };
        OverviewCharts.Layout(figure, $"Accuracy with bootstrap {Format.Percent(v.Intervals.Confidence)} intervals ({v.Intervals.Resamples:N0} paired resamples, seed {v.Intervals.Seed})",
            null, "Top-1 accuracy", height: 320);
        figure["layout"]!["yaxis"]!["tickformat"] = ".0%";
        figure["layout"]!["xaxis"]!["type"] = "category";
        figure["layout"]!["showlegend"] = false;
        return figure;
    }

    /// <summary>
    /// Reliability diagram: accuracy against mean confidence of every non-empty bin, one line per model (the pinned one
    /// bold, the others faint), and the diagonal of perfect calibration.
    /// </summary>
    public static JsonObject Reliability(CalibrationView v)
    {
        var charts = v.Models.Select((m, i) =>
        {
            var bins = m.Bins.Where(b => b.Count > 0).ToList();
            return PChart.Line<double, double, string>(x: bins.Select(b => b.MeanConfidence).ToList(), y: bins.Select(b => b.Accuracy).ToList(),
                Name: m.Model, ShowMarkers: true,
                MultiText: bins.Select(b => $"<b>{m.Model}</b><br>confidence [{F3(b.Lower)}, {F3(b.Upper)}{(b.Lower == b.Upper ? "]" : ")")}: " +
                    $"{b.Count:N0} images<br>mean confidence {Format.Percent(b.MeanConfidence)}<br>accuracy {Format.Percent(b.Accuracy)}").ToList(),
                LineColor: Plotly.NET.Color.fromString(OverviewCharts.ModelColor(i)), MarkerColor: Plotly.NET.Color.fromString(OverviewCharts.ModelColor(i)),
                UseDefaults: false);
        }).ToList();
        charts.Add(PChart.Line<double, double, string>(x: new[] { 0.0, 1.0 }, y: new[] { 0.0, 1.0 }, Name: "perfect calibration",
            LineColor: Plotly.NET.Color.fromString("#888888"), UseDefaults: false));
        var figure = OverviewCharts.Figure(Plotly.NET.CSharp.Chart.Combine(charts));
        var traces = OverviewCharts.Traces(figure).ToList();
        for (var i = 0; i < v.Models.Count; i++)
        {
            var pinned = v.Models[i].Model == v.Pinned;
            traces[i]["hovertemplate"] = "%{text}<extra></extra>";
            traces[i]["opacity"] = pinned ? 1.0 : OverviewCharts.FaintOpacity;
            traces[i]["line"]!["width"] = pinned ? 3 : 1.5;
        }
        traces[^1]["line"]!["dash"] = "dash";
        traces[^1]["hoverinfo"] = "skip";
        OverviewCharts.Layout(figure, $"Reliability diagram (pinned: {v.Pinned}; below the diagonal: over-confident)",
            "Mean top-label confidence of the bin", "Accuracy of the bin", height: 440);
        foreach (var axis in new[] { "xaxis", "yaxis" })
        {
            figure["layout"]![axis]!["range"] = new JsonArray(0, 1.02);
            figure["layout"]![axis]!["tickformat"] = ".0%";
        }
        return figure;
    }

    private static string F3(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>A models × models matrix of the agreement view (agreement or kappa), hover with both values.</summary>
    public static JsonObject AgreementMatrix(AgreementView v, bool kappa)
    {
        var a = v.Predictions;
        var hover = a.Models.Select((x, i) => a.Models.Select((y, j) =>
            $"<b>{x}</b> vs <b>{y}</b><br>agreement {Format.Percent(a.Agreement[i][j])}<br>Cohen's kappa {F3(a.Kappa[i][j])}").ToArray()).ToArray();
        return kappa
            ? Matrix(a.Models, a.Models, a.Kappa, hover, "Cohen's kappa of the predictions (agreement beyond chance)", "RdBu", false, -1, 1, ".2f")
            : Matrix(a.Models, a.Models, a.Agreement, hover, "Agreement: share of images with the same prediction", "Viridis", false, 0, 1, ".2f");
    }

    /// <summary>The histogram of "models right per image": k = 0 … L.</summary>
    public static JsonObject ModelsRight(AgreementView v)
    {
        var e = v.Errors;
        var keys = Enumerable.Range(0, e.ModelsRight.Count).Select(k => k.ToString(CultureInfo.InvariantCulture)).ToList();
        var chart = PChart.Column<int, string, string>(values: e.ModelsRight.ToList(), Keys: keys, Name: "images",
            MultiText: e.ModelsRight.Select((n, k) => $"{n:N0} images ({Format.Percent(e.Images == 0 ? double.NaN : (double)n / e.Images)}) " +
                $"right for exactly {k} of {e.Models.Count} models").ToList(),
            MarkerColor: Plotly.NET.Color.fromString(OverviewCharts.RootColor(2)), UseDefaults: false);
        var figure = OverviewCharts.Figure(chart);
        var trace = OverviewCharts.Traces(figure).Single();
        trace["hovertemplate"] = "%{text}<extra></extra>";
        trace["textposition"] = "none";
        OverviewCharts.Layout(figure, "Models right per image (0: hard for everyone)", "Models that predict the image correctly", "Images", height: 320);
        figure["layout"]!["xaxis"]!["type"] = "category";
        figure["layout"]!["showlegend"] = false;
        return figure;
    }

    /// <summary>A p-value as people read it: 3 significant digits, "&lt; 1e-300" style for tiny ones.</summary>
    public static string P(double p) => double.IsNaN(p) ? "–" : p.ToString(p < 1e-3 ? "0.00e+0" : "0.###", CultureInfo.InvariantCulture);

    internal static string R(double v) => double.IsFinite(v) ? v.ToString("R", CultureInfo.InvariantCulture) : "";
}
