using System.Globalization;
using System.Net;
using System.Text;
using Cnnc.Engine.Explain;
using Cnnc.Engine.Studies;

namespace Cnnc.Views;

/// <summary>
/// View D as HTML: one row of inline PNG images (data URIs) per model — the image, then each method's heatmap with
/// contours, captioned with the method, the class explained, its score and the time taken.
/// </summary>
public static class ExplanationExamplesView
{
    /// <summary>The examples of one model as a self-contained fragment.</summary>
    public static string ToHtml(this ExplanationExamples examples) =>
        $"<div class=\"cnnc-view cnnc-explanations-view\">{Styles.Element}{Block(examples, visible: true)}</div>";

    /// <summary>The examples of one model; hidden unless <paramref name="visible"/> (the overview shows the pinned one).</summary>
    internal static string Block(ExplanationExamples x, bool visible)
    {
        var html = new StringBuilder($"<div class=\"cnnc-d-model\" data-model=\"{E(x.Model)}\"{(visible ? "" : " style=\"display:none\"")}>");
        html.Append($"<div class=\"cnnc-d-caption\">Explanations of <b>{E(x.Model)}</b> · image #{x.Image} (<code>{E(x.ImageDescription)}</code>), ")
            .Append($"class <b>{E(x.ClassName)}</b> ({E(x.Root)})");
        if (x.Prediction is { } p)
            html.Append($" · predicted <b>{E(x.ClassNames[p.Class])}</b> ({Format.Percent(p.Probability)})");
        html.Append($" · heatmap above t = {x.Threshold.ToString("0.##", CultureInfo.InvariantCulture)}, contours from t to 1</div>");
        html.Append("<div class=\"cnnc-d-row\">");
        html.Append($"<figure class=\"cnnc-explain-image\"><img alt=\"image {x.Image}\" width=\"{x.PixelWidth}\" height=\"{x.PixelHeight}\" ")
            .Append($"style=\"image-rendering:pixelated\" src=\"{x.ImagePng.DataUri}\"><figcaption><b>image #{x.Image}</b><br>{E(x.ClassName)}</figcaption></figure>");
        for (var i = 0; i < x.Examples.Count; i++) html.Append(Figure(x, x.Examples[i], x.Cached[i]));
        return html.Append("</div></div>").ToString();
    }

    private static string Figure(ExplanationExamples x, ExplainerExample example, bool cached)
    {
        var head = $"<figure class=\"cnnc-explanation{(example.Succeeded ? "" : " cnnc-failed")}\" data-method=\"{E(example.Method)}\" title=\"{E(example.Description)}\">";
        if (example.Explanation is not { } e || example.Png is null)
            return head + $"<div class=\"cnnc-error\" style=\"width:{x.PixelWidth}px\">{E(example.Method)} failed: {E(example.Error ?? "")}</div>" +
                   $"<figcaption><b>{E(example.Method)}</b></figcaption></figure>";
        return head +
               $"<img alt=\"{E(example.Method)} explanation of {E(x.ClassName)}\" width=\"{x.PixelWidth}\" height=\"{x.PixelHeight}\" src=\"{example.Png.DataUri}\">" +
               $"<figcaption><b>{E(example.Method)}</b><br>{E(x.ClassNames[e.TargetClass])}: score {e.Score.ToString("0.###", CultureInfo.InvariantCulture)}" +
               $", p {Format.Percent(e.Probability)}<br>ROI {Format.Percent(example.Contours!.RoiSize)} · " +
               $"<span class=\"cnnc-ms\">{Format.Milliseconds(example.Milliseconds)}</span>{(cached ? " (cached)" : "")}</figcaption></figure>";
    }

    /// <summary>View D inside the overview: every computed model's block (the pinned one visible) and a note on scope.</summary>
    internal static string Section(Overview o, ViewHost host = ViewHost.Notebook)
    {
        var html = new StringBuilder($"<div class=\"cnnc-explain\" data-scope=\"{o.ExplainScope.ToString().ToLowerInvariant()}\">");
        html.Append("<div class=\"cnnc-d-title\"><b>D · Explanation examples</b>");
        if (o.ExplainScope != ExplainScope.None) html.Append($" ({string.Join(", ", o.ExplainMethods.Select(E))})");
        html.Append("</div>");
        html.Append("<div class=\"cnnc-d-note\">").Append(Note(o, host)).Append("</div>");
        html.Append("<div class=\"cnnc-d-follow\"></div>");
        var shown = o.ExplanationsOf(o.PinnedModel) ?? o.Explanations.FirstOrDefault();
        foreach (var x in o.Explanations) html.Append(Block(x, ReferenceEquals(x, shown)));
        return html.Append("</div>\n").ToString();
    }

    private static string Note(Overview o, ViewHost host)
    {
        var others = ExplainerCatalog.Names.Where(n => !o.ExplainMethods.Contains(n)).ToList();
        if (host == ViewHost.Report)
            return o.ExplainScope switch
            {
                ExplainScope.None => "Not computed for this report.",
                ExplainScope.All => "Computed for every model when this report was made: D follows the pinned model.",
                _ => $"Computed for <b>{E(o.Explanations.FirstOrDefault()?.Model ?? o.PinnedModel)}</b> (the pinned model) when this report was made; " +
                     "pinning another model on this page does not recompute them: make the report again with <code>cnnc report --pin MODEL</code> for another model's.",
            };
        var more = others.Count == 0 ? "" :
            $" Other methods: {string.Join(", ", others.Select(E))} (<code>--methods a,b,…</code>; <code>--methods paper</code> adds BBMP, " +
            "whose 300 optimisation steps take seconds per model; <code>--methods all</code> runs every one).";
        return o.ExplainScope switch
        {
            ExplainScope.None => "Not computed (<code>--explain none</code>): run <code>#!cnnc overview</code> without it for the pinned model's explanations.",
            ExplainScope.All => $"Computed in the kernel for every model when this output was made: D follows the pinned model.{more}",
            _ => $"Computed in the kernel for <b>{E(o.Explanations.FirstOrDefault()?.Model ?? o.PinnedModel)}</b> (the pinned model) when this output was made; " +
                 "pinning another model here does not recompute them: run <code>#!cnnc overview --pin MODEL</code> for another model, or " +
                 $"<code>--explain all</code> to embed every model's.{more}",
        };
    }

    private static string E(string text) => Html.Encode(text);
}
