using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Cnnc.Engine.Analysis;
using Cnnc.Engine.Studies;
using Plotly.NET;
using PChart = Plotly.NET.CSharp.Chart;

namespace Cnnc.Views;

/// <summary>
/// Renders a <see cref="RobustnessReport"/>: accuracy against severity per model — averaged over the corruptions, then
/// one small chart per corruption — and the table of mean corruption error (mCE, relative to the report's baseline)
/// with each corruption's CE, sorted by mCE. Self-contained HTML, as every view.
/// </summary>
public static class RobustnessView
{
    /// <summary>The chart keys: "mean" first, then the corruptions in the report's order.</summary>
    public static IReadOnlyList<string> Charts(RobustnessReport r) => new[] { "mean" }.Concat(r.Corruptions).ToList();

    /// <summary>The view as one HTML fragment (plotly.js inlined unless <paramref name="includePlotly"/> is false).</summary>
    public static string ToHtml(this RobustnessReport r, bool includePlotly = true, ViewHost host = ViewHost.Notebook)
    {
        var id = "cnnc-robustness-" + Guid.NewGuid().ToString("N")[..12];
        var models = r.Models.Select(m => m.Model).ToList();
        var html = new StringBuilder();
        if (includePlotly) html.Append(PlotlyJs.ScriptElement()).Append('\n');
        html.Append($"<div class=\"cnnc-view cnnc-robustness\" id=\"{id}\" data-cnnc-baseline=\"{E(r.Baseline)}\">\n").Append(Styles.Element);
        html.Append("<div class=\"cnnc-header\"><b>CNNC robustness</b> · ")
            .Append($"{models.Count} model{(models.Count == 1 ? "" : "s")} under {r.Corruptions.Count} corruption{(r.Corruptions.Count == 1 ? "" : "s")} ")
            .Append($"at severities {string.Join(", ", r.Severities)} · CE and mCE relative to <b>{E(r.Baseline)}</b></div>\n");
        var missing = Cnnc.Engine.Corruptions.ImageCorruptions.ImageNetC.Except(r.Corruptions).ToList();
        if (missing.Count > 0)
            html.Append($"<div class=\"cnnc-note\">mCE here averages {r.Corruptions.Count} corruption{(r.Corruptions.Count == 1 ? "" : "s")}; ")
                .Append($"ImageNet-C's is over 15 (not here: {E(string.Join(", ", missing))}): compare it with published mCE only over the same set.</div>\n");
        html.Append(Html.MissingPlotly("robustness", host));
        html.Append("<div class=\"cnnc-grid\">");
        foreach (var chart in Charts(r)) html.Append($"<div class=\"cnnc-chart\" data-chart=\"{E(chart)}\"></div>");
        html.Append("</div>\n");
        html.Append(Table(r));
        var figures = new JsonObject { ["mean"] = Figure(r, null) };
        foreach (var c in r.Corruptions) figures[c] = Figure(r, c);
        return Html.Finish(html, new JsonObject { ["figures"] = figures }, "chart.js", id);
    }

    /// <summary>Mean accuracy over the report's corruptions at one severity (what the "mean" chart draws).</summary>
    public static double MeanAccuracy(RobustnessReport r, string model, int severity) =>
        r.Corruptions.Average(c => r.Accuracy(model, c, severity));

    /// <summary>Accuracy against severity, one line per model: of one corruption, or the mean over all (null).</summary>
    private static JsonObject Figure(RobustnessReport r, string? corruption)
    {
        var colors = r.Models.Select((_, i) => OverviewCharts.ModelColor(i)).ToList();
        var charts = r.Models.Select((m, i) =>
        {
            var y = r.Severities.Select(s => corruption is null ? MeanAccuracy(r, m.Model, s) : r.Accuracy(m.Model, corruption, s)).ToList();
            return PChart.Line<int, double, string>(x: r.Severities, y: y, Name: m.Model, ShowMarkers: true,
                MultiText: r.Severities.Select((s, k) => $"{m.Model}<br>{corruption ?? "mean over corruptions"}, severity {s}: {Format.Percent(y[k])}").ToList(),
                LineColor: Color.fromString(colors[i]), MarkerColor: Color.fromString(colors[i]), UseDefaults: false);
        }).ToList();
        var figure = OverviewCharts.Figure(PChart.Combine(charts));
        foreach (var trace in OverviewCharts.Traces(figure))
        {
            trace["hovertemplate"] = "%{text}<extra></extra>";
            trace["textposition"] = "none";
        }
        OverviewCharts.Layout(figure, corruption is null ? "Accuracy against severity (mean over the corruptions)" : $"{corruption}",
            "Severity", "Top-1 accuracy");
        figure["layout"]!["yaxis"]!["tickformat"] = ".0%";
        figure["layout"]!["yaxis"]!["range"] = new JsonArray(0, 1.02);
        figure["layout"]!["xaxis"]!["dtick"] = 1;
        if (corruption is not null) figure["layout"]!["showlegend"] = false;
        return figure;
    }

    /// <summary>The mCE table, lowest mCE first (also readable where scripts do not run).</summary>
    private static string Table(RobustnessReport r)
    {
        var relative = r.Models.Any(m => m.RelativeMeanCorruptionError is not null);
        var t = new StringBuilder("<table class=\"cnnc-robustness-table\"><thead><tr><th>model</th><th>clean error</th><th>mCE</th>")
            .Append(relative ? "<th>relative mCE</th>" : "");
        foreach (var c in r.Corruptions) t.Append($"<th>CE {E(c)}</th>");
        t.Append("</tr></thead><tbody>");
        foreach (var m in r.Models.OrderBy(m => m.MeanCorruptionError).ThenBy(m => m.Model, StringComparer.Ordinal))
        {
            t.Append($"<tr data-model=\"{E(m.Model)}\"><td>{E(m.Model)}</td><td>{(m.CleanError is { } e ? Format.Percent(e) : "–")}</td>")
                .Append($"<td>{Ratio(m.MeanCorruptionError)}</td>")
                .Append(relative ? $"<td>{(m.RelativeMeanCorruptionError is { } rel ? Ratio(rel) : "–")}</td>" : "");
            foreach (var ce in m.Corruptions) t.Append($"<td>{Ratio(ce.CE)}</td>");
            t.Append("</tr>");
        }
        return t.Append("</tbody></table>\n<div class=\"cnnc-note\">CE = Σ over severities of the model's top-1 error / the baseline's; ")
            .Append("mCE = mean CE over the corruptions (Hendrycks &amp; Dietterich 2019); the baseline is 100 %.</div>\n").ToString();
    }

    /// <summary>A CE or mCE as the paper writes it (a percentage of the baseline's error).</summary>
    public static string Ratio(double value) => double.IsNaN(value) ? "–" : (value * 100).ToString("0.0", CultureInfo.InvariantCulture) + " %";

    private static string E(string text) => Html.Encode(text);
}
