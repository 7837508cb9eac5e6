using System.Net;
using System.Text;
using Cnnc.Interactive.Html;

namespace Cnnc.Interactive;

/// <summary>
/// What a standalone report holds: always the session and the Phase-1 overview; a compare section when
/// <see cref="CompareClass"/> is set; an inspect section when <see cref="InspectModel"/> and <see cref="InspectClasses"/>
/// are set. Defaults are the notebook commands' defaults.
/// </summary>
public sealed record ReportOptions
{
    /// <summary>Title of the page. Default "CNNC report".</summary>
    public string Title { get; init; } = "CNNC report";

    /// <summary>x axis of A1. Default parameters.</summary>
    public ComplexityMeasure Complexity { get; init; } = ComplexityMeasure.Parameters;

    /// <summary>Model pinned at first in the overview. Default: the first.</summary>
    public string? Pin { get; init; }

    /// <summary>Class of the compare section (paper 6.1). Default none: no compare section.</summary>
    public string? CompareClass { get; init; }

    /// <summary>Models compared. Default: every session model.</summary>
    public IReadOnlyList<string>? CompareModels { get; init; }

    /// <summary>Dataset index of the compared image. Default: the class's first image.</summary>
    public int? CompareImage { get; init; }

    /// <summary>Explainer of the compare section. Default gradcam.</summary>
    public string CompareMethod { get; init; } = "gradcam";

    /// <summary>Model of the inspect section (paper 6.2). Default none: no inspect section.</summary>
    public string? InspectModel { get; init; }

    /// <summary>Classes of the inspect section.</summary>
    public IReadOnlyList<string>? InspectClasses { get; init; }

    /// <summary>Explainer of the inspect section. Default: inspect's (Smooth Grad-CAM++ at zoo scale).</summary>
    public string? InspectMethod { get; init; }

    /// <summary>Rows of the inspect section. Default 50.</summary>
    public int InspectRows { get; init; } = 50;

    /// <summary>Contour / ROI / CIH threshold. Default 0.5.</summary>
    public double Threshold { get; init; } = 0.5;

    /// <summary>Throws when the options contradict each other.</summary>
    public ReportOptions Validate()
    {
        if ((InspectModel is null) != (InspectClasses is null or { Count: 0 }))
            throw new ArgumentException("An inspect section needs both a model and at least one class.");
        if (InspectRows < 1) throw new ArgumentException($"Inspect rows must be at least 1 (got {InspectRows}).");
        if (!(Threshold is >= 0 and <= 1)) throw new ArgumentException($"Threshold must be in [0, 1] (got {Threshold}).");
        return this;
    }
}

/// <summary>
/// A standalone, offline HTML page assembled from the notebook's views (<c>cnnc report</c>,
/// <see cref="CnncSession.WriteReport"/>): plotly.js inlined once at the top from Plotly.NET.dll, every view the same
/// self-contained fragment a notebook shows, the same in-page linking. Share it with people who have no notebook host.
/// </summary>
public static class Report
{
    /// <summary>A page from already rendered fragments (each rendered without plotly.js: the page carries it once).</summary>
    public static string Page(string title, IEnumerable<string> fragments)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
            .Append("<meta name=\"generator\" content=\"CNNC\">")
            .Append("<title>").Append(WebUtility.HtmlEncode(title)).Append("</title>")
            .Append("<style>body{margin:16px 24px;font-family:system-ui,sans-serif}h1{font-size:20px}h2{font-size:16px;margin-top:28px}</style>")
            .Append("</head><body>\n")
            .Append("<h1>").Append(WebUtility.HtmlEncode(title)).Append("</h1>\n")
            .Append(PlotlyJs.ScriptElement()).Append('\n');
        foreach (var fragment in fragments) html.Append(fragment).Append('\n');
        html.Append("</body></html>\n");
        return html.ToString();
    }

    /// <summary>
    /// Builds the report of <paramref name="session"/> (every model must have been evaluated). Sections: the session,
    /// the overview, then compare and inspect as <paramref name="options"/> ask.
    /// </summary>
    public static string Build(CnncSession session, ReportOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        options = (options ?? new ReportOptions()).Validate();
        var fragments = new List<string>
        {
            Section("Session"),
            SessionView.Of(session, $"{session.Models.Count} models").ToHtml(),
            Section("Overview (paper 5.1)"),
            session.Overview(options.Complexity, options.Pin).ToHtml(includePlotly: false),
        };
        if (options.CompareClass is { } compareClass)
        {
            cancellationToken.ThrowIfCancellationRequested();
            fragments.Add(Section($"Compare: {compareClass} (paper 6.1)"));
            fragments.Add(session.Compare(compareClass, options.CompareModels, options.CompareImage, options.CompareMethod,
                options.Threshold, cancellationToken: cancellationToken).ToHtml(includePlotly: false));
        }
        if (options.InspectModel is { } inspectModel)
        {
            cancellationToken.ThrowIfCancellationRequested();
            fragments.Add(Section($"Inspect: {inspectModel} on {string.Join(", ", options.InspectClasses!)} (paper 6.2)"));
            fragments.Add(session.Inspect(inspectModel, options.InspectClasses!, options.InspectMethod, options.Threshold,
                rows: options.InspectRows, cancellationToken: cancellationToken).ToHtml(includePlotly: false));
        }
        return Page(options.Title, fragments);
    }

    private static string Section(string title) => $"<h2>{WebUtility.HtmlEncode(title)}</h2>";
}
