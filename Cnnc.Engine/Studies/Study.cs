using Cnnc.Engine.Analysis;
using Cnnc.Engine.Corruptions;
using Cnnc.Engine.Data;
using Cnnc.Engine.Evaluation;
using Cnnc.Engine.Explain;
using Cnnc.Engine.Models;
using Cnnc.Engine.Runtime;
using Cnnc.Engine.Zoo;
using Graph = Cnnc.Engine.Analysis.DistributionGraph;

namespace Cnnc.Engine.Studies;

/// <summary>
/// A comparative study: a set of models (the embedded zoo, or your own architecture + weights), a dataset with its
/// class hierarchy, and the predictions store their evaluations go to; and the paper's views computed from them —
/// the overview (<see cref="Overview"/>), compare (<see cref="Compare"/>) and inspect (<see cref="Inspect"/>), as plain
/// records. A study reads each store entry once and keeps what it computed (distribution graphs, explanations, the
/// most recently used models) until it is disposed. The notebook's <c>#!cnnc</c> commands and the CLI's <c>cnnc
/// report</c> work on one.
/// </summary>
public sealed class Study : IDisposable
{
    private readonly List<StudyModel> _models = new();
    private IImageDataset? _dataset;
    private ClassHierarchy? _hierarchy;
    private PredictionsStore? _store;
    private readonly Dictionary<string, StoreEntry> _entries = new();
    private readonly Dictionary<(string Entry, string Weights, string Hierarchy, TsneOptions Options), Graph> _graphs = new();

    internal ModelCache LoadedModels { get; } = new();
    internal ExplanationCache ExplanationCache { get; } = new();

    // Explainers need one call at a time per model: compare, inspect and view D hold this for the whole call.
    internal object ExplainLock { get; } = new();

    /// <summary>The models, in the order they were added.</summary>
    public IReadOnlyList<StudyModel> Models => _models;

    /// <summary>The dataset (default: the Fashion-MNIST test set, the zoo's).</summary>
    public IImageDataset Dataset => _dataset ??= DataSpec.Open(DataSpec.Default);

    /// <summary>Whether a dataset was chosen or opened already (the default opens on first use).</summary>
    public bool HasDataset => _dataset is not null;

    /// <summary>The class hierarchy used for root-class accuracies (default: the dataset's).</summary>
    public ClassHierarchy Hierarchy => _hierarchy ?? Dataset.Hierarchy;

    /// <summary>Where evaluations are stored (default <see cref="StudyDefaults.StorePath"/>).</summary>
    public PredictionsStore Store => _store ??= new PredictionsStore(StudyDefaults.StorePath);

    /// <summary>Names of the zoo models this build ships.</summary>
    public static IReadOnlyList<string> ZooModelNames => ZooCatalog.Cards.Select(c => c.Name).ToList();

    /// <summary>Removes every model.</summary>
    public Study ClearModels()
    {
        _models.Clear();
        return this;
    }

    /// <summary>
    /// Adds zoo models by name (none given: every model this build ships). An unknown name is an error listing the
    /// shipped ones; a model already in the study is not added twice.
    /// </summary>
    public Study UseZoo(params string[] names)
    {
        var cards = names.Length == 0 ? ZooCatalog.Cards : names.Select(ZooCatalog.Card).ToList();
        foreach (var card in cards)
        {
            if (Find(card.Name) is not null) continue;
            _models.Add(new StudyModel(ModelReference.Zoo(card.Name), card.Parameters, card.Macs));
        }
        return this;
    }

    /// <summary>Adds a model by reference (zoo or file). Names must be unique in the study.</summary>
    public StudyModel AddModel(ModelReference reference)
    {
        if (Find(reference.Name) is { } existing)
            throw new ArgumentException($"The study already has a model named '{existing.Name}'; give this one another name.");
        var card = reference.IsZoo ? ZooCatalog.Card(reference.Name) : null;
        var model = new StudyModel(reference, card?.Parameters, card?.Macs);
        _models.Add(model);
        return model;
    }

    /// <summary>
    /// Adds your own weights for one of the architectures (<see cref="ArchitectureCatalog"/>). Without
    /// <paramref name="options"/>, ImageNet's are assumed; unless given, the preprocessing is Fashion-MNIST's for
    /// 1×28×28, else the one <see cref="ModelReference.FromFile"/> picks (a published file's own, ImageNet's otherwise).
    /// </summary>
    public StudyModel AddModel(string architecture, string weightsPath, ArchitectureOptions? options = null,
        Preprocessing? preprocessing = null, string? name = null)
    {
        var reference = ModelReference.FromFile(architecture, weightsPath, options ?? ArchitectureOptions.ImageNet, preprocessing,
            name ?? $"{ArchitectureCatalog.Get(architecture).Name}:{Path.GetFileNameWithoutExtension(weightsPath)}");
        return AddModel(reference);
    }

    /// <summary>
    /// Adds a weights file as <see cref="ModelReference.FromWeights"/> reads it: one of torchvision's published files is
    /// recognised by content (no architecture needed, its own preprocessing); any other needs
    /// <see cref="WeightsReferenceOptions.Architecture"/> unless its name starts with one. The reference's
    /// <see cref="ModelReference.Notes"/> say what was assumed. Options default to ImageNet's; <see cref="BuildOptions"/>
    /// gives the ones that fit this study's dataset (what <c>#!cnnc add</c> uses).
    /// </summary>
    public StudyModel AddWeights(string weightsPath, WeightsReferenceOptions? options = null) =>
        AddModel(ModelReference.FromWeights(weightsPath, options));

    /// <summary>
    /// Build options for weights added to this study: each value given, else the dataset's — its class count, and
    /// 1×28×28 for a greyscale dataset (Fashion-MNIST), else 3×224×224; width 1. With nothing given on an ImageNet-like
    /// dataset (3 channels, 1000 classes) null: a torchvision published file is then built at its own crop size.
    /// </summary>
    public ArchitectureOptions? BuildOptions(int? numClasses = null, int? inputChannels = null, int? inputSize = null, double? width = null)
    {
        var small = Dataset.Channels == 1;
        var given = numClasses is not null || inputChannels is not null || inputSize is not null || width is not null;
        if (!given && !small && Dataset.Classes.Count == 1000) return null;
        return new ArchitectureOptions
        {
            NumClasses = numClasses ?? Dataset.Classes.Count,
            InputChannels = inputChannels ?? (small ? 1 : 3),
            InputSize = inputSize ?? (small ? ZooRecipe.ImageSize : ArchitectureOptions.ImageNet.InputSize),
            Width = width ?? 1.0,
        }.Validate();
    }

    /// <summary>Uses <paramref name="dataset"/> (and its hierarchy, unless a hierarchy is chosen after).</summary>
    public Study UseDataset(IImageDataset dataset)
    {
        _dataset = dataset;
        _hierarchy = null;
        ForgetEntries();
        return this;
    }

    /// <summary>Opens a dataset from a spec (<see cref="DataSpec"/>), optionally grouped by a hierarchy file.</summary>
    public Study UseData(string spec, string? hierarchyFile = null) => UseDataset(DataSpec.Open(spec, hierarchyFile));

    /// <summary>Groups the dataset's classes into roots from a <c>.json</c> or CSV hierarchy file.</summary>
    public Study UseHierarchy(string path) =>
        UseHierarchy(ClassHierarchy.Load(path, Dataset.Classes, Dataset.Hierarchy.ClassNames));

    /// <summary>Uses <paramref name="hierarchy"/> for root-class accuracies; it must match the dataset's classes.</summary>
    public Study UseHierarchy(ClassHierarchy hierarchy)
    {
        hierarchy.EnsureMatches(Dataset.Classes, Dataset.Name);
        _hierarchy = hierarchy;
        return this;
    }

    /// <summary>Stores evaluations under <paramref name="folder"/>.</summary>
    public Study UseStore(string folder)
    {
        _store = new PredictionsStore(folder);
        ForgetEntries();
        return this;
    }

    /// <summary>The model named <paramref name="name"/> (case-insensitive), or null.</summary>
    public StudyModel? Find(string name) =>
        _models.FirstOrDefault(m => m.Name.Equals(name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The model named <paramref name="name"/>; an unknown name is an error listing the study's models.</summary>
    public StudyModel Model(string name) =>
        Find(name) ?? throw new ArgumentException(_models.Count == 0
            ? $"Unknown model '{name}': the study has no models yet."
            : $"Unknown model '{name}'. Models in this study: {string.Join(", ", _models.Select(m => m.Name))}.");

    /// <summary>The class index of a class key or display name; an unknown one is an error listing the classes.</summary>
    public int ResolveClass(string name)
    {
        var hierarchy = Hierarchy;
        if (hierarchy.TryIndexOfClass(name, out var index, out var error)) return index;
        throw new ArgumentException($"{error} Classes: {string.Join(", ", hierarchy.ClassNames.Take(20))}" +
                                    (hierarchy.ClassCount > 20 ? $", … ({hierarchy.ClassCount} in all)." : "."));
    }

    /// <summary>The evaluation source of a model: the dataset preprocessed the way the model expects.</summary>
    public DatasetEvaluationSource SourceFor(StudyModel model) => new(Dataset, model.Reference.Preprocessing);

    /// <summary>
    /// The stored evaluation of <paramref name="model"/> on the study's dataset, or null if there is none yet. Read
    /// from the store once; the study owns it (and frees it when disposed).
    /// </summary>
    public StoreEntry? EntryOf(StudyModel model)
    {
        var source = SourceFor(model);
        var key = Path.GetFullPath(Store.EntryDirectory(model.Identity, source.Identity));
        lock (_entries)
        {
            if (_entries.TryGetValue(key, out var cached)) return cached;
            var entry = Store.TryGet(model.Identity, source.Identity);
            if (entry is not null) _entries[key] = entry;
            return entry;
        }
    }

    /// <summary>
    /// The explanation of dataset image <paramref name="image"/> for class <paramref name="targetClass"/> by
    /// <paramref name="method"/> at the layer the views use (the architecture's default), if one was precomputed into
    /// the store (<c>cnnc explanations precompute</c>, a cluster array); null when none was.
    /// </summary>
    public Explanation? StoredExplanation(StudyModel model, int image, string method, int targetClass)
    {
        ArgumentNullException.ThrowIfNull(model);
        var explainer = ExplainerCatalog.Create(method);
        var layer = explainer.UsesLayer ? ArchitectureCatalog.Get(model.Architecture).DefaultTargetLayer : null;
        var explanations = new ExplanationStore(Store.Root);
        return explanations.Find(model.Identity, SourceFor(model).Identity, explainer.Name, layer, image, targetClass);
    }

    /// <summary>Models that have no complete evaluation on the study's dataset yet.</summary>
    public IReadOnlyList<StudyModel> Unevaluated() => _models.Where(m => EntryOf(m) is null).ToList();

    /// <summary>
    /// Evaluates every model that the store does not have yet (resuming unfinished ones), reporting progress; stops
    /// between batches when <paramref name="cancellationToken"/> is cancelled (finished chunks stay stored).
    /// </summary>
    public IReadOnlyList<StoreEntry> Evaluate(IProgress<StudyProgress>? progress = null,
        CancellationToken cancellationToken = default, int batchSize = StudyDefaults.BatchSize)
    {
        EnsureModels();
        TorchRuntime.Initialize();
        var entries = new List<StoreEntry>();
        for (var i = 0; i < _models.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var model = _models[i];
            var existing = EntryOf(model);
            if (existing is not null && model.Parameters is not null)
            {
                progress?.Report(new StudyProgress(i, _models.Count, model.Name, null, "stored"));
                entries.Add(existing);
                continue;
            }
            progress?.Report(new StudyProgress(i, _models.Count, model.Name, null, "loading"));
            using var loaded = model.Reference.Load(TorchRuntime.DefaultDevice);
            if (model.Parameters is null || model.Macs is null)
            {
                model.Parameters = loaded.Complexity.Parameters;
                model.Macs = loaded.Complexity.Macs;
            }
            var index = i;
            var engineProgress = progress is null ? null : new InlineProgress<EvaluationProgress>(p =>
                progress.Report(new StudyProgress(index, _models.Count, model.Name, p, "evaluating")));
            if (existing is null)
            {
                existing = Remember(Store.GetOrEvaluate(loaded, SourceFor(model),
                    new EvaluationOptions { BatchSize = batchSize }, engineProgress, cancellationToken));
            }
            entries.Add(existing);
        }
        progress?.Report(new StudyProgress(_models.Count, _models.Count, "", null, "done"));
        return entries;
    }

    /// <summary>
    /// The evaluation source of <paramref name="model"/> on the study's dataset under one corruption: the model's
    /// geometry, then the corruption, then its normalisation (<see cref="CorruptedDataset.ForModel"/>).
    /// </summary>
    public DatasetEvaluationSource CorruptedSourceFor(StudyModel model, string corruption, int severity, ulong seed = 0)
    {
        var (dataset, preprocessing) = CorruptedDataset.ForModel(Dataset, model.Reference.Preprocessing, corruption, severity, seed);
        return new DatasetEvaluationSource(dataset, preprocessing);
    }

    /// <summary>
    /// Evaluates every model under each of <paramref name="corruptions"/> at each of <paramref name="severities"/>
    /// (default 1..5) with <paramref name="seed"/>: one store entry per (model, corruption, severity, seed), skipped
    /// when stored, resumed when partly stored. Progress names the step ("gaussian_noise-3"); stops between batches when
    /// <paramref name="cancellationToken"/> is cancelled (finished chunks stay stored).
    /// </summary>
    /// <exception cref="UnknownCorruptionException">For an unknown name (before any work).</exception>
    /// <exception cref="ArgumentOutOfRangeException">For a severity outside 1..5 (before any work).</exception>
    public IReadOnlyList<CorruptionEntry> EvaluateCorruptions(IReadOnlyList<string> corruptions, IReadOnlyList<int>? severities = null,
        ulong seed = 0, IProgress<StudyProgress>? progress = null, CancellationToken cancellationToken = default,
        int batchSize = StudyDefaults.BatchSize)
    {
        ArgumentNullException.ThrowIfNull(corruptions);
        severities ??= new[] { 1, 2, 3, 4, 5 };
        foreach (var c in corruptions)
            foreach (var s in severities) ImageCorruptions.Validate(c, s);
        EnsureModels();
        TorchRuntime.Initialize();
        var results = new List<CorruptionEntry>();
        for (var i = 0; i < _models.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var model = _models[i];
            var sources = corruptions.SelectMany(c => severities.Select(s => (c, s, Source: CorruptedSourceFor(model, c, s, seed)))).ToList();
            LoadedModel? loaded = null;
            try
            {
                foreach (var (corruption, severity, source) in sources)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var step = $"{corruption}-{severity}";
                    var stored = Store.TryGet(model.Identity, source.Identity);
                    if (stored is null)
                    {
                        progress?.Report(new StudyProgress(i, _models.Count, model.Name, null, "loading " + step));
                        loaded ??= model.Reference.Load(TorchRuntime.DefaultDevice);
                        var index = i;
                        var engineProgress = progress is null ? null : new InlineProgress<EvaluationProgress>(p =>
                            progress.Report(new StudyProgress(index, _models.Count, model.Name, p, "evaluating " + step)));
                        // The model's latency is the clean evaluation's business: not measured again per corruption.
                        stored = Store.GetOrEvaluate(loaded, source, new EvaluationOptions { BatchSize = batchSize, MeasureLatency = false },
                            engineProgress, cancellationToken);
                    }
                    else progress?.Report(new StudyProgress(i, _models.Count, model.Name, null, "stored " + step));
                    results.Add(new CorruptionEntry(model.Name, corruption, severity, seed, Remember(stored)));
                }
            }
            finally
            {
                loaded?.Dispose();
            }
        }
        progress?.Report(new StudyProgress(_models.Count, _models.Count, "", null, "done"));
        return results;
    }

    /// <summary>
    /// Accuracy against severity and mCE relative to <paramref name="baseline"/> from the stored corruption entries
    /// (<see cref="EvaluateCorruptions"/> computes them); relative mCE when the clean evaluations are stored too.
    /// </summary>
    /// <exception cref="StudyNotEvaluatedException">When an entry is missing (naming the models).</exception>
    public RobustnessReport Robustness(IReadOnlyList<string> corruptions, string baseline, IReadOnlyList<int>? severities = null, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(corruptions);
        severities ??= new[] { 1, 2, 3, 4, 5 };
        EnsureModels();
        if (Find(baseline) is null)
            throw new ArgumentException($"The baseline '{baseline}' is not a model of the study. Models: {string.Join(", ", _models.Select(m => m.Name))}.", nameof(baseline));
        var rows = new List<CorruptionAccuracy>();
        var missing = new List<string>();
        var clean = new Dictionary<string, double>();
        foreach (var model in _models)
        {
            foreach (var c in corruptions)
                foreach (var s in severities)
                {
                    ImageCorruptions.Validate(c, s);
                    var entry = Store.TryGet(model.Identity, CorruptedSourceFor(model, c, s, seed).Identity);
                    if (entry is null) { if (!missing.Contains(model.Name)) missing.Add(model.Name); continue; }
                    using (entry)
                    {
                        var (accuracy, readable) = Analysis.Robustness.Accuracy(entry);
                        rows.Add(new CorruptionAccuracy(model.Name, c, s, accuracy, readable));
                    }
                }
            if (EntryOf(model) is { } cleanEntry) clean[model.Name] = Analysis.Robustness.Accuracy(cleanEntry).Accuracy;
        }
        if (missing.Count > 0) throw new StudyNotEvaluatedException(Dataset.Name + " (corrupted)", missing);
        return Analysis.Robustness.Compute(rows, baseline, clean);
    }

    /// <summary>Runs <see cref="Evaluate"/> on a worker thread.</summary>
    public Task<IReadOnlyList<StoreEntry>> EvaluateAsync(IProgress<StudyProgress>? progress = null,
        CancellationToken cancellationToken = default, int batchSize = StudyDefaults.BatchSize) =>
        Task.Run(() => Evaluate(progress, cancellationToken, batchSize), cancellationToken);

    /// <summary>
    /// Re-measures batch-1 latency and batched throughput of <paramref name="models"/> (names; none: every model) on
    /// the study's device (<see cref="LatencyBenchmark"/>) and replaces the figures in the store. Every model must have
    /// been evaluated. A figure taken under load comes back (and is stored) marked unreliable, with the reason.
    /// </summary>
    public IReadOnlyList<(StudyModel Model, InferenceTiming Timing)> MeasureLatency(IReadOnlyList<string>? models = null,
        IProgress<StudyProgress>? progress = null, CancellationToken cancellationToken = default, LatencyOptions? options = null)
    {
        EnsureModels();
        TorchRuntime.Initialize();
        var chosen = models is { Count: > 0 } ? models.Select(Model).Distinct().ToList() : _models.ToList();
        var entries = EntriesOf(chosen);
        options ??= new LatencyOptions { BatchSize = StudyDefaults.BatchSize };
        var device = TorchRuntime.DefaultDevice;
        var results = new List<(StudyModel, InferenceTiming)>();
        for (var i = 0; i < chosen.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var model = chosen[i];
            progress?.Report(new StudyProgress(i, chosen.Count, model.Name, null, "measuring"));
            using var loaded = model.Reference.Load(device);
            loaded.Module.eval();
            var source = SourceFor(model);
            var timing = Evaluator.MeasureLatency(loaded.Module, source, device, options, InferenceTiming.MeasuredByLatency, cancellationToken);
            if (!Store.ReplaceTiming(model.Identity, source.Identity, timing))
                throw new InvalidOperationException($"The store entry of '{model.Name}' disappeared from {Store.Root} during the measurement.");
            lock (_entries) entries[i].Meta = entries[i].Meta with { Timing = timing };
            results.Add((model, timing));
        }
        progress?.Report(new StudyProgress(chosen.Count, chosen.Count, "", null, "done"));
        return results;
    }

    /// <summary>
    /// Phase 1 of the paper (overview, section 5.1): every model's accuracy and complexity, per root and leaf class, the
    /// classes where models diverge, agree, or all do well or badly (A1–A4, E), each model's distribution graph (B) and
    /// explanation examples (D). Every model must have been evaluated (<see cref="Evaluate"/>).
    /// </summary>
    public Overview Overview(OverviewOptions? options = null, CancellationToken cancellationToken = default) =>
        Studies.Overview.Compute(this, options ?? new OverviewOptions(), cancellationToken);

    /// <summary>
    /// View B for one model: its distribution graph (paper 4.2, Algorithm 1 + t-SNE, coloured by the study's root
    /// classes), from its stored evaluation. Seeded (<see cref="TsneOptions.Seed"/>), so the same store gives the same
    /// picture; computed once per store entry and hierarchy and kept in the study.
    /// </summary>
    /// <param name="model">Study model name.</param>
    /// <param name="options">t-SNE settings; default VAC-CNN's (perplexity 5, lowered below the class count for
    /// fewer than 6 classes).</param>
    public Graph DistributionGraph(string model, TsneOptions? options = null)
    {
        var entry = EntriesOf(new[] { Model(model) })[0];
        if (Hierarchy.ClassCount < 2) throw new InvalidOperationException("A distribution graph needs at least 2 classes.");
        return GraphOf(entry, Hierarchy, options, CancellationToken.None);
    }

    /// <summary>
    /// View D for one model: explanation examples of one dataset item by each method, for the item's own class, drawn
    /// as heatmaps with contours. Each (model, image, method) is computed once per study.
    /// </summary>
    public ExplanationExamples Explanations(ExamplesOptions options, CancellationToken cancellationToken = default) =>
        ExplanationExamples.Compute(this, options, cancellationToken);

    /// <summary>
    /// Paper 6.1 (Alice): several models × one class × one image — per model its accuracies, prediction, confidence
    /// and the contour view of its explanation, the similarity matrix of the models' maps, the class's first images.
    /// Every model must have been evaluated. One explainer call per model, checked for cancellation between and inside
    /// them. Models stay loaded for the next call (<see cref="ReleaseModels"/>).
    /// </summary>
    public Comparison Compare(CompareOptions options, IProgress<ExplainJobProgress>? progress = null,
        CancellationToken cancellationToken = default) =>
        Comparison.Compute(this, options, progress, cancellationToken);

    /// <summary>Runs <see cref="Compare"/> on a worker thread.</summary>
    public Task<Comparison> CompareAsync(CompareOptions options, IProgress<ExplainJobProgress>? progress = null,
        CancellationToken cancellationToken = default) =>
        Task.Run(() => Compare(options, progress, cancellationToken), cancellationToken);

    /// <summary>
    /// Paper 6.2 (Bob): one model × one or more classes — a page of the classes' images with label, prediction,
    /// confidence, the contour view of the explanation and the colour-intensity histogram (CIH) of the salient region,
    /// optionally ordered by CIH distance to one image. The page is explained in one batched call.
    /// </summary>
    public Inspection Inspect(InspectOptions options, IProgress<ExplainJobProgress>? progress = null,
        CancellationToken cancellationToken = default) =>
        Inspection.Compute(this, options, progress, cancellationToken);

    /// <summary>Runs <see cref="Inspect"/> on a worker thread.</summary>
    public Task<Inspection> InspectAsync(InspectOptions options, IProgress<ExplainJobProgress>? progress = null,
        CancellationToken cancellationToken = default) =>
        Task.Run(() => Inspect(options, progress, cancellationToken), cancellationToken);

    // ---- beyond accuracy (issue 16): analyses of the stored predictions; every model must have been evaluated ----

    /// <summary>One model's confusion matrices (classes, roots by the study's hierarchy) and per-class P / R / F1.</summary>
    public ModelConfusion Confusion(string model) => Analysis.Confusion.Compute(EntriesOf(new[] { Model(model) })[0], Hierarchy);

    /// <summary>The images of one cell of a model's class confusion matrix (true, predicted class keys or names).</summary>
    public IReadOnlyList<int> ConfusionCell(string model, string trueClass, string predictedClass) =>
        Analysis.Confusion.CellImages(EntriesOf(new[] { Model(model) })[0], ResolveClass(trueClass), ResolveClass(predictedClass));

    /// <summary>One model's top-label calibration (ECE, MCE, reliability diagram).</summary>
    public CalibrationSummary Calibration(string model, int bins = Analysis.Calibration.DefaultBins) =>
        Analysis.Calibration.Compute(EntriesOf(new[] { Model(model) })[0], bins);

    /// <summary>McNemar's exact test for every pair of the study's models.</summary>
    public PairwiseSignificance Significance() => Analysis.Significance.Pairwise(AllEntries());

    /// <summary>Paired bootstrap intervals of every model's overall and per-root accuracy.</summary>
    public BootstrapResult Bootstrap(BootstrapOptions? options = null) => Analysis.Bootstrap.Accuracy(AllEntries(), Hierarchy, options);

    /// <summary>Pairwise prediction agreement and Cohen's kappa of the study's models.</summary>
    public PredictionAgreement Agreement() => Analysis.Agreement.Predictions(AllEntries());

    /// <summary>Where the study's models' errors overlap.</summary>
    public ErrorOverlap ErrorOverlap() => Analysis.Agreement.Errors(AllEntries());

    private List<StoreEntry> AllEntries()
    {
        EnsureModels();
        return EntriesOf(_models);
    }

    /// <summary>What the study holds: its data, store and models with what is known of them (nothing is evaluated).</summary>
    public StudySummary Summary(string title = "CNNC study", string? note = null) => StudySummary.Of(this, title, note);

    /// <summary>
    /// The records of a standalone report (<see cref="ReportOptions"/>): the summary, the overview, and compare and
    /// inspect sections when asked for. Every model must have been evaluated.
    /// </summary>
    public StudyReport Report(ReportOptions? options = null, CancellationToken cancellationToken = default) =>
        StudyReport.Compute(this, options ?? new ReportOptions(), cancellationToken);

    /// <summary>Frees the models that the explanation views keep loaded between calls.</summary>
    public void ReleaseModels() => LoadedModels.Clear();

    /// <summary>Frees the loaded models and the store entries read (their confidence matrices).</summary>
    public void Dispose()
    {
        LoadedModels.Dispose();
        ForgetEntries();
        ExplanationCache.Clear();
    }

    public override string ToString() =>
        $"Study of {_models.Count} model{(_models.Count == 1 ? "" : "s")} on {(HasDataset ? Dataset.Name : DataSpec.Default)}, store {Store.Root}";

    // ---- shared by the views' computations ----

    /// <summary>The entries of <paramref name="models"/>; a model without one is a <see cref="StudyNotEvaluatedException"/>.</summary>
    internal List<StoreEntry> EntriesOf(IReadOnlyList<StudyModel> models)
    {
        var entries = models.Select(EntryOf).ToList();
        var missing = models.Where((_, i) => entries[i] is null).Select(m => m.Name).ToList();
        if (missing.Count > 0) throw new StudyNotEvaluatedException(Dataset.Name, missing);
        return entries.Select(e => e!).ToList();
    }

    internal void EnsureModels()
    {
        if (_models.Count == 0) throw new StudyHasNoModelsException(ZooCatalog.Cards.Count > 0);
    }

    internal static void EnsureComplexity(StudyModel model)
    {
        if (model.Parameters is not null && model.Macs is not null) return;
        TorchRuntime.Initialize();
        using var loaded = model.Reference.Load();
        model.Parameters = loaded.Complexity.Parameters;
        model.Macs = loaded.Complexity.Macs;
    }

    internal ExplanationKey KeyOf(string view, StudyModel model, int image, string method, int target) =>
        new(view, model.CacheKey, Dataset.Fingerprint, image, method, target);

    internal Graph GraphOf(StoreEntry entry, ClassHierarchy hierarchy, TsneOptions? options, CancellationToken cancellationToken)
    {
        var n = hierarchy.ClassCount;
        options ??= n > 5 ? new TsneOptions() : new TsneOptions { Perplexity = (n - 1) / 2.0 };
        var key = (entry.Directory, entry.Meta.Model.WeightsSha256,
            $"{hierarchy.Name}|{string.Join("\u0001", hierarchy.Classes)}|{string.Join("\u0001", hierarchy.ClassNames)}|" +
            $"{string.Join("\u0001", hierarchy.Roots)}|{string.Join(",", hierarchy.RootIndices)}", options);
        lock (_graphs)
            if (_graphs.TryGetValue(key, out var hit)) return hit;
        var graph = Graph.Compute(entry, hierarchy, options, cancellationToken);
        lock (_graphs) _graphs[key] = graph;
        return graph;
    }

    internal int FirstImageOf(int classIndex)
    {
        var dataset = Dataset;
        for (var i = 0; i < dataset.Count; i++)
            if (dataset.Label(i) == classIndex) return i;
        throw new InvalidOperationException($"'{Hierarchy.ClassNames[classIndex]}' has no images in {dataset.Name}: choose an image by its index.");
    }

    internal void CheckImage(int index)
    {
        if (index < 0 || index >= Dataset.Count)
            throw new ArgumentException($"Image {index} is not an item of {Dataset.Name}: use 0 to {Dataset.Count - 1}.");
    }

    private StoreEntry Remember(StoreEntry entry)
    {
        lock (_entries)
        {
            if (_entries.TryGetValue(entry.Directory, out var known)) { entry.Dispose(); return known; }
            _entries[entry.Directory] = entry;
            return entry;
        }
    }

    private void ForgetEntries()
    {
        lock (_entries)
        {
            foreach (var entry in _entries.Values) entry.Dispose();
            _entries.Clear();
        }
    }
}

/// <summary>A study has no models yet (add zoo models or your own).</summary>
public sealed class StudyHasNoModelsException(bool zooShipped) : InvalidOperationException(zooShipped
    ? "The study has no models: add zoo models (Study.UseZoo) or your own (architecture + weights, Study.AddModel)."
    : "The study has no models, and this build ships no zoo weights: add your own (architecture + weights, Study.AddModel).")
{
    /// <summary>Whether this build ships zoo weights.</summary>
    public bool ZooShipped { get; } = zooShipped;
}

/// <summary>Some models of a study have no evaluation on its dataset yet.</summary>
public sealed class StudyNotEvaluatedException(string dataset, IReadOnlyList<string> models)
    : InvalidOperationException($"No evaluation on '{dataset}' yet for {string.Join(", ", models)}: evaluate the study first (Study.Evaluate).")
{
    /// <summary>The dataset's name.</summary>
    public string Dataset { get; } = dataset;

    /// <summary>The models without an evaluation.</summary>
    public IReadOnlyList<string> Models { get; } = models;
}
