namespace Cnnc.Engine.Analysis;

/// <summary>Top-1 accuracy of one model on one corruption at one severity (one store entry).</summary>
/// <param name="Model">Model name.</param>
/// <param name="Corruption">Corruption name.</param>
/// <param name="Severity">1..5.</param>
/// <param name="Accuracy">Top-1 accuracy over readable images, in [0, 1].</param>
/// <param name="Readable">Images counted.</param>
public sealed record CorruptionAccuracy(string Model, string Corruption, int Severity, double Accuracy, int Readable)
{
    /// <summary>Top-1 error, 1 − accuracy.</summary>
    public double Error => 1 - Accuracy;
}

/// <summary>One model's corruption error on one corruption.</summary>
/// <param name="Corruption">Corruption name.</param>
/// <param name="MeanError">The model's top-1 error averaged over the severities.</param>
/// <param name="CE">CE = Σ_s E_{s,c} / Σ_s E^baseline_{s,c}.</param>
/// <param name="RelativeCE">Σ_s (E_{s,c} − E_clean) / Σ_s (E^baseline_{s,c} − E^baseline_clean); null without clean errors.</param>
public sealed record CorruptionError(string Corruption, double MeanError, double CE, double? RelativeCE);

/// <summary>One model's robustness summary.</summary>
/// <param name="Model">Model name.</param>
/// <param name="CleanError">Top-1 error on the clean data, when known.</param>
/// <param name="MeanCorruptionError">mCE: the mean of <see cref="CorruptionError.CE"/> over the corruptions.</param>
/// <param name="RelativeMeanCorruptionError">Relative mCE, when clean errors are known for the model and the baseline.</param>
/// <param name="Corruptions">Per corruption, in the report's order.</param>
public sealed record ModelRobustness(string Model, double? CleanError, double MeanCorruptionError, double? RelativeMeanCorruptionError,
    IReadOnlyList<CorruptionError> Corruptions);

/// <summary>
/// Accuracy against severity per model and corruption, and each model's mCE relative to a baseline model.
/// Render it as one line chart per corruption (x: severity, y: <see cref="CorruptionAccuracy.Accuracy"/>, a line per
/// model) and a table of <see cref="ModelRobustness"/> (mCE ×100, as the paper prints it).
/// </summary>
/// <param name="Baseline">The model whose errors normalise CE (ImageNet-C: AlexNet).</param>
/// <param name="Corruptions">Corruptions, in order.</param>
/// <param name="Severities">Severities, ascending.</param>
/// <param name="Accuracies">One row per (model, corruption, severity).</param>
/// <param name="Models">One summary per model, in the order given.</param>
public sealed record RobustnessReport(string Baseline, IReadOnlyList<string> Corruptions, IReadOnlyList<int> Severities,
    IReadOnlyList<CorruptionAccuracy> Accuracies, IReadOnlyList<ModelRobustness> Models)
{
    /// <summary>The accuracy of <paramref name="model"/> on <paramref name="corruption"/> at <paramref name="severity"/>.</summary>
    public double Accuracy(string model, string corruption, int severity) =>
        Accuracies.First(a => a.Model == model && a.Corruption == corruption && a.Severity == severity).Accuracy;
}

/// <summary>
/// Corruption error and mean corruption error as defined by Hendrycks &amp; Dietterich (ICLR 2019, section 3):
/// CE^f_c = (Σ_{s=1..5} E^f_{s,c}) / (Σ_{s=1..5} E^AlexNet_{s,c}), mCE^f = mean over c of CE^f_c, and relative
/// CE^f_c = Σ_s (E^f_{s,c} − E^f_clean) / Σ_s (E^AlexNet_{s,c} − E^AlexNet_clean), with any baseline model in AlexNet's place.
/// </summary>
public static class Robustness
{
    /// <summary>
    /// The report from top-1 accuracies per (model, corruption, severity) and, optionally, clean accuracies per model.
    /// Every model needs every (corruption, severity) the baseline has and vice versa.
    /// </summary>
    /// <exception cref="ArgumentException">For a missing baseline, a missing cell, or a baseline error sum of 0.</exception>
    public static RobustnessReport Compute(IReadOnlyList<CorruptionAccuracy> accuracies, string baseline,
        IReadOnlyDictionary<string, double>? cleanAccuracies = null)
    {
        ArgumentNullException.ThrowIfNull(accuracies);
        var models = accuracies.Select(a => a.Model).Distinct().ToList();
        if (!models.Contains(baseline))
            throw new ArgumentException($"The baseline '{baseline}' has no corruption results. Models: {string.Join(", ", models)}.", nameof(baseline));
        var corruptions = accuracies.Select(a => a.Corruption).Distinct().ToList();
        var severities = accuracies.Select(a => a.Severity).Distinct().Order().ToList();
        var cell = new Dictionary<(string, string, int), CorruptionAccuracy>();
        foreach (var a in accuracies)
            if (!cell.TryAdd((a.Model, a.Corruption, a.Severity), a))
                throw new ArgumentException($"Two results for {a.Model} on {a.Corruption} at severity {a.Severity}.", nameof(accuracies));
        foreach (var m in models)
            foreach (var c in corruptions)
                foreach (var s in severities)
                    if (!cell.ContainsKey((m, c, s)))
                        throw new ArgumentException($"{m} has no result for {c} at severity {s}.", nameof(accuracies));

        double? Clean(string model) => cleanAccuracies is not null && cleanAccuracies.TryGetValue(model, out var a) ? 1 - a : null;
        var baseClean = Clean(baseline);
        var summaries = new List<ModelRobustness>();
        foreach (var m in models)
        {
            var clean = Clean(m);
            var perCorruption = new List<CorruptionError>();
            foreach (var c in corruptions)
            {
                double sum = 0, baseSum = 0, rel = 0, baseRel = 0;
                foreach (var s in severities)
                {
                    var e = cell[(m, c, s)].Error;
                    var b = cell[(baseline, c, s)].Error;
                    sum += e;
                    baseSum += b;
                    if (clean is { } ce && baseClean is { } bc) { rel += e - ce; baseRel += b - bc; }
                }
                if (baseSum == 0)
                    throw new ArgumentException($"The baseline '{baseline}' makes no errors on {c}: CE is undefined.", nameof(baseline));
                double? relative = clean is not null && baseClean is not null && baseRel != 0 ? rel / baseRel : null;
                perCorruption.Add(new CorruptionError(c, sum / severities.Count, sum / baseSum, relative));
            }
            var mce = perCorruption.Average(p => p.CE);
            double? relMce = perCorruption.All(p => p.RelativeCE is not null) ? perCorruption.Average(p => p.RelativeCE!.Value) : null;
            summaries.Add(new ModelRobustness(m, clean, mce, relMce, perCorruption));
        }
        var rows = models.SelectMany(m => corruptions.SelectMany(c => severities.Select(s => cell[(m, c, s)]))).ToList();
        return new RobustnessReport(baseline, corruptions, severities, rows, summaries);
    }

    /// <summary>Top-1 accuracy of a stored entry over its readable images.</summary>
    public static (double Accuracy, int Readable) Accuracy(Evaluation.StoreEntry entry)
    {
        int readable = 0, right = 0;
        for (var i = 0; i < entry.Labels.Length; i++)
        {
            if (!entry.Readable[i]) continue;
            readable++;
            if (entry.Predictions[i] == entry.Labels[i]) right++;
        }
        return (readable == 0 ? double.NaN : (double)right / readable, readable);
    }
}
