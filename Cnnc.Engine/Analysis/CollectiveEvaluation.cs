namespace Cnnc.Engine.Analysis;

/// <summary>
/// One explanation: the saliency map (values in [0, 1]) a model and method gave one image, with optional per-image
/// metric values computed elsewhere (e.g. the explainers' deletion and insertion AUC: "deletion_auc", "insertion_auc").
/// </summary>
/// <param name="ImageId">Identifies the image across models (e.g. the dataset item description).</param>
/// <param name="Map">The saliency map.</param>
/// <param name="Label">The image's class, for per-class summaries.</param>
/// <param name="Metrics">Named per-image values to average.</param>
public sealed record ExplanationSample(string ImageId, Map2D Map, int? Label = null, IReadOnlyDictionary<string, double>? Metrics = null);

/// <summary>Mean, population standard deviation, min and max of a per-image quantity over the images that have it.</summary>
public sealed record MetricSummary(string Name, double Mean, double StdDev, double Min, double Max, int Count)
{
    internal static MetricSummary Of(string name, IReadOnlyCollection<double> values)
    {
        var finite = values.Where(double.IsFinite).ToArray();
        if (finite.Length == 0) return new MetricSummary(name, double.NaN, double.NaN, double.NaN, double.NaN, 0);
        var mean = finite.Average();
        var sd = Math.Sqrt(finite.Sum(v => (v - mean) * (v - mean)) / finite.Length);
        return new MetricSummary(name, mean, sd, finite.Min(), finite.Max(), finite.Length);
    }
}

/// <summary>
/// Dataset-level explanation behaviour of one model × method (paper section 8's future work: quantitative measures
/// beyond image-by-image inspection).
/// </summary>
/// <param name="Model">Model name.</param>
/// <param name="Method">Explanation method.</param>
/// <param name="Threshold">ROI threshold t.</param>
/// <param name="Images">Explanations summarised.</param>
/// <param name="RoiSize">Fraction of pixels with saliency ≥ t.</param>
/// <param name="SaliencyInside">Mean saliency inside the ROI (images with an empty ROI are left out).</param>
/// <param name="SaliencyOutside">Mean saliency outside the ROI (images whose ROI is everything are left out).</param>
/// <param name="Contrast">Per image, inside mean − outside mean: how sharply the ROI stands out.</param>
/// <param name="Metrics">The supplied per-image metrics, by name (ordinal order).</param>
public sealed record CollectiveSummary(
    string Model, string Method, double Threshold, int Images, MetricSummary RoiSize, MetricSummary SaliencyInside,
    MetricSummary SaliencyOutside, MetricSummary Contrast, IReadOnlyList<MetricSummary> Metrics);

/// <summary>Agreement between models' explanations of the same images: mean pairwise similarity.</summary>
/// <param name="Models">Model names (matrix order).</param>
/// <param name="Rule">The similarity rule (SSIM by default).</param>
/// <param name="Formula">The similarity transform, as <see cref="SimilarityMatrix.Formula"/>.</param>
/// <param name="Mean">Mean similarity over the images both models explained; 1 on the diagonal; NaN without common images.</param>
/// <param name="Images">Number of common images per pair.</param>
public sealed record ModelAgreement(IReadOnlyList<string> Models, SimilarityRule Rule, string Formula, double[][] Mean, int[][] Images);

/// <summary>Collective evaluation of explanations over a class or a whole dataset.</summary>
public static class CollectiveEvaluation
{
    /// <summary>
    /// Summarises the explanations of one model × method at threshold <paramref name="threshold"/>. Per-image metric
    /// values come from each sample's <see cref="ExplanationSample.Metrics"/> and, when given, from
    /// <paramref name="metrics"/> (a hook to compute them on demand, e.g. deletion/insertion AUC from the explainers);
    /// the hook's values win over the sample's for equal names.
    /// </summary>
    public static CollectiveSummary Summarise(string model, string method, IEnumerable<ExplanationSample> samples, double threshold,
        Func<ExplanationSample, IReadOnlyDictionary<string, double>?>? metrics = null)
    {
        if (!(threshold >= 0 && threshold <= 1)) throw new ArgumentOutOfRangeException(nameof(threshold), $"The threshold must be in [0, 1], got {threshold}.");
        var roi = new List<double>();
        var inside = new List<double>();
        var outside = new List<double>();
        var contrast = new List<double>();
        var named = new SortedDictionary<string, List<double>>(StringComparer.Ordinal);
        var images = 0;
        foreach (var sample in samples)
        {
            images++;
            var map = sample.Map.RequireUnitRange($"saliency map of {sample.ImageId}");
            double sumIn = 0, sumOut = 0;
            int nIn = 0, nOut = 0;
            foreach (var v in map.Data)
            {
                if (v >= threshold) { sumIn += v; nIn++; }
                else { sumOut += v; nOut++; }
            }
            roi.Add((double)nIn / map.Length);
            if (nIn > 0) inside.Add(sumIn / nIn);
            if (nOut > 0) outside.Add(sumOut / nOut);
            if (nIn > 0 && nOut > 0) contrast.Add(sumIn / nIn - sumOut / nOut);
            var values = new Dictionary<string, double>(StringComparer.Ordinal);
            if (sample.Metrics is not null) foreach (var (k, v) in sample.Metrics) values[k] = v;
            if (metrics?.Invoke(sample) is { } extra) foreach (var (k, v) in extra) values[k] = v;
            foreach (var (k, v) in values)
            {
                if (!named.TryGetValue(k, out var list)) named[k] = list = new List<double>();
                list.Add(v);
            }
        }
        return new CollectiveSummary(model, method, threshold, images, MetricSummary.Of("roi_size", roi),
            MetricSummary.Of("saliency_inside", inside), MetricSummary.Of("saliency_outside", outside),
            MetricSummary.Of("contrast", contrast), named.Select(kv => MetricSummary.Of(kv.Key, kv.Value)).ToList());
    }

    /// <summary>One summary per class label (samples without a label are left out), in label order.</summary>
    public static IReadOnlyDictionary<int, CollectiveSummary> SummariseByClass(string model, string method,
        IEnumerable<ExplanationSample> samples, double threshold, Func<ExplanationSample, IReadOnlyDictionary<string, double>?>? metrics = null) =>
        samples.Where(s => s.Label is not null).GroupBy(s => s.Label!.Value).OrderBy(g => g.Key)
            .ToDictionary(g => g.Key, g => Summarise(model, method, g, threshold, metrics));

    /// <summary>
    /// Mean pairwise similarity (SSIM by default, <see cref="SimilarityTransform.Absolute"/>) between the models'
    /// explanations of the images they share (matched by <see cref="ExplanationSample.ImageId"/>).
    /// </summary>
    public static ModelAgreement Agreement(IReadOnlyList<(string Model, IReadOnlyList<ExplanationSample> Samples)> models,
        SimilarityRule rule = SimilarityRule.Ssim)
    {
        var l = models.Count;
        if (l == 0) throw new ArgumentException("At least one model is needed.");
        var byImage = new SortedDictionary<string, Map2D?[]>(StringComparer.Ordinal);
        for (var m = 0; m < l; m++)
            foreach (var s in models[m].Samples)
            {
                if (!byImage.TryGetValue(s.ImageId, out var maps)) byImage[s.ImageId] = maps = new Map2D?[l];
                if (maps[m] is not null) throw new ArgumentException($"Model {models[m].Model} explains image {s.ImageId} twice.");
                maps[m] = s.Map;
            }
        var sums = new double[l][];
        var counts = new int[l][];
        for (var i = 0; i < l; i++) { sums[i] = new double[l]; counts[i] = new int[l]; }
        var formula = "";
        foreach (var maps in byImage.Values)
        {
            var present = Enumerable.Range(0, l).Where(m => maps[m] is not null).ToArray();
            if (present.Length < 2) continue;
            var matrix = MapSimilarity.Matrix(present.Select(m => maps[m]!).ToArray(), rule);
            formula = matrix.Formula;
            for (var a = 0; a < present.Length; a++)
                for (var b = 0; b < present.Length; b++)
                {
                    sums[present[a]][present[b]] += matrix.Values[a][b];
                    counts[present[a]][present[b]]++;
                }
        }
        var mean = new double[l][];
        for (var i = 0; i < l; i++)
        {
            mean[i] = new double[l];
            for (var j = 0; j < l; j++) mean[i][j] = i == j ? 1 : counts[i][j] == 0 ? double.NaN : sums[i][j] / counts[i][j];
            counts[i][i] = models[i].Samples.Count;
        }
        if (formula.Length == 0)
            formula = MapSimilarity.Matrix(new[] { new Map2D(11, 11, new float[121]) }, rule).Formula;
        return new ModelAgreement(models.Select(m => m.Model).ToArray(), rule, formula, mean, counts);
    }
}
