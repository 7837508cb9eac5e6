using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Weights;

/// <summary>How <see cref="WeightsLoader"/> applies a state dict.</summary>
/// <param name="Strict">
/// True (default): the file's keys must equal the model's state-dict keys exactly. False: keys only in the model
/// (missing) or only in the file (unexpected) are skipped and reported. Shape mismatches are an error either way.
/// </param>
/// <param name="StripPrefix">
/// A prefix removed from the file's keys that start with it before matching, e.g. <c>"module."</c> for checkpoints of
/// a <c>DataParallel</c> / <c>DistributedDataParallel</c> model. Null: keys are used as they are (a mismatch where
/// every key has a common prefix says so, with the option to use).
/// </param>
/// <param name="Entry">
/// The entry of a training checkpoint dict that holds the state dict, e.g. <c>"model_ema"</c>. Null: the search order
/// of <see cref="PyTorchCheckpoint.StateDictKeys"/>.
/// </param>
public sealed record WeightsLoadOptions(bool Strict = true, string? StripPrefix = null, string? Entry = null);

/// <summary>What <see cref="WeightsLoader"/> loaded.</summary>
/// <param name="Source">The file (or the name given to an in-memory state dict).</param>
/// <param name="Format">The detected format; null for an in-memory state dict.</param>
/// <param name="Loaded">Model keys whose values were copied from the file.</param>
/// <param name="Missing">Model keys the file lacks (left unchanged; always empty in strict mode).</param>
/// <param name="Unexpected">File keys the model lacks (ignored; always empty in strict mode).</param>
public sealed record WeightsLoadReport(string Source, WeightsFormat? Format, IReadOnlyList<string> Loaded,
                                       IReadOnlyList<string> Missing, IReadOnlyList<string> Unexpected);

/// <summary>A model key whose shape differs between the model and the file.</summary>
public sealed record ShapeMismatch(string Key, long[] ModelShape, long[] FileShape)
{
    public override string ToString() => $"{Key}: model {TensorData.Shape(ModelShape)}, file {TensorData.Shape(FileShape)}";
}

/// <summary>
/// The weights do not fit the model; nothing was copied. (An <see cref="InvalidOperationException"/>, as TorchSharp's
/// own <c>load_state_dict</c> throws, because <see cref="InvalidDataException"/> is sealed; malformed files raise
/// <see cref="InvalidDataException"/> instead.)
/// </summary>
public sealed class WeightsMismatchException : InvalidOperationException
{
    private const int Shown = 10;

    public WeightsMismatchException(string source, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected,
                                    IReadOnlyList<ShapeMismatch> shapeMismatches, string? hint = null)
        : base(Describe(source, missing, unexpected, shapeMismatches) + (hint is null ? "" : " " + hint))
    {
        Hint = hint;
        WeightsSource = source;
        Missing = missing;
        Unexpected = unexpected;
        ShapeMismatches = shapeMismatches;
    }

    /// <summary>The file (or in-memory source name).</summary>
    public string WeightsSource { get; }

    /// <summary>Model keys absent from the file.</summary>
    public IReadOnlyList<string> Missing { get; }

    /// <summary>File keys absent from the model.</summary>
    public IReadOnlyList<string> Unexpected { get; }

    /// <summary>What would probably fix it (e.g. the prefix to strip); null when nothing is known.</summary>
    public string? Hint { get; }

    /// <summary>Keys present in both with different shapes.</summary>
    public IReadOnlyList<ShapeMismatch> ShapeMismatches { get; }

    /// <summary>The same mismatch with <paramref name="hint"/> said first (before any hint it had).</summary>
    public WeightsMismatchException WithHint(string hint) =>
        new(WeightsSource, Missing, Unexpected, ShapeMismatches, Hint is null ? hint : $"{hint} {Hint}");

    private static string Describe(string source, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected,
                                   IReadOnlyList<ShapeMismatch> shapes)
    {
        var parts = new List<string>();
        if (missing.Count > 0) parts.Add($"{missing.Count} missing key(s) (in the model, not in the file): {List(missing)}");
        if (unexpected.Count > 0) parts.Add($"{unexpected.Count} unexpected key(s) (in the file, not in the model): {List(unexpected)}");
        if (shapes.Count > 0) parts.Add($"{shapes.Count} shape mismatch(es): {List(shapes.Select(s => s.ToString()).ToList())}");
        return $"{source}: the weights do not fit the model; nothing was loaded. {string.Join("; ", parts)}.";
    }

    private static string List(IReadOnlyList<string> items) =>
        string.Join(", ", items.Take(Shown)) + (items.Count > Shown ? $", … (+{items.Count - Shown} more)" : "");
}

/// <summary>
/// Loads weights into a TorchSharp module, all or nothing: the file is read and checked against
/// <c>module.state_dict()</c> completely before a single value is copied.
/// </summary>
public static class WeightsLoader
{
    private const string AveragedModelCounter = "n_averaged";

    /// <summary>torchvision's <c>densenet._load_state_dict</c> pattern: group 1 + group 2 is the new name.</summary>
    private static readonly System.Text.RegularExpressions.Regex LegacyDenseNetKey =
        new(@"^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var))$");

    /// <summary>
    /// When every file key starts with the same "xxx." and the model's keys do not, e.g. "module." of DataParallel /
    /// DistributedDataParallel checkpoints: the option that would fix it.
    /// </summary>
    private static string? PrefixHint(IReadOnlyList<string> fileKeys, IEnumerable<string> modelKeys)
    {
        if (fileKeys.Count == 0) return null;
        var dot = fileKeys[0].IndexOf('.');
        if (dot <= 0) return null;
        var prefix = fileKeys[0][..(dot + 1)];
        if (!fileKeys.All(k => k.StartsWith(prefix, StringComparison.Ordinal)) || modelKeys.Any(k => k.StartsWith(prefix, StringComparison.Ordinal)))
            return null;
        var what = prefix == "module." ? " (a DataParallel / DistributedDataParallel checkpoint)" : "";
        return $"Every key in the file starts with '{prefix}'{what}: remove it with --strip-prefix {prefix} (WeightsLoadOptions.StripPrefix).";
    }

    /// <summary>
    /// The names a file's keys get in a model that has the keys <paramref name="modelHas"/> accepts, in file order
    /// (file key, name): <paramref name="stripPrefix"/> removed; torch.optim.swa_utils.AveragedModel's wrapper
    /// (torchvision's model_ema: "n_averaged" and the model's keys under "module.") undone when no prefix is given;
    /// torchvision's published DenseNet names of before 0.3 ("denselayer1.norm.1.weight") renamed as torchvision renames
    /// them, where the model has the new name and not the old. Null when two keys would get one name (<paramref name="collision"/>).
    /// </summary>
    internal static IReadOnlyList<KeyValuePair<string, string>>? RenameKeys(IEnumerable<string> keys, string? stripPrefix,
                                                                           Func<string, bool> modelHas, out string? collision)
    {
        var fileKeys = keys.ToList();
        if (stripPrefix is null && fileKeys.Contains(AveragedModelCounter) &&
            fileKeys.All(k => k == AveragedModelCounter || k.StartsWith("module.", StringComparison.Ordinal)))
        {
            fileKeys.Remove(AveragedModelCounter);
            stripPrefix = "module.";
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<KeyValuePair<string, string>>(fileKeys.Count);
        foreach (var key in fileKeys)
        {
            var name = stripPrefix is { Length: > 0 } p && key.StartsWith(p, StringComparison.Ordinal) ? key[p.Length..] : key;
            if (!modelHas(name) && LegacyDenseNetKey.Match(name) is { Success: true } m && modelHas(m.Groups[1].Value + m.Groups[2].Value))
                name = m.Groups[1].Value + m.Groups[2].Value;
            if (!names.Add(name))
            {
                collision = name;
                return null;
            }
            result.Add(new(key, name));
        }
        collision = null;
        return result;
    }

    /// <summary>
    /// Reads <paramref name="path"/> (any <see cref="WeightsFormat"/>, detected from its bytes) and copies its tensors
    /// into the module's parameters and buffers, converting dtype (and device) to each target's, under no_grad. A module
    /// that is an <see cref="IStateDictAdapter"/> first adapts the file's keys (e.g. GoogLeNet drops its aux heads').
    /// </summary>
    /// <exception cref="WeightsMismatchException">Keys or shapes do not match (nothing was copied).</exception>
    /// <exception cref="InvalidDataException">The file is malformed, truncated, or names a forbidden global (nothing
    /// was copied).</exception>
    public static WeightsLoadReport Load(nn.Module module, string path, WeightsLoadOptions? options = null)
    {
        Runtime.TorchRuntime.Initialize();
        using var stateDict = WeightsFile.Read(path, options?.Entry);
        return Apply(module, stateDict, options, path, stateDict.Format);
    }

    /// <summary>Applies an in-memory state dict with the same all-or-nothing checks as <see cref="Load"/>.</summary>
    public static WeightsLoadReport Apply(nn.Module module, IReadOnlyDictionary<string, Tensor> stateDict,
                                          WeightsLoadOptions? options = null, string source = "<state dict>",
                                          WeightsFormat? format = null)
    {
        Runtime.TorchRuntime.Initialize();
        options ??= new WeightsLoadOptions();
        var target = module.state_dict(); // the module's own parameters and buffers: never disposed here

        var renaming = RenameKeys(stateDict.Keys, options.StripPrefix, target.ContainsKey, out var collision)
            ?? throw new InvalidDataException($"{source}: two keys become '{collision}' after renaming (prefix '{options.StripPrefix}').");
        var renamed = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var fileKeys = new List<string>();
        foreach (var (key, name) in renaming)
        {
            renamed.Add(name, stateDict[key]);
            fileKeys.Add(name);
        }
        if (module is IStateDictAdapter adapter)
        {
            var adapted = adapter.Adapt(renamed, source);
            if (!ReferenceEquals(adapted, renamed))
            {
                fileKeys = fileKeys.Where(adapted.ContainsKey).ToList();
                renamed = adapted.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
            }
        }

        var missing = target.Keys.Where(k => !renamed.ContainsKey(k)).ToList();
        var unexpected = fileKeys.Where(k => !target.ContainsKey(k)).ToList();
        var shapes = target.Where(kv => renamed.TryGetValue(kv.Key, out var t) && !t.shape.SequenceEqual(kv.Value.shape))
            .Select(kv => new ShapeMismatch(kv.Key, kv.Value.shape, renamed[kv.Key].shape)).ToList();
        if (shapes.Count > 0 || (options.Strict && (missing.Count > 0 || unexpected.Count > 0)))
            throw new WeightsMismatchException(source, missing, unexpected, shapes, PrefixHint(fileKeys, target.Keys));

        var loaded = new List<string>();
        using (no_grad())
        {
            foreach (var (key, parameter) in target)
            {
                if (!renamed.TryGetValue(key, out var value)) continue;
                parameter.copy_(value); // converts dtype and device
                loaded.Add(key);
            }
        }
        return new WeightsLoadReport(source, format, loaded, missing, unexpected);
    }
}
