using System.Globalization;
using Cnnc.Engine.Analysis;
using Cnnc.Engine.Evaluation;
using Cnnc.Engine.Explain;
using Cnnc.Engine.Studies;
using Cnnc.Interactive.Views;
using Cnnc.Views;
using Microsoft.DotNet.Interactive.Formatting;

namespace Cnnc.Interactive;

/// <summary>
/// The formatters of every value a cell can return: each engine record drawn by its pure view (<c>Cnnc.Views</c>), as
/// HTML and as one line of text. Process-wide, registered once. Charts inline plotly.js in the first output of a
/// kernel session that needs it (<see cref="PlotlyJs.ClaimForNotebook"/>).
/// </summary>
public static class CnncFormatters
{
    private static int _registered;

    /// <summary>Registers the formatters (idempotent).</summary>
    public static void Register()
    {
        FSharpCoreResolver.Install();
        if (Interlocked.Exchange(ref _registered, 1) == 1) return;
        Add<Overview>(o => o.ToHtml(PlotlyJs.ClaimForNotebook()));
        Add<Comparison>(c => c.ToHtml(PlotlyJs.ClaimForNotebook()));
        Add<Inspection>(i => i.ToHtml(PlotlyJs.ClaimForNotebook()));
        Add<DistributionGraph>(g => g.ToHtml(PlotlyJs.ClaimForNotebook()), g =>
            $"Distribution graph of {g.Model} on {g.Dataset}: {g.Points.Count} classes in {g.Roots.Count} roots, " +
            $"t-SNE KL {g.KlDivergence.ToString("F4", CultureInfo.InvariantCulture)}");
        Add<ConfusionView>(v => v.ToHtml(PlotlyJs.ClaimForNotebook()), v =>
            $"Confusion of {v.Confusion.Model} ({v.Level}): accuracy {Format.Percent(v.Confusion.Accuracy)}, macro F1 {Format.Percent(v.Confusion.MacroF1)}");
        Add<SignificanceView>(v => v.ToHtml(PlotlyJs.ClaimForNotebook()), v =>
            $"Significance of {v.Pairwise.Models.Count} models: not distinguishable from {v.Best.Best} at α = {v.Best.Alpha.ToString(CultureInfo.InvariantCulture)} (Holm): {string.Join(", ", v.Best.NotDistinguishable)}");
        Add<CalibrationView>(v => v.ToHtml(PlotlyJs.ClaimForNotebook()), v =>
            "Calibration (ECE): " + string.Join(", ", v.ByEce.Select(m => $"{m.Model} {Format.Percent(m.Ece)}")));
        Add<AgreementView>(v => v.ToHtml(PlotlyJs.ClaimForNotebook()), v =>
            $"Agreement of {v.Errors.Models.Count} models: {v.Errors.WrongForAll.Count} images wrong for all, {v.Errors.OnlyOneRight.Count} right for exactly one");
        Add<ExplanationExamples>(x => x.ToHtml());
        Add<RobustnessReport>(r => r.ToHtml(PlotlyJs.ClaimForNotebook()), r =>
            $"Robustness of {r.Models.Count} models under {string.Join(", ", r.Corruptions)} (severities {string.Join(", ", r.Severities)}), mCE relative to {r.Baseline}: " +
            string.Join(", ", r.Models.Select(m => $"{m.Model} {RobustnessView.Ratio(m.MeanCorruptionError)}")));
        Add<StudySummary>(s => s.ToHtml());
        // A study shows as its summary card, not as an object tree.
        Add<Study>(s => s.Summary("CNNC study").ToHtml(), s => s.Summary("CNNC study").ToString());
        Add<Map2D>(m => m.ToHtml(), m => $"{m.Height}×{m.Width} map");
        Add<SimilarityMatrix>(m => m.ToHtml(), m => $"{m.Labels.Count}×{m.Labels.Count} similarity matrix ({m.Formula}) of {string.Join(", ", m.Labels)}");
        Add<Explanation>(e => e.ToHtml(), e =>
            $"{e.Method} explanation of class {e.TargetClass} (score {e.Score.ToString("0.###", CultureInfo.InvariantCulture)}, p {Format.Percent(e.Probability)}), {e.Map.Height}×{e.Map.Width} map");
        Add<ModelAccuracy>(a => a.ToHtml(), a => $"{a.Model}: accuracy {Format.Percent(a.Overall)}, top-5 {Format.Percent(a.Top5)}");
        Add<StoreEntry>(e => e.ToHtml(), e => $"{e.Meta.Model.Name} on {e.Meta.Dataset.Name}: {e.Meta.Dataset.Count} images, {e.Directory}");
        AddView<ExplainStatus>();
        AddView<StartCard>();
        AddView<HelpCard>();
        AddView<EvaluationStatus>();
        AddView<AddedModel>();
        AddView<LatencyMeasurements>();
    }

    private static void Add<T>(Func<T, string> html, Func<T, string>? text = null)
    {
        Formatter.Register<T>((value, writer) => writer.Write(html(value)), HtmlFormatter.MimeType);
        Formatter.Register<T>((value, writer) => writer.Write(text is null ? value?.ToString() : text(value)), PlainTextFormatter.MimeType);
    }

    private static void AddView<T>() where T : ICnncView => Add<T>(v => v.ToHtml());
}
