using System.Text;
using Cnnc.Engine.Evaluation;
using Cnnc.Engine.Studies;

namespace Cnnc.Engine.Analysis;

/// <summary>
/// McNemar's exact test of two models on the same readable images: the 2×2 table of paired outcomes and the two-sided
/// p-value of "both models have the same accuracy".
/// </summary>
/// <param name="ModelA">First model.</param>
/// <param name="ModelB">Second model.</param>
/// <param name="BothRight">Images both predict correctly.</param>
/// <param name="OnlyA">Images only A predicts correctly (b).</param>
/// <param name="OnlyB">Images only B predicts correctly (c).</param>
/// <param name="BothWrong">Images both get wrong.</param>
/// <param name="PValue">min(1, 2·P(X ≤ min(b, c))) for X ~ Binomial(b + c, 1/2); 1 when b + c = 0.</param>
public sealed record McNemarTest(string ModelA, string ModelB, int BothRight, int OnlyA, int OnlyB, int BothWrong, double PValue)
{
    /// <summary>Images compared.</summary>
    public int Images => BothRight + OnlyA + OnlyB + BothWrong;

    /// <summary>Images on which exactly one model is right (b + c): the only ones the test looks at.</summary>
    public int Discordant => OnlyA + OnlyB;

    /// <summary>Accuracy of A minus accuracy of B, (b − c) / N.</summary>
    public double AccuracyDifference => Images == 0 ? double.NaN : (double)(OnlyA - OnlyB) / Images;
}

/// <summary>McNemar's test for every pair of models in a study.</summary>
/// <param name="Models">Model names (matrix order).</param>
/// <param name="Accuracy">Accuracy of each model over the shared readable images.</param>
/// <param name="Tests">Tests[i][j]: model i as A against model j as B (the diagonal compares a model with itself, p = 1).</param>
/// <param name="Images">Readable images shared by all models.</param>
public sealed record PairwiseSignificance(IReadOnlyList<string> Models, IReadOnlyList<double> Accuracy, McNemarTest[][] Tests, int Images)
{
    /// <summary>The raw (unadjusted) two-sided p-values, symmetric, 1 on the diagonal.</summary>
    public double[][] PValues => Tests.Select(row => row.Select(t => t.PValue).ToArray()).ToArray();

    /// <summary>
    /// Which models cannot be told apart from the most accurate one (first in order on a tie) at level
    /// <paramref name="alpha"/>: each other model's McNemar p-value against the best, Holm-adjusted over those L − 1
    /// comparisons when <paramref name="holm"/> (family-wise error ≤ α), raw otherwise.
    /// </summary>
    public BestComparison AgainstBest(double alpha = 0.05, bool holm = true)
    {
        if (!(alpha > 0 && alpha < 1)) throw new ArgumentOutOfRangeException(nameof(alpha), $"α must be in (0, 1), got {alpha}.");
        var best = 0;
        for (var m = 1; m < Models.Count; m++) if (Accuracy[m] > Accuracy[best]) best = m;
        var others = Enumerable.Range(0, Models.Count).Where(m => m != best).ToArray();
        var raw = others.Select(m => Tests[best][m].PValue).ToArray();
        var adjusted = Significance.Holm(raw);
        var rows = new List<BestComparisonRow> { new(Models[best], Accuracy[best], double.NaN, double.NaN, false) };
        for (var i = 0; i < others.Length; i++)
        {
            var p = holm ? adjusted[i] : raw[i];
            rows.Add(new BestComparisonRow(Models[others[i]], Accuracy[others[i]], raw[i], adjusted[i], p < alpha));
        }
        return new BestComparison(Models[best], alpha, holm, rows);
    }

    /// <summary>Every pair (i &lt; j) as CSV: the 2×2 table, the accuracy difference and the raw p-value.</summary>
    public string ToCsv()
    {
        var csv = new StringBuilder();
        Csv.Row(csv, "model_a", "model_b", "both_right", "only_a", "only_b", "both_wrong", "accuracy_a", "accuracy_b", "p_value");
        for (var i = 0; i < Models.Count; i++)
            for (var j = i + 1; j < Models.Count; j++)
            {
                var t = Tests[i][j];
                Csv.Row(csv, t.ModelA, t.ModelB, t.BothRight, t.OnlyA, t.OnlyB, t.BothWrong, Accuracy[i], Accuracy[j], t.PValue);
            }
        return csv.ToString();
    }
}

/// <summary>One model compared with the most accurate one.</summary>
/// <param name="Model">Model name.</param>
/// <param name="Accuracy">Its accuracy.</param>
/// <param name="PValue">Raw McNemar p-value against the best (NaN for the best itself).</param>
/// <param name="HolmPValue">Holm-adjusted p-value over the comparisons with the best (NaN for the best itself).</param>
/// <param name="Distinguishable">Whether its (adjusted, if asked) p-value is below α.</param>
public sealed record BestComparisonRow(string Model, double Accuracy, double PValue, double HolmPValue, bool Distinguishable);

/// <summary>The models compared with the most accurate one (<see cref="PairwiseSignificance.AgainstBest"/>).</summary>
/// <param name="Best">The most accurate model.</param>
/// <param name="Alpha">Significance level.</param>
/// <param name="Holm">Whether <see cref="BestComparisonRow.Distinguishable"/> used the Holm-adjusted p-values.</param>
/// <param name="Rows">The best first, then the others in study order.</param>
public sealed record BestComparison(string Best, double Alpha, bool Holm, IReadOnlyList<BestComparisonRow> Rows)
{
    /// <summary>The best and every model not significantly different from it.</summary>
    public IReadOnlyList<string> NotDistinguishable => Rows.Where(r => !r.Distinguishable).Select(r => r.Model).ToArray();

    /// <summary>The rows as CSV.</summary>
    public string ToCsv()
    {
        var csv = new StringBuilder();
        Csv.Row(csv, "model", "accuracy", "p_value", "holm_p_value", "distinguishable_from_best", "best", "alpha", "holm");
        foreach (var r in Rows) Csv.Row(csv, r.Model, r.Accuracy, r.PValue, r.HolmPValue, r.Distinguishable, Best, Alpha, Holm);
        return csv.ToString();
    }
}

/// <summary>Paired significance tests of models' correctness on the same images.</summary>
public static class Significance
{
    /// <summary>McNemar's exact test of two evaluations of the same images (<see cref="ArgumentException"/> otherwise).</summary>
    public static McNemarTest McNemar(StoreEntry a, StoreEntry b)
    {
        var outcomes = PairedOutcomes.Of(new[] { a, b });
        return Test(outcomes, 0, 1);
    }

    /// <summary>McNemar's exact test for every pair of <paramref name="entries"/> (evaluations of the same images).</summary>
    public static PairwiseSignificance Pairwise(IReadOnlyList<StoreEntry> entries) => Pairwise(PairedOutcomes.Of(entries));

    internal static PairwiseSignificance Pairwise(PairedOutcomes outcomes)
    {
        var l = outcomes.Models.Count;
        var tests = new McNemarTest[l][];
        for (var i = 0; i < l; i++) tests[i] = new McNemarTest[l];
        for (var i = 0; i < l; i++)
            for (var j = i; j < l; j++)
            {
                var t = Test(outcomes, i, j);
                tests[i][j] = t;
                tests[j][i] = new McNemarTest(t.ModelB, t.ModelA, t.BothRight, t.OnlyB, t.OnlyA, t.BothWrong, t.PValue);
            }
        var accuracy = Enumerable.Range(0, l).Select(m =>
            outcomes.Count == 0 ? double.NaN : outcomes.Correct[m].Sum(x => (int)x) / (double)outcomes.Count).ToArray();
        return new PairwiseSignificance(outcomes.Models, accuracy, tests, outcomes.Count);
    }

    private static McNemarTest Test(PairedOutcomes outcomes, int a, int b)
    {
        var ca = outcomes.Correct[a];
        var cb = outcomes.Correct[b];
        int both = 0, onlyA = 0, onlyB = 0;
        for (var k = 0; k < ca.Length; k++)
        {
            if (ca[k] != 0) { if (cb[k] != 0) both++; else onlyA++; }
            else if (cb[k] != 0) onlyB++;
        }
        return new McNemarTest(outcomes.Models[a], outcomes.Models[b], both, onlyA, onlyB, ca.Length - both - onlyA - onlyB,
            McNemarExactPValue(onlyA, onlyB));
    }

    /// <summary>
    /// Two-sided exact McNemar p-value from the discordant counts b and c: min(1, 2·P(X ≤ min(b, c))) with
    /// X ~ Binomial(b + c, 1/2) (statsmodels' <c>mcnemar(exact=True)</c>; equal to scipy's <c>binomtest</c>, which is
    /// symmetric at p = 1/2); 1 when b + c = 0.
    /// </summary>
    public static double McNemarExactPValue(int b, int c)
    {
        if (b < 0 || c < 0) throw new ArgumentOutOfRangeException(nameof(b), "Counts cannot be negative.");
        var n = b + c;
        var k = Math.Min(b, c);
        if (2 * k >= n) return 1; // b = c (including b + c = 0): the tail holds at least half of the mass.
        // log P(X = k) = log C(n, k) − n·log 2, then the tail relative to its largest term (k < n/2: terms grow with k).
        // Compensated (Neumaier) summation: tens of thousands of plain additions near 3·10⁴ would cost ~1e-10 relative.
        double logTerm = -n * Math.Log(2), compensation = 0;
        for (var i = 1; i <= k; i++)
        {
            var x = Math.Log((double)(n - k + i) / i);
            var t = logTerm + x;
            compensation += Math.Abs(logTerm) >= Math.Abs(x) ? logTerm - t + x : x - t + logTerm;
            logTerm = t;
        }
        logTerm += compensation;
        double sum = 0, term = 1;
        for (var i = k; i >= 0; i--)
        {
            sum += term;
            term *= (double)i / (n - i + 1); // P(X = i − 1) / P(X = i)
            if (term < 1e-17 * sum) break;
        }
        return Math.Min(1, 2 * Math.Exp(logTerm + Math.Log(sum)));
    }

    /// <summary>
    /// Holm's step-down adjustment of <paramref name="pValues"/> (returned in the given order): the i-th smallest p
    /// becomes max over j ≤ i of min(1, (m − j + 1)·p₍ⱼ₎).
    /// </summary>
    public static double[] Holm(IReadOnlyList<double> pValues)
    {
        var m = pValues.Count;
        var order = Enumerable.Range(0, m).OrderBy(i => pValues[i]).ToArray();
        var adjusted = new double[m];
        double running = 0;
        for (var rank = 0; rank < m; rank++)
        {
            running = Math.Max(running, Math.Min(1, (m - rank) * pValues[order[rank]]));
            adjusted[order[rank]] = running;
        }
        return adjusted;
    }
}
