using System.Text.Json;
using Cnnc.Engine.Analysis;
using Cnnc.Engine.Data;
using Cnnc.Engine.Explain;
using Cnnc.Engine.IO;
using static TorchSharp.torch;

namespace Cnnc.Engine.Evaluation;

/// <summary>Which class a precomputed explanation explains for each image.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(ExplanationTargetJson))]
public enum ExplanationTarget
{
    /// <summary>The image's own class (what the notebook's explanation views show).</summary>
    Label,

    /// <summary>The class the model predicts.</summary>
    Predicted,
}

/// <summary>Writes <see cref="ExplanationTarget"/> as "label" / "predicted" in meta.json.</summary>
internal sealed class ExplanationTargetJson() : System.Text.Json.Serialization.JsonStringEnumConverter<ExplanationTarget>(JsonNamingPolicy.SnakeCaseLower);

/// <summary>The images an explanation entry covers: a name (part of the entry's key) and sorted, distinct dataset indices.</summary>
public sealed class ExplanationSelection
{
    private ExplanationSelection(string name, int[] indices)
    {
        Name = name;
        Indices = indices;
    }

    /// <summary>"all", "images-START-END" or "class-NAME".</summary>
    public string Name { get; }

    /// <summary>Dataset indices, ascending.</summary>
    public IReadOnlyList<int> Indices { get; }

    /// <summary>Every image of a dataset of <paramref name="count"/> images.</summary>
    public static ExplanationSelection All(int count) => new("all", Enumerable.Range(0, count).ToArray());

    /// <summary>Images <paramref name="start"/> (inclusive) to <paramref name="end"/> (exclusive), as in a Python slice.</summary>
    public static ExplanationSelection Range(int start, int end, int count)
    {
        if (start < 0 || end > count || start >= end)
            throw new ArgumentException($"Image range {start}:{end} is not a non-empty part of 0:{count} (START:END, END exclusive).");
        return new($"images-{start}-{end}", Enumerable.Range(start, end - start).ToArray());
    }

    /// <summary>Every image whose label is class <paramref name="classIndex"/> of <paramref name="dataset"/>.</summary>
    public static ExplanationSelection OfClass(IImageDataset dataset, int classIndex)
    {
        var indices = Enumerable.Range(0, dataset.Count).Where(i => dataset.Label(i) == classIndex).ToArray();
        var name = dataset.Hierarchy.ClassNames[classIndex];
        if (indices.Length == 0) throw new ArgumentException($"Class '{name}' has no images in {dataset.Name}.");
        return new($"class-{ModelIdentity.Sanitize(dataset.Classes[classIndex])}", indices);
    }

    /// <summary>The syntax <see cref="Parse"/> accepts.</summary>
    public const string Help = "all (default), START:END (dataset indices, END exclusive) or class:NAME";

    /// <summary>Parses "all", "START:END" or "class:NAME" against <paramref name="dataset"/>.</summary>
    public static ExplanationSelection Parse(string text, IImageDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Equals("all", StringComparison.OrdinalIgnoreCase)) return All(dataset.Count);
        if (text.StartsWith("class:", StringComparison.OrdinalIgnoreCase))
        {
            if (!dataset.Hierarchy.TryIndexOfClass(text["class:".Length..], out var c, out var error)) throw new ArgumentException(error!);
            return OfClass(dataset, c);
        }
        var parts = text.Split(':');
        if (parts.Length == 2 && int.TryParse(parts[0], out var start) && int.TryParse(parts[1], out var end))
            return Range(start, end, dataset.Count);
        throw new ArgumentException($"Invalid image selection '{text}': use {Help}.");
    }
}

/// <summary>What one explanation entry holds: a method (and its layer) and a target rule, over a selection of images.</summary>
/// <param name="Method">Canonical method name (<see cref="ExplainerCatalog"/>).</param>
/// <param name="Layer">Target layer module path; null for methods that use none.</param>
/// <param name="Target">Which class each image's explanation is of.</param>
/// <param name="Selection">The images.</param>
public sealed record ExplanationRequest(string Method, string? Layer, ExplanationTarget Target, ExplanationSelection Selection)
{
    /// <summary>Folder name of the entry: method[@layer]-target-selection.</summary>
    public string Key => $"{ModelIdentity.Sanitize(Method)}{(Layer is null ? "" : "@" + ModelIdentity.Sanitize(Layer))}-" +
                         $"{Target.ToString().ToLowerInvariant()}-{Selection.Name}";

    /// <summary>
    /// A request with the method's canonical name and, for methods that read a layer, <paramref name="layer"/> or the
    /// model's default target layer (an unknown method lists the known ones).
    /// </summary>
    public static ExplanationRequest Resolve(TorchSharp.torch.nn.Module model, string method, string? layer,
        ExplanationTarget target, ExplanationSelection selection)
    {
        var explainer = ExplainerCatalog.Create(method);
        return new(explainer.Name, explainer.UsesLayer ? layer ?? Explainer.DefaultLayer(model) : null, target, selection);
    }
}

/// <summary>The metadata of a complete explanation entry (meta.json).</summary>
public sealed record ExplanationEntryMeta(
    ModelIdentity Model, DatasetIdentity Dataset, string Method, string? Layer, ExplanationTarget Target, string Selection,
    int Count, int ChunkSize, int ReadableCount, double? MillisecondsPerImage, string? Device, DateTimeOffset CompletedAt,
    string Format = ExplanationStore.FormatVersion);

/// <summary>
/// A complete explanation entry: per image of its selection the explained class, the scores and both maps. The small
/// per-image arrays are read at once; a map is read from disk when asked for (one row of <c>maps.npy</c>).
/// </summary>
public sealed class ExplanationEntry
{
    internal ExplanationEntry(string directory, ExplanationEntryMeta meta)
    {
        Directory = directory;
        Meta = meta;
        Indices = Ints(ExplanationStore.IndicesFile);
        Targets = Ints(ExplanationStore.TargetsFile);
        Predictions = Ints(ExplanationStore.PredictionsFile);
        Scores = Floats(ExplanationStore.ScoresFile);
        Probabilities = Floats(ExplanationStore.ProbabilitiesFile);
        PredictionProbabilities = Floats(ExplanationStore.PredictionProbabilitiesFile);
        using (var readable = Npy.Read(Path.Combine(directory, ExplanationStore.ReadableFile))) Readable = readable.data<bool>().ToArray();
        Errors = JsonSerializer.Deserialize<List<ItemError>>(
            File.ReadAllText(Path.Combine(directory, ChunkedEntry.ErrorsFile)), PredictionsStore.Json) ?? new();
    }

    /// <summary>Folder of the entry.</summary>
    public string Directory { get; }

    /// <summary>What was explained, for which images, when, and how fast.</summary>
    public ExplanationEntryMeta Meta { get; }

    /// <summary>Dataset index of each row, ascending.</summary>
    public int[] Indices { get; }

    /// <summary>Class explained per row (-1 for unreadable images).</summary>
    public int[] Targets { get; }

    /// <summary>The model's prediction per row (-1 for unreadable images).</summary>
    public int[] Predictions { get; }

    /// <summary>The model's score (logit) of the target class per row.</summary>
    public float[] Scores { get; }

    /// <summary>Softmax probability of the target class per row.</summary>
    public float[] Probabilities { get; }

    /// <summary>Softmax probability of the predicted class per row.</summary>
    public float[] PredictionProbabilities { get; }

    /// <summary>Whether each row's image could be read.</summary>
    public bool[] Readable { get; }

    /// <summary>Images that could not be read, with reasons.</summary>
    public IReadOnlyList<ItemError> Errors { get; }

    /// <summary>The row of dataset image <paramref name="image"/>, or -1 when the selection does not hold it.</summary>
    public int RowOf(int image) => Array.BinarySearch(Indices, image) is var row and >= 0 ? row : -1;

    /// <summary>
    /// The stored explanation of dataset image <paramref name="image"/>, equal to what the explainer computed; null when
    /// the entry's selection does not hold the image or the image was unreadable.
    /// </summary>
    public Explanation? Get(int image)
    {
        var row = RowOf(image);
        if (row < 0 || !Readable[row]) return null;
        using var map = Npy.ReadRows(Path.Combine(Directory, ExplanationStore.MapsFile), row, 1);
        using var raw = Npy.ReadRows(Path.Combine(Directory, ExplanationStore.RawFile), row, 1);
        return new Explanation(Meta.Method, Meta.Layer, Targets[row], Scores[row], Probabilities[row], Predictions[row],
            PredictionProbabilities[row], Map2D.FromTensor(map), Map2D.FromTensor(raw));
    }

    private int[] Ints(string file)
    {
        using var t = Npy.Read(Path.Combine(Directory, file));
        return t.data<long>().ToArray().Select(v => (int)v).ToArray();
    }

    private float[] Floats(string file)
    {
        using var t = Npy.Read(Path.Combine(Directory, file));
        return t.data<float>().ToArray();
    }
}

/// <summary>
/// Precomputed explanations in the predictions store's folder, with the same discipline (<see cref="ChunkedEntry"/>):
/// chunks of a selection written atomically, resumed after a kill, shared out between shards, merged by whoever finds
/// them all and marked complete by meta.json written last. Readable with numpy alone.
/// </summary>
/// <remarks>
/// Layout: <c>&lt;root&gt;/&lt;dataset key&gt;/&lt;model key&gt;/explanations/&lt;method[@layer]-target-selection&gt;/</c> with
/// <c>indices.npy</c> (int64 M: dataset index per row), <c>maps.npy</c> (float32 M×H×W, the [0, 1] maps at input
/// resolution), <c>raw.npy</c> (float32 M×h×w, the method's own maps), <c>targets.npy</c>, <c>predictions.npy</c>
/// (int64 M), <c>scores.npy</c>, <c>probabilities.npy</c>, <c>prediction_probabilities.npy</c> (float32 M),
/// <c>readable.npy</c> (bool M), <c>errors.json</c> and, last, <c>meta.json</c>; unreadable images have zero rows.
/// </remarks>
public sealed class ExplanationStore
{
    internal const string FormatVersion = "cnnc-explanations-1";
    internal const string Folder = "explanations", IndicesFile = "indices.npy", MapsFile = "maps.npy", RawFile = "raw.npy",
        TargetsFile = "targets.npy", PredictionsFile = "predictions.npy", ScoresFile = "scores.npy",
        ProbabilitiesFile = "probabilities.npy", PredictionProbabilitiesFile = "prediction_probabilities.npy",
        ReadableFile = "readable.npy";

    /// <summary>The arrays of an entry, in the order chunks hold them.</summary>
    internal static readonly string[] ArrayFiles =
    {
        IndicesFile, MapsFile, RawFile, TargetsFile, PredictionsFile, ScoresFile, ProbabilitiesFile, PredictionProbabilitiesFile,
        ReadableFile,
    };

    /// <summary>Opens (creating if needed) the explanations of the store rooted at <paramref name="root"/>.</summary>
    public ExplanationStore(string root)
    {
        Root = Path.GetFullPath(root);
        Directory.CreateDirectory(Root);
    }

    /// <summary>The store's folder (the predictions store's).</summary>
    public string Root { get; }

    /// <summary>The folder of one explanation entry.</summary>
    public string EntryDirectory(ModelIdentity model, DatasetIdentity dataset, ExplanationRequest request) =>
        Path.Combine(Root, dataset.Key, model.Key, Folder, request.Key);

    /// <summary>The complete entry, or null when it does not exist or is unfinished.</summary>
    public ExplanationEntry? TryGet(ModelIdentity model, DatasetIdentity dataset, ExplanationRequest request) =>
        Read(EntryDirectory(model, dataset, request));

    /// <summary>All complete explanation entries of one model on one dataset.</summary>
    public IReadOnlyList<ExplanationEntry> List(ModelIdentity model, DatasetIdentity dataset)
    {
        var dir = Path.Combine(Root, dataset.Key, model.Key, Folder);
        if (!Directory.Exists(dir)) return Array.Empty<ExplanationEntry>();
        return Directory.EnumerateDirectories(dir).Order(StringComparer.Ordinal).Select(Read).OfType<ExplanationEntry>().ToList();
    }

    /// <summary>
    /// A stored explanation of dataset image <paramref name="image"/> by <paramref name="method"/> (any name
    /// <see cref="ExplainerCatalog"/> accepts; <paramref name="layer"/> null: any layer) of class
    /// <paramref name="targetClass"/> (null: any), from any complete entry holding it; null when none does.
    /// </summary>
    public Explanation? Find(ModelIdentity model, DatasetIdentity dataset, string method, string? layer, int image, int? targetClass = null)
    {
        var canonical = ExplainerCatalog.Create(method).Name;
        foreach (var entry in List(model, dataset))
        {
            if (entry.Meta.Method != canonical || (layer is not null && entry.Meta.Layer != layer)) continue;
            var row = entry.RowOf(image);
            if (row < 0 || !entry.Readable[row] || (targetClass is { } t && entry.Targets[row] != t)) continue;
            return entry.Get(image);
        }
        return null;
    }

    internal ChunkedEntry Chunks(ModelIdentity model, DatasetIdentity dataset, ExplanationRequest request) =>
        new(EntryDirectory(model, dataset, request));

    internal void EnsureDatasetFile(DatasetIdentity dataset)
    {
        var file = Path.Combine(Root, dataset.Key, PredictionsStore.DatasetFile);
        if (!File.Exists(file)) AtomicFile.CreateNew(file, JsonSerializer.Serialize(dataset, PredictionsStore.Json));
    }

    private static ExplanationEntry? Read(string directory)
    {
        var metaPath = Path.Combine(directory, ChunkedEntry.MetaFile);
        if (!File.Exists(metaPath)) return null;
        var meta = JsonSerializer.Deserialize<ExplanationEntryMeta>(File.ReadAllText(metaPath), PredictionsStore.Json)
                   ?? throw new InvalidDataException($"{metaPath}: empty metadata.");
        if (meta.Format != FormatVersion) throw new InvalidDataException($"{metaPath}: unknown explanation format '{meta.Format}'.");
        return new ExplanationEntry(directory, meta);
    }
}
