using System.Text;
using Cnnc.Engine.Studies;

namespace Cnnc.Views;

/// <summary>
/// A standalone, offline HTML page of a <see cref="StudyReport"/> (<c>cnnc report</c>): plotly.js inlined once at the
/// top from Plotly.NET.dll, every view the same self-contained fragment a notebook shows, the same in-page linking.
/// Share it with people who have no notebook host.
/// </summary>
public static class ReportPage
{
    /// <summary>A page from already rendered fragments (each rendered without plotly.js: the page carries it once).</summary>
    public static string Page(string title, IEnumerable<string> fragments)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
            .Append("<meta name=\"generator\" content=\"CNNC\">")
            .Append("<title>").Append(Html.Encode(title)).Append("</title>")
            .Append("<style>body{margin:16px 24px;font-family:system-ui,sans-serif}h1{font-size:20px}h2{font-size:16px;margin-top:28px}</style>")
            .Append("</head><body>\n")
            .Append("<h1>").Append(Html.Encode(title)).Append("</h1>\n")
            .Append(PlotlyJs.ScriptElement()).Append('\n');
        foreach (var fragment in fragments) html.Append(fragment).Append('\n');
        html.Append("</body></html>\n");
        return html.ToString();
    }

    /// <summary>The report's page. Sections: the study, the overview, compare and inspect when the report has them, then confusion, significance, calibration and agreement.</summary>
    public static string ToHtml(this StudyReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var fragments = new List<string>
        {
            Section("Study"),
            report.Summary.ToHtml(),
            Section("Overview (paper 5.1)"),
            report.Overview.ToHtml(includePlotly: false, ViewHost.Report),
        };
        if (report.Comparison is { } comparison)
        {
            fragments.Add(Section($"Compare: {comparison.ClassName} (paper 6.1)"));
            fragments.Add(comparison.ToHtml(includePlotly: false, ViewHost.Report));
        }
        if (report.Inspection is { } inspection)
        {
            fragments.Add(Section($"Inspect: {inspection.Model} on {string.Join(", ", inspection.Classes.Select(c => c.ClassName))} (paper 6.2)"));
            fragments.Add(inspection.ToHtml(includePlotly: false, ViewHost.Report));
        }
        if (report.Confusion is { } confusion)
        {
            fragments.Add(Section($"Confusion: {confusion.Confusion.Model}"));
            fragments.Add(confusion.ToHtml(includePlotly: false, ViewHost.Report));
        }
        if (report.Significance is { } significance)
        {
            fragments.Add(Section("Significance: McNemar and bootstrap intervals"));
            fragments.Add(significance.ToHtml(includePlotly: false, ViewHost.Report));
        }
        if (report.Calibration is { } calibration)
        {
            fragments.Add(Section("Calibration"));
            fragments.Add(calibration.ToHtml(includePlotly: false, ViewHost.Report));
        }
        if (report.Agreement is { } agreement)
        {
            fragments.Add(Section("Agreement and error overlap"));
            fragments.Add(agreement.ToHtml(includePlotly: false, ViewHost.Report));
        }
        return Page(report.Title, fragments);
    }

    /// <summary>Writes the report's page to <paramref name="path"/> (atomically) and returns the full path.</summary>
    public static string Write(this StudyReport report, string path)
    {
        var full = Path.GetFullPath(path);
        Cnnc.Engine.IO.AtomicFile.WriteAllText(full, report.ToHtml());
        return full;
    }

    private static string Section(string title) => $"<h2>{Html.Encode(title)}</h2>";
}
