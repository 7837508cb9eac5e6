using System.Globalization;
using System.Text;
using Cnnc.Engine.Studies;

namespace Cnnc.Views;

/// <summary>A <see cref="StudySummary"/> as a card: data, hierarchy, store, and a table of the models.</summary>
public static class StudySummaryView
{
    /// <summary>The card as a self-contained fragment.</summary>
    public static string ToHtml(this StudySummary s)
    {
        var html = new StringBuilder($"<div class=\"cnnc-view cnnc-session\">{Styles.Element}<b>{E(s.Title)}</b> · data <code>{E(s.Dataset)}</code>");
        if (s.Hierarchy.Length > 0) html.Append($" · {E(s.Hierarchy)}");
        html.Append($" · store <code>{E(s.Store)}</code>");
        if (s.Note is not null) html.Append($"<div>{E(s.Note)}</div>");
        html.Append("<table><thead><tr><th>model</th><th>architecture</th><th>source</th><th>parameters</th><th>MACs</th><th>accuracy</th><th>latency</th></tr></thead><tbody>");
        foreach (var r in s.Rows)
            html.Append($"<tr><td>{E(r.Name)}</td><td>{E(r.Architecture)}</td><td>{(r.IsZoo ? "zoo" : "file")}</td>")
                .Append($"<td>{(r.Parameters is { } p ? Format.Count(p) : "–")}</td><td>{(r.Macs is { } m ? Format.Count(m) : "–")}</td>")
                .Append($"<td>{(r.Accuracy is { } a ? Format.Percent(a) : "not evaluated")}</td>")
                .Append($"<td>{LatencyMark.Html(r.LatencyMs, r.LatencyCaveat)}</td></tr>");
        if (s.Rows.Count == 0) html.Append("<tr><td colspan=\"7\">no models yet</td></tr>");
        return html.Append("</tbody></table></div>").ToString();
    }

    private static string E(string s) => Html.Encode(s);
}
