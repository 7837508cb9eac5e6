using System.Diagnostics;
using System.Globalization;
using System.Text;
using Cnnc.Engine.Analysis;
using Cnnc.Engine.Data;
using Cnnc.Engine.Evaluation;
using Graph = Cnnc.Engine.Analysis.DistributionGraph;

namespace Cnnc.Engine.Studies;

/// <summary>Which complexity goes on the x axis of the accuracy × complexity scatter (A1).</summary>
public enum ComplexityMeasure
{
    /// <summary>Parameter count.</summary>
    Parameters,

    /// <summary>Multiply-accumulates of one image.</summary>
    Macs,

    /// <summary>Measured batch-1 latency (ms), with its quartiles as error bars.</summary>
    Latency,
}

/// <summary>Which models view D (explanation examples) is computed for.</summary>
public enum ExplainScope
{
    /// <summary>No explanations (the overview needs no model loaded).</summary>
    None,

    /// <summary>The pinned model only (default): pinning another model in the page leaves D on this one.</summary>
    Pinned,

    /// <summary>Every model: D follows the pin in the page.</summary>
    All,
}

/// <summary>What <see cref="Study.Overview"/> shows first; every default is the notebook's and the CLI's.</summary>
public sealed record OverviewOptions
{
    /// <summary>x axis of A1. Default parameters.</summary>
    public ComplexityMeasure Complexity { get; init; } = ComplexityMeasure.Parameters;

    /// <summary>Model pinned at first. Default: the most accurate (the first of equals).</summary>
    public string? Pin { get; init; }

    /// <summary>Root class pinned at first. Default: the first (or the highlighted class's).</summary>
    public string? Root { get; init; }

    /// <summary>Classes per group in E. Default <see cref="StudyDefaults.SpotlightCount"/>.</summary>
    public int SpotlightCount { get; init; } = StudyDefaults.SpotlightCount;

    /// <summary>A leaf class marked in A3/A4/B; its root is pinned unless <see cref="Root"/> is given.</summary>
    public string? Highlight { get; init; }

    /// <summary>Which models D explains. Default the pinned one; <see cref="ExplainScope.None"/> loads no model.</summary>
    public ExplainScope Explain { get; init; } = ExplainScope.Pinned;

    /// <summary>Dataset item D explains. Default: the first image of <see cref="Highlight"/>, else of the pinned root's first class.</summary>
    public int? Image { get; init; }

    /// <summary>D's explainers (names or default / paper / all). Default <see cref="StudyDefaults.Explainers"/>.</summary>
    public IReadOnlyList<string>? Methods { get; init; }
}

/// <summary>One model in the overview: complexity, timing and accuracies (from the engine).</summary>
/// <param name="Name">Model name.</param>
/// <param name="Architecture">Architecture name.</param>
/// <param name="Parameters">Parameter count.</param>
/// <param name="Macs">Multiply-accumulates of one image at the model's input size.</param>
/// <param name="Timing">Latency and throughput measured when the model was evaluated (null if not measured).</param>
/// <param name="Accuracy">Overall, top-5, per leaf class and per root class accuracy.</param>
/// <param name="IsZoo">Whether it is an embedded zoo model.</param>
/// <param name="Published">The torchvision published weights the model's file is (recognised by content or trusted
/// name), with their published ImageNet accuracy; null for other weights.</param>
public sealed record ModelSummary(string Name, string Architecture, long Parameters, long Macs,
    [property: DebuggerBrowsable(DebuggerBrowsableState.Never)] InferenceTiming? Timing,
    [property: DebuggerBrowsable(DebuggerBrowsableState.Never)] ModelAccuracy Accuracy, bool IsZoo,
    [property: DebuggerBrowsable(DebuggerBrowsableState.Never)] Weights.PublishedWeightsInfo? Published = null)
{
    /// <summary>Calibration of the model's top-label confidence (ECE, MCE, reliability bins; 15 bins); null if not computed.</summary>
    [DebuggerBrowsable(DebuggerBrowsableState.Never)]
    public CalibrationSummary? Calibration { get; init; }

    /// <summary>Expected calibration error (15 equal-width bins, L1); NaN when not computed.</summary>
    public double Ece => Calibration?.Ece ?? double.NaN;

    /// <summary>Bootstrap interval of the overall accuracy and of each root's (paired with the other models' resamples); null if not computed.</summary>
    [DebuggerBrowsable(DebuggerBrowsableState.Never)]
    public ModelBootstrap? Intervals { get; init; }

    /// <summary>Lower end of the overall accuracy's bootstrap interval (NaN when not computed).</summary>
    public double AccuracyLower => Intervals?.Overall.Lower ?? double.NaN;

    /// <summary>Upper end of the overall accuracy's bootstrap interval (NaN when not computed).</summary>
    public double AccuracyUpper => Intervals?.Overall.Upper ?? double.NaN;

    /// <summary>
    /// torchvision's published ImageNet-1k top-1 of these weights (a fraction, as <see cref="OverallAccuracy"/>); NaN
    /// for weights torchvision did not publish (NaN rather than null keeps the column typed in a data frame).
    /// </summary>
    public double PublishedAccuracy => Published is { Acc1: var a } ? a / 100 : double.NaN;

    /// <summary>Top-1 accuracy (<see cref="Accuracy"/>'s overall; as a table, the nested records become these columns).</summary>
    public double OverallAccuracy => Accuracy.Overall;

    /// <summary>Top-5 accuracy.</summary>
    public double Top5Accuracy => Accuracy.Top5;

    /// <summary>Throughput of batched inference when evaluated, if measured.</summary>
    public double? ImagesPerSecond => Timing?.ImagesPerSecond;

    /// <summary>Batch-1 latency in milliseconds, if measured.</summary>
    public double? LatencyMs => Timing?.Batch1Milliseconds;

    /// <summary>Why the latency should not be read as a clean number (load, spread, unknown conditions), or null.</summary>
    public string? LatencyCaveat => Timing?.Caveat;

    /// <summary>The chosen complexity measure (latency: NaN when not measured).</summary>
    public double Complexity(ComplexityMeasure measure) => measure switch
    {
        ComplexityMeasure.Macs => Macs,
        ComplexityMeasure.Latency => LatencyMs ?? double.NaN,
        _ => Parameters,
    };
}

/// <summary>Which table of an overview to export.</summary>
public enum OverviewTable
{
    /// <summary>One row per model: accuracy, top-5, parameters, MACs, latency.</summary>
    Models,

    /// <summary>One row per (model, leaf class): root, correct, total, accuracy.</summary>
    Classes,

    /// <summary>One row per (model, root class).</summary>
    Roots,

    /// <summary>One row per leaf class: min, max, range and mean accuracy across models.</summary>
    Spotlights,
}

/// <summary>
/// Phase 1 of the paper (overview, section 5.1): the data behind views A1–A4, B (distribution graphs), D (explanation
/// examples) and E, with a pinned model and a pinned root class. The views draw it as linked charts;
/// <see cref="ToCsv"/> / <see cref="WriteCsv"/> export the tables. Immutable: <see cref="Pin"/> and
/// <see cref="WithComplexity"/> return new overviews (with the same B and D; D is not recomputed for a new pin).
/// </summary>
public sealed class Overview
{
    private IReadOnlyList<Graph?> _graphs = Array.Empty<Graph?>();
    private IReadOnlyList<ExplanationExamples> _explanations = Array.Empty<ExplanationExamples>();
    private ExplainScope _explainScope = ExplainScope.None;
    private IReadOnlyList<string> _explainMethods = Array.Empty<string>();

    /// <summary>
    /// "mixed preprocessings: resize 232, crop 224, bilinear (resnet50:IMAGENET1K_V2); …" when the models do not all see
    /// the images through one transform (allowed, and said); null when they do.
    /// </summary>
    public string? PreprocessingNote { get; private set; }

    internal Overview(string dataset, int images, ClassHierarchy hierarchy, IReadOnlyList<ModelSummary> models,
        ComplexityMeasure complexity, string pinnedModel, string pinnedRoot, int spotlightCount, string? highlightedClass = null)
    {
        if (models.Count == 0) throw new ArgumentException("An overview needs at least one model.");
        if (spotlightCount < 1) throw new ArgumentException($"The number of spotlight classes must be at least 1 (got {spotlightCount}).");
        Dataset = dataset;
        Images = images;
        Hierarchy = hierarchy;
        Models = models;
        Complexity = complexity;
        SpotlightCount = spotlightCount;
        Spotlights = ClassSpotlights.From(models.Select(m => m.Accuracy).ToList());
        PinnedModel = ModelNamed(pinnedModel).Name;
        PinnedRoot = RootNamed(pinnedRoot);
        if (highlightedClass is not null)
        {
            if (!hierarchy.TryIndexOfClass(highlightedClass, out var index, out var error))
                throw new ArgumentException($"{error} Classes: {string.Join(", ", hierarchy.ClassNames.Take(20))}" +
                                            (hierarchy.ClassCount > 20 ? $", … ({hierarchy.ClassCount} in all)." : "."));
            HighlightedClass = index;
        }
    }

    /// <summary>A leaf class marked in A3 and A4 (index), or null.</summary>
    public int? HighlightedClass { get; }

    /// <summary>Dataset name.</summary>
    public string Dataset { get; }

    /// <summary>Images in the dataset.</summary>
    public int Images { get; }

    /// <summary>Leaf classes grouped into root classes.</summary>
    public ClassHierarchy Hierarchy { get; }

    /// <summary>The models, in session order.</summary>
    public IReadOnlyList<ModelSummary> Models { get; }

    /// <summary>The x axis of A1.</summary>
    public ComplexityMeasure Complexity { get; }

    /// <summary>The model whose leaf-class accuracies A3 and A4 show.</summary>
    public string PinnedModel { get; }

    /// <summary>The root class whose leaf classes A4 shows.</summary>
    public string PinnedRoot { get; }

    /// <summary>Classes per group in the E charts (most divergent + most agreed; easiest + hardest).</summary>
    public int SpotlightCount { get; }

    /// <summary>Range and mean of every class's accuracy across the models.</summary>
    public ClassSpotlights Spotlights { get; }

    /// <summary>The same overview with another model and/or root class pinned.</summary>
    public Overview Pin(string? model = null, string? root = null) =>
        new Overview(Dataset, Images, Hierarchy, Models, Complexity, model ?? PinnedModel, root ?? PinnedRoot, SpotlightCount, HighlightName)
            .CarryViews(this);

    /// <summary>The same overview with a leaf class marked in A3 and A4 (and its root pinned); null clears the mark.</summary>
    public Overview Highlight(string? className)
    {
        if (className is null) return new Overview(Dataset, Images, Hierarchy, Models, Complexity, PinnedModel, PinnedRoot, SpotlightCount).CarryViews(this);
        var marked = new Overview(Dataset, Images, Hierarchy, Models, Complexity, PinnedModel, PinnedRoot, SpotlightCount, className).CarryViews(this);
        return marked.Pin(root: Hierarchy.RootNameOf(marked.HighlightedClass!.Value));
    }

    private string? HighlightName => HighlightedClass is { } c ? Hierarchy.Classes[c] : null;

    /// <summary>The same overview with another complexity measure on A1's x axis.</summary>
    public Overview WithComplexity(ComplexityMeasure complexity) =>
        new Overview(Dataset, Images, Hierarchy, Models, complexity, PinnedModel, PinnedRoot, SpotlightCount, HighlightName).CarryViews(this);

    /// <summary>B: each model's distribution graph, in <see cref="Models"/> order (null where there is none: fewer than 2 classes).</summary>
    public IReadOnlyList<Graph?> DistributionGraphs => _graphs;

    /// <summary>B of one model (default: the pinned one), or null.</summary>
    public Graph? DistributionGraphOf(string? model = null)
    {
        var index = Models.ToList().IndexOf(ModelNamed(model ?? PinnedModel));
        return index < _graphs.Count ? _graphs[index] : null;
    }

    /// <summary>Which models D was computed for.</summary>
    public ExplainScope ExplainScope => _explainScope;

    /// <summary>D's methods (canonical names).</summary>
    public IReadOnlyList<string> ExplainMethods => _explainMethods;

    /// <summary>D: the explanation examples computed (the pinned model's, or every model's).</summary>
    public IReadOnlyList<ExplanationExamples> Explanations => _explanations;

    /// <summary>D of one model (default: the pinned one), or null where it was not computed.</summary>
    public ExplanationExamples? ExplanationsOf(string? model = null)
    {
        var name = ModelNamed(model ?? PinnedModel).Name;
        return _explanations.FirstOrDefault(x => x.Model == name);
    }

    internal Overview WithViews(IReadOnlyList<Graph?> graphs, ExplainScope scope, IReadOnlyList<ExplanationExamples> explanations,
        IReadOnlyList<string> methods)
    {
        if (graphs.Count != Models.Count) throw new ArgumentException($"{Models.Count} models need {Models.Count} distribution graphs (got {graphs.Count}).");
        var copy = new Overview(Dataset, Images, Hierarchy, Models, Complexity, PinnedModel, PinnedRoot, SpotlightCount, HighlightName)
        {
            _graphs = graphs, _explainScope = scope, _explanations = explanations, _explainMethods = methods,
            PreprocessingNote = PreprocessingNote,
        };
        return copy;
    }

    private Overview CarryViews(Overview from)
    {
        _graphs = from._graphs;
        _explainScope = from._explainScope;
        _explanations = from._explanations;
        _explainMethods = from._explainMethods;
        PreprocessingNote = from.PreprocessingNote;
        return this;
    }

    /// <summary>The model named <paramref name="name"/> (case-insensitive); unknown names are an error listing the models.</summary>
    public ModelSummary ModelNamed(string name) =>
        Models.FirstOrDefault(m => m.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"Unknown model '{name}'. Models: {string.Join(", ", Models.Select(m => m.Name))}.");

    /// <summary>The root class named <paramref name="name"/> (case-insensitive); unknown names are an error listing the roots.</summary>
    public string RootNamed(string name) =>
        Hierarchy.Roots.FirstOrDefault(r => r.Equals(name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"Unknown root class '{name}'. Root classes: {string.Join(", ", Hierarchy.Roots)}.");

    /// <summary>Class indices of a model ranked by accuracy, best first (ties by class index; empty classes last).</summary>
    public IReadOnlyList<int> Ranking(string? model = null)
    {
        var perClass = ModelNamed(model ?? PinnedModel).Accuracy.PerClass;
        return Enumerable.Range(0, perClass.Count)
            .OrderByDescending(c => double.IsNaN(perClass[c].Accuracy) ? double.NegativeInfinity : perClass[c].Accuracy)
            .ThenBy(c => c)
            .ToList();
    }

    /// <summary>A3: the leaf classes of a model (default: the pinned one), ranked by accuracy, best first.</summary>
    public IReadOnlyList<GroupAccuracy> RankedClasses(string? model = null)
    {
        var perClass = ModelNamed(model ?? PinnedModel).Accuracy.PerClass;
        return Ranking(model).Select(c => perClass[c]).ToList();
    }

    /// <summary>A4: the leaf classes of a root class (default: pinned) for a model (default: pinned), ranked best first.</summary>
    public IReadOnlyList<GroupAccuracy> RankedClassesOfRoot(string? model = null, string? root = null)
    {
        var rootIndex = Hierarchy.IndexOfRoot(RootNamed(root ?? PinnedRoot));
        var perClass = ModelNamed(model ?? PinnedModel).Accuracy.PerClass;
        return Ranking(model).Where(c => Hierarchy.RootOf(c) == rootIndex).Select(c => perClass[c]).ToList();
    }

    /// <summary>E, "range of class accuracy": the most divergent classes, then the most agreed ones.</summary>
    public IReadOnlyList<ClassSpotlight> RangeClasses
    {
        get
        {
            var k = Math.Min(SpotlightCount, Math.Max(1, Spotlights.Classes.Count / 2));
            var divergent = Spotlights.MostDivergent(k);
            return divergent.Concat(Spotlights.MostAgreed(k).Where(c => divergent.All(d => d.ClassIndex != c.ClassIndex))).ToList();
        }
    }

    /// <summary>E, "average of class accuracy": the classes all models find easiest, then the hardest ones.</summary>
    public IReadOnlyList<ClassSpotlight> AverageClasses
    {
        get
        {
            var k = Math.Min(SpotlightCount, Math.Max(1, Spotlights.Classes.Count / 2));
            var easiest = Spotlights.Easiest(k);
            return easiest.Concat(Spotlights.Hardest(k).Where(c => easiest.All(d => d.ClassIndex != c.ClassIndex))).ToList();
        }
    }

    /// <summary>The models with the lowest and the highest accuracy on a class (first in session order on ties).</summary>
    public (string Lowest, string Highest) Extremes(int classIndex)
    {
        var valid = Models.Where(m => !double.IsNaN(m.Accuracy.PerClass[classIndex].Accuracy)).ToList();
        if (valid.Count == 0) return ("", "");
        var low = valid.MinBy(m => m.Accuracy.PerClass[classIndex].Accuracy)!;
        var high = valid.MaxBy(m => m.Accuracy.PerClass[classIndex].Accuracy)!;
        return (low.Name, high.Name);
    }

    /// <summary>One table as CSV (RFC 4180, invariant culture, a header row).</summary>
    public string ToCsv(OverviewTable table = OverviewTable.Models)
    {
        var csv = new StringBuilder();
        void Row(params object?[] cells) => Csv.Row(csv, cells);
        switch (table)
        {
            case OverviewTable.Models:
                Row("model", "architecture", "zoo", "accuracy", "top5", "parameters", "macs", "latency_ms", "images_per_second", "readable", "unreadable",
                    "latency_q1_ms", "latency_q3_ms", "latency_reliable", "latency_caveat", "published_weights", "published_accuracy",
                    "accuracy_lower_95", "accuracy_upper_95", "ece", "mce");
                foreach (var m in Models)
                    Row(m.Name, m.Architecture, m.IsZoo, m.Accuracy.Overall, m.Accuracy.Top5, m.Parameters, m.Macs, m.LatencyMs,
                        m.Timing?.ImagesPerSecond, m.Accuracy.Readable, m.Accuracy.Unreadable,
                        m.Timing?.Batch1LowerQuartileMs, m.Timing?.Batch1UpperQuartileMs, m.Timing is null ? null : m.LatencyCaveat is null,
                        m.LatencyCaveat, m.Published?.Name, m.PublishedAccuracy, m.Intervals?.Overall.Lower, m.Intervals?.Overall.Upper,
                        m.Calibration?.Ece, m.Calibration?.Mce);
                break;
            case OverviewTable.Classes:
                Row("model", "class_index", "class", "root", "correct", "total", "accuracy", "rank");
                foreach (var m in Models)
                {
                    var ranking = Ranking(m.Name);
                    var rank = new int[ranking.Count];
                    for (var r = 0; r < ranking.Count; r++) rank[ranking[r]] = r + 1;
                    for (var c = 0; c < m.Accuracy.PerClass.Count; c++)
                    {
                        var g = m.Accuracy.PerClass[c];
                        Row(m.Name, c, g.Name, Hierarchy.RootNameOf(c), g.Correct, g.Total, g.Accuracy, rank[c]);
                    }
                }
                break;
            case OverviewTable.Roots:
                Row("model", "root", "correct", "total", "accuracy");
                foreach (var m in Models)
                foreach (var g in m.Accuracy.PerRoot)
                    Row(m.Name, g.Name, g.Correct, g.Total, g.Accuracy);
                break;
            case OverviewTable.Spotlights:
                Row("class_index", "class", "root", "min", "max", "range", "mean", "lowest_model", "highest_model");
                foreach (var s in Spotlights.Classes)
                {
                    var (low, high) = Extremes(s.ClassIndex);
                    Row(s.ClassIndex, s.ClassName, Hierarchy.RootNameOf(s.ClassIndex), s.Min, s.Max, s.Range, s.Mean, low, high);
                }
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(table), table, "Unknown table.");
        }
        return csv.ToString();
    }

    /// <summary>Writes every table as <c>overview-&lt;table&gt;.csv</c> into <paramref name="folder"/>; returns the paths.</summary>
    public IReadOnlyList<string> WriteCsv(string folder)
    {
        Directory.CreateDirectory(folder);
        var paths = new List<string>();
        foreach (var table in Enum.GetValues<OverviewTable>())
        {
            var path = Path.Combine(folder, $"overview-{table.ToString().ToLowerInvariant()}.csv");
            File.WriteAllText(path, ToCsv(table), new UTF8Encoding(false));
            paths.Add(Path.GetFullPath(path));
        }
        return paths;
    }

    public override string ToString() =>
        $"Overview of {Models.Count} models on {Dataset} ({Images} images): " +
        string.Join(", ", Models.Select(m => $"{m.Name} {m.Accuracy.Overall.ToString("P2", CultureInfo.InvariantCulture)}")) +
        $"; pinned {PinnedModel} / {PinnedRoot}" +
        (_graphs.Any(g => g is not null) ? $"; B: distribution graphs of {_graphs.Count(g => g is not null)} models" : "") +
        (_explanations.Count > 0
            ? $"; D: {string.Join(", ", _explainMethods)} on image {_explanations[0].Image} for {string.Join(", ", _explanations.Select(x => x.Model))}"
            : "");

    /// <summary>The default pin: the most accurate model (NaN counts as lowest), the first of equals.</summary>
    internal static ModelSummary MostAccurate(IReadOnlyList<ModelSummary> models) =>
        models.OrderByDescending(m => double.IsNaN(m.Accuracy.Overall) ? double.NegativeInfinity : m.Accuracy.Overall).First();

    /// <summary>The overview of <paramref name="study"/>: accuracies from the store, then B and D as asked.</summary>
    internal static Overview Compute(Study study, OverviewOptions options, CancellationToken cancellationToken)
    {
        study.EnsureModels();
        var methods = StudyDefaults.ParseExplainers(options.Methods);
        var entries = study.EntriesOf(study.Models);
        if (options.Image is { } requested) study.CheckImage(requested);
        var hierarchy = study.Hierarchy;
        var summaries = new List<ModelSummary>();
        for (var i = 0; i < entries.Count; i++)
        {
            var (model, entry) = (study.Models[i], entries[i]);
            Study.EnsureComplexity(model);
            var accuracy = AccuracyMetrics.Compute(entry, hierarchy.RootNameOf, hierarchy.Roots);
            summaries.Add(new ModelSummary(model.Name, model.Architecture, model.Parameters!.Value, model.Macs!.Value,
                entry.Meta.Timing, accuracy, model.IsZoo, model.Reference.Published) { Calibration = study.CalibrationOf(entry) });
        }
        // Accuracy intervals, all models from the same resamples (StudyDefaults.Bootstrap), as A1's error bars.
        var intervals = study.BootstrapOf(entries, hierarchy);
        for (var i = 0; i < summaries.Count; i++) summaries[i] = summaries[i] with { Intervals = intervals.Models[i] };
        var first = entries[0];
        var overview = new Overview(first.Meta.Dataset.Name, first.Meta.Dataset.Count, hierarchy, summaries, options.Complexity,
            options.Pin ?? MostAccurate(summaries).Name, options.Root ?? hierarchy.Roots[0], options.SpotlightCount);
        overview.PreprocessingNote = Cnnc.Engine.Models.PreprocessingMix.Label(study.Models.Select(m => m.Reference));
        if (options.Highlight is not null)
        {
            overview = overview.Highlight(options.Highlight);
            if (options.Root is not null) overview = overview.Pin(root: options.Root);
        }

        var graphs = entries.Select(e => hierarchy.ClassCount >= 2 ? study.GraphOf(e, hierarchy, null, cancellationToken) : null).ToList();
        var explained = new List<ExplanationExamples>();
        if (options.Explain != ExplainScope.None)
        {
            var item = options.Image ?? study.FirstImageOf(overview.HighlightedClass ?? hierarchy.ClassesOf(overview.PinnedRoot)[0]);
            var targets = options.Explain == ExplainScope.All ? study.Models : new[] { study.Model(overview.PinnedModel) };
            foreach (var model in targets)
                explained.Add(ExplanationExamples.Compute(study, model, item, methods, null, cancellationToken));
        }
        return overview.WithViews(graphs, options.Explain, explained, methods);
    }
}
