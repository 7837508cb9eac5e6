using System.Globalization;
using System.Net;
using System.Text;
using Cnnc.Engine.Studies;
using Cnnc.Views;

namespace Cnnc.Interactive.Views;

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
        $"<div class=\"cnnc-view cnnc-start\">{Cnnc.Views.Styles.Element}<b>CNNC</b> is loaded: compare many CNN models, as in the paper " +
        "<i>CNNC: A Visual Analytics System for Comparative Studies of Deep CNNs</i>.<br>" +
        $"{WebUtility.HtmlEncode(ZooLine)}<br>Start with:<ol style=\"margin:4px 0\">" +
        "<li><code>#!cnnc setup</code> — the zoo on Fashion-MNIST (or <code>#!cnnc add --arch resnet18 --weights my.pth</code> and <code>--data folder:PATH</code>)</li>" +
        "<li><code>#!cnnc evaluate</code> — predictions into the store, with live progress (interrupt the kernel to stop)</li>" +
        "<li><code>#!cnnc overview</code> — accuracy × complexity, per-root radar, distribution graph, ranked classes, explanation examples, class spotlights (linked: click to pin)</li>" +
        "<li><code>#!cnnc compare --class Shirt --models resnet18,alexnet</code> — several models on one image (paper 6.1); " +
        "<code>#!cnnc inspect --model resnet18 --classes Shirt</code> — one model's images of a class with heatmaps and colour histograms (paper 6.2)</li>" +
        "</ol>From C#: <code>var cnnc = Cnnc.Interactive.Notebook.Study; cnnc.Overview()</code>. " +
        "Every command has <code>-h</code>; <code>#!cnnc -h</code> lists them." +
        (Problem is null ? "" : $"<div class=\"cnnc-error\">{WebUtility.HtmlEncode(Problem)}</div>") + "</div>";

    public override string ToString() =>
        "CNNC is loaded. " + ZooLine + "\n" +
        "  1. #!cnnc setup      (the zoo on Fashion-MNIST; or #!cnnc add --arch A --weights F)\n" +
        "  2. #!cnnc evaluate   (live progress; interrupt the kernel to stop)\n" +
        "  3. #!cnnc overview   (A1-A4, B, D and E, linked: click a model or root to pin it)\n" +
        "  4. #!cnnc compare --class Shirt --models resnet18,alexnet   /   #!cnnc inspect --model resnet18 --classes Shirt\n" +
        "C#: var cnnc = Cnnc.Interactive.Notebook.Study; cnnc.Overview()   Help: #!cnnc -h" +
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
        var html = new StringBuilder($"<div class=\"cnnc-view cnnc-help\">{Cnnc.Views.Styles.Element}<b><code>{E(Usage)}</code></b> — {E(Description)}");
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

/// <summary>Live status of <c>#!cnnc evaluate</c>: one immutable snapshot per update.</summary>
public sealed class EvaluationStatus : ICnncView
{
    internal EvaluationStatus(IReadOnlyList<string> models, StudyProgress? progress, string state,
        IReadOnlyList<(string Model, double Accuracy, double? LatencyMs, string? LatencyCaveat)>? results = null,
        string cancelled = "Cancelled: finished chunks stay in the store; the next #!cnnc evaluate resumes.")
    {
        _cancelled = cancelled;
        Models = models;
        Progress = progress;
        State = state;
        Results = results ?? Array.Empty<(string, double, double?, string?)>();
    }

    private readonly string _cancelled;

    public IReadOnlyList<string> Models { get; }
    public StudyProgress? Progress { get; }

    /// <summary>"running", "done", "cancelled" or "failed".</summary>
    public string State { get; }

    public IReadOnlyList<(string Model, double Accuracy, double? LatencyMs, string? LatencyCaveat)> Results { get; }

    private string Line()
    {
        if (State == "done") return $"Evaluated {Models.Count} model{(Models.Count == 1 ? "" : "s")}.";
        if (State == "cancelled") return _cancelled;
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
            "measuring" => head + "measuring latency…",
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
            foreach (var (model, accuracy, latency, caveat) in Results)
                html.Append($"<tr><td>{WebUtility.HtmlEncode(model)}</td><td>{Format.Percent(accuracy)}</td>" +
                            $"<td>{LatencyMark.Html(latency, caveat)}</td></tr>");
            html.Append("</tbody></table>");
        }
        return html.Append("</div>").ToString();
    }

    public override string ToString()
    {
        var text = new StringBuilder($"[{(int)(Fraction() * 100),3}%] {Line()}");
        foreach (var (model, accuracy, latency, caveat) in Results)
            text.Append($"\n  {model,-22} {Format.Percent(accuracy),7}  {(latency is null ? "" : Format.Latency(latency, caveat))}");
        return text.ToString();
    }
}

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

/// <summary>
/// What <c>#!cnnc add</c> shows: the model just added and how many the session has now — not the session's table
/// again (<c>#!cnnc models</c> shows that), which a hundred adds would repeat a hundred times.
/// </summary>
public sealed class AddedModel : ICnncView
{
    internal AddedModel(StudyModel model, int count)
    {
        Model = model.Name;
        Architecture = model.Architecture;
        Weights = model.Reference.WeightsPath;
        Count = count;
    }

    public string Model { get; }
    public string Architecture { get; }
    public string Weights { get; }

    /// <summary>Models in the session after this one was added.</summary>
    public int Count { get; }

    private string CountText => $"{Count} model{(Count == 1 ? "" : "s")} in the session";

    public string ToHtml() =>
        $"<div class=\"cnnc-view cnnc-added\" data-count=\"{Count}\" style=\"font-family:system-ui,sans-serif;font-size:13px\">" +
        $"<b>Added {WebUtility.HtmlEncode(Model)}</b> ({WebUtility.HtmlEncode(Architecture)}, <code>{WebUtility.HtmlEncode(Path.GetFileName(Weights))}</code>) · " +
        $"{CountText} (<code>#!cnnc models</code> lists them).</div>";

    public override string ToString() => $"Added {Model} ({Architecture}, {Path.GetFileName(Weights)}) · {CountText}.";
}

/// <summary>What <c>#!cnnc latency</c> shows: each model's new figure, its spread and the conditions it was taken in.</summary>
public sealed class LatencyMeasurements : ICnncView
{
    internal LatencyMeasurements(IReadOnlyList<(StudyModel Model, Cnnc.Engine.Evaluation.InferenceTiming Timing)> results) =>
        Results = results.Select(r => (r.Model.Name, r.Timing)).ToList();

    public IReadOnlyList<(string Model, Cnnc.Engine.Evaluation.InferenceTiming Timing)> Results { get; }

    private static string F(double? v) => v is { } x ? x.ToString("F2", CultureInfo.InvariantCulture) : "–";

    public string ToHtml()
    {
        var html = new StringBuilder("<div class=\"cnnc-view cnnc-latency\" style=\"font-family:system-ui,sans-serif;font-size:13px\">")
            .Append($"Re-measured {Results.Count} model{(Results.Count == 1 ? "" : "s")}; the store holds the new figures.")
            .Append("<table><thead><tr><th>model</th><th>latency (batch 1)</th><th>quartiles</th><th>± (95 %)</th><th>runs</th>")
            .Append("<th>throughput</th><th>threads</th><th>load</th><th>reliable</th></tr></thead><tbody>");
        foreach (var (model, t) in Results)
            html.Append($"<tr><td>{WebUtility.HtmlEncode(model)}</td><td>{LatencyMark.Html(t.Batch1Milliseconds, t.Caveat)}</td>")
                .Append($"<td>{F(t.Batch1LowerQuartileMs)}–{F(t.Batch1UpperQuartileMs)} ms</td><td>{(t.RelativeError ?? 0) * 100:F1} %</td><td>{t.Repetitions}</td>")
                .Append($"<td>{t.ImagesPerSecond:F0} img/s (batch {t.BatchSize}, {WebUtility.HtmlEncode(t.Device)})</td><td>{t.TorchThreads}</td>")
                .Append($"<td>{F(t.LoadAverage)}, {t.OtherRunnable} other runnable on {t.ProcessorCount} cores</td>")
                .Append($"<td>{(t.Caveat is { } c ? $"{Format.Unreliable} no: {WebUtility.HtmlEncode(c)}" : "yes")}</td></tr>");
        return html.Append("</tbody></table></div>").ToString();
    }

    public override string ToString() =>
        $"Re-measured {Results.Count} model{(Results.Count == 1 ? "" : "s")}:" +
        string.Concat(Results.Select(r => $"\n  {r.Model,-22} {Format.Latency(r.Timing.Batch1Milliseconds, r.Timing.Caveat)}, " +
                                          $"quartiles {F(r.Timing.Batch1LowerQuartileMs)}–{F(r.Timing.Batch1UpperQuartileMs)} ms"));
}
