using System.Text;
using Cnnc.Engine.Data;
using Cnnc.Engine.Evaluation;
using Cnnc.Engine.Studies;

namespace Cnnc.Engine.Analysis;

/// <summary>
/// A table of counts: rows are true groups (classes or roots), columns predicted ones. Every readable image of a row's
/// group is counted once in that row, so a row sums to the row's support.
/// </summary>
/// <param name="Title">What the table shows, e.g. "classes", "roots" or "root: animal".</param>
/// <param name="RowLabels">Row names, in row order.</param>
/// <param name="ColumnLabels">Column names, in column order.</param>
/// <param name="Counts">Counts[row][column].</param>
public sealed record ConfusionTable(string Title, IReadOnlyList<string> RowLabels, IReadOnlyList<string> ColumnLabels, int[][] Counts)
{
    /// <summary>Images per row (the row sums).</summary>
    public int[] RowTotals => Counts.Select(r => r.Sum()).ToArray();

    /// <summary>
    /// Each row divided by its sum (sklearn's <c>confusion_matrix(normalize="true")</c>); a row without images stays
    /// all 0, as sklearn leaves it.
    /// </summary>
    public double[][] RowNormalised() => Counts.Select(row =>
    {
        var total = row.Sum();
        return row.Select(c => total == 0 ? 0.0 : (double)c / total).ToArray();
    }).ToArray();

    /// <summary>The table as CSV: a header of column labels, then one row per true group.</summary>
    public string ToCsv(bool normalised = false)
    {
        var csv = new StringBuilder();
        Csv.Row(csv, new object?[] { "true \\ predicted" }.Concat(ColumnLabels).ToArray());
        var values = normalised ? RowNormalised().Select(r => r.Cast<object?>()) : Counts.Select(r => r.Cast<object?>());
        var i = 0;
        foreach (var row in values) Csv.Row(csv, new object?[] { RowLabels[i++] }.Concat(row).ToArray());
        return csv.ToString();
    }
}

/// <summary>
/// Precision, recall and F1 of one class, counted over readable images. A ratio whose denominator is 0 is 0
/// (sklearn's <c>zero_division=0</c>): precision of a class never predicted, recall of a class without images, and F1
/// when precision + recall = 0.
/// </summary>
/// <param name="ClassIndex">Leaf class index.</param>
/// <param name="Name">Class name.</param>
/// <param name="Root">Root class name.</param>
/// <param name="TruePositives">Images of the class predicted as the class.</param>
/// <param name="Predicted">Images predicted as the class (column sum).</param>
/// <param name="Support">Images of the class (row sum).</param>
/// <param name="Precision">TP / Predicted.</param>
/// <param name="Recall">TP / Support.</param>
/// <param name="F1">2·P·R / (P + R).</param>
public sealed record ClassScores(int ClassIndex, string Name, string Root, int TruePositives, int Predicted, int Support,
    double Precision, double Recall, double F1);

/// <summary>A run of consecutive positions in <see cref="ModelConfusion.ClassOrder"/> that belong to one root.</summary>
/// <param name="RootIndex">Root index in the hierarchy's root order.</param>
/// <param name="Root">Root name.</param>
/// <param name="Start">First position in the ordered classes.</param>
/// <param name="Count">Classes of the root.</param>
public sealed record RootSpan(int RootIndex, string Root, int Start, int Count);

/// <summary>
/// The confusion of one model on one dataset: the class × class matrix, the root × root matrix, per-class
/// precision / recall / F1 and their macro averages. Readable images only.
/// </summary>
/// <param name="Model">Model name.</param>
/// <param name="Classes">True class × predicted class, in label order.</param>
/// <param name="Roots">True root × predicted root, in the hierarchy's root order.</param>
/// <param name="ClassOrder">Class indices grouped by root (roots in hierarchy order, label order inside a root): the
/// permutation a view applies to rows and columns so each root forms a block.</param>
/// <param name="RootSpans">Where each root's block lies in <see cref="ClassOrder"/>.</param>
/// <param name="PerClass">Scores per class, in label order.</param>
/// <param name="MacroPrecision">Mean of the per-class precisions over all classes (those without images included, as
/// sklearn's <c>average="macro"</c> with every label).</param>
/// <param name="MacroRecall">Mean of the per-class recalls.</param>
/// <param name="MacroF1">Mean of the per-class F1 scores (not the F1 of the macro averages).</param>
/// <param name="Accuracy">Correct / readable (the micro average of P, R and F1).</param>
/// <param name="Readable">Images counted.</param>
/// <param name="Unreadable">Images skipped.</param>
public sealed record ModelConfusion(
    string Model, ConfusionTable Classes, ConfusionTable Roots, IReadOnlyList<int> ClassOrder, IReadOnlyList<RootSpan> RootSpans,
    IReadOnlyList<ClassScores> PerClass, double MacroPrecision, double MacroRecall, double MacroF1, double Accuracy,
    int Readable, int Unreadable)
{
    /// <summary>The class matrix with rows and columns in <see cref="ClassOrder"/> (roots as blocks).</summary>
    public ConfusionTable ClassesByRoot()
    {
        var order = ClassOrder;
        return new ConfusionTable(Classes.Title + " by root", order.Select(c => Classes.RowLabels[c]).ToArray(),
            order.Select(c => Classes.ColumnLabels[c]).ToArray(),
            order.Select(r => order.Select(c => Classes.Counts[r][c]).ToArray()).ToArray());
    }

    /// <summary>
    /// Drill-down into one root: its leaf classes × its leaf classes, plus a last column "other roots" with the images
    /// predicted as a class of any other root, so each row still sums to the class's support.
    /// </summary>
    public ConfusionTable DrillDown(string root)
    {
        var span = RootSpans.FirstOrDefault(s => s.Root == root) ?? throw new ArgumentException(
            $"Unknown root '{root}'. Roots: {string.Join(", ", RootSpans.Select(s => s.Root))}.");
        var members = ClassOrder.Skip(span.Start).Take(span.Count).ToArray();
        var rows = members.Select(r =>
        {
            var inside = members.Select(c => Classes.Counts[r][c]).ToArray();
            return inside.Append(Classes.Counts[r].Sum() - inside.Sum()).ToArray();
        }).ToArray();
        var names = members.Select(c => Classes.RowLabels[c]).ToArray();
        return new ConfusionTable($"root: {root}", names, names.Append(Confusion.OtherRoots).ToArray(), rows);
    }

    /// <summary>Per-class scores as CSV, in label order.</summary>
    public string ScoresCsv()
    {
        var csv = new StringBuilder();
        Csv.Row(csv, "model", "class_index", "class", "root", "true_positives", "predicted", "support", "precision", "recall", "f1");
        foreach (var s in PerClass)
            Csv.Row(csv, Model, s.ClassIndex, s.Name, s.Root, s.TruePositives, s.Predicted, s.Support, s.Precision, s.Recall, s.F1);
        Csv.Row(csv, Model, null, "macro average", null, null, null, Readable, MacroPrecision, MacroRecall, MacroF1);
        return csv.ToString();
    }
}

/// <summary>Confusion matrices and per-class scores from stored predictions.</summary>
public static class Confusion
{
    /// <summary>Column label of <see cref="ModelConfusion.DrillDown"/>'s images predicted outside the root.</summary>
    public const string OtherRoots = "other roots";

    /// <summary>
    /// The confusion of <paramref name="entry"/>, with roots from <paramref name="hierarchy"/> (without one, a single
    /// root "all" holds every class).
    /// </summary>
    public static ModelConfusion Compute(StoreEntry entry, ClassHierarchy? hierarchy = null)
    {
        var classes = entry.Meta.Dataset.Classes;
        hierarchy ??= ClassHierarchy.Flat(classes);
        hierarchy.EnsureMatches(classes, entry.Meta.Dataset.Name);
        var n = classes.Count;
        var counts = new int[n][];
        for (var i = 0; i < n; i++) counts[i] = new int[n];
        int readable = 0, right = 0;
        for (var i = 0; i < entry.Labels.Length; i++)
        {
            if (!entry.Readable[i]) continue;
            var (label, predicted) = LabelAndPrediction(entry, i);
            counts[label][predicted]++;
            readable++;
            if (label == predicted) right++;
        }

        var names = hierarchy.ClassNames;
        var rootOf = hierarchy.RootIndices;
        var r = hierarchy.RootCount;
        var rootCounts = new int[r][];
        for (var i = 0; i < r; i++) rootCounts[i] = new int[r];
        for (var t = 0; t < n; t++)
            for (var p = 0; p < n; p++)
                rootCounts[rootOf[t]][rootOf[p]] += counts[t][p];

        var order = new List<int>(n);
        var spans = new List<RootSpan>(r);
        for (var root = 0; root < r; root++)
        {
            var members = hierarchy.ClassesOf(root).Order().ToList();
            spans.Add(new RootSpan(root, hierarchy.Roots[root], order.Count, members.Count));
            order.AddRange(members);
        }

        var scores = new List<ClassScores>(n);
        for (var c = 0; c < n; c++)
        {
            var tp = counts[c][c];
            var support = counts[c].Sum();
            var predictedAs = 0;
            for (var t = 0; t < n; t++) predictedAs += counts[t][c];
            var precision = Ratio(tp, predictedAs);
            var recall = Ratio(tp, support);
            var f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            scores.Add(new ClassScores(c, names[c], hierarchy.RootNameOf(c), tp, predictedAs, support, precision, recall, f1));
        }
        return new ModelConfusion(entry.Meta.Model.Name,
            new ConfusionTable("classes", names, names, counts),
            new ConfusionTable("roots", hierarchy.Roots, hierarchy.Roots, rootCounts),
            order, spans, scores,
            n == 0 ? double.NaN : scores.Average(s => s.Precision), n == 0 ? double.NaN : scores.Average(s => s.Recall),
            n == 0 ? double.NaN : scores.Average(s => s.F1),
            readable == 0 ? double.NaN : (double)right / readable, readable, entry.Labels.Length - readable);
    }

    /// <summary>
    /// The image indices (into the entry, ascending) of one cell: readable images of class <paramref name="trueClass"/>
    /// predicted as <paramref name="predictedClass"/> — the strip of images a view shows for a clicked cell.
    /// </summary>
    public static IReadOnlyList<int> CellImages(StoreEntry entry, int trueClass, int predictedClass)
    {
        CheckClass(entry, trueClass, nameof(trueClass));
        CheckClass(entry, predictedClass, nameof(predictedClass));
        var images = new List<int>();
        for (var i = 0; i < entry.Labels.Length; i++)
            if (entry.Readable[i] && entry.Labels[i] == trueClass && entry.Predictions[i] == predictedClass) images.Add(i);
        return images;
    }

    /// <summary>The image indices of one cell of the root × root matrix (true root, predicted root), ascending.</summary>
    public static IReadOnlyList<int> RootCellImages(StoreEntry entry, ClassHierarchy hierarchy, string trueRoot, string predictedRoot)
    {
        var t = hierarchy.IndexOfRoot(trueRoot);
        var p = hierarchy.IndexOfRoot(predictedRoot);
        var images = new List<int>();
        for (var i = 0; i < entry.Labels.Length; i++)
        {
            if (!entry.Readable[i]) continue;
            var (label, predicted) = LabelAndPrediction(entry, i);
            if (hierarchy.RootOf(label) == t && hierarchy.RootOf(predicted) == p) images.Add(i);
        }
        return images;
    }

    /// <summary>The label and prediction of readable image <paramref name="i"/>, checked to be classes of the entry.</summary>
    internal static (int Label, int Predicted) LabelAndPrediction(StoreEntry entry, int i)
    {
        var n = entry.Meta.Dataset.Classes.Count;
        long label = entry.Labels[i], predicted = entry.Predictions[i];
        if (label < 0 || label >= n || predicted < 0 || predicted >= n)
            throw new InvalidDataException(
                $"{entry.Directory}: image {i} has label {label} and prediction {predicted}, outside the {n} classes.");
        return ((int)label, (int)predicted);
    }

    // sklearn's zero_division=0: an undefined ratio counts as 0.
    private static double Ratio(int numerator, int denominator) => denominator == 0 ? 0 : (double)numerator / denominator;

    private static void CheckClass(StoreEntry entry, int c, string name)
    {
        var n = entry.Meta.Dataset.Classes.Count;
        if (c < 0 || c >= n) throw new ArgumentOutOfRangeException(name, $"Class {c} is not one of the {n} classes (0 to {n - 1}).");
    }
}
