using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cnnc.Engine.Analysis;
using Cnnc.Engine.Studies;

namespace Cnnc.Views;

/// <summary>
/// The analysis views (<c>#!cnnc confusion</c>, <c>significance</c>, <c>calibration</c>, <c>agreement</c>), each a pure
/// function of an engine record: one self-contained HTML fragment with its charts, a readable table (sortable by
/// every column) and the data the page script (<c>analyses.js</c>) needs. No kernel round trip.
/// </summary>
public static class AnalysisViews
{
    /// <summary>
    /// The confusion view: heatmap (click a cell for its images and the command that starts from each), per-class
    /// precision / recall / F1 and their macro averages.
    /// </summary>
    public static string ToHtml(this ConfusionView v, bool includePlotly = true, ViewHost host = ViewHost.Notebook)
    {
        var c = v.Confusion;
        var html = Start(includePlotly, "confusion", out var id, $"data-cnnc-model=\"{E(c.Model)}\" data-cnnc-level=\"{v.Level}\"");
        html.Append("<div class=\"cnnc-header\">")
            .Append($"<b>CNNC confusion</b> · model <b>{E(c.Model)}</b> on <code>{E(v.Dataset)}</code> ({c.Readable:N0} images")
            .Append(c.Unreadable > 0 ? $", {c.Unreadable:N0} unreadable" : "").Append(") · accuracy ")
            .Append($"<b>{Format.Percent(c.Accuracy)}</b> · macro precision {Format.Percent(c.MacroPrecision)}, recall ")
            .Append($"{Format.Percent(c.MacroRecall)}, F1 {Format.Percent(c.MacroF1)} · {(v.Normalised ? "row shares" : "counts")}</div>\n");
        var drill = host == ViewHost.Report ? "" : " (drill down: <code>#!cnnc confusion --root ROOT</code>)";
        html.Append("<div class=\"cnnc-note-plain\">")
            .Append(v.Level switch
            {
                "root" => $"Classes of root <b>{E(v.Root!)}</b>; the last column counts the images predicted as a class of another root.",
                "roots" => $"{c.Classes.RowLabels.Count} classes are too many for one matrix: root × root{drill}.",
                _ => "Classes grouped by root (outlined blocks).",
            })
            .Append($" Thumbnails are embedded for the {v.Options.ThumbnailCells} largest off-diagonal cells, {v.Options.ImagesPerCell} images each; ")
            .Append("other cells list their first image indices.</div>\n");
        html.Append(Html.MissingPlotly("confusion", host));
        html.Append("<div class=\"cnnc-chart cnnc-wide\" data-chart=\"confusion\"></div>\n");
        html.Append("<div class=\"cnnc-cell-strip\"><small>Click a cell of the matrix to see its images here.</small></div>\n");

        html.Append(SortableHead("Per-class scores", "class", "root", "support", "predicted", "true positives", "precision", "recall", "F1"));
        foreach (var s in c.PerClass.OrderBy(s => c.ClassOrder.ToList().IndexOf(s.ClassIndex)))
            html.Append($"<tr data-class=\"{s.ClassIndex}\"><td>{E(s.Name)}</td><td>{E(s.Root)}</td>")
                .Append(Num(s.Support, s.Support.ToString("N0", CultureInfo.InvariantCulture)))
                .Append(Num(s.Predicted, s.Predicted.ToString("N0", CultureInfo.InvariantCulture)))
                .Append(Num(s.TruePositives, s.TruePositives.ToString("N0", CultureInfo.InvariantCulture)))
                .Append(Num(s.Precision, Format.Percent(s.Precision))).Append(Num(s.Recall, Format.Percent(s.Recall)))
                .Append(Num(s.F1, Format.Percent(s.F1))).Append("</tr>");
        html.Append("</tbody><tfoot><tr class=\"cnnc-macro\"><th colspan=\"2\">macro average</th>")
            .Append($"<td>{c.Readable:N0}</td><td></td><td></td>")
            .Append(Num(c.MacroPrecision, Format.Percent(c.MacroPrecision))).Append(Num(c.MacroRecall, Format.Percent(c.MacroRecall)))
            .Append(Num(c.MacroF1, Format.Percent(c.MacroF1))).Append("</tr></tfoot></table>\n");

        var cells = new JsonObject();
        foreach (var cell in v.Cells)
            cells[$"{cell.Row},{cell.Column}"] = new JsonObject
            {
                ["n"] = cell.Count,
                ["thumbnails"] = cell.Thumbnails,
                ["images"] = new JsonArray(cell.Images.Select(i => (JsonNode)new JsonObject
                {
                    ["i"] = i.Index, ["t"] = i.TrueClass, ["p"] = i.Predicted, ["png"] = i.Png?.DataUri,
                    ["command"] = CompareCommand(i.TrueClass, i.Index, host),
                }).ToArray()),
            };
        var payload = new JsonObject
        {
            ["figures"] = new JsonObject { ["confusion"] = AnalysisCharts.Confusion(v) },
            ["rows"] = Strings(v.Table.RowLabels),
            ["columns"] = Strings(v.Table.ColumnLabels),
            ["counts"] = new JsonArray(v.Table.Counts.Select(r => (JsonNode)new JsonArray(r.Select(x => (JsonNode)x).ToArray())).ToArray()),
            ["cells"] = cells,
            ["perCell"] = v.Options.ImagesPerCell,
        };
        return Finish(html, payload, id);
    }

    /// <summary>
    /// The significance view: "not distinguishable from the best at α (Holm)" first, then the p-value heatmap, the
    /// bootstrap intervals and a table per model.
    /// </summary>
    public static string ToHtml(this SignificanceView v, bool includePlotly = true, ViewHost host = ViewHost.Notebook)
    {
        var s = v.Pairwise;
        var b = v.Best;
        var html = Start(includePlotly, "significance", out var id, $"data-cnnc-best=\"{E(b.Best)}\"");
        html.Append("<div class=\"cnnc-header\">")
            .Append($"<b>CNNC significance</b> · {s.Models.Count} models on <code>{E(v.Dataset)}</code> ({s.Images:N0} shared images) · ")
            .Append($"McNemar's exact test per pair, α = {F(b.Alpha)}, Holm's adjustment over the {s.Models.Count - 1} comparisons with the best</div>\n");
        var same = b.NotDistinguishable;
        html.Append("<div class=\"cnnc-best\">Not distinguishable from the best (<b>").Append(E(b.Best)).Append($"</b>, {Format.Percent(s.Accuracy[s.Models.ToList().IndexOf(b.Best)])}) ")
            .Append($"at α = {F(b.Alpha)} (Holm): <span class=\"cnnc-same\">")
            .Append(string.Join(", ", same.Select(m => $"<b data-model=\"{E(m)}\">{E(m)}</b>")))
            .Append("</span>").Append(same.Count == 1 ? " — every other model is significantly less accurate." : "").Append("</div>\n");
        html.Append(Html.MissingPlotly("significance", host));
        html.Append("<div class=\"cnnc-row2\"><div class=\"cnnc-chart\" data-chart=\"pvalues\"></div><div class=\"cnnc-chart\" data-chart=\"intervals\"></div></div>\n");
        html.Append(SortableHead("Models against the best", "model", "accuracy", "interval low", "interval high", "p vs best", "Holm p", "distinguishable"));
        var intervals = v.Intervals.Models.ToDictionary(m => m.Model, m => m.Overall);
        foreach (var r in v.Order.Select(m => b.Rows.First(x => x.Model == s.Models[m])))
        {
            var i = intervals[r.Model];
            html.Append($"<tr data-model=\"{E(r.Model)}\"><td>{E(r.Model)}</td>").Append(Num(r.Accuracy, Format.Percent(r.Accuracy)))
                .Append(Num(i.Lower, Format.Percent(i.Lower))).Append(Num(i.Upper, Format.Percent(i.Upper)))
                .Append(Num(r.PValue, r.Model == b.Best ? "best" : AnalysisCharts.P(r.PValue)))
                .Append(Num(r.HolmPValue, r.Model == b.Best ? "best" : AnalysisCharts.P(r.HolmPValue)))
                .Append($"<td data-v=\"{(r.Distinguishable ? 1 : 0)}\">{(r.Model == b.Best ? "–" : r.Distinguishable ? "yes" : "no")}</td></tr>");
        }
        html.Append("</tbody></table>\n");
        var payload = new JsonObject
        {
            ["figures"] = new JsonObject { ["pvalues"] = AnalysisCharts.PValues(v), ["intervals"] = AnalysisCharts.Intervals(v) },
            ["order"] = new JsonArray(v.Order.Select(m => (JsonNode)m).ToArray()),
        };
        return Finish(html, payload, id);
    }

    /// <summary>The calibration view: the reliability diagram of every model and a table sorted by ECE.</summary>
    public static string ToHtml(this CalibrationView v, bool includePlotly = true, ViewHost host = ViewHost.Notebook)
    {
        var html = Start(includePlotly, "calibration", out var id, $"data-cnnc-pinned-model=\"{E(v.Pinned)}\"");
        var bins = v.Models.FirstOrDefault()?.BinCount ?? 0;
        html.Append("<div class=\"cnnc-header\">")
            .Append($"<b>CNNC calibration</b> · {v.Models.Count} models on <code>{E(v.Dataset)}</code> · top-label confidence, ")
            .Append($"{bins} equal-width bins (torchmetrics' binning) · pinned <b>{E(v.Pinned)}</b></div>\n");
        html.Append(Html.MissingPlotly("calibration", host));
        html.Append("<div class=\"cnnc-chart cnnc-wide\" data-chart=\"reliability\"></div>\n");
        html.Append(SortableHead("Calibration per model (by ECE)", "model", "ECE", "MCE", "mean confidence", "accuracy", "images"));
        foreach (var m in v.ByEce)
            html.Append($"<tr data-model=\"{E(m.Model)}\"{(m.Model == v.Pinned ? " class=\"cnnc-pinned\"" : "")}><td>{E(m.Model)}</td>")
                .Append(Num(m.Ece, Format.Percent(m.Ece))).Append(Num(m.Mce, Format.Percent(m.Mce)))
                .Append(Num(m.MeanConfidence, Format.Percent(m.MeanConfidence))).Append(Num(m.Accuracy, Format.Percent(m.Accuracy)))
                .Append(Num(m.Readable, m.Readable.ToString("N0", CultureInfo.InvariantCulture))).Append("</tr>");
        html.Append("</tbody></table>\n");
        var payload = new JsonObject { ["figures"] = new JsonObject { ["reliability"] = AnalysisCharts.Reliability(v) } };
        return Finish(html, payload, id);
    }

    /// <summary>
    /// The agreement view: agreement and kappa heatmaps, the models-right histogram, per model the images only it gets
    /// right, and a gallery of the (first, capped) images every model gets wrong with the command to compare on each.
    /// </summary>
    public static string ToHtml(this AgreementView v, bool includePlotly = true, ViewHost host = ViewHost.Notebook)
    {
        var e = v.Errors;
        var html = Start(includePlotly, "agreement", out var id, $"data-cnnc-wrong-for-all=\"{e.WrongForAll.Count}\"");
        html.Append("<div class=\"cnnc-header\">")
            .Append($"<b>CNNC agreement</b> · {e.Models.Count} models on <code>{E(v.Dataset)}</code> ({e.Images:N0} shared images) · ")
            .Append($"<b class=\"cnnc-wrong-all\">{e.WrongForAll.Count:N0}</b> images wrong for every model, ")
            .Append($"<b class=\"cnnc-only-one\">{e.OnlyOneRight.Count:N0}</b> right for exactly one</div>\n");
        html.Append(Html.MissingPlotly("agreement", host));
        html.Append("<div class=\"cnnc-row2\"><div class=\"cnnc-chart\" data-chart=\"agreement\"></div><div class=\"cnnc-chart\" data-chart=\"kappa\"></div>")
            .Append("<div class=\"cnnc-chart\" data-chart=\"modelsRight\"></div></div>\n");
        html.Append(SortableHead("Images only one model gets right", "model", "images only it gets right"));
        var sole = e.SoleCorrectCounts;
        for (var m = 0; m < e.Models.Count; m++)
            html.Append($"<tr data-model=\"{E(e.Models[m])}\"><td>{E(e.Models[m])}</td>")
                .Append(Num(sole[m], sole[m].ToString("N0", CultureInfo.InvariantCulture))).Append("</tr>");
        html.Append("</tbody></table>\n");
        html.Append($"<div class=\"cnnc-cell-strip cnnc-hard\"><div>Hard for everyone: ")
            .Append(e.WrongForAll.Count > v.Hard.Count ? $"the first {v.Hard.Count} of {e.WrongForAll.Count:N0} images (at most {v.HardCap} embedded)" : $"{v.Hard.Count} images")
            .Append("</div><div class=\"cnnc-strip\">");
        foreach (var h in v.Hard)
        {
            var predictions = string.Join("; ", e.Models.Select((m, k) => $"{m}: {h.Predictions[k]}"));
            html.Append($"<figure data-index=\"{h.Index}\" title=\"{E(predictions)}\">")
                .Append($"<img src=\"{h.Png.DataUri}\" width=\"{h.Png.Width}\" height=\"{h.Png.Height}\" alt=\"image {h.Index}\">")
                .Append($"<figcaption><div>{h.Index} · {E(h.TrueClass)}</div>")
                .Append($"<code class=\"cnnc-command\">{E(CompareCommand(h.TrueClass, h.Index, host))}</code>")
                .Append("</figcaption></figure>");
        }
        html.Append("</div></div>\n");
        var payload = new JsonObject
        {
            ["figures"] = new JsonObject
            {
                ["agreement"] = AnalysisCharts.AgreementMatrix(v, kappa: false), ["kappa"] = AnalysisCharts.AgreementMatrix(v, kappa: true),
                ["modelsRight"] = AnalysisCharts.ModelsRight(v),
            },
        };
        return Finish(html, payload, id);
    }

    /// <summary>The command that compares the models on one image: the notebook's, or in the report <c>cnnc report</c>'s.</summary>
    public static string CompareCommand(string className, int image, ViewHost host = ViewHost.Notebook)
    {
        var quoted = className.Any(char.IsWhiteSpace) ? "\"" + className + "\"" : className;
        // The report is not a notebook: its way to compare the models on an image is to make the report again.
        return host == ViewHost.Report
            ? $"cnnc report --compare-class {quoted} --compare-image {image}"
            : $"#!cnnc compare --class {quoted} --image {image}";
    }

    // ---- shared pieces ----

    private const string ExtraStyles =
        "<style>" +
        ".cnnc-view .cnnc-wide{min-height:360px;border:1px solid #eee;border-radius:4px;margin:4px 0}" +
        ".cnnc-view .cnnc-note-plain{margin:2px 0 6px;color:#444}" +
        ".cnnc-view .cnnc-cell-strip{margin:6px 0;padding:4px 6px;border:1px solid #eee;border-radius:4px}" +
        ".cnnc-view .cnnc-cell-strip .cnnc-strip{display:flex;flex-wrap:wrap;gap:8px;margin-top:4px}" +
        ".cnnc-view .cnnc-cell-strip figure{margin:0;font-size:11px;color:#555;max-width:220px}" +
        ".cnnc-view .cnnc-cell-strip img{image-rendering:pixelated;display:block;border:1px solid #ddd}" +
        ".cnnc-view .cnnc-best{margin:6px 0;padding:6px 8px;background:#f3f8ee;border:1px solid #cfe3bd;border-radius:4px}" +
        ".cnnc-view table.cnnc-sortable th[data-type]{cursor:pointer;user-select:none}" +
        ".cnnc-view table.cnnc-sortable th[aria-sort]{background:#e8eefc}" +
        ".cnnc-view tr.cnnc-macro th,.cnnc-view tr.cnnc-macro td{font-weight:600;border-top:2px solid #ccc}" +
        ".cnnc-view tr.cnnc-pinned td{background:#fff6d5}" +
        ".cnnc-view .cnnc-row2{display:grid;grid-template-columns:repeat(auto-fit,minmax(440px,1fr));gap:8px}" +
        "</style>\n";

    private static StringBuilder Start(bool includePlotly, string view, out string id, string attributes)
    {
        id = $"cnnc-{view}-" + Guid.NewGuid().ToString("N")[..12];
        var html = new StringBuilder();
        if (includePlotly) html.Append(PlotlyJs.ScriptElement()).Append('\n');
        html.Append($"<div class=\"cnnc-view cnnc-{view}\" id=\"{id}\" {attributes}>\n").Append(Styles.Element).Append(ExtraStyles);
        return html;
    }

    /// <summary>A table sortable by every column (click a header): text columns first, then numbers.</summary>
    private static string SortableHead(string caption, params string[] columns) =>
        $"<table class=\"cnnc-sortable\"><caption style=\"text-align:left;font-weight:600\">{E(caption)} <small>(click a header to sort)</small></caption><thead><tr>" +
        string.Concat(columns.Select((h, i) => $"<th data-type=\"{(i < TextColumns(columns) ? "text" : "num")}\">{E(h)}<span class=\"cnnc-arrow\"></span></th>")) +
        "</tr></thead><tbody>";

    // The leading columns that hold names (model, class, root); the rest are numbers.
    private static int TextColumns(string[] columns) => columns.TakeWhile(c => c is "class" or "root" or "model").Count();

    private static string Num(double value, string text) => $"<td data-v=\"{AnalysisCharts.R(value)}\">{E(text)}</td>";

    private static string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(s => (JsonNode)s).ToArray());

    private static string Finish(StringBuilder html, JsonObject payload, string id) => Html.Finish(html, payload, "analyses.js", id);

    private static string E(string text) => Html.Encode(text);
}
