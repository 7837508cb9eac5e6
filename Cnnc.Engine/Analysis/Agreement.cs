using System.Text;
using Cnnc.Engine.Evaluation;
using Cnnc.Engine.Studies;

namespace Cnnc.Engine.Analysis;

/// <summary>How often models predict the same class, over the readable images they share.</summary>
/// <param name="Models">Model names (matrix order).</param>
/// <param name="Agreement">Fraction of images with equal predictions (1 on the diagonal).</param>
/// <param name="Kappa">Cohen's kappa of the two models' predictions (sklearn's <c>cohen_kappa_score</c>): (pₒ − pₑ) / (1 − pₑ),
/// pₒ the agreement and pₑ = Σ_k (n_k^A / N)(n_k^B / N) the agreement expected from each model's class frequencies; NaN
/// when pₑ = 1 (both predict one and the same class for every image), where sklearn's is NaN too.</param>
/// <param name="Images">Readable images compared.</param>
public sealed record PredictionAgreement(IReadOnlyList<string> Models, double[][] Agreement, double[][] Kappa, int Images)
{
    /// <summary>Both matrices as CSV, one row per pair (i &lt; j).</summary>
    public string ToCsv()
    {
        var csv = new StringBuilder();
        Csv.Row(csv, "model_a", "model_b", "agreement", "kappa", "images");
        for (var i = 0; i < Models.Count; i++)
            for (var j = i + 1; j < Models.Count; j++) Csv.Row(csv, Models[i], Models[j], Agreement[i][j], Kappa[i][j], Images);
        return csv.ToString();
    }
}

/// <summary>An image exactly one model predicts correctly.</summary>
/// <param name="Image">Image index (into the entries).</param>
/// <param name="ModelIndex">Index of the model, in the order given.</param>
/// <param name="Model">Its name.</param>
public sealed record SoleCorrect(int Image, int ModelIndex, string Model);

/// <summary>Where models' errors coincide, over the readable images they share.</summary>
/// <param name="Models">Model names.</param>
/// <param name="Images">Readable images compared.</param>
/// <param name="WrongForAll">Images every model gets wrong ("hard for everyone"), ascending.</param>
/// <param name="OnlyOneRight">Images exactly one model gets right, ascending, with that model.</param>
/// <param name="ModelsRight">ModelsRight[k]: images that exactly k models get right, k = 0 … L.</param>
public sealed record ErrorOverlap(IReadOnlyList<string> Models, int Images, IReadOnlyList<int> WrongForAll,
    IReadOnlyList<SoleCorrect> OnlyOneRight, IReadOnlyList<int> ModelsRight)
{
    /// <summary>Per model, the images only it gets right.</summary>
    public IReadOnlyList<int> SoleCorrectCounts =>
        Enumerable.Range(0, Models.Count).Select(m => OnlyOneRight.Count(s => s.ModelIndex == m)).ToArray();

    /// <summary>The histogram as CSV: models_right, images.</summary>
    public string ToCsv()
    {
        var csv = new StringBuilder();
        Csv.Row(csv, "models_right", "images");
        for (var k = 0; k < ModelsRight.Count; k++) Csv.Row(csv, k, ModelsRight[k]);
        return csv.ToString();
    }

    /// <summary>The listed images as CSV: image, kind ("wrong_for_all" or "only_one_right"), model.</summary>
    public string ImagesCsv()
    {
        var csv = new StringBuilder();
        Csv.Row(csv, "image", "kind", "model");
        foreach (var i in WrongForAll) Csv.Row(csv, i, "wrong_for_all", null);
        foreach (var s in OnlyOneRight) Csv.Row(csv, s.Image, "only_one_right", s.Model);
        return csv.ToString();
    }
}

/// <summary>Agreement of several models' predictions and the overlap of their errors.</summary>
public static class Agreement
{
    /// <summary>Pairwise agreement and Cohen's kappa of <paramref name="entries"/> (evaluations of the same images).</summary>
    public static PredictionAgreement Predictions(IReadOnlyList<StoreEntry> entries) => Predictions(PairedOutcomes.Of(entries));

    internal static PredictionAgreement Predictions(PairedOutcomes outcomes)
    {
        int l = outcomes.Models.Count, n = outcomes.Count, c = outcomes.ClassCount;
        var frequency = new long[l][];
        for (var m = 0; m < l; m++)
        {
            frequency[m] = new long[c];
            foreach (var p in outcomes.Predictions[m]) frequency[m][p]++;
        }
        var agreement = new double[l][];
        var kappa = new double[l][];
        for (var i = 0; i < l; i++) { agreement[i] = new double[l]; kappa[i] = new double[l]; }
        for (var i = 0; i < l; i++)
            for (var j = i; j < l; j++)
            {
                var a = outcomes.Predictions[i];
                var b = outcomes.Predictions[j];
                var same = 0;
                for (var k = 0; k < n; k++) if (a[k] == b[k]) same++;
                double observed = n == 0 ? double.NaN : (double)same / n, expected = 0;
                for (var k = 0; k < c; k++) expected += (double)frequency[i][k] * frequency[j][k];
                expected = n == 0 ? double.NaN : expected / ((double)n * n);
                // pₑ = 1 only when both predict a single, common class: kappa is 0/0 there.
                var value = n == 0 || expected >= 1 ? double.NaN : (observed - expected) / (1 - expected);
                agreement[i][j] = agreement[j][i] = observed;
                kappa[i][j] = kappa[j][i] = value;
            }
        return new PredictionAgreement(outcomes.Models, agreement, kappa, n);
    }

    /// <summary>Images wrong for every model, right for exactly one, and the count of models right per image.</summary>
    public static ErrorOverlap Errors(IReadOnlyList<StoreEntry> entries) => Errors(PairedOutcomes.Of(entries));

    internal static ErrorOverlap Errors(PairedOutcomes outcomes)
    {
        int l = outcomes.Models.Count, n = outcomes.Count;
        var histogram = new int[l + 1];
        var wrong = new List<int>();
        var sole = new List<SoleCorrect>();
        for (var k = 0; k < n; k++)
        {
            int right = 0, last = -1;
            for (var m = 0; m < l; m++)
                if (outcomes.Correct[m][k] != 0) { right++; last = m; }
            histogram[right]++;
            if (right == 0) wrong.Add(outcomes.Images[k]);
            else if (right == 1) sole.Add(new SoleCorrect(outcomes.Images[k], last, outcomes.Models[last]));
        }
        return new ErrorOverlap(outcomes.Models, n, wrong, sole, histogram);
    }
}
