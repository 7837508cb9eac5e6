using System.Text;
using Cnnc.Engine.Evaluation;
using Cnnc.Engine.Studies;
using static TorchSharp.torch;

namespace Cnnc.Engine.Analysis;

/// <summary>One bin of a reliability diagram.</summary>
/// <param name="Index">Bin index (0 = lowest confidences).</param>
/// <param name="Lower">Lower edge (included).</param>
/// <param name="Upper">Upper edge (excluded, except for the last bin, which holds exactly the confidences equal to 1).</param>
/// <param name="Count">Readable images whose top-label confidence falls in the bin.</param>
/// <param name="MeanConfidence">Mean top-label confidence of those images; NaN for an empty bin.</param>
/// <param name="Accuracy">Fraction of them predicted correctly; NaN for an empty bin.</param>
public sealed record ReliabilityBin(int Index, double Lower, double Upper, int Count, double MeanConfidence, double Accuracy)
{
    /// <summary>|Accuracy − MeanConfidence|, the bin's calibration gap; NaN for an empty bin.</summary>
    public double Gap => Math.Abs(Accuracy - MeanConfidence);
}

/// <summary>
/// Top-label calibration of one model: expected and maximum calibration error and the reliability diagram, as
/// torchmetrics' <c>MulticlassCalibrationError</c> defines them (<see cref="Calibration"/>).
/// </summary>
/// <param name="Model">Model name.</param>
/// <param name="BinCount">Equal-width bins over [0, 1] (15 by default).</param>
/// <param name="Ece">Σ over bins of (count / N) · |accuracy − mean confidence| (L1).</param>
/// <param name="Mce">Largest |accuracy − mean confidence| over non-empty bins.</param>
/// <param name="MeanConfidence">Mean top-label confidence over readable images.</param>
/// <param name="Accuracy">Top-1 accuracy over readable images.</param>
/// <param name="Bins">The diagram: <see cref="BinCount"/> bins [lower, upper), then one bin [1, 1] for confidences of
/// exactly 1 (torchmetrics' binning gives them a bin of their own; it is usually empty).</param>
/// <param name="Readable">Images counted.</param>
public sealed record CalibrationSummary(string Model, int BinCount, double Ece, double Mce, double MeanConfidence, double Accuracy,
    IReadOnlyList<ReliabilityBin> Bins, int Readable)
{
    /// <summary>The reliability diagram as CSV, one row per bin.</summary>
    public string ToCsv()
    {
        var csv = new StringBuilder();
        Csv.Row(csv, "model", "bin", "lower", "upper", "count", "mean_confidence", "accuracy", "gap");
        foreach (var b in Bins) Csv.Row(csv, Model, b.Index, b.Lower, b.Upper, b.Count, b.MeanConfidence, b.Accuracy, b.Gap);
        return csv.ToString();
    }
}

/// <summary>
/// Calibration of stored confidences. The top-label confidence of an image is its largest probability; an image is
/// correct when its stored prediction equals its label. Binning follows torchmetrics (≥ 1.0,
/// <c>_binning_bucketize</c>): edges <c>linspace(0, 1, bins + 1)</c> in float32 (<see cref="Edges"/>), bin index
/// <c>bucketize(confidence, edges, right=True) − 1</c> — so bin k holds edges[k] ≤ c &lt; edges[k+1], and a confidence
/// of exactly 1 lands in an extra bin of its own. ECE = Σ_k (n_k / N)·|acc_k − conf_k|; MCE = max_k |acc_k − conf_k|
/// (empty bins contribute 0, as torchmetrics' nan_to_num makes them). Sums are taken in float64 (torchmetrics
/// accumulates in float32; the two agree to float32 rounding).
/// </summary>
public static class Calibration
{
    /// <summary>torchmetrics' default bin count.</summary>
    public const int DefaultBins = 15;

    /// <summary>Calibration of <paramref name="entry"/> with <paramref name="bins"/> equal-width bins.</summary>
    public static CalibrationSummary Compute(StoreEntry entry, int bins = DefaultBins)
    {
        if (bins < 1) throw new ArgumentOutOfRangeException(nameof(bins), $"The bin count must be at least 1, got {bins}.");
        var confidences = TopLabelConfidences(entry);
        var edges = Edges(bins);
        var count = new int[bins + 1];
        var sumConfidence = new double[bins + 1];
        var right = new int[bins + 1];
        int readable = 0, correct = 0;
        double totalConfidence = 0;
        for (var i = 0; i < entry.Labels.Length; i++)
        {
            if (!entry.Readable[i]) continue;
            var c = confidences[i];
            var k = BinOf(c, edges);
            readable++;
            count[k]++;
            sumConfidence[k] += c;
            totalConfidence += c;
            if (entry.Predictions[i] == entry.Labels[i]) { right[k]++; correct++; }
        }
        var list = new List<ReliabilityBin>(bins + 1);
        double ece = 0, mce = 0;
        for (var k = 0; k <= bins; k++)
        {
            var lower = k < bins ? edges[k] : 1.0;
            var upper = k < bins ? edges[k + 1] : 1.0;
            if (count[k] == 0) { list.Add(new ReliabilityBin(k, lower, upper, 0, double.NaN, double.NaN)); continue; }
            var meanConfidence = sumConfidence[k] / count[k];
            var accuracy = (double)right[k] / count[k];
            var gap = Math.Abs(accuracy - meanConfidence);
            ece += (double)count[k] / readable * gap;
            mce = Math.Max(mce, gap);
            list.Add(new ReliabilityBin(k, lower, upper, count[k], meanConfidence, accuracy));
        }
        return readable == 0
            ? new CalibrationSummary(entry.Meta.Model.Name, bins, double.NaN, double.NaN, double.NaN, double.NaN, list, 0)
            : new CalibrationSummary(entry.Meta.Model.Name, bins, ece, mce, totalConfidence / readable, (double)correct / readable,
                list, readable);
    }

    /// <summary>
    /// The float32 bin edges: k / bins rounded to float32, k = 0 … bins — the values <c>torch.linspace(0, 1, bins + 1)</c>
    /// stands for. libtorch's linspace kernels round some of them differently by one ulp, and differently across
    /// versions (1.13 and TorchSharp's 2.x disagree with each other and with k / bins), so the edges are defined here
    /// rather than taken from it; only a confidence within one float32 ulp of an edge can be binned differently.
    /// </summary>
    public static float[] Edges(int bins) => Enumerable.Range(0, bins + 1).Select(k => (float)((double)k / bins)).ToArray();

    /// <summary>bucketize(c, edges, right=True) − 1: the number of edges ≤ c, minus one (c ≥ 0).</summary>
    internal static int BinOf(float c, float[] edges)
    {
        int lo = 0, hi = edges.Length; // first index with edges[index] > c
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (edges[mid] <= c) lo = mid + 1; else hi = mid;
        }
        return Math.Max(lo - 1, 0);
    }

    /// <summary>The largest probability of every image (0 for unreadable images, whose rows are 0).</summary>
    public static float[] TopLabelConfidences(StoreEntry entry)
    {
        using var scope = NewDisposeScope();
        var p = entry.Probabilities;
        if (p.dim() != 2 || p.shape[0] != entry.Labels.Length)
            throw new InvalidDataException($"{entry.Directory}: the confidence matrix is [{string.Join(", ", p.shape)}], expected {entry.Labels.Length} rows.");
        if (p.shape[1] == 0) return new float[entry.Labels.Length];
        return p.amax(1).to(ScalarType.Float32).data<float>().ToArray();
    }
}
