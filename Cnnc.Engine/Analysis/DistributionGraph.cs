using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;
using Cnnc.Engine.Data;
using Cnnc.Engine.Evaluation;

namespace Cnnc.Engine.Analysis;

/// <summary>One class in a model's distribution graph.</summary>
/// <param name="ClassIndex">Leaf class index.</param>
/// <param name="ClassKey">Unique class key (wnid, folder name, …).</param>
/// <param name="ClassName">Display name.</param>
/// <param name="RootIndex">Root class index (the colour).</param>
/// <param name="Root">Root class name.</param>
/// <param name="Accuracy">The model's top-1 accuracy on the class (NaN without images).</param>
/// <param name="Images">Readable images of the class.</param>
/// <param name="X">First t-SNE coordinate.</param>
/// <param name="Y">Second t-SNE coordinate.</param>
public sealed record DistributionPoint(
    int ClassIndex, string ClassKey, string ClassName, int RootIndex, string Root, double Accuracy, int Images, double X, double Y);

/// <summary>
/// The paper's distribution graph (section 4.2): the classes of a dataset placed by t-SNE of the model's Algorithm 1
/// class distances, coloured by root class.
/// </summary>
public sealed class DistributionGraph
{
    private DistributionGraph(string model, string dataset, IReadOnlyList<DistributionPoint> points, IReadOnlyList<string> roots,
        TsneResult tsne, TsneOptions options, ClassDistances distances)
    {
        Model = model;
        Dataset = dataset;
        Points = points;
        Roots = roots;
        KlDivergence = tsne.KlDivergence;
        Iterations = tsne.Iterations;
        TsneSeconds = tsne.Seconds;
        Options = options;
        Distances = distances;
        Tsne = tsne;
    }

    /// <summary>Model name.</summary>
    public string Model { get; }

    /// <summary>Dataset name.</summary>
    public string Dataset { get; }

    /// <summary>Root names in colour order.</summary>
    public IReadOnlyList<string> Roots { get; }

    /// <summary>One point per class, in class-index order.</summary>
    public IReadOnlyList<DistributionPoint> Points { get; }

    /// <summary>Final KL divergence of the embedding.</summary>
    public double KlDivergence { get; }

    /// <summary>t-SNE iterations run.</summary>
    public int Iterations { get; }

    /// <summary>Seconds t-SNE took.</summary>
    public double TsneSeconds { get; }

    /// <summary>t-SNE settings used.</summary>
    public TsneOptions Options { get; }

    /// <summary>The Algorithm 1 distances the embedding was made from.</summary>
    [JsonIgnore]
    public ClassDistances Distances { get; }

    /// <summary>The full t-SNE result (KL history).</summary>
    [JsonIgnore]
    public TsneResult Tsne { get; }

    /// <summary>
    /// The graph of a store entry. Class keys and roots come from <paramref name="hierarchy"/> (it must list the
    /// entry's classes in the same order); without it every class is under one root "all".
    /// </summary>
    public static DistributionGraph Compute(StoreEntry entry, ClassHierarchy? hierarchy = null, TsneOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var classes = entry.Meta.Dataset.Classes;
        if (hierarchy is not null && hierarchy.ClassCount != classes.Count)
            throw new ArgumentException($"The hierarchy has {hierarchy.ClassCount} classes, the store entry {classes.Count}.");
        var accuracy = AccuracyMetrics.Compute(entry);
        var distances = ClassDistances.Compute(entry);
        return Build(entry.Meta.Model.Name, entry.Meta.Dataset.Name, distances, classes, hierarchy,
            accuracy.PerClass.Select(a => a.Accuracy).ToArray(), options, cancellationToken);
    }

    /// <summary>The graph of precomputed distances with per-class accuracies (NaN where unknown).</summary>
    public static DistributionGraph Build(string model, string dataset, ClassDistances distances, IReadOnlyList<string> classNames,
        ClassHierarchy? hierarchy, IReadOnlyList<double> accuracy, TsneOptions? options = null, CancellationToken cancellationToken = default)
    {
        var n = distances.ClassCount;
        if (classNames.Count != n || accuracy.Count != n)
            throw new ArgumentException($"{n} classes, but {classNames.Count} names and {accuracy.Count} accuracies.");
        options ??= new TsneOptions();
        var tsne = Analysis.Tsne.Embed(distances.Values, n, options, cancellationToken);
        var roots = hierarchy?.Roots ?? new[] { "all" };
        var points = Enumerable.Range(0, n).Select(c => new DistributionPoint(
            c, hierarchy?.Classes[c] ?? classNames[c], classNames[c], hierarchy?.RootOf(c) ?? 0, hierarchy?.RootNameOf(c) ?? "all",
            accuracy[c], distances.ImagesPerClass[c], tsne.X[c], tsne.Y[c])).ToList();
        return new DistributionGraph(model, dataset, points, roots, tsne, options, distances);
    }

    /// <summary>The points as CSV (header: class_index,class_key,class_name,root_index,root,accuracy,images,x,y).</summary>
    public string ToCsv()
    {
        var sb = new StringBuilder("class_index,class_key,class_name,root_index,root,accuracy,images,x,y\n");
        foreach (var p in Points)
            sb.Append(string.Join(',', p.ClassIndex.ToString(CultureInfo.InvariantCulture), Csv(p.ClassKey), Csv(p.ClassName),
                p.RootIndex.ToString(CultureInfo.InvariantCulture), Csv(p.Root), Number(p.Accuracy),
                p.Images.ToString(CultureInfo.InvariantCulture), Number(p.X), Number(p.Y))).Append('\n');
        return sb.ToString();
    }

    private static string Number(double v) => double.IsNaN(v) ? "" : v.ToString("R", CultureInfo.InvariantCulture);

    private static string Csv(string s) =>
        s.IndexOfAny(new[] { ',', '"', '\n', '\r' }) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
}
