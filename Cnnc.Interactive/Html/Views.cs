using System.Globalization;
using System.Net;
using System.Text;

namespace Cnnc.Interactive.Html;

/// <summary>A CNNC output that renders itself as an HTML fragment and as plain text.</summary>
public interface ICnncView
{
    /// <summary>A self-contained HTML fragment.</summary>
    string ToHtml();
}

/// <summary>The "how to start" card shown when the extension loads.</summary>
public sealed class StartCard : ICnncView
{
    internal StartCard(IReadOnlyList<string> zooModels, string? problem = null)
    {
        ZooModels = zooModels;
        Problem = problem;
    }

    /// <summary>A problem found while loading (e.g. libtorch could not be loaded), or null.</summary>
    public string? Problem { get; }

    /// <summary>Zoo models this build ships.</summary>
    public IReadOnlyList<string> ZooModels { get; }

    private string ZooLine => ZooModels.Count == 0
        ? "This build ships no zoo weights yet: add your own models with #!cnnc add."
        : $"The embedded zoo has {ZooModels.Count} Fashion-MNIST models ({string.Join(", ", ZooModels)}).";

    public string ToHtml() =>
        $"<div class=\"cnnc-view cnnc-start\">{Styles.Element}<b>CNNC</b> is loaded: compare many CNN models, as in the paper " +
        "<i>CNNC: A Visual Analytics System for Comparative Studies of Deep CNNs</i>.<br>" +
        $"{WebUtility.HtmlEncode(ZooLine)}<br>Start with:<ol style=\"margin:4px 0\">" +
        "<li><code>#!cnnc setup</code> — the zoo on Fashion-MNIST (or <code>#!cnnc add --arch resnet18 --weights my.pth</code> and <code>--data folder:PATH</code>)</li>" +
        "<li><code>#!cnnc evaluate</code> — predictions into the store, with live progress (interrupt the kernel to stop)</li>" +
        "<li><code>#!cnnc overview</code> — accuracy × complexity, per-root radar, distribution graph, ranked classes, explanation examples, class spotlights (linked: click to pin)</li>" +
        "<li><code>#!cnnc compare --class Shirt --models resnet18,alexnet</code> — several models on one image (paper 6.1); " +
        "<code>#!cnnc inspect --model resnet18 --classes Shirt</code> — one model's images of a class with heatmaps and colour histograms (paper 6.2)</li>" +
        "</ol>From C#: <code>var cnnc = Cnnc.Interactive.CnncSession.Current; cnnc.Overview()</code>. " +
        "Every command has <code>-h</code>; <code>#!cnnc -h</code> lists them." +
        (Problem is null ? "" : $"<div class=\"cnnc-error\">{WebUtility.HtmlEncode(Problem)}</div>") + "</div>";

    public override string ToString() =>
        "CNNC is loaded. " + ZooLine + "\n" +
        "  1. #!cnnc setup      (the zoo on Fashion-MNIST; or #!cnnc add --arch A --weights F)\n" +
        "  2. #!cnnc evaluate   (live progress; interrupt the kernel to stop)\n" +
        "  3. #!cnnc overview   (A1-A4, B, D and E, linked: click a model or root to pin it)\n" +
        "  4. #!cnnc compare --class Shirt --models resnet18,alexnet   /   #!cnnc inspect --model resnet18 --classes Shirt\n" +
        "C#: var cnnc = Cnnc.Interactive.CnncSession.Current; cnnc.Overview()   Help: #!cnnc -h" +
        (Problem is null ? "" : "\n" + Problem);
}

/// <summary>Help for <c>#!cnnc</c> or one of its subcommands, generated from the directive definitions.</summary>
public sealed class HelpCard : ICnncView
{
    internal HelpCard(string usage, string description, IReadOnlyList<(string Name, string Description)> parameters,
        IReadOnlyList<(string Name, string Description)> subcommands)
    {
        Usage = usage;
        Description = description;
        Parameters = parameters;
        Subcommands = subcommands;
    }

    /// <summary>The command line, e.g. <c>#!cnnc overview</c>.</summary>
    public string Usage { get; }

    /// <summary>What it does.</summary>
    public string Description { get; }

    /// <summary>Options with their descriptions.</summary>
    public IReadOnlyList<(string Name, string Description)> Parameters { get; }

    /// <summary>Subcommands (for <c>#!cnnc</c> itself).</summary>
    public IReadOnlyList<(string Name, string Description)> Subcommands { get; }

    public string ToHtml()
    {
        var html = new StringBuilder($"<div class=\"cnnc-view cnnc-help\">{Styles.Element}<b><code>{E(Usage)}</code></b> — {E(Description)}");
        if (Subcommands.Count > 0)
        {
            html.Append("<table><thead><tr><th>command</th><th>what it does</th></tr></thead><tbody>");
            foreach (var (name, description) in Subcommands)
                html.Append($"<tr><td><code>{E(Usage)} {E(name)}</code></td><td>{E(description)}</td></tr>");
            html.Append("</tbody></table>");
        }
        if (Parameters.Count > 0)
        {
            html.Append("<table><thead><tr><th>option</th><th>meaning</th></tr></thead><tbody>");
            foreach (var (name, description) in Parameters)
                html.Append($"<tr><td><code>{E(name)}</code></td><td>{E(description)}</td></tr>");
            html.Append("</tbody></table>");
        }
        return html.Append("</div>").ToString();
    }

    public override string ToString()
    {
        var text = new StringBuilder($"{Usage}: {Description}\n");
        foreach (var (name, description) in Subcommands) text.Append($"  {Usage} {name,-10} {description}\n");
        foreach (var (name, description) in Parameters) text.Append($"  {name,-16} {description}\n");
        return text.ToString().TrimEnd();
    }

    private static string E(string s) => WebUtility.HtmlEncode(s);
}

/// <summary>The session's models and what is known about them (<c>#!cnnc models</c>, <c>#!cnnc setup</c>).</summary>
public sealed class SessionView : ICnncView
{
    internal SessionView(string title, string dataset, string hierarchy, string store, IReadOnlyList<Row> rows, string? note = null)
    {
        Title = title;
        Dataset = dataset;
        Hierarchy = hierarchy;
        Store = store;
        Rows = rows;
        Note = note;
    }

    /// <summary>One model.</summary>
    public sealed record Row(string Name, string Architecture, bool IsZoo, long? Parameters, long? Macs, double? Accuracy, double? LatencyMs);

    public string Title { get; }
    public string Dataset { get; }
    public string Hierarchy { get; }
    public string Store { get; }
    public IReadOnlyList<Row> Rows { get; }
    public string? Note { get; }

    internal static SessionView Of(CnncSession session, string title, string? note = null)
    {
        var rows = session.Models.Select(m =>
        {
            var entry = session.HasDataset ? session.EntryOf(m) : null;
            double? accuracy = entry is null ? null : Cnnc.Engine.Analysis.AccuracyMetrics.Compute(entry).Overall;
            return new Row(m.Name, m.Architecture, m.IsZoo, m.Parameters, m.Macs, accuracy, entry?.Meta.Timing?.Batch1Milliseconds);
        }).ToList();
        var dataset = session.HasDataset ? $"{session.Dataset.Name} ({session.Dataset.Count:N0} images)" : "fashion-mnist (default, not opened yet)";
        var hierarchy = session.HasDataset ? session.Hierarchy.ToString() : "";
        return new SessionView(title, dataset, hierarchy, session.Store.Root, rows, note);
    }

    public string ToHtml()
    {
        var html = new StringBuilder($"<div class=\"cnnc-view cnnc-session\">{Styles.Element}<b>{E(Title)}</b> · data <code>{E(Dataset)}</code>");
        if (Hierarchy.Length > 0) html.Append($" · {E(Hierarchy)}");
        html.Append($" · store <code>{E(Store)}</code>");
        if (Note is not null) html.Append($"<div>{E(Note)}</div>");
        html.Append("<table><thead><tr><th>model</th><th>architecture</th><th>source</th><th>parameters</th><th>MACs</th><th>accuracy</th><th>latency</th></tr></thead><tbody>");
        foreach (var r in Rows)
            html.Append($"<tr><td>{E(r.Name)}</td><td>{E(r.Architecture)}</td><td>{(r.IsZoo ? "zoo" : "file")}</td>")
                .Append($"<td>{(r.Parameters is { } p ? OverviewCharts.Count(p) : "–")}</td><td>{(r.Macs is { } m ? OverviewCharts.Count(m) : "–")}</td>")
                .Append($"<td>{(r.Accuracy is { } a ? OverviewCharts.Percent(a) : "not evaluated")}</td>")
                .Append($"<td>{(r.LatencyMs is { } l ? l.ToString("F2", CultureInfo.InvariantCulture) + " ms" : "–")}</td></tr>");
        if (Rows.Count == 0) html.Append("<tr><td colspan=\"7\">no models yet</td></tr>");
        return html.Append("</tbody></table></div>").ToString();
    }

    public override string ToString()
    {
        var text = new StringBuilder($"{Title} · data {Dataset} · store {Store}\n");
        if (Note is not null) text.Append(Note).Append('\n');
        foreach (var r in Rows)
            text.Append($"  {r.Name,-22} {r.Architecture,-18} {(r.IsZoo ? "zoo " : "file")} " +
                        $"{(r.Accuracy is { } a ? OverviewCharts.Percent(a) : "not evaluated")}\n");
        if (Rows.Count == 0) text.Append("  no models yet\n");
        return text.ToString().TrimEnd();
    }

    private static string E(string s) => WebUtility.HtmlEncode(s);
}

/// <summary>Live status of <c>#!cnnc evaluate</c>: one immutable snapshot per update.</summary>
public sealed class EvaluationStatus : ICnncView
{
    internal EvaluationStatus(IReadOnlyList<string> models, SessionProgress? progress, string state,
        IReadOnlyList<(string Model, double Accuracy, double? LatencyMs)>? results = null)
    {
        Models = models;
        Progress = progress;
        State = state;
        Results = results ?? Array.Empty<(string, double, double?)>();
    }

    public IReadOnlyList<string> Models { get; }
    public SessionProgress? Progress { get; }

    /// <summary>"running", "done", "cancelled" or "failed".</summary>
    public string State { get; }

    public IReadOnlyList<(string Model, double Accuracy, double? LatencyMs)> Results { get; }

    private string Line()
    {
        if (State == "done") return $"Evaluated {Models.Count} model{(Models.Count == 1 ? "" : "s")}.";
        if (State == "cancelled") return "Cancelled: finished chunks stay in the store; the next #!cnnc evaluate resumes.";
        if (State == "failed") return "Failed.";
        if (Progress is null) return "Starting…";
        var p = Progress;
        var head = $"model {Math.Min(p.ModelIndex + 1, p.ModelCount)}/{p.ModelCount} {p.Model}: ";
        return p.Stage switch
        {
            "evaluating" when p.Engine is { } e =>
                head + $"{e.Done:N0}/{e.Total:N0} images, {e.ImagesPerSecond:F0} img/s, ETA {e.Eta:hh\\:mm\\:ss}" +
                (e.Resumed > 0 ? $" ({e.Resumed:N0} resumed)" : "") + (e.Errors > 0 ? $", {e.Errors} unreadable" : ""),
            "stored" => head + "already in the store",
            "loading" => head + "loading, measuring latency…",
            "done" => "finishing…",
            _ => head + p.Stage,
        };
    }

    private double Fraction()
    {
        if (State == "done") return 1;
        if (Progress is null) return 0;
        var within = Progress.Engine is { Total: > 0 } e ? (double)e.Done / e.Total : 0;
        return Math.Clamp((Progress.ModelIndex + within) / Math.Max(1, Progress.ModelCount), 0, 1);
    }

    public string ToHtml()
    {
        // Small on purpose (no shared style sheet): some hosts keep every progress update as an output.
        var html = new StringBuilder($"<div class=\"cnnc-view cnnc-evaluate\" data-state=\"{State}\" style=\"font-family:system-ui,sans-serif;font-size:13px\">")
            .Append($"<progress max=\"1000\" value=\"{(int)(Fraction() * 1000)}\" style=\"width:240px;vertical-align:middle\"></progress> {WebUtility.HtmlEncode(Line())}");
        if (Results.Count > 0)
        {
            html.Append("<table><thead><tr><th>model</th><th>accuracy</th><th>latency (batch 1)</th></tr></thead><tbody>");
            foreach (var (model, accuracy, latency) in Results)
                html.Append($"<tr><td>{WebUtility.HtmlEncode(model)}</td><td>{OverviewCharts.Percent(accuracy)}</td>" +
                            $"<td>{(latency is { } l ? l.ToString("F2", CultureInfo.InvariantCulture) + " ms" : "–")}</td></tr>");
            html.Append("</tbody></table>");
        }
        return html.Append("</div>").ToString();
    }

    public override string ToString()
    {
        var text = new StringBuilder($"[{(int)(Fraction() * 100),3}%] {Line()}");
        foreach (var (model, accuracy, latency) in Results)
            text.Append($"\n  {model,-22} {OverviewCharts.Percent(accuracy),7}  {(latency is { } l ? l.ToString("F2", CultureInfo.InvariantCulture) + " ms" : "")}");
        return text.ToString();
    }
}
