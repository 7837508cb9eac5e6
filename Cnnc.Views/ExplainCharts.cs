using System.Text.Json.Nodes;
using Plotly.NET;
using PChart = Plotly.NET.CSharp.Chart;
using Cnnc.Engine.Studies;

namespace Cnnc.Views;

/// <summary>
/// View E of compare and inspect (paper 5.3): the similarity matrix of the models' saliency maps, and the accuracy
/// scatter on the selected classes — built with Plotly.NET and handed to the page as figure JSON.
/// </summary>
internal static class ExplainCharts
{
    /// <summary>Similarity matrix heatmap: models × models, value in each cell.</summary>
    public static JsonObject Similarity(Comparison c)
    {
        var m = c.Similarity;
        var labels = m.Labels.ToList();
        var hover = m.Values.Select((row, i) => row.Select((v, j) =>
            $"{labels[i]} vs {labels[j]}<br>similarity {v:F3}<br>{m.Rule.ToString().ToLowerInvariant()} score {m.Scores[i][j]:G4}").ToList()).ToList();
        var chart = PChart.Heatmap<double, string, string, string>(
            zData: m.Values.Select(r => (IEnumerable<double>)r).ToList(),
            X: labels, Y: labels, MultiText: hover.SelectMany(r => r).ToList(), ReverseYAxis: true, UseDefaults: false);
        var figure = Figure(chart);
        var trace = Traces(figure).Single();
        trace["text"] = new JsonArray(hover.Select(r => (JsonNode)new JsonArray(r.Select(s => (JsonNode)s).ToArray())).ToArray());
        trace["hovertemplate"] = "%{text}<extra></extra>";
        trace["texttemplate"] = "%{z:.2f}";
        trace["zmin"] = m.RangeMin;
        trace["zmax"] = m.RangeMax;
        trace["colorscale"] = "Viridis";
        Layout(figure, $"E · Similarity of the models' {c.Method} maps ({m.Formula})", null, null);
        figure["layout"]!["xaxis"]!["type"] = "category";
        figure["layout"]!["yaxis"]!["type"] = "category";
        figure["layout"]!["yaxis"]!["autorange"] = "reversed";
        figure["layout"]!["margin"]!["l"] = 110;
        figure["layout"]!["margin"]!["b"] = 100;
        // Room for every model's name and value: about 24 px a row beyond a handful of models.
        figure["layout"]!["height"] = Math.Max(340, 150 + 24 * labels.Count);
        figure["layout"]!["yaxis"]!["dtick"] = 1;
        figure["layout"]!["xaxis"]!["dtick"] = 1;
        trace["textfont"] = new JsonObject { ["size"] = labels.Count > 8 ? 8 : 11 };
        return figure;
    }

    /// <summary>
    /// The paper's accuracy scatter (Fig. 4/5 (E)): each model's accuracy on the compared class (filled circle: right on
    /// this image, cross: wrong), with its overall accuracy for reference.
    /// </summary>
    public static JsonObject Accuracy(Comparison c)
    {
        var models = c.Rows.Select(r => r.Model).ToList();
        var onClass = PChart.Point<string, double, string>(x: models, y: c.Rows.Select(r => r.ClassAccuracy).ToList(),
            Name: $"accuracy on {c.ClassName}",
            MultiText: c.Rows.Select(r => $"{r.Model}<br>{c.ClassName}: {Format.Percent(r.ClassAccuracy)}<br>" +
                                          $"image {c.Image}: {(r.Correct ? "right" : "wrong")} ({r.Prediction})").ToList(),
            MarkerColor: Color.fromString("#2E91E5"), UseDefaults: false);
        var overall = PChart.Point<string, double, string>(x: models, y: c.Rows.Select(r => r.OverallAccuracy).ToList(),
            Name: "overall accuracy", MultiText: c.Rows.Select(r => $"{r.Model}<br>overall: {Format.Percent(r.OverallAccuracy)}").ToList(),
            MarkerColor: Color.fromString("#999999"), UseDefaults: false);
        var figure = Figure(PChart.Combine(new[] { onClass, overall }));
        var traces = Traces(figure).ToList();
        traces[0]["hovertemplate"] = "%{text}<extra></extra>";
        traces[0]["marker"]!["size"] = 13;
        traces[0]["marker"]!["symbol"] = new JsonArray(c.Rows.Select(r => (JsonNode)(r.Correct ? "circle" : "x")).ToArray());
        traces[1]["hovertemplate"] = "%{text}<extra></extra>";
        traces[1]["marker"]!["size"] = 10;
        traces[1]["marker"]!["symbol"] = "diamond-open";
        Layout(figure, $"E · Accuracy on class '{c.ClassName}' (● right / × wrong on image {c.Image})", null, "Accuracy");
        AccuracyAxis(figure);
        return figure;
    }

    /// <summary>The paper's accuracy scatter for a single model: its accuracy on each selected class.</summary>
    public static JsonObject Accuracy(Inspection i)
    {
        var names = i.Classes.Select(c => c.ClassName).ToList();
        var chart = PChart.Point<string, double, string>(x: names, y: i.Classes.Select(c => c.Accuracy).ToList(), Name: i.Model,
            MultiText: i.Classes.Select(c => $"{i.Model}<br>{c.ClassName}: {Format.Percent(c.Accuracy)} ({c.Correct}/{c.Total})").ToList(),
            MarkerColor: Color.fromString("#2E91E5"), UseDefaults: false);
        var figure = Figure(chart);
        var trace = Traces(figure).Single();
        trace["hovertemplate"] = "%{text}<extra></extra>";
        trace["marker"]!["size"] = 13;
        Layout(figure, $"E · Accuracy of {i.Model} on the selected classes (line: overall {Format.Percent(i.OverallAccuracy)})", null, "Accuracy");
        AccuracyAxis(figure);
        figure["layout"]!["showlegend"] = false;
        figure["layout"]!["shapes"] = new JsonArray(new JsonObject
        {
            ["type"] = "line", ["xref"] = "paper", ["x0"] = 0, ["x1"] = 1, ["y0"] = i.OverallAccuracy, ["y1"] = i.OverallAccuracy,
            ["line"] = new JsonObject { ["color"] = "#999999", ["dash"] = "dash", ["width"] = 1 },
        });
        return figure;
    }

    private static void AccuracyAxis(JsonObject figure)
    {
        figure["layout"]!["xaxis"]!["tickangle"] = -40;
        figure["layout"]!["yaxis"]!["tickformat"] = ".0%";
        figure["layout"]!["yaxis"]!["range"] = new JsonArray(-0.02, 1.04);
        figure["layout"]!["xaxis"]!["type"] = "category";
        figure["layout"]!["legend"] = new JsonObject { ["orientation"] = "h", ["y"] = -0.3 };
    }

    private static JsonObject Figure(GenericChart chart) => OverviewCharts.Figure(chart);

    private static IEnumerable<JsonObject> Traces(JsonObject figure) => OverviewCharts.Traces(figure);

    private static void Layout(JsonObject figure, string title, string? xTitle, string? yTitle) =>
        OverviewCharts.Layout(figure, title, xTitle, yTitle, titleSize: 13, height: 340);
}
