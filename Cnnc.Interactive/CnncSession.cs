using Cnnc.Engine.Analysis;
using Cnnc.Engine.Data;
using Cnnc.Engine.Evaluation;
using Cnnc.Engine.Explain;
using Cnnc.Engine.Models;
using Cnnc.Engine.Runtime;
using Cnnc.Engine.Weights;
using Cnnc.Engine.Zoo;
using Graph = Cnnc.Engine.Analysis.DistributionGraph;

namespace Cnnc.Interactive;

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

/// <summary>One model of a session: how it is named and built, and its complexity once known.</summary>
public sealed class SessionModel
{
    private ModelIdentity? _identity;

    internal SessionModel(ModelReference reference, long? parameters = null, long? macs = null)
    {
        Reference = reference;
        Parameters = parameters;
        Macs = macs;
    }

    /// <summary>Display name (zoo name, or the name given when adding).</summary>
    public string Name => Reference.Name;

    /// <summary>Architecture name.</summary>
    public string Architecture => Reference.Architecture;

    /// <summary>Whether this is an embedded zoo model.</summary>
    public bool IsZoo => Reference.IsZoo;

    /// <summary>How the model is built and where its weights are.</summary>
    public ModelReference Reference { get; }

    /// <summary>Parameter count (known for zoo models; measured for others on first evaluation or overview).</summary>
    public long? Parameters { get; internal set; }

    /// <summary>Multiply-accumulates of one image at the model's input size (see <see cref="Parameters"/>).</summary>
    public long? Macs { get; internal set; }

    /// <summary>The predictions-store key: name, architecture and the SHA-256 of the weights (hashed once).</summary>
    public ModelIdentity Identity => _identity ??= new ModelIdentity(Name, Architecture, WeightsFile.Sha256(Reference.WeightsPath));

    public override string ToString() => $"{Name} ({Architecture}{(IsZoo ? ", zoo" : "")})";
}

/// <summary>Progress of a session evaluation: which model, and the engine's progress within it.</summary>
/// <param name="ModelIndex">0-based index of the model being evaluated.</param>
/// <param name="ModelCount">Models in the session.</param>
/// <param name="Model">Name of the model being evaluated.</param>
/// <param name="Engine">The engine's progress report for that model (null before its first batch).</param>
/// <param name="Stage">What is happening: "loading", "evaluating", "stored" (already in the store) or "done".</param>
public sealed record SessionProgress(int ModelIndex, int ModelCount, string Model, EvaluationProgress? Engine, string Stage);

/// <summary>
/// A comparative study: a set of models (the embedded zoo by default, or your own architecture + weights), a dataset
/// with its class hierarchy, and the predictions store their evaluations go to. The <c>#!cnnc</c> magic commands act on
/// <see cref="Current"/>; C# code can use it too (<c>var cnnc = CnncSession.Current; cnnc.Overview()</c>) or make its own.
/// </summary>
public sealed partial class CnncSession
{
    private readonly List<SessionModel> _models = new();
    private IImageDataset? _dataset;
    private ClassHierarchy? _hierarchy;
    private PredictionsStore? _store;
    private readonly object _cacheLock = new();
    private readonly Dictionary<(string Entry, string Weights, string Hierarchy, TsneOptions? Options), Graph> _graphs = new();
    private readonly Dictionary<(string Model, string Data, int Image, int Target, string Method, ExampleRenderOptions Render), ExplainerExample> _examples = new();

    /// <summary>
    /// The explainers view D uses by default: the paper's five without BBMP, whose 300 optimisation steps take
    /// seconds per model even at zoo scale (add it with <c>--methods paper</c>, or name methods).
    /// </summary>
    public static IReadOnlyList<string> DefaultExplainers { get; } = new[] { "gradcam", "gradcam++", "smoothgradcam++", "scorecam" };

    /// <summary>The paper's five explainers (Grad-CAM, Grad-CAM++, Smooth Grad-CAM++, Score-CAM, BBMP).</summary>
    public static IReadOnlyList<string> PaperExplainers { get; } = ExplainerCatalog.Names.Take(5).ToArray();

    /// <summary>
    /// Explainer names from a comma-separated list: method names as <see cref="ExplainerCatalog"/> accepts them,
    /// <c>default</c>, <c>paper</c> (the paper's five) or <c>all</c> (every built-in method); duplicates dropped. Empty:
    /// <see cref="DefaultExplainers"/>. An unknown name is an error listing the known ones.
    /// </summary>
    public static IReadOnlyList<string> ParseExplainers(string? list)
    {
        var names = new List<string>();
        foreach (var item in (list ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var expanded = item.ToLowerInvariant() switch
            {
                "default" => DefaultExplainers,
                "paper" => PaperExplainers,
                "all" => ExplainerCatalog.Names,
                _ => new[] { ExplainerCatalog.Create(item).Name },
            };
            foreach (var name in expanded)
                if (!names.Contains(name)) names.Add(name);
        }
        return names.Count == 0 ? DefaultExplainers : names;
    }

    /// <summary>The session the <c>#!cnnc</c> commands use.</summary>
    public static CnncSession Current { get; internal set; } = new();

    /// <summary>Default predictions store: <c>$CNNC_STORE</c>, else <c>~/.cache/cnnc/store</c> (the CLI's default too).</summary>
    public static string DefaultStorePath =>
        Environment.GetEnvironmentVariable("CNNC_STORE") is { Length: > 0 } store
            ? store
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "cnnc", "store");

    /// <summary>The models, in the order they were added.</summary>
    public IReadOnlyList<SessionModel> Models => _models;

    /// <summary>The dataset (default: the Fashion-MNIST test set, the zoo's).</summary>
    public IImageDataset Dataset => _dataset ??= IdxDataset.FashionMnist();

    /// <summary>Whether a dataset was chosen or opened already (the default opens on first use).</summary>
    public bool HasDataset => _dataset is not null;

    /// <summary>The class hierarchy used for root-class accuracies (default: the dataset's).</summary>
    public ClassHierarchy Hierarchy => _hierarchy ?? Dataset.Hierarchy;

    /// <summary>Where evaluations are stored (default <see cref="DefaultStorePath"/>).</summary>
    public PredictionsStore Store => _store ??= new PredictionsStore(DefaultStorePath);

    /// <summary>Names of the zoo models this build ships.</summary>
    public static IReadOnlyList<string> ZooModelNames => ZooCatalog.Cards.Select(c => c.Name).ToList();

    /// <summary>Removes every model.</summary>
    public CnncSession ClearModels()
    {
        _models.Clear();
        return this;
    }

    /// <summary>
    /// Adds zoo models by name (none given: every model this build ships). An unknown name is an error listing the
    /// shipped ones; a model already in the session is not added twice.
    /// </summary>
    public CnncSession UseZoo(params string[] names)
    {
        var cards = names.Length == 0 ? ZooCatalog.Cards : names.Select(ZooCatalog.Card).ToList();
        foreach (var card in cards)
        {
            if (Find(card.Name) is not null) continue;
            _models.Add(new SessionModel(ModelReference.Zoo(card.Name), card.Parameters, card.Macs));
        }
        return this;
    }

    /// <summary>Adds a model by reference (zoo or file). Names must be unique in the session.</summary>
    public SessionModel AddModel(ModelReference reference)
    {
        if (Find(reference.Name) is { } existing)
            throw new ArgumentException($"The session already has a model named '{existing.Name}'; give this one another name.");
        var card = reference.IsZoo ? ZooCatalog.Card(reference.Name) : null;
        var model = new SessionModel(reference, card?.Parameters, card?.Macs);
        _models.Add(model);
        return model;
    }

    /// <summary>
    /// Adds your own weights for one of the 13 architectures. Without <paramref name="options"/>, a 1-channel 28×28
    /// model is assumed when the session's dataset is the zoo's (Fashion-MNIST), ImageNet's otherwise; the
    /// preprocessing follows the options (Fashion-MNIST for 1×28×28, ImageNet's otherwise) unless given.
    /// </summary>
    public SessionModel AddModel(string architecture, string weightsPath, ArchitectureOptions? options = null,
        Preprocessing? preprocessing = null, string? name = null)
    {
        options ??= ArchitectureOptions.ImageNet;
        preprocessing ??= options.InputChannels == 1 && options.InputSize == 28 ? ZooCatalog.Preprocessing : Preprocessing.ImageNet;
        var reference = ModelReference.FromFile(architecture, weightsPath, options, preprocessing,
            name ?? $"{ArchitectureCatalog.Get(architecture).Name}:{Path.GetFileNameWithoutExtension(weightsPath)}");
        return AddModel(reference);
    }

    /// <summary>Uses <paramref name="dataset"/> (and its hierarchy, unless a hierarchy is chosen after).</summary>
    public CnncSession UseDataset(IImageDataset dataset)
    {
        _dataset = dataset;
        _hierarchy = null;
        return this;
    }

    /// <summary>
    /// Opens a dataset from a spec: <c>fashion-mnist[:test|:train]</c>, <c>folder:PATH</c> (one sub-folder per class)
    /// or <c>imagenet-val:PATH</c> (ILSVRC2012 validation layout), as the CLI's <c>--data</c>.
    /// </summary>
    public CnncSession UseData(string spec) => UseDataset(DataSpec.Open(spec));

    /// <summary>Groups the dataset's classes into roots from a <c>.json</c> or CSV hierarchy file.</summary>
    public CnncSession UseHierarchy(string path) =>
        UseHierarchy(ClassHierarchy.Load(path, Dataset.Classes, Dataset.Hierarchy.ClassNames));

    /// <summary>Uses <paramref name="hierarchy"/> for root-class accuracies; it must match the dataset's classes.</summary>
    public CnncSession UseHierarchy(ClassHierarchy hierarchy)
    {
        hierarchy.EnsureMatches(Dataset.Classes, Dataset.Name);
        _hierarchy = hierarchy;
        return this;
    }

    /// <summary>Stores evaluations under <paramref name="folder"/>.</summary>
    public CnncSession UseStore(string folder)
    {
        _store = new PredictionsStore(folder);
        return this;
    }

    /// <summary>The model named <paramref name="name"/> (case-insensitive), or null.</summary>
    public SessionModel? Find(string name) =>
        _models.FirstOrDefault(m => m.Name.Equals(name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The model named <paramref name="name"/>; an unknown name is an error listing the session's models.</summary>
    public SessionModel Model(string name) =>
        Find(name) ?? throw new ArgumentException(_models.Count == 0
            ? $"Unknown model '{name}': the session has no models yet."
            : $"Unknown model '{name}'. Models in this session: {string.Join(", ", _models.Select(m => m.Name))}.");

    /// <summary>The evaluation source of a model: the dataset preprocessed the way the model expects.</summary>
    public DatasetEvaluationSource SourceFor(SessionModel model) => new(Dataset, model.Reference.Preprocessing);

    /// <summary>The stored evaluation of <paramref name="model"/> on the session's dataset, or null if there is none yet.</summary>
    public StoreEntry? EntryOf(SessionModel model) => Store.TryGet(model.Identity, SourceFor(model).Identity);

    /// <summary>Models that have no complete evaluation on the session's dataset yet.</summary>
    public IReadOnlyList<SessionModel> Unevaluated() => _models.Where(m => EntryOf(m) is null).ToList();

    /// <summary>
    /// Evaluates every model that the store does not have yet (resuming unfinished ones), reporting progress; stops
    /// between batches when <paramref name="cancellationToken"/> is cancelled (finished chunks stay stored).
    /// </summary>
    public IReadOnlyList<StoreEntry> Evaluate(IProgress<SessionProgress>? progress = null,
        CancellationToken cancellationToken = default, int batchSize = 64)
    {
        EnsureModels();
        TorchRuntime.Initialize();
        var entries = new List<StoreEntry>();
        for (var i = 0; i < _models.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var model = _models[i];
            var source = SourceFor(model);
            var existing = Store.TryGet(model.Identity, source.Identity);
            if (existing is not null && model.Parameters is not null)
            {
                progress?.Report(new SessionProgress(i, _models.Count, model.Name, null, "stored"));
                entries.Add(existing);
                continue;
            }
            progress?.Report(new SessionProgress(i, _models.Count, model.Name, null, "loading"));
            using var loaded = model.Reference.Load(TorchRuntime.DefaultDevice);
            if (model.Parameters is null || model.Macs is null)
            {
                model.Parameters = loaded.Complexity.Parameters;
                model.Macs = loaded.Complexity.Macs;
            }
            var index = i;
            var engineProgress = progress is null ? null : new InlineProgress<EvaluationProgress>(p =>
                progress.Report(new SessionProgress(index, _models.Count, model.Name, p, "evaluating")));
            var entry = existing ?? Evaluator.Evaluate(loaded.Module, loaded.Identity, source, Store,
                new EvaluationOptions { BatchSize = batchSize }, engineProgress, cancellationToken)
                ?? throw new InvalidOperationException($"The evaluation of '{model.Name}' did not complete.");
            entries.Add(entry);
        }
        progress?.Report(new SessionProgress(_models.Count, _models.Count, "", null, "done"));
        return entries;
    }

    /// <summary>Runs <see cref="Evaluate"/> on a worker thread.</summary>
    public Task<IReadOnlyList<StoreEntry>> EvaluateAsync(IProgress<SessionProgress>? progress = null,
        CancellationToken cancellationToken = default, int batchSize = 64) =>
        Task.Run(() => Evaluate(progress, cancellationToken, batchSize), cancellationToken);

    /// <summary>
    /// Phase 1 of the paper (overview): every model's accuracy and complexity, per root and leaf class, the classes
    /// where models diverge, agree, or all do well or badly (A1–A4, E), each model's distribution graph (B) and
    /// explanation examples (D). Every model must have been evaluated (<see cref="Evaluate"/>); the first model and the
    /// first root are pinned unless named. A <paramref name="highlight"/> class is marked in A3/A4/B and its root pinned
    /// (unless <paramref name="root"/> is given).
    /// </summary>
    /// <param name="complexity">x axis of A1.</param>
    /// <param name="pin">Model pinned at first.</param>
    /// <param name="root">Root class pinned at first.</param>
    /// <param name="spotlightCount">Classes per group in E.</param>
    /// <param name="highlight">Leaf class to mark.</param>
    /// <param name="explain">Which models D explains (default the pinned one; <see cref="ExplainScope.None"/> loads no model).</param>
    /// <param name="image">Dataset item D explains; default the first image of <paramref name="highlight"/>, else of
    /// the pinned root's first class.</param>
    /// <param name="methods">Explainers of D (default <see cref="DefaultExplainers"/>).</param>
    /// <param name="cancellationToken">Stops the explainers between passes.</param>
    public Overview Overview(ComplexityMeasure complexity = ComplexityMeasure.Parameters, string? pin = null,
        string? root = null, int spotlightCount = 3, string? highlight = null, ExplainScope explain = ExplainScope.Pinned,
        int? image = null, IEnumerable<string>? methods = null, CancellationToken cancellationToken = default)
    {
        EnsureModels();
        var methodList = methods is null ? DefaultExplainers : ParseExplainers(string.Join(",", methods));
        var missing = Unevaluated();
        if (missing.Count > 0)
            throw new InvalidOperationException(
                $"No evaluation on '{Dataset.Name}' yet for {string.Join(", ", missing.Select(m => m.Name))}: " +
                "run '#!cnnc evaluate' (or cnnc.Evaluate()) first.");
        if (image is { } requested) CheckImage(requested);
        var hierarchy = Hierarchy;
        var summaries = new List<ModelSummary>();
        var entries = new List<StoreEntry>();
        foreach (var model in _models)
        {
            var entry = EntryOf(model)!;
            entries.Add(entry);
            EnsureComplexity(model);
            var accuracy = AccuracyMetrics.Compute(entry, hierarchy.RootNameOf, hierarchy.Roots);
            summaries.Add(new ModelSummary(model.Name, model.Architecture, model.Parameters!.Value, model.Macs!.Value,
                entry.Meta.Timing, accuracy, model.IsZoo));
        }
        var first = entries[0];
        var overview = new Overview(first.Meta.Dataset.Name, first.Meta.Dataset.Count, hierarchy, summaries, complexity,
            pin ?? summaries[0].Name, root ?? hierarchy.Roots[0], spotlightCount);
        if (highlight is not null)
        {
            overview = overview.Highlight(highlight);
            if (root is not null) overview = overview.Pin(root: root);
        }

        var graphs = entries.Select(e => hierarchy.ClassCount >= 2 ? GraphOf(e, hierarchy, null, cancellationToken) : null).ToList();
        var explained = new List<ExplanationExamples>();
        if (explain != ExplainScope.None)
        {
            var item = image ?? FirstImageOf(overview.HighlightedClass ?? hierarchy.ClassesOf(overview.PinnedRoot)[0]);
            var targets = explain == ExplainScope.All ? _models : new List<SessionModel> { Model(overview.PinnedModel) };
            foreach (var model in targets)
                explained.Add(Explanations(model, item, methodList, null, cancellationToken));
        }
        return overview.WithViews(graphs, explain, explained, methodList);
    }

    /// <summary>
    /// View B for one model: its distribution graph (paper 4.2, Algorithm 1 + t-SNE, coloured by the session's root
    /// classes), from its stored evaluation. Seeded (<see cref="TsneOptions.Seed"/>), so the same store gives the same
    /// picture; computed once per store entry and hierarchy and kept in the session. Displays as a zoomable chart.
    /// </summary>
    /// <param name="model">Session model name.</param>
    /// <param name="options">t-SNE settings; default VAC-CNN's (perplexity 5, lowered below the class count for
    /// fewer than 6 classes).</param>
    public Graph DistributionGraph(string model, TsneOptions? options = null)
    {
        var sessionModel = Model(model);
        var entry = EntryOf(sessionModel) ?? throw new InvalidOperationException(
            $"No evaluation of '{sessionModel.Name}' on '{Dataset.Name}' yet: run '#!cnnc evaluate' (or cnnc.Evaluate()) first.");
        if (Hierarchy.ClassCount < 2) throw new InvalidOperationException("A distribution graph needs at least 2 classes.");
        return GraphOf(entry, Hierarchy, options, CancellationToken.None);
    }

    /// <summary>
    /// View D for one model: explanation examples of one dataset item (default: the first image of
    /// <paramref name="className"/>, else item 0) by each method (default <see cref="DefaultExplainers"/>), for the
    /// item's own class, drawn as heatmaps with contours. Each (model, image, method) is computed once per session.
    /// </summary>
    public ExplanationExamples Explanations(string model, int? image = null, string? className = null,
        IEnumerable<string>? methods = null, ExampleRenderOptions? render = null, CancellationToken cancellationToken = default)
    {
        var sessionModel = Model(model);
        var methodList = methods is null ? DefaultExplainers : ParseExplainers(string.Join(",", methods));
        int item;
        if (image is { } index)
        {
            CheckImage(index);
            item = index;
        }
        else if (className is not null)
        {
            if (!Hierarchy.TryIndexOfClass(className, out var c, out var error)) throw new ArgumentException(error);
            item = FirstImageOf(c);
        }
        else item = 0;
        return Explanations(sessionModel, item, methodList, render, cancellationToken);
    }

    private ExplanationExamples Explanations(SessionModel model, int item, IReadOnlyList<string> methods,
        ExampleRenderOptions? render, CancellationToken cancellationToken)
    {
        render ??= ExampleRenderOptions.Default;
        var dataset = Dataset;
        var target = dataset.Label(item);
        var identity = model.Identity.Key + "|" + model.Reference.Preprocessing.Key;
        var data = dataset.Fingerprint;
        var results = new ExplainerExample?[methods.Count];
        var cached = new bool[methods.Count];
        lock (_cacheLock)
            for (var i = 0; i < methods.Count; i++)
                if (_examples.TryGetValue((identity, data, item, target, methods[i], render), out var hit))
                    (results[i], cached[i]) = (hit, true);
        TorchRuntime.Initialize();
        using var image = dataset.Load(item);
        using var display = model.Reference.Preprocessing.Geometry(image);
        var (height, width) = ((int)display.shape[1], (int)display.shape[2]);
        var scale = render.ScaleFor(height, width);
        if (results.Any(r => r is null))
        {
            using var loaded = model.Reference.Load(TorchRuntime.DefaultDevice);
            for (var i = 0; i < methods.Count; i++)
            {
                if (results[i] is not null) continue;
                cancellationToken.ThrowIfCancellationRequested();
                var example = ExplainerExamples.Explain(loaded, display, target, methods[i], render, cancellationToken);
                results[i] = example;
                if (example.Succeeded)
                    lock (_cacheLock) _examples[(identity, data, item, target, methods[i], render)] = example;
            }
        }
        return new ExplanationExamples(model.Name, item, dataset.Describe(item), target, Hierarchy.ClassNames[target],
            Hierarchy.RootNameOf(target), Hierarchy.ClassNames, ExplainerExamples.ImagePng(display, scale), width * scale, height * scale,
            render.Threshold, results.Select(r => r!).ToList(), cached);
    }

    private Graph GraphOf(StoreEntry entry, ClassHierarchy hierarchy, TsneOptions? options, CancellationToken cancellationToken)
    {
        var n = hierarchy.ClassCount;
        options ??= n > 5 ? new TsneOptions() : new TsneOptions { Perplexity = (n - 1) / 2.0 };
        var key = (entry.Directory, entry.Meta.Model.WeightsSha256,
            $"{hierarchy.Name}|{string.Join("\u0001", hierarchy.Classes)}|{string.Join("\u0001", hierarchy.ClassNames)}|" +
            $"{string.Join("\u0001", hierarchy.Roots)}|{string.Join(",", hierarchy.RootIndices)}", (TsneOptions?)options);
        lock (_cacheLock)
            if (_graphs.TryGetValue(key, out var hit)) return hit;
        var graph = Graph.Compute(entry, hierarchy, options, cancellationToken);
        lock (_cacheLock) _graphs[key] = graph;
        return graph;
    }

    private int FirstImageOf(int classIndex)
    {
        var dataset = Dataset;
        for (var i = 0; i < dataset.Count; i++)
            if (dataset.Label(i) == classIndex) return i;
        throw new InvalidOperationException($"'{Hierarchy.ClassNames[classIndex]}' has no images in {dataset.Name}: choose one with --image INDEX.");
    }

    private void CheckImage(int index)
    {
        if (index < 0 || index >= Dataset.Count)
            throw new ArgumentException($"Image {index} is not an item of {Dataset.Name}: use 0 to {Dataset.Count - 1}.");
    }

    private void EnsureModels()
    {
        if (_models.Count > 0) return;
        throw new InvalidOperationException(ZooCatalog.Cards.Count == 0
            ? "The session has no models, and this build ships no zoo weights: add your own with " +
              "'#!cnnc add --arch ARCH --weights FILE' (or cnnc.AddModel(...))."
            : "The session has no models: run '#!cnnc setup' (the zoo) or '#!cnnc add --arch ARCH --weights FILE'.");
    }

    private static void EnsureComplexity(SessionModel model)
    {
        if (model.Parameters is not null && model.Macs is not null) return;
        TorchRuntime.Initialize();
        using var loaded = model.Reference.Load();
        model.Parameters = loaded.Complexity.Parameters;
        model.Macs = loaded.Complexity.Macs;
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}

/// <summary>Parses dataset specs: fashion-mnist[:test|:train], folder:PATH, imagenet-val:PATH.</summary>
public static class DataSpec
{
    /// <summary>Help text for the spec.</summary>
    public const string Help = "fashion-mnist[:test|:train] (default), folder:PATH (one sub-folder per class), " +
                               "imagenet-val:PATH (ILSVRC2012 validation layout)";

    /// <summary>Spec values offered as completions.</summary>
    public static IReadOnlyList<string> Examples { get; } = new[] { "fashion-mnist", "fashion-mnist:train", "folder:", "imagenet-val:" };

    /// <summary>Opens the dataset a spec names; an unknown spec is an error showing the forms.</summary>
    public static IImageDataset Open(string spec)
    {
        var (kind, argument) = spec.IndexOf(':') is var i and > 0 ? (spec[..i], spec[(i + 1)..]) : (spec, "");
        return kind.ToLowerInvariant() switch
        {
            "fashion-mnist" => IdxDataset.FashionMnist(argument switch
            {
                "" or "test" => DatasetSplit.Test,
                "train" => DatasetSplit.Train,
                _ => throw new ArgumentException($"Unknown Fashion-MNIST split '{argument}': use test or train."),
            }),
            "folder" => new ImageFolderDataset(Required(argument, spec)),
            "imagenet-val" => new ImageNetValDataset(Required(argument, spec)),
            _ => throw new ArgumentException($"Unknown dataset '{spec}'. Use {Help}."),
        };
    }

    private static string Required(string path, string spec) =>
        path.Length > 0 ? path : throw new ArgumentException($"Dataset '{spec}' needs a path, e.g. {spec}/data/images.");
}
