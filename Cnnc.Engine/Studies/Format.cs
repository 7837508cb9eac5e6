using System.Globalization;
using System.Text;

namespace Cnnc.Engine.Studies;

/// <summary>How numbers read in study texts and views: percentages, counts, durations (invariant culture).</summary>
public static class Format
{
    /// <summary>0.9051 → "90.5%"; NaN → "n/a".</summary>
    public static string Percent(double value) =>
        double.IsNaN(value) ? "n/a" : (value * 100).ToString("F1", CultureInfo.InvariantCulture) + "%";

    /// <summary>11,689,512 → "11.69 M".</summary>
    public static string Count(long value) => value switch
    {
        >= 1_000_000_000 => (value / 1e9).ToString("F2", CultureInfo.InvariantCulture) + " G",
        >= 1_000_000 => (value / 1e6).ToString("F2", CultureInfo.InvariantCulture) + " M",
        >= 1_000 => (value / 1e3).ToString("F1", CultureInfo.InvariantCulture) + " k",
        _ => value.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>The mark of a figure that should not be read as a clean number (latency taken under load, …).</summary>
    public const string Unreliable = "⚠";

    /// <summary>
    /// A stored batch-1 latency as text: "1.30 ms", "⚠ 65.00 ms (unreliable: machine under load: …)" when it has a
    /// caveat, "–" when not measured.
    /// </summary>
    public static string Latency(double? ms, string? caveat) => ms switch
    {
        null => "–",
        { } value when caveat is null => value.ToString("F2", CultureInfo.InvariantCulture) + " ms",
        { } value => $"{Unreliable} {value.ToString("F2", CultureInfo.InvariantCulture)} ms (unreliable: {caveat})",
    };

    /// <summary>"12.3 ms", or "1.23 s" from a second on.</summary>
    public static string Milliseconds(double ms) =>
        ms >= 1000 ? (ms / 1000).ToString("F2", CultureInfo.InvariantCulture) + " s" : ms.ToString("F1", CultureInfo.InvariantCulture) + " ms";
}

/// <summary>CSV cells as the study's tables write them (RFC 4180, invariant culture).</summary>
internal static class Csv
{
    public static void Row(StringBuilder csv, params object?[] cells) =>
        csv.Append(string.Join(",", cells.Select(Cell))).Append("\r\n");

    public static string Cell(object? value) => value switch
    {
        null => "",
        double d when double.IsNaN(d) => "",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => Quote(value.ToString() ?? ""),
    };

    private static string Quote(string text) =>
        text.IndexOfAny(new[] { ',', '"', '\r', '\n' }) >= 0 ? "\"" + text.Replace("\"", "\"\"") + "\"" : text;
}
