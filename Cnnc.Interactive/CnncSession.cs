using Cnnc.Engine.Analysis;
using Cnnc.Engine.Data;
using Cnnc.Engine.Evaluation;
using Cnnc.Engine.Models;
using Cnnc.Engine.Runtime;
using Cnnc.Engine.Weights;
using Cnnc.Engine.Zoo;

namespace Cnnc.Interactive;

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
    /// Phase 1 of the paper (overview): every model's accuracy and complexity, per root and leaf class, and the classes
    /// where models diverge, agree, or all do well or badly. Every model must have been evaluated
    /// (<see cref="Evaluate"/>); the first model and the first root are pinned unless named. A
    /// <paramref name="highlight"/> class is marked in A3/A4 and its root pinned (unless <paramref name="root"/> is given).
    /// </summary>
    public Overview Overview(ComplexityMeasure complexity = ComplexityMeasure.Parameters, string? pin = null,
        string? root = null, int spotlightCount = 3, string? highlight = null)
    {
        EnsureModels();
        var missing = Unevaluated();
        if (missing.Count > 0)
            throw new InvalidOperationException(
                $"No evaluation on '{Dataset.Name}' yet for {string.Join(", ", missing.Select(m => m.Name))}: " +
                "run '#!cnnc evaluate' (or cnnc.Evaluate()) first.");
        var hierarchy = Hierarchy;
        var summaries = new List<ModelSummary>();
        foreach (var model in _models)
        {
            var entry = EntryOf(model)!;
            EnsureComplexity(model);
            var accuracy = AccuracyMetrics.Compute(entry, hierarchy.RootNameOf, hierarchy.Roots);
            summaries.Add(new ModelSummary(model.Name, model.Architecture, model.Parameters!.Value, model.Macs!.Value,
                entry.Meta.Timing, accuracy, model.IsZoo));
        }
        var first = EntryOf(_models[0])!;
        var overview = new Overview(first.Meta.Dataset.Name, first.Meta.Dataset.Count, hierarchy, summaries, complexity,
            pin ?? summaries[0].Name, root ?? hierarchy.Roots[0], spotlightCount);
        if (highlight is null) return overview;
        overview = overview.Highlight(highlight);
        return root is null ? overview : overview.Pin(root: root);
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
