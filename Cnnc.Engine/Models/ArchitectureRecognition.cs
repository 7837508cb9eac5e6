using System.IO.Compression;
using Cnnc.Engine.Weights;

namespace Cnnc.Engine.Models;

/// <summary>One builder's state-dict layout: every key with its shape.</summary>
public sealed record StateDictLayout(string Architecture, IReadOnlyDictionary<string, long[]> Shapes);

/// <summary>
/// Which torchvision builders a checkpoint's keys belong to, from the state-dict layouts torchvision's own builders
/// give (an engine resource written by tools/state_dict_layouts.py; the builder tests prove the engine's equal them).
/// Read from data, not by building the 80 models: building on the meta device would mean switching TorchSharp's
/// process-wide default device, under the feet of whatever else the process is computing.
/// </summary>
public static class ArchitectureRecognition
{
    private const string ResourceName = "Cnnc.Engine.Models.Resources.torchvision-state-dicts.tsv.gz";

    private static readonly Lazy<IReadOnlyList<StateDictLayout>> Embedded = new(() =>
    {
        using var stream = typeof(ArchitectureRecognition).Assembly.GetManifestResourceStream(ResourceName)
                           ?? throw new InvalidOperationException($"Embedded resource {ResourceName} is missing.");
        using var reader = new StreamReader(new GZipStream(stream, CompressionMode.Decompress));
        return Parse(reader);
    });

    /// <summary>The layouts of torchvision 0.14.1's 80 builders (more than one where they differ per published weights).</summary>
    public static IReadOnlyList<StateDictLayout> TorchvisionLayouts => Embedded.Value;

    /// <summary>
    /// The builders whose state dict has exactly the keys of <paramref name="shapes"/> (after <paramref name="options"/>'
    /// prefix stripping and the loader's renaming), those agreeing on the most shapes first; empty when no builder has
    /// these keys. Shapes break ties between builders with the same names (resnet50, resnext50_32x4d, wide_resnet50_2)
    /// without requiring the head or the stem to match, so a 10-class or greyscale model is still recognised.
    /// </summary>
    public static IReadOnlyList<string> Matching(IReadOnlyDictionary<string, long[]> shapes, WeightsLoadOptions? options = null)
    {
        var best = new List<string>();
        var bestScore = -1;
        foreach (var layout in TorchvisionLayouts)
        {
            var renamed = WeightsLoader.RenameKeys(shapes.Keys, options?.StripPrefix, layout.Shapes.ContainsKey, out _);
            if (renamed is null || renamed.Count != layout.Shapes.Count || !renamed.All(kv => layout.Shapes.ContainsKey(kv.Value))) continue;
            var score = renamed.Count(kv => shapes[kv.Key].SequenceEqual(layout.Shapes[kv.Value]));
            if (score > bestScore) (best, bestScore) = (new List<string>(), score);
            if (score == bestScore && !best.Contains(layout.Architecture)) best.Add(layout.Architecture);
        }
        return best.Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>The names and shapes of a weights file's tensors.</summary>
    public static IReadOnlyDictionary<string, long[]> ShapesOf(string path, WeightsLoadOptions? options = null)
    {
        using var stateDict = WeightsFile.Read(path, options?.Entry);
        return stateDict.ToDictionary(kv => kv.Key, kv => kv.Value.shape, StringComparer.Ordinal);
    }

    /// <summary>
    /// "These weights look like resnet50, not resnet18: …" when the file's keys are another builder's; null when they
    /// are <paramref name="architecture"/>'s (or nobody's), the mismatch then being about the options (classes, channels).
    /// </summary>
    public static string? LookAlikeHint(string architecture, IReadOnlyDictionary<string, long[]> shapes, WeightsLoadOptions? options = null)
    {
        var matching = Matching(shapes, options);
        if (matching.Count == 0 || matching.Contains(architecture, StringComparer.OrdinalIgnoreCase)) return null;
        var names = string.Join(" or ", matching);
        return $"These weights look like {names}, not {architecture}: build {matching[0]} for them (--arch {matching[0]}).";
    }

    /// <summary>Reads the format of tools/state_dict_layouts.py: '#' comments, "> builder" lines, "key\tshape" lines.</summary>
    /// <exception cref="FormatException">For a malformed line.</exception>
    public static IReadOnlyList<StateDictLayout> Parse(TextReader reader)
    {
        var layouts = new List<StateDictLayout>();
        Dictionary<string, long[]>? current = null;
        var number = 0;
        while (reader.ReadLine() is { } line)
        {
            number++;
            if (line.Length == 0 || line.StartsWith('#')) continue;
            if (line.StartsWith("> ", StringComparison.Ordinal))
            {
                current = new Dictionary<string, long[]>(StringComparer.Ordinal);
                layouts.Add(new StateDictLayout(line[2..], current));
                continue;
            }
            var tab = line.IndexOf('\t');
            if (current is null || tab <= 0) throw new FormatException($"State-dict layouts, line {number}: '{line}' is not 'key<TAB>shape' inside a layout.");
            var shape = line[(tab + 1)..];
            current[line[..tab]] = shape.Length == 0 ? Array.Empty<long>() : shape.Split(',').Select(long.Parse).ToArray();
        }
        return layouts;
    }
}
