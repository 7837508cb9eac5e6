using System.Globalization;
using System.Text;
using Cnnc.Engine.Analysis;
using Cnnc.Engine.Evaluation;
using Cnnc.Engine.Explain;
using Cnnc.Engine.Rendering;
using Cnnc.Engine.Studies;

namespace Cnnc.Views;

/// <summary>A <see cref="Map2D"/> as a small heatmap (jet, [0, 1]) with its size and value range.</summary>
public static class Map2DView
{
    public static string ToHtml(this Map2D map)
    {
        var (min, max) = (map.Data.DefaultIfEmpty().Min(), map.Data.DefaultIfEmpty().Max());
        var png = Pictures.Heatmap(map);
        return $"<div class=\"cnnc-view cnnc-map\">{Styles.Element}<figure style=\"margin:0\">{Img(png, "map")}" +
               $"<figcaption>{map.Height}×{map.Width} map, values {F(min)} to {F(max)}</figcaption></figure></div>";
    }

    internal static string Img(PngImage png, string alt) =>
        $"<img src=\"{png.DataUri}\" width=\"{png.Width}\" height=\"{png.Height}\" alt=\"{Html.Encode(alt)}\" style=\"image-rendering:pixelated;border:1px solid #ddd\">";

    internal static string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
}

/// <summary>An <see cref="Explanation"/>: its map as a heatmap, captioned with method, layer, class, score and prediction.</summary>
public static class ExplanationView
{
    public static string ToHtml(this Explanation e) =>
        $"<div class=\"cnnc-view cnnc-explanation-record\">{Styles.Element}<figure style=\"margin:0\">" +
        Map2DView.Img(Pictures.Heatmap(e.Map), $"{e.Method} map") +
        $"<figcaption><b>{Html.Encode(e.Method)}</b>{(e.Layer is null ? "" : $" at <code>{Html.Encode(e.Layer)}</code>")}<br>" +
        $"class {e.TargetClass}: score {Map2DView.F(e.Score)}, p {Format.Percent(e.Probability)}<br>" +
        $"predicted {e.PredictedClass} ({Format.Percent(e.PredictedProbability)})</figcaption></figure></div>";
}

/// <summary>A <see cref="SimilarityMatrix"/> as a table whose cells are shaded by similarity.</summary>
public static class SimilarityMatrixView
{
    public static string ToHtml(this SimilarityMatrix m)
    {
        var html = new StringBuilder($"<div class=\"cnnc-view cnnc-similarity-matrix\">{Styles.Element}<b>Similarity</b> ({Html.Encode(m.Formula)})<table><thead><tr><th></th>");
        foreach (var label in m.Labels) html.Append($"<th>{Html.Encode(label)}</th>");
        html.Append("</tr></thead><tbody>");
        var span = m.RangeMax - m.RangeMin;
        for (var i = 0; i < m.Labels.Count; i++)
        {
            html.Append($"<tr><th>{Html.Encode(m.Labels[i])}</th>");
            foreach (var v in m.Values[i])
            {
                var t = span > 0 && double.IsFinite(v) ? Math.Clamp((v - m.RangeMin) / span, 0, 1) : 0;
                var c = Overlay.Color(Colormap.Viridis, t);
                var ink = t > 0.6 ? "#000" : "#fff";
                html.Append($"<td style=\"background:rgb({c.R},{c.G},{c.B});color:{ink};text-align:right\">{v.ToString("0.000", CultureInfo.InvariantCulture)}</td>");
            }
            html.Append("</tr>");
        }
        return html.Append("</tbody></table></div>").ToString();
    }
}

/// <summary>A <see cref="ModelAccuracy"/>: overall and top-5, then a table per root and per leaf class.</summary>
public static class ModelAccuracyView
{
    public static string ToHtml(this ModelAccuracy a)
    {
        var html = new StringBuilder($"<div class=\"cnnc-view cnnc-accuracy\">{Styles.Element}<b>Accuracy {Format.Percent(a.Overall)}</b>, " +
                                     $"top-5 {Format.Percent(a.Top5)} · {a.Readable:N0} images{(a.Unreadable > 0 ? $", {a.Unreadable:N0} unreadable" : "")}");
        Table(html, "root class", a.PerRoot);
        Table(html, "class", a.PerClass);
        return html.Append("</div>").ToString();
    }

    private static void Table(StringBuilder html, string what, IReadOnlyList<GroupAccuracy> groups)
    {
        if (groups.Count == 0) return;
        html.Append($"<table><thead><tr><th>{what}</th><th>accuracy</th><th>correct</th><th>images</th></tr></thead><tbody>");
        foreach (var g in groups)
            html.Append($"<tr><td>{Html.Encode(g.Name)}</td><td>{Format.Percent(g.Accuracy)}</td><td>{g.Correct:N0}</td><td>{g.Total:N0}</td></tr>");
        html.Append("</tbody></table>");
    }
}

/// <summary>A <see cref="StoreEntry"/>: what was evaluated on what, when, how fast, and where it is stored.</summary>
public static class StoreEntryView
{
    public static string ToHtml(this StoreEntry e)
    {
        var m = e.Meta;
        var unreadable = m.Dataset.Count - m.ReadableCount;
        var html = new StringBuilder($"<div class=\"cnnc-view cnnc-store-entry\">{Styles.Element}<b>{Html.Encode(m.Model.Name)}</b> ({Html.Encode(m.Model.Architecture)}) " +
                                     $"on <code>{Html.Encode(m.Dataset.Name)}</code>: {m.Dataset.Count:N0} images{(unreadable > 0 ? $", {unreadable:N0} unreadable" : "")}, " +
                                     $"{m.Dataset.Classes.Count} classes<table><tbody>");
        void Row(string key, string value) => html.Append($"<tr><th>{key}</th><td>{value}</td></tr>");
        Row("weights", $"<code>sha256:{Html.Encode(m.Model.WeightsSha256[..Math.Min(16, m.Model.WeightsSha256.Length)])}…</code>");
        Row("completed", m.CompletedAt.ToString("u", CultureInfo.InvariantCulture));
        if (m.Timing is { } t)
            Row("timing", $"{LatencyMark.Html(t.Batch1Milliseconds, t.Caveat)} (batch 1), " +
                          $"{t.ImagesPerSecond.ToString("F0", CultureInfo.InvariantCulture)} img/s (batch {t.BatchSize}, {Html.Encode(t.Device)})" +
                          (t.Caveat is { } c ? $"<br>{Format.Unreliable} unreliable: {Html.Encode(c)}" : ""));
        Row("folder", $"<code>{Html.Encode(e.Directory)}</code>");
        return html.Append("</tbody></table></div>").ToString();
    }
}
