using Cnnc.Engine.Evaluation;
using static TorchSharp.torch;

namespace Cnnc.Engine.Analysis;

/// <summary>Accuracy of one model on one class (or root class).</summary>
public sealed record GroupAccuracy(string Name, int Correct, int Total)
{
    /// <summary>Correct / Total, or NaN for an empty group.</summary>
    public double Accuracy => Total == 0 ? double.NaN : (double)Correct / Total;
}

/// <summary>Accuracies of one model on one dataset, derived from its store entry.</summary>
/// <param name="Model">Model name.</param>
/// <param name="Overall">Top-1 accuracy over readable images.</param>
/// <param name="Top5">Top-5 accuracy over readable images (equals 1 when there are at most 5 classes).</param>
/// <param name="PerClass">Accuracy per leaf class, in label order.</param>
/// <param name="PerRoot">Accuracy per root class, in the hierarchy's root order.</param>
/// <param name="Readable">Images evaluated.</param>
/// <param name="Unreadable">Images skipped because they could not be read.</param>
public sealed record ModelAccuracy(
    string Model, double Overall, double Top5, IReadOnlyList<GroupAccuracy> PerClass, IReadOnlyList<GroupAccuracy> PerRoot,
    int Readable, int Unreadable);

/// <summary>Computes accuracies from stored predictions.</summary>
public static class AccuracyMetrics
{
    /// <summary>
    /// Accuracies of <paramref name="entry"/>. <paramref name="rootOfClass"/> maps a leaf class index to its root name
    /// and <paramref name="roots"/> orders the roots; without them, PerRoot is empty.
    /// </summary>
    public static ModelAccuracy Compute(StoreEntry entry, Func<int, string>? rootOfClass = null, IReadOnlyList<string>? roots = null)
    {
        var classes = entry.Meta.Dataset.Classes;
        var correct = new int[classes.Count];
        var total = new int[classes.Count];
        int readable = 0, right = 0;
        for (var i = 0; i < entry.Labels.Length; i++)
        {
            if (!entry.Readable[i]) continue;
            var label = (int)entry.Labels[i];
            readable++;
            total[label]++;
            if (entry.Predictions[i] == label) { correct[label]++; right++; }
        }
        var perClass = classes.Select((name, c) => new GroupAccuracy(name, correct[c], total[c])).ToList();
        var perRoot = new List<GroupAccuracy>();
        if (rootOfClass is not null)
        {
            var order = roots ?? Enumerable.Range(0, classes.Count).Select(rootOfClass).Distinct().ToList();
            foreach (var root in order)
            {
                var members = Enumerable.Range(0, classes.Count).Where(c => rootOfClass(c) == root).ToList();
                perRoot.Add(new GroupAccuracy(root, members.Sum(c => correct[c]), members.Sum(c => total[c])));
            }
        }
        return new ModelAccuracy(entry.Meta.Model.Name, readable == 0 ? double.NaN : (double)right / readable,
            TopK(entry, 5), perClass, perRoot, readable, entry.Labels.Length - readable);
    }

    // A store entry's predictions never change, and top-k is the one costly part of Compute (a sort of the confidence
    // matrix): kept per entry, so overviews of many models stay fast after the first.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<StoreEntry, System.Collections.Concurrent.ConcurrentDictionary<int, double>> TopKMemo = new();

    /// <summary>Top-k accuracy over readable images (computed once per entry and k).</summary>
    public static double TopK(StoreEntry entry, int k) =>
        TopKMemo.GetOrCreateValue(entry).GetOrAdd(k, kk => ComputeTopK(entry, kk));

    private static double ComputeTopK(StoreEntry entry, int k)
    {
        var n = entry.Meta.Dataset.Classes.Count;
        if (k >= n) return entry.Readable.Any(r => r) ? 1.0 : double.NaN;
        using var scope = NewDisposeScope();
        var top = entry.Probabilities.topk(k, dim: 1).indexes;
        var labels = tensor(entry.Labels).unsqueeze(1);
        var hit = top.eq(labels).any(1);
        var readable = tensor(entry.Readable);
        var count = readable.sum().item<long>();
        return count == 0 ? double.NaN : hit.logical_and(readable).sum().item<long>() / (double)count;
    }
}

/// <summary>How models differ on one class: the paper's "range" and "average" of class accuracy.</summary>
/// <param name="ClassIndex">Leaf class index.</param>
/// <param name="ClassName">Leaf class name.</param>
/// <param name="Min">Lowest accuracy among the models.</param>
/// <param name="Max">Highest accuracy among the models.</param>
/// <param name="Mean">Average accuracy over the models.</param>
public sealed record ClassSpotlight(int ClassIndex, string ClassName, double Min, double Max, double Mean)
{
    /// <summary>Max − Min: how much the models disagree on this class.</summary>
    public double Range => Max - Min;
}

/// <summary>The paper's supplemental class views across models: divergent, agreed, easy and hard classes.</summary>
public sealed class ClassSpotlights
{
    private ClassSpotlights(IReadOnlyList<ClassSpotlight> classes) => Classes = classes;

    /// <summary>Every class with its range and mean accuracy across models, in label order.</summary>
    public IReadOnlyList<ClassSpotlight> Classes { get; }

    /// <summary>Builds the spotlights of several models evaluated on the same classes.</summary>
    public static ClassSpotlights From(IReadOnlyList<ModelAccuracy> models)
    {
        if (models.Count == 0) throw new ArgumentException("At least one model is needed.");
        var n = models[0].PerClass.Count;
        if (models.Any(m => m.PerClass.Count != n)) throw new ArgumentException("Models were evaluated on different class sets.");
        var list = Enumerable.Range(0, n).Select(c =>
        {
            var values = models.Select(m => m.PerClass[c].Accuracy).Where(v => !double.IsNaN(v)).ToList();
            return values.Count == 0
                ? new ClassSpotlight(c, models[0].PerClass[c].Name, double.NaN, double.NaN, double.NaN)
                : new ClassSpotlight(c, models[0].PerClass[c].Name, values.Min(), values.Max(), values.Average());
        }).ToList();
        return new ClassSpotlights(list);
    }

    private IEnumerable<ClassSpotlight> Valid => Classes.Where(c => !double.IsNaN(c.Mean));

    /// <summary>Classes where the models disagree most (largest range first).</summary>
    public IReadOnlyList<ClassSpotlight> MostDivergent(int k) => Valid.OrderByDescending(c => c.Range).ThenBy(c => c.ClassIndex).Take(k).ToList();

    /// <summary>Classes where the models agree most (smallest range first).</summary>
    public IReadOnlyList<ClassSpotlight> MostAgreed(int k) => Valid.OrderBy(c => c.Range).ThenBy(c => c.ClassIndex).Take(k).ToList();

    /// <summary>Classes every model finds easy (highest mean first).</summary>
    public IReadOnlyList<ClassSpotlight> Easiest(int k) => Valid.OrderByDescending(c => c.Mean).ThenBy(c => c.ClassIndex).Take(k).ToList();

    /// <summary>Classes every model finds hard (lowest mean first).</summary>
    public IReadOnlyList<ClassSpotlight> Hardest(int k) => Valid.OrderBy(c => c.Mean).ThenBy(c => c.ClassIndex).Take(k).ToList();
}
