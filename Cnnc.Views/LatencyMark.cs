using System.Globalization;
using Cnnc.Engine.Studies;

namespace Cnnc.Views;

/// <summary>
/// How every view shows a stored latency: a clean figure as "1.30 ms"; one with a caveat (taken under load, spread
/// above the bound, conditions unknown) as "⚠ 65.00 ms" with the reason in its hover text, never as a clean number.
/// </summary>
public static class LatencyMark
{
    /// <summary>A table cell's content (HTML).</summary>
    public static string Html(double? ms, string? caveat)
    {
        if (ms is not { } value) return "–";
        var text = value.ToString("F2", CultureInfo.InvariantCulture) + " ms";
        return caveat is null
            ? text
            : $"<span class=\"cnnc-unreliable\" title=\"unreliable: {Views.Html.Encode(caveat)}\">{Format.Unreliable} {text}</span>";
    }

    /// <summary>The lines of a Plotly hover text (HTML-ish, &lt;br&gt; separated).</summary>
    public static string Hover(double? ms, double? lowerQuartile, double? upperQuartile, string? caveat)
    {
        if (ms is not { } value) return "latency not measured";
        var text = $"latency {F(value)} ms (batch 1" +
                   (lowerQuartile is { } q1 && upperQuartile is { } q3 ? $", quartiles {F(q1)}–{F(q3)} ms)" : ")");
        return caveat is null ? text : $"{Format.Unreliable} {text}<br>{Format.Unreliable} unreliable: {Views.Html.Encode(caveat)}";
    }

    private static string F(double v) => v.ToString("F2", CultureInfo.InvariantCulture);
}
