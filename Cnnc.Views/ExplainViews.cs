using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cnnc.Engine.Analysis;
using Cnnc.Engine.Rendering;
using Cnnc.Engine.Studies;

namespace Cnnc.Views;

/// <summary>
/// A <see cref="Comparison"/> as one self-contained HTML fragment (an <see cref="Inspection"/>: <see cref="InspectionView"/>): the table
/// (sortable by every column, searchable; inspect: "sort by this CIH"), view E, the data and a small script. Works in
/// notebook outputs, exported notebooks and plain pages, offline.
/// </summary>
public static class ComparisonView
{
    /// <summary>
    /// The comparison as a self-contained HTML fragment (table script included; plotly.js inlined for view E unless
    /// <paramref name="includePlotly"/> is false because the page already has it).
    /// </summary>
    public static string ToHtml(this Comparison comparison, bool includePlotly = true, ViewHost host = ViewHost.Notebook) =>
        ExplainHtml.Render(comparison, includePlotly, host);
}

/// <summary>An <see cref="Inspection"/> as HTML (see <see cref="ComparisonView"/>).</summary>
public static class InspectionView
{
    /// <summary>
    /// The inspection as a self-contained HTML fragment (table script and CIH data included; plotly.js inlined for the
    /// accuracy scatter unless <paramref name="includePlotly"/> is false because the page already has it).
    /// </summary>
    public static string ToHtml(this Inspection inspection, bool includePlotly = true, ViewHost host = ViewHost.Notebook) =>
        ExplainHtml.Render(inspection, includePlotly, host);
}

/// <summary>The HTML shared by compare and inspect: the sortable table, view E, the data and the script.</summary>
internal static class ExplainHtml
{
    private const string ExtraStyles =
        "<style>" +
        ".cnnc-view .cnnc-strip{display:flex;flex-wrap:wrap;gap:4px;margin:4px 0 8px}" +
        ".cnnc-view .cnnc-strip figure{margin:0;text-align:center;font-size:11px;color:#555}" +
        ".cnnc-view .cnnc-strip figure.cnnc-chosen img{outline:3px solid #d62728}" +
        ".cnnc-view img.cnnc-pic{image-rendering:pixelated;display:block}" +
        ".cnnc-view .cnnc-e{display:flex;flex-wrap:wrap;gap:8px;align-items:flex-start;margin:4px 0}" +
        ".cnnc-view .cnnc-e .cnnc-chart{flex:1 1 380px;max-width:560px;min-height:340px;border:1px solid #eee;border-radius:4px}" +
        ".cnnc-view .cnnc-e figure{margin:0;font-size:12px;color:#555}" +
        ".cnnc-view .cnnc-d{overflow-x:auto}" +
        ".cnnc-view .cnnc-tools{margin:4px 0}.cnnc-view .cnnc-tools input{width:240px;padding:2px 4px}" +
        ".cnnc-view .cnnc-count{color:#666;margin-left:8px}" +
        ".cnnc-view table.cnnc-sortable th{user-select:none;vertical-align:bottom;max-width:110px}" +
        ".cnnc-view table.cnnc-sortable th[aria-sort]{background:#e8eefc}" +
        ".cnnc-view table.cnnc-sortable td{vertical-align:middle}" +
        ".cnnc-view tr.cnnc-wrong td.cnnc-pred{color:#c00;font-weight:600}" +
        ".cnnc-view tr.cnnc-right td.cnnc-pred{color:#080}" +
        ".cnnc-view tr.cnnc-cih-ref{background:#fff6d5}" +
        ".cnnc-view button.cnnc-cih-sort{font-size:11px;padding:0 4px;margin-top:2px}" +
        ".cnnc-view small{color:#666}" +
        "</style>\n";

    /// <summary>The comparison fragment; <paramref name="includePlotly"/> inlines plotly.js (once per page).</summary>
    public static string Render(Comparison c, bool includePlotly, ViewHost host = ViewHost.Notebook)
    {
        var id = "cnnc-compare-" + Guid.NewGuid().ToString("N")[..12];
        var html = new StringBuilder();
        if (includePlotly) html.Append(PlotlyJs.ScriptElement()).Append('\n');
        html.Append($"<div class=\"cnnc-view cnnc-compare\" id=\"{id}\" data-cnnc-image=\"{c.Image}\" data-cnnc-class=\"{E(c.ClassName)}\">\n");
        html.Append(Styles.Element).Append(ExtraStyles);
        html.Append("<div class=\"cnnc-header\">")
            .Append($"<b>CNNC compare</b> · {c.Rows.Count} model{(c.Rows.Count == 1 ? "" : "s")} on image <b>{c.Image}</b> ")
            .Append($"(<code>{E(c.ImageItem)}</code>) of class <b>{E(c.ClassName)}</b> (root {E(c.Root)}) · ")
            .Append($"method <code>{E(c.Method)}</code> explaining the {(c.Target == ExplainTarget.Label ? "ground-truth" : "predicted")} class · ")
            .Append($"threshold {F(c.Threshold, "0.###")} · <code>{E(c.Dataset)}</code></div>\n");

        html.Append($"<div class=\"cnnc-strip-title\">Images of <b>{E(c.ClassName)}</b>: the first {c.ClassImages.Count} of {c.ClassImageCount:N0} ")
            .Append("(dataset index under each; compare another with <code>--image INDEX</code>)</div>\n<div class=\"cnnc-strip\">");
        foreach (var image in c.ClassImages)
            html.Append($"<figure data-index=\"{image.Index}\"{(image.Index == c.Image ? " class=\"cnnc-chosen\"" : "")} title=\"{E(image.Item)}\">")
                .Append(Img(image.Png, $"image {image.Index}")).Append($"<figcaption>{image.Index}</figcaption></figure>");
        html.Append("</div>\n");

        html.Append("<div class=\"cnnc-e\"><figure>").Append(Img(c.ImagePng, $"image {c.Image}"))
            .Append($"<figcaption>image {c.Image} · {E(c.ClassName)}</figcaption></figure>")
            .Append("<div class=\"cnnc-chart\" data-chart=\"similarity\"></div><div class=\"cnnc-chart\" data-chart=\"accuracy\"></div></div>\n");
        html.Append(Similarity(c.Similarity)).Append('\n');
        html.Append("<div class=\"cnnc-d\">");
        Tools(html, c.Rows.Count);
        html.Append("<table class=\"cnnc-sortable\"><thead><tr>")
            .Append(Th("model", "text"))
            .Append(Th("overall accuracy", "num", "top-1 accuracy on the whole dataset"))
            .Append(Th("class accuracy", "num", "accuracy on the compared class"))
            .Append(Th("confidence (true class)", "num", "softmax probability of the ground-truth class on this image"))
            .Append(Th("ground truth", "text"))
            .Append(Th("prediction", "text"))
            .Append(Th($"{c.Method} (t = {F(c.Threshold, "0.###")})", "num", "heatmap above the threshold with contours; sorts by mean saliency"))
            .Append(Th("ROI size", "num", "fraction of pixels with saliency ≥ the threshold"))
            .Append("</tr></thead><tbody>");
        foreach (var r in c.Rows)
        {
            html.Append($"<tr data-model=\"{E(r.Model)}\" class=\"{(r.Correct ? "cnnc-right" : "cnnc-wrong")}\">")
                .Append($"<td data-v=\"{E(r.Model)}\">{E(r.Model)}<br><small>{E(r.Architecture)}</small></td>")
                .Append(NumTd(r.OverallAccuracy, Format.Percent(r.OverallAccuracy)))
                .Append(NumTd(r.ClassAccuracy, Format.Percent(r.ClassAccuracy)))
                .Append(NumTd(r.TrueClassConfidence, Format.Percent(r.TrueClassConfidence)))
                .Append($"<td>{E(r.GroundTruth)}</td>")
                .Append($"<td class=\"cnnc-pred\" data-v=\"{E(r.Prediction)}\">{E(r.Prediction)}<br><small>{Format.Percent(r.PredictionConfidence)}</small></td>")
                .Append($"<td data-v=\"{R(r.MeanSaliency)}\">{Img(r.Heatmap, $"{r.Model} {c.Method}")}")
                .Append($"<small>explains {E(r.ExplainedClass)}</small></td>")
                .Append(NumTd(r.RoiSize, Format.Percent(r.RoiSize)))
                .Append("</tr>");
        }
        html.Append("</tbody></table></div>\n");

        MissingPlotly(html, "compare", host);
        var payload = new JsonObject
        {
            ["figures"] = new JsonObject { ["similarity"] = ExplainCharts.Similarity(c), ["accuracy"] = ExplainCharts.Accuracy(c) },
        };
        return Finish(html, payload, id);
    }

    /// <summary>The inspection fragment; <paramref name="includePlotly"/> inlines plotly.js (once per page).</summary>
    public static string Render(Inspection i, bool includePlotly, ViewHost host = ViewHost.Notebook)
    {
        var id = "cnnc-inspect-" + Guid.NewGuid().ToString("N")[..12];
        var html = new StringBuilder();
        if (includePlotly) html.Append(PlotlyJs.ScriptElement()).Append('\n');
        html.Append($"<div class=\"cnnc-view cnnc-inspect\" id=\"{id}\" data-cnnc-model=\"{E(i.Model)}\" data-cnnc-page=\"{i.Page}\"")
            .Append(i.SortedByCih is { } s ? $" data-cnnc-cih-ref=\"{s}\"" : "").Append(">\n");
        html.Append(Styles.Element).Append(ExtraStyles);
        var first = (i.Page - 1) * i.PageSize + 1;
        html.Append("<div class=\"cnnc-header\">")
            .Append($"<b>CNNC inspect</b> · model <b>{E(i.Model)}</b> ({E(i.Architecture)}, overall {Format.Percent(i.OverallAccuracy)}) · ")
            .Append("classes ").Append(string.Join(", ", i.Classes.Select(c => $"<b>{E(c.ClassName)}</b> ({Format.Percent(c.Accuracy)})")))
            .Append($" · method <code>{E(i.Method)}</code> explaining the {(i.Target == ExplainTarget.Label ? "ground-truth" : "predicted")} class · ")
            .Append($"threshold {F(i.Threshold, "0.###")} · page {i.Page} of {i.PageCount} (images {first}–{first + PageRows(i) - 1} of {i.TotalImages:N0}")
            .Append(i.Page < i.PageCount ? $"; next: <code>--page {i.Page + 1}</code>" : "").Append(')')
            .Append(i.SortedByCih is { } r0 ? $" · sorted by CIH distance ({i.Distance}) to image {r0}" : "")
            .Append("</div>\n");

        html.Append("<div class=\"cnnc-e\"><div class=\"cnnc-chart\" data-chart=\"accuracy\"></div></div>\n");
        html.Append("<div class=\"cnnc-d\">");
        Tools(html, i.Rows.Count);
        html.Append("<table class=\"cnnc-sortable\"><thead><tr>")
            .Append(Th("index", "num", "dataset index"))
            .Append(Th("label", "text"))
            .Append(Th("prediction", "text"))
            .Append(Th("confidence", "num", "softmax probability of the prediction"))
            .Append(Th("p(label)", "num", "softmax probability of the ground-truth class"))
            .Append(Th($"{i.Method} (t = {F(i.Threshold, "0.###")})", "num", "heatmap above the threshold with contours; sorts by mean saliency"))
            .Append(Th("ROI size", "num", "fraction of pixels with saliency ≥ the threshold"))
            .Append(Th("CIH", "num", "colour-intensity histogram of the highlighted region; sorts by its mean intensity"))
            .Append($"<th data-type=\"num\" class=\"cnnc-cih-d\"{(i.SortedByCih is null ? "" : " aria-sort=\"ascending\"")} ")
            .Append($"title=\"{E($"{i.Distance} distance of the CIH to the reference row's")}\">CIH distance<span class=\"cnnc-arrow\">{(i.SortedByCih is null ? "" : " ▲")}</span></th>")
            .Append("</tr></thead><tbody>");
        var cih = new JsonObject();
        foreach (var r in i.Rows)
        {
            html.Append($"<tr data-index=\"{r.Index}\" class=\"{(r.Correct ? "cnnc-right" : "cnnc-wrong")}{(r.IsReference ? " cnnc-cih-ref" : "")}\">")
                .Append($"<td data-v=\"{r.Index}\">{r.Index}<br><small>{E(r.Item)}</small></td>")
                .Append($"<td>{E(r.Label)}</td>")
                .Append($"<td class=\"cnnc-pred\" data-v=\"{E(r.Prediction)}\">{E(r.Prediction)}</td>")
                .Append(NumTd(r.Confidence, Format.Percent(r.Confidence)))
                .Append(NumTd(r.TrueClassConfidence, Format.Percent(r.TrueClassConfidence)))
                .Append($"<td data-v=\"{R(Mean(r.Map))}\">{Img(r.Heatmap, $"image {r.Index} {i.Method}")}</td>")
                .Append(NumTd(r.RoiSize, Format.Percent(r.RoiSize)))
                .Append($"<td data-v=\"{R(MeanIntensity(r.Histogram))}\">{CihSvg(r.Histogram)}")
                .Append($"<br><small>{r.Histogram.PixelCount} px, mean {F(MeanIntensity(r.Histogram), "0")}</small>")
                .Append($"<br><button type=\"button\" class=\"cnnc-cih-sort\" data-index=\"{r.Index}\" title=\"order the rows by CIH distance to this image\">sort by this CIH</button></td>")
                .Append(!double.IsNaN(r.CihDistance) ? $"<td data-v=\"{R(r.CihDistance)}\">{F(r.CihDistance, "0.0000")}</td>" : "<td data-v=\"\">–</td>")
                .Append("</tr>");
            cih[r.Index.ToString(CultureInfo.InvariantCulture)] = Counts(r.Histogram);
        }
        html.Append("</tbody></table></div>\n");
        MissingPlotly(html, "inspect", host);
        var payload = new JsonObject
        {
            ["figures"] = new JsonObject { ["accuracy"] = ExplainCharts.Accuracy(i) },
            ["cih"] = new JsonObject { ["distance"] = i.Distance.ToString(), ["rows"] = cih },
        };
        return Finish(html, payload, id);
    }

    private static int PageRows(Inspection i) => Math.Min(i.PageSize, i.TotalImages - (i.Page - 1) * i.PageSize);

    /// <summary>A CIH as integer counts per channel: {"n": pixels, "h": [[256 counts] per channel]}.</summary>
    private static JsonObject Counts(ColorHistogram h) => new()
    {
        ["n"] = h.PixelCount,
        ["h"] = new JsonArray(h.Bins.Select(channel =>
            (JsonNode)new JsonArray(channel.Select(b => (JsonNode)(int)Math.Round(b * h.PixelCount)).ToArray())).ToArray()),
    };

    /// <summary>Mean intensity (0–255) of the highlighted pixels, averaged over channels; NaN when none.</summary>
    internal static double MeanIntensity(ColorHistogram h)
    {
        if (h.PixelCount == 0) return double.NaN;
        double sum = 0;
        foreach (var channel in h.Bins)
            for (var b = 0; b < channel.Length; b++) sum += b * channel[b];
        return sum / h.Bins.Length;
    }

    /// <summary>The CIH as a small inline SVG: 32 bins per channel (8 intensities each), one line per channel.</summary>
    internal static string CihSvg(ColorHistogram h)
    {
        const int width = 96, height = 36, bins = 32;
        var svg = new StringBuilder($"<svg class=\"cnnc-cih\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\">")
            .Append($"<rect x=\"0\" y=\"0\" width=\"{width}\" height=\"{height}\" fill=\"#fafafa\" stroke=\"#ddd\"/>");
        if (h.PixelCount == 0)
            return svg.Append($"<text x=\"{width / 2}\" y=\"{height / 2 + 4}\" font-size=\"10\" text-anchor=\"middle\" fill=\"#999\">empty ROI</text></svg>").ToString();
        var grouped = h.Bins.Select(channel => Enumerable.Range(0, bins).Select(g => channel.Skip(g * 8).Take(8).Sum()).ToArray()).ToArray();
        var max = grouped.SelectMany(g => g).DefaultIfEmpty(0).Max();
        var colours = h.Bins.Length == 1 ? new[] { "#555555" } : new[] { "#d62728", "#2ca02c", "#1f77b4" };
        var step = (double)width / bins;
        for (var c = 0; c < grouped.Length; c++)
        {
            var path = new StringBuilder($"M0 {height}");
            for (var g = 0; g < bins; g++)
            {
                var y = height - 2 - (max > 0 ? grouped[c][g] / max * (height - 4) : 0);
                path.Append($" L{F(g * step, "0.#")} {F(y, "0.#")} L{F((g + 1) * step, "0.#")} {F(y, "0.#")}");
            }
            path.Append($" L{width} {height}");
            svg.Append(h.Bins.Length == 1
                ? $"<path d=\"{path}Z\" fill=\"{colours[c]}\" fill-opacity=\"0.55\" stroke=\"{colours[c]}\" stroke-width=\"1\"/>"
                : $"<path d=\"{path}\" fill=\"none\" stroke=\"{colours[c]}\" stroke-width=\"1\"/>");
        }
        return svg.Append("</svg>").ToString();
    }

    /// <summary>The similarity matrix as a plain table (readable where scripts do not run).</summary>
    private static string Similarity(SimilarityMatrix m)
    {
        var t = new StringBuilder($"<details class=\"cnnc-similarity\"><summary>Similarity matrix ({E(m.Formula)})</summary><table><thead><tr><th></th>");
        foreach (var label in m.Labels) t.Append($"<th>{E(label)}</th>");
        t.Append("</tr></thead><tbody>");
        for (var i = 0; i < m.Labels.Count; i++)
        {
            t.Append($"<tr><th>{E(m.Labels[i])}</th>");
            foreach (var v in m.Values[i]) t.Append($"<td>{F(v, "0.000")}</td>");
            t.Append("</tr>");
        }
        return t.Append("</tbody></table></details>").ToString();
    }

    private static void Tools(StringBuilder html, int rows) =>
        html.Append("<div class=\"cnnc-tools\"><input type=\"search\" class=\"cnnc-search\" placeholder=\"Search rows…\" aria-label=\"search rows\">")
            .Append($"<span class=\"cnnc-count\">{rows} of {rows} rows</span> <small>click a column header to sort</small></div>");

    private static void MissingPlotly(StringBuilder html, string command, ViewHost host) => html.Append(Html.MissingPlotly(command, host));

    private static string Finish(StringBuilder html, JsonObject payload, string id) => Html.Finish(html, payload, "explain.js", id);

    private static string Th(string text, string type, string? title = null) =>
        $"<th data-type=\"{type}\"{(title is null ? "" : $" title=\"{E(title)}\"")}>{E(text)}<span class=\"cnnc-arrow\"></span></th>";

    private static string NumTd(double value, string text) => $"<td data-v=\"{R(value)}\">{E(text)}</td>";

    private static string Img(PngImage png, string alt) =>
        $"<img class=\"cnnc-pic\" src=\"{png.DataUri}\" width=\"{png.Width}\" height=\"{png.Height}\" alt=\"{E(alt)}\">";

    private static double Mean(Map2D map)
    {
        double sum = 0;
        foreach (var v in map.Data) sum += v;
        return sum / map.Length;
    }

    private static string R(double v) => double.IsNaN(v) ? "" : v.ToString("R", CultureInfo.InvariantCulture);

    private static string F(double v, string format) => v.ToString(format, CultureInfo.InvariantCulture);

    private static string E(string text) => Html.Encode(text);
}
