using System.Globalization;
using System.Text.Json.Nodes;
using Plotly.NET;
using PChart = Plotly.NET.CSharp.Chart;
using Cnnc.Engine.Studies;

namespace Cnnc.Views;

/// <summary>
/// The Phase 1 charts, built with Plotly.NET and handed to the page as plotly figures (data + layout JSON). Only
/// presentation details that Plotly.NET's C# layer does not expose (hover templates, per-bar bases, custom data,
/// axis formats) are set on the figure JSON afterwards.
/// </summary>
internal static class OverviewCharts
{
    /// <summary>Colours of models (Plotly's Dark24), stable by model position.</summary>
    public static readonly string[] ModelColors =
    {
        "#2E91E5", "#E15F99", "#1CA71C", "#FB0D0D", "#DA16FF", "#222A2A", "#B68100", "#750D86", "#EB663B", "#511CFB",
        "#00A08B", "#FB00D1", "#FC0080", "#B2828D", "#6C7C32", "#778AAE", "#862A16", "#A777F1", "#620042", "#1616A7",
        "#DA60CA", "#6C4516", "#0D2A63", "#AF0038",
    };

    /// <summary>Colours of root classes (ColorBrewer Set2 + Dark2), stable by root position.</summary>
    public static readonly string[] RootColors =
    {
        "#66c2a5", "#fc8d62", "#8da0cb", "#e78ac3", "#a6d854", "#ffd92f", "#e5c494", "#b3b3b3",
        "#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666",
    };

    public static string ModelColor(int index) => ModelColors[index % ModelColors.Length];

    /// <summary>
    /// Above this many models (the palette's size) a colour per model would repeat and a legend per model would not
    /// fit: A1 and A2 colour models by architecture, with one legend entry per architecture (clicking it shows or
    /// hides all its models), and A2 draws every line but the pinned model's faint.
    /// </summary>
    public const int CrowdedAbove = 24;

    /// <summary>Whether the overview has more models than <see cref="CrowdedAbove"/>.</summary>
    public static bool IsCrowded(Overview o) => o.Models.Count > CrowdedAbove;

    /// <summary>Opacity of A2's lines other than the pinned model's in a crowded overview.</summary>
    public const double FaintOpacity = 0.3;

    /// <summary>Architectures in order of first appearance (the colour order of a crowded overview).</summary>
    private static List<string> Architectures(Overview o) => o.Models.Select(m => m.Architecture).Distinct().ToList();

    /// <summary>The colour of each model: by position, or by architecture when the overview is crowded.</summary>
    public static IReadOnlyList<string> ModelColorsOf(Overview o)
    {
        if (!IsCrowded(o)) return o.Models.Select((_, i) => ModelColor(i)).ToList();
        var architectures = Architectures(o);
        return o.Models.Select(m => ModelColor(architectures.IndexOf(m.Architecture))).ToList();
    }

    /// <summary>
    /// In a crowded overview, groups the per-model traces of A1 or A2 by architecture: one legend entry per
    /// architecture, named with its model count (the model stays in the hover and in customdata, which pinning reads).
    /// </summary>
    private static void GroupByArchitecture(Overview o, JsonObject figure)
    {
        if (!IsCrowded(o)) return;
        var counts = o.Models.GroupBy(m => m.Architecture).ToDictionary(g => g.Key, g => g.Count());
        var seen = new HashSet<string>();
        foreach (var (trace, i) in Traces(figure).Select((t, i) => (t, i)))
        {
            var architecture = o.Models[i].Architecture;
            trace["legendgroup"] = architecture;
            trace["name"] = $"{architecture} ({counts[architecture]})";
            trace["showlegend"] = seen.Add(architecture);
        }
        figure["layout"]!["legend"] ??= new JsonObject();
        figure["layout"]!["legend"]!["title"] = new JsonObject { ["text"] = "architecture (models)" };
    }

    public static string RootColor(int index) => RootColors[index % RootColors.Length];

    /// <summary>
    /// A1: accuracy × complexity, one trace (and colour) per model; latency in the hover. With latency on the x axis,
    /// the quartiles are error bars, an unreliable figure is an open marker (⚠ and the reason in the hover), and a
    /// model without a figure is left out of the axis.
    /// </summary>
    public static JsonObject AccuracyComplexity(Overview o)
    {
        var latency = o.Complexity == ComplexityMeasure.Latency;
        var colors = ModelColorsOf(o);
        var charts = o.Models.Select((m, i) => PChart.Point<double, double, string>(
            // Placeholder where latency is not measured; replaced by null below (JSON has no NaN).
            x: new[] { double.IsNaN(m.Complexity(o.Complexity)) ? 1.0 : m.Complexity(o.Complexity) },
            y: new[] { m.Accuracy.Overall },
            Name: m.Name,
            MultiText: new[] { ModelHover(m) },
            MarkerColor: Color.fromString(colors[i]), UseDefaults: false)).ToList();
        var figure = Figure(PChart.Combine(charts));
        foreach (var (trace, i) in Traces(figure).Select((t, i) => (t, i)))
        {
            trace["customdata"] = new JsonArray(o.Models[i].Name);
            trace["hovertemplate"] = "%{text}<extra></extra>";
            trace["marker"]!["size"] = 14;
            // The accuracy's bootstrap interval as a vertical error bar: is the model above its neighbours, or is it noise?
            if (o.Models[i].Intervals is { Overall: var interval } && !double.IsNaN(interval.Accuracy))
                trace["error_y"] = new JsonObject
                {
                    ["type"] = "data", ["symmetric"] = false, ["array"] = new JsonArray(Math.Max(0, interval.Upper - interval.Accuracy)),
                    ["arrayminus"] = new JsonArray(Math.Max(0, interval.Accuracy - interval.Lower)), ["color"] = colors[i],
                    ["thickness"] = 1.5, ["width"] = 4,
                };
            trace["marker"]!["line"] = new JsonObject { ["width"] = 1, ["color"] = "#ffffff" };
            if (!latency) continue;
            var m = o.Models[i];
            if (m.LatencyMs is not { } ms)
            {
                trace["x"] = new JsonArray((JsonNode?)null);
                continue;
            }
            if (m.Timing is { Batch1LowerQuartileMs: { } q1, Batch1UpperQuartileMs: { } q3 })
                trace["error_x"] = new JsonObject
                {
                    ["type"] = "data", ["symmetric"] = false, ["array"] = new JsonArray(Math.Max(0, q3 - ms)),
                    ["arrayminus"] = new JsonArray(Math.Max(0, ms - q1)), ["color"] = colors[i], ["thickness"] = 1.5, ["width"] = 4,
                };
            if (m.LatencyCaveat is not null)
            {
                trace["marker"]!["symbol"] = "circle-open";
                trace["marker"]!["line"] = new JsonObject { ["width"] = 2, ["color"] = colors[i] };
            }
        }
        GroupByArchitecture(o, figure);
        Layout(figure, "A1 · Accuracy × complexity (click a model to pin it)", o.Complexity switch
        {
            ComplexityMeasure.Macs => "MACs per image (log)",
            ComplexityMeasure.Latency => $"Batch-1 latency, ms (log; bars: quartiles; open {Format.Unreliable}: unreliable)",
            _ => "Parameters (log)",
        }, "Top-1 accuracy");
        figure["layout"]!["xaxis"]!["type"] = "log";
        // Accuracies of comparable models sit close together: zoom the y axis onto them and their intervals, with room
        // for the markers.
        var accuracies = o.Models.SelectMany(m => new[] { m.Accuracy.Overall, m.AccuracyLower, m.AccuracyUpper })
            .Where(a => !double.IsNaN(a)).DefaultIfEmpty(0).ToList();
        var pad = Math.Max(0.02, (accuracies.Max() - accuracies.Min()) * 0.15);
        figure["layout"]!["yaxis"]!["range"] = new JsonArray(Math.Max(0, accuracies.Min() - pad), Math.Min(1.0, accuracies.Max() + pad));
        figure["layout"]!["yaxis"]!["tickformat"] = ".1%";
        return figure;
    }

    /// <summary>A2: radar of accuracy per root class, one closed line per model, legend selectable.</summary>
    public static JsonObject RootRadar(Overview o)
    {
        var roots = o.Hierarchy.Roots;
        var colors = ModelColorsOf(o);
        var charts = o.Models.Select((m, i) =>
        {
            var r = m.Accuracy.PerRoot.Select(g => g.Accuracy).ToList();
            var theta = roots.ToList();
            r.Add(r[0]);
            theta.Add(theta[0]);
            var text = m.Accuracy.PerRoot.Select((g, r) => $"{m.Name}<br>{g.Name}: {Format.Percent(g.Accuracy)} ({g.Correct}/{g.Total})" +
                (m.Intervals?.PerRoot[r] is { } ci ? $"<br>{IntervalText(ci)}" : "")).ToList();
            text.Add(text[0]);
            return PChart.ScatterPolar<double, string, string>(
                r: r, theta: theta, mode: StyleParam.Mode.Lines_Markers, Name: m.Name, MultiText: text,
                MarkerColor: Color.fromString(colors[i]), LineColor: Color.fromString(colors[i]), UseDefaults: false);
        }).ToList();
        var figure = Figure(PChart.Combine(charts));
        foreach (var (trace, i) in Traces(figure).Select((t, i) => (t, i)))
        {
            trace["hovertemplate"] = "%{text}<extra></extra>";
            // The model of every point (pinning reads it: in a crowded overview the trace is named by architecture).
            trace["customdata"] = new JsonArray(Enumerable.Repeat(o.Models[i].Name, roots.Count + 1).Select(n => (JsonNode)n).ToArray());
            if (IsCrowded(o)) trace["opacity"] = o.Models[i].Name == o.PinnedModel ? 1.0 : FaintOpacity;
        }
        Layout(figure, "A2 · Accuracy per root class (click a line to pin model and root)", null, null);
        figure["layout"]!["polar"] = new JsonObject
        {
            ["bgcolor"] = "#E5ECF6",
            ["radialaxis"] = new JsonObject { ["range"] = new JsonArray(0, 1), ["tickformat"] = ".0%", ["gridcolor"] = "white" },
            ["angularaxis"] = new JsonObject { ["gridcolor"] = "white" },
            // Root names stand outside the circle: leave them room before the legend on the right.
            ["domain"] = new JsonObject { ["x"] = new JsonArray(0.0, 0.72) },
        };
        figure["layout"]!["legend"] = new JsonObject { ["x"] = 1.02, ["y"] = 1 };
        GroupByArchitecture(o, figure);
        // The radar has no error bars: the pinned model's per-root intervals are a band after the models' lines (the
        // page moves it with the pin). Its polygon runs along the upper ends and back along the lower ones.
        if (o.ModelNamed(o.PinnedModel).Intervals is { } pinned)
            figure["data"]!.AsArray().Add(RadarBand(roots, pinned.PerRoot, colors[o.Models.ToList().FindIndex(m => m.Name == o.PinnedModel)]));
        return figure;
    }

    /// <summary>The trace of A2's interval band (also rebuilt by the page when the pin moves).</summary>
    internal static JsonObject RadarBand(IReadOnlyList<string> roots, IReadOnlyList<Cnnc.Engine.Analysis.AccuracyInterval> intervals, string color)
    {
        var theta = roots.Append(roots[0]).Concat(roots.Reverse().Append(roots[^1])).Select(t => (JsonNode)t).ToArray();
        var upper = intervals.Select(i => i.Upper).Append(intervals[0].Upper);
        var lower = intervals.Select(i => i.Lower).Reverse().Append(intervals[^1].Lower);
        return new JsonObject
        {
            ["type"] = "scatterpolar", ["name"] = "95 % interval", ["mode"] = "lines", ["fill"] = "toself",
            ["r"] = new JsonArray(upper.Concat(lower).Select(v => (JsonNode)(double.IsNaN(v) ? 0 : v)).ToArray()),
            ["theta"] = new JsonArray(theta), ["fillcolor"] = color, ["opacity"] = 0.2,
            ["line"] = new JsonObject { ["width"] = 0, ["color"] = color }, ["hoverinfo"] = "skip", ["showlegend"] = false,
        };
    }

    /// <summary>A3: the pinned model's leaf classes ranked by accuracy.</summary>
    public static JsonObject RankedClasses(Overview o) =>
        RankedBars(o, o.Ranking(), A3Title(o.PinnedModel));

    /// <summary>A4: the pinned root's leaf classes for the pinned model, ranked by accuracy.</summary>
    public static JsonObject RankedRootClasses(Overview o)
    {
        var rootIndex = o.Hierarchy.IndexOfRoot(o.PinnedRoot);
        return RankedBars(o, o.Ranking().Where(c => o.Hierarchy.RootOf(c) == rootIndex).ToList(), A4Title(o.PinnedRoot, o.PinnedModel));
    }

    public const string A3TitleTemplate = "A3 · Leaf classes of {model}, ranked";
    public const string A4TitleTemplate = "A4 · Leaf classes of root '{root}' for {model}, ranked";

    public static string A3Title(string model) => A3TitleTemplate.Replace("{model}", model);

    public static string A4Title(string root, string model) => A4TitleTemplate.Replace("{root}", root).Replace("{model}", model);

    private static JsonObject RankedBars(Overview o, IReadOnlyList<int> classes, string title)
    {
        var perClass = o.ModelNamed(o.PinnedModel).Accuracy.PerClass;
        var chart = PChart.Column<double, string, string>(
            values: classes.Select(c => perClass[c].Accuracy).ToList(),
            Keys: classes.Select(c => perClass[c].Name).ToList(),
            Name: o.PinnedModel,
            MultiText: classes.Select(c => ClassHover(o, c, perClass[c])).ToList(), UseDefaults: false);
        var figure = Figure(chart);
        var trace = Traces(figure).Single();
        trace["hovertemplate"] = "%{text}<extra></extra>";
        trace["textposition"] = "none";
        trace["marker"] = new JsonObject
        {
            ["color"] = new JsonArray(classes.Select(c => (JsonNode)RootColor(o.Hierarchy.RootOf(c))).ToArray()),
            ["line"] = new JsonObject
            {
                ["color"] = "#111111",
                ["width"] = new JsonArray(classes.Select(c => (JsonNode)(c == o.HighlightedClass ? 3 : 0)).ToArray()),
            },
        };
        Layout(figure, title, null, "Accuracy");
        figure["layout"]!["yaxis"]!["tickformat"] = ".0%";
        figure["layout"]!["yaxis"]!["range"] = new JsonArray(0, 1.02);
        figure["layout"]!["xaxis"]!["type"] = "category";
        figure["layout"]!["showlegend"] = false;
        return figure;
    }

    /// <summary>E: "Range of class accuracy": a floating bar from the lowest to the highest model accuracy, mean marked.</summary>
    public static JsonObject RangeOfClassAccuracy(Overview o)
    {
        var classes = o.RangeClasses;
        var names = classes.Select(c => c.ClassName).ToList();
        var bars = PChart.Column<double, string, string>(
            values: classes.Select(c => c.Range).ToList(), Keys: names, Name: "range (min → max)",
            MultiText: classes.Select(c =>
            {
                var (low, high) = o.Extremes(c.ClassIndex);
                return $"{c.ClassName} ({o.Hierarchy.RootNameOf(c.ClassIndex)})<br>range {Format.Percent(c.Range)}<br>" +
                       $"min {Format.Percent(c.Min)} ({low})<br>max {Format.Percent(c.Max)} ({high})<br>mean {Format.Percent(c.Mean)}";
            }).ToList(),
            MarkerColor: Color.fromString("#8da0cb"), UseDefaults: false);
        var means = PChart.Point<string, double, string>(x: names, y: classes.Select(c => c.Mean).ToList(), Name: "mean",
            MarkerColor: Color.fromString("#222A2A"), UseDefaults: false);
        var figure = Figure(PChart.Combine(new[] { bars, means }));
        var traces = Traces(figure).ToList();
        traces[0]["base"] = new JsonArray(classes.Select(c => (JsonNode)c.Min).ToArray());
        traces[0]["hovertemplate"] = "%{text}<extra></extra>";
        traces[0]["textposition"] = "none";
        traces[1]["hovertemplate"] = "mean %{y:.1%}<extra></extra>";
        traces[1]["marker"]!["symbol"] = "line-ew-open";
        traces[1]["marker"]!["size"] = 18;
        Layout(figure, "E · Range of class accuracy (most divergent, then most agreed)", null, "Accuracy across models");
        figure["layout"]!["yaxis"]!["tickformat"] = ".0%";
        figure["layout"]!["yaxis"]!["range"] = new JsonArray(0, 1.02);
        figure["layout"]!["xaxis"]!["type"] = "category";
        return figure;
    }

    /// <summary>E: "Average of class accuracy": mean accuracy across models, easiest then hardest classes.</summary>
    public static JsonObject AverageOfClassAccuracy(Overview o)
    {
        var classes = o.AverageClasses;
        var chart = PChart.Column<double, string, string>(
            values: classes.Select(c => c.Mean).ToList(), Keys: classes.Select(c => c.ClassName).ToList(), Name: "mean",
            MultiText: classes.Select(c => $"{c.ClassName} ({o.Hierarchy.RootNameOf(c.ClassIndex)})<br>mean {Format.Percent(c.Mean)}" +
                                           $"<br>min {Format.Percent(c.Min)}, max {Format.Percent(c.Max)}").ToList(), UseDefaults: false);
        var figure = Figure(chart);
        var trace = Traces(figure).Single();
        trace["hovertemplate"] = "%{text}<extra></extra>";
        trace["textposition"] = "none";
        trace["marker"] = new JsonObject
        {
            ["color"] = new JsonArray(classes.Select(c => (JsonNode)RootColor(o.Hierarchy.RootOf(c.ClassIndex))).ToArray()),
        };
        Layout(figure, "E · Average of class accuracy (easiest, then hardest)", null, "Mean accuracy across models");
        figure["layout"]!["yaxis"]!["tickformat"] = ".0%";
        figure["layout"]!["yaxis"]!["range"] = new JsonArray(0, 1.02);
        figure["layout"]!["xaxis"]!["type"] = "category";
        figure["layout"]!["showlegend"] = false;
        return figure;
    }

    public const string BTitleTemplate = "B · Distribution graph of {model} (t-SNE of class distances; drag to zoom)";

    public static string BTitle(string model) => BTitleTemplate.Replace("{model}", model);

    /// <summary>
    /// B: a model's distribution graph, one trace (colour, legend entry) per root class, one point per leaf class; the
    /// hover names the class, its root and the model's accuracy on it. In the overview the page swaps the coordinates
    /// when the pin moves. A null graph gives an empty chart titled <paramref name="title"/>.
    /// </summary>
    public static JsonObject DistributionGraph(Cnnc.Engine.Analysis.DistributionGraph? graph, IReadOnlyList<string> roots, int? highlight,
        string title)
    {
        var groups = Enumerable.Range(0, roots.Count)
            .Select(r => graph?.Points.Where(p => p.RootIndex == r).ToList() ?? new List<Cnnc.Engine.Analysis.DistributionPoint>())
            .ToList();
        var charts = groups.Select((points, r) => PChart.Point<double, double, string>(
            x: points.Select(p => Coordinate(p.X)).ToList(),
            y: points.Select(p => Coordinate(p.Y)).ToList(),
            Name: roots[r],
            MultiText: points.Select(p => $"{p.ClassName} ({p.Root})<br>{Format.Percent(p.Accuracy)} of {p.Images} images").ToList(),
            MarkerColor: Color.fromString(RootColor(r)), UseDefaults: false)).ToList();
        var figure = Figure(PChart.Combine(charts));
        foreach (var (trace, r) in Traces(figure).Select((t, r) => (t, r)))
        {
            var points = groups[r];
            trace["hovertemplate"] = "%{text}<extra></extra>";
            trace["customdata"] = new JsonArray(points.Select(p => (JsonNode)p.ClassIndex).ToArray());
            trace["marker"]!["size"] = new JsonArray(points.Select(p => (JsonNode)(p.ClassIndex == highlight ? 15 : 9)).ToArray());
            trace["marker"]!["line"] = new JsonObject
            {
                ["color"] = "#111111",
                ["width"] = new JsonArray(points.Select(p => (JsonNode)(p.ClassIndex == highlight ? 2 : 0)).ToArray()),
            };
        }
        // No axis titles: t-SNE axes carry no meaning (and hidden tick labels make plotly misplace the titles).
        Layout(figure, title, null, null);
        foreach (var axis in new[] { "xaxis", "yaxis" })
        {
            figure["layout"]![axis]!["showticklabels"] = false;
            figure["layout"]![axis]!["zeroline"] = false;
        }
        figure["layout"]!["legend"] = new JsonObject { ["title"] = new JsonObject { ["text"] = "root class" } };
        figure["layout"]!["uirevision"] = graph?.Model ?? "";
        return figure;
    }

    /// <summary>B of the overview's pinned model.</summary>
    public static JsonObject DistributionGraph(Overview o) =>
        DistributionGraph(o.DistributionGraphOf(), o.Hierarchy.Roots, o.HighlightedClass,
            o.DistributionGraphOf() is null ? "B · no distribution graph (it needs at least 2 classes)" : BTitle(o.PinnedModel));

    /// <summary>t-SNE coordinates as the page gets them (4 decimals: enough for the eye, small for 1000 classes).</summary>
    public static double Coordinate(double value) => Math.Round(value, 4);

    public static string ModelHover(ModelSummary m) =>
        $"<b>{m.Name}</b> ({m.Architecture})<br>accuracy {Format.Percent(m.Accuracy.Overall)}, top-5 {Format.Percent(m.Accuracy.Top5)}" +
        (m.Intervals is { Overall: var ci } ? $"<br>{IntervalText(ci)}" : "") +
        (m.Calibration is { } cal ? $"<br>ECE {Ece(cal.Ece)} (MCE {Ece(cal.Mce)}; 0 = confidence matches accuracy)" : "") +
        (double.IsNaN(m.PublishedAccuracy) ? "" : $"<br>published (torchvision, ImageNet-1k): {Format.Percent(m.PublishedAccuracy)}") +
        $"<br>{Format.Count(m.Parameters)} parameters<br>{Format.Count(m.Macs)} MACs" +
        $"<br>{LatencyMark.Hover(m.LatencyMs, m.Timing?.Batch1LowerQuartileMs, m.Timing?.Batch1UpperQuartileMs, m.LatencyCaveat)}";

    /// <summary>"95 % interval 81.2–83.0 % (bootstrap)".</summary>
    public static string IntervalText(Cnnc.Engine.Analysis.AccuracyInterval ci) =>
        $"{Math.Round(StudyDefaults.Bootstrap.Confidence * 100)} % interval {Format.Percent(ci.Lower)}–{Format.Percent(ci.Upper)} (bootstrap)";

    /// <summary>A calibration error as the views write it (3 decimals; "–" when not defined).</summary>
    public static string Ece(double value) => double.IsNaN(value) ? "–" : value.ToString("0.000", CultureInfo.InvariantCulture);

    public static string ClassHover(Overview o, int classIndex, Cnnc.Engine.Analysis.GroupAccuracy g) =>
        $"{g.Name} ({o.Hierarchy.RootNameOf(classIndex)})<br>{Format.Percent(g.Accuracy)} ({g.Correct}/{g.Total})";

    /// <summary>A Plotly.NET chart as its figure JSON (data + layout), ready to be adjusted.</summary>
    internal static JsonObject Figure(GenericChart chart)
    {
        var figure = JsonNode.Parse(GenericChart.toFigureJson(chart))!.AsObject();
        figure.Remove("frames");
        figure["layout"] ??= new JsonObject();
        return figure;
    }

    /// <summary>The traces of a figure.</summary>
    internal static IEnumerable<JsonObject> Traces(JsonObject figure) => figure["data"]!.AsArray().Select(t => t!.AsObject());

    /// <summary>The layout every chart shares: title, size, margins, axis titles, hover mode and the template's look.</summary>
    internal static void Layout(JsonObject figure, string title, string? xTitle, string? yTitle, int titleSize = 14, int height = 360)
    {
        var layout = figure["layout"]!.AsObject();
        layout["title"] = Title(title, titleSize);
        layout["height"] = height;
        layout["autosize"] = true;
        layout["margin"] = new JsonObject { ["l"] = 56, ["r"] = 24, ["t"] = TopMargin, ["b"] = 64 };
        layout["xaxis"] ??= new JsonObject();
        layout["yaxis"] ??= new JsonObject();
        if (xTitle is not null) layout["xaxis"]!["title"] = new JsonObject { ["text"] = xTitle };
        if (yTitle is not null) layout["yaxis"]!["title"] = new JsonObject { ["text"] = yTitle };
        layout["hovermode"] = "closest";
        TemplateLook(layout);
    }

    /// <summary>
    /// Height Plotly's mode bar takes at the top right of every figure (its buttons and padding, px). A title in the
    /// mode bar's band is covered by it as soon as the title is longer than the space left of the bar.
    /// </summary>
    internal const int ModeBarHeight = 32;

    /// <summary>Top margin of every chart: the mode bar's band, then up to two title lines.</summary>
    internal const int TopMargin = ModeBarHeight + 46;

    /// <summary>
    /// A title's parenthesised remark goes on a second line: with long model names a one-line title is wider than a
    /// chart (Plotly does not wrap titles, it cuts them off). The page's title templates are wrapped the same way.
    /// </summary>
    internal static string Wrap(string title)
    {
        var at = title.IndexOf(" (", StringComparison.Ordinal);
        return at < 0 ? title : title[..at] + "<br>" + title[(at + 1)..];
    }

    /// <summary>
    /// The one place where chart titles are laid out: left-aligned, placed from the top of the figure below the mode
    /// bar's band (container coordinates + top padding), so the mode bar never covers them, and within the top margin,
    /// so they never touch the plot.
    /// </summary>
    internal static JsonObject Title(string text, int size) => new()
    {
        ["text"] = Wrap(text),
        ["font"] = new JsonObject { ["size"] = size },
        ["x"] = 0.01,
        ["xanchor"] = "left",
        ["xref"] = "container",
        ["y"] = 1,
        ["yanchor"] = "top",
        ["yref"] = "container",
        ["pad"] = new JsonObject { ["t"] = ModeBarHeight },
    };

    /// <summary>
    /// The look of Plotly.NET's default template on a cartesian layout. Charts are made without the template
    /// (<c>UseDefaults: false</c>): serialising it made every figure slow and several kB larger.
    /// </summary>
    internal static void TemplateLook(JsonObject layout)
    {
        layout["font"] = new JsonObject { ["color"] = "#2a3f5f" };
        layout["plot_bgcolor"] = "#E5ECF6";
        layout["paper_bgcolor"] = "white";
        foreach (var axis in new[] { "xaxis", "yaxis" })
        {
            layout[axis] ??= new JsonObject();
            layout[axis]!["gridcolor"] = "white";
            layout[axis]!["zerolinecolor"] = "white";
            layout[axis]!["automargin"] = true;
        }
    }
}
