using System.Net;

namespace Cnnc.Interactive.Html;

/// <summary>Live status of <c>#!cnnc compare</c> / <c>#!cnnc inspect</c> while the explainers run (replaced by the result).</summary>
public sealed class ExplainStatus : ICnncView
{
    internal ExplainStatus(string command, ExplainJobProgress? progress, string state)
    {
        Command = command;
        Progress = progress;
        State = state;
    }

    /// <summary>"compare" or "inspect".</summary>
    public string Command { get; }

    /// <summary>The latest progress report, or null before the first.</summary>
    public ExplainJobProgress? Progress { get; }

    /// <summary>"running", "cancelled" or "failed".</summary>
    public string State { get; }

    private string Line() => State switch
    {
        "cancelled" => $"#!cnnc {Command}: cancelled.",
        "failed" => $"#!cnnc {Command}: failed.",
        _ when Progress is null => $"#!cnnc {Command}: starting…",
        _ => $"#!cnnc {Command}: {Progress.Step}" + (Progress.Total > 1 ? $" ({Progress.Done}/{Progress.Total})" : "") + "…",
    };

    public string ToHtml()
    {
        var fraction = Progress is { Total: > 0 } p ? Math.Clamp((double)p.Done / p.Total, 0, 1) : 0;
        return $"<div class=\"cnnc-view cnnc-explain-status\" data-state=\"{State}\" style=\"font-family:system-ui,sans-serif;font-size:13px\">" +
               $"<progress max=\"1000\" value=\"{(int)(fraction * 1000)}\" style=\"width:240px;vertical-align:middle\"></progress> " +
               $"{WebUtility.HtmlEncode(Line())}</div>";
    }

    public override string ToString() => Line();
}
