using System.Collections.Concurrent;
using System.Text;

namespace Cnnc.Engine.Data;

/// <summary>
/// The noun part of a WordNet 3.0 database (Debian package <c>wordnet-base</c>: <c>/usr/share/wordnet/data.noun</c>),
/// enough to place ImageNet classes: an ImageNet wnid <c>nXXXXXXXX</c> is the noun synset at byte offset XXXXXXXX of
/// <c>data.noun</c>.
/// </summary>
public sealed class WordNet
{
    /// <summary>Where Debian's wordnet-base installs the database: <c>/usr/share/wordnet</c>.</summary>
    public const string DefaultDirectory = "/usr/share/wordnet";

    private static readonly ConcurrentDictionary<string, WordNet> Cache = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Synset> _synsets;

    private WordNet(string directory, Dictionary<string, Synset> synsets)
    {
        Directory = directory;
        _synsets = synsets;
    }

    /// <summary>The folder the database was read from.</summary>
    public string Directory { get; }

    /// <summary>Number of noun synsets.</summary>
    public int Count => _synsets.Count;

    /// <summary>
    /// Reads <c>data.noun</c> from <paramref name="directory"/> (default <see cref="DefaultDirectory"/>). Loaded once
    /// per folder and cached for the process (its 82,115 noun synsets are read once).
    /// </summary>
    /// <exception cref="DatasetFormatException">When data.noun is missing or malformed.</exception>
    public static WordNet Load(string? directory = null)
    {
        directory = Path.GetFullPath(directory ?? DefaultDirectory);
        return Cache.GetOrAdd(directory, Read);
    }

    /// <summary>True when <paramref name="wnid"/> (e.g. "n01440764") is a noun synset here.</summary>
    public bool Contains(string wnid) => _synsets.ContainsKey(wnid);

    /// <summary>The synset's words, in WordNet's order, underscores turned into spaces (e.g. "tench", "Tinca tinca").</summary>
    /// <exception cref="KeyNotFoundException">For an unknown wnid.</exception>
    public IReadOnlyList<string> Lemmas(string wnid) => Get(wnid).Lemmas;

    /// <summary>Direct hypernyms, class (<c>@</c>) and instance (<c>@i</c>) pointers, as wnids.</summary>
    /// <exception cref="KeyNotFoundException">For an unknown wnid.</exception>
    public IReadOnlyList<string> Hypernyms(string wnid) => Get(wnid).Hypernyms;

    /// <summary>
    /// Every ancestor reachable through hypernym and instance-hypernym pointers (all paths, WordNet is a DAG), with the
    /// fewest steps needed to reach it; the synset itself is included at distance 0.
    /// </summary>
    /// <exception cref="KeyNotFoundException">For an unknown wnid.</exception>
    public IReadOnlyDictionary<string, int> AncestorDistances(string wnid)
    {
        Get(wnid);
        var distances = new Dictionary<string, int>(StringComparer.Ordinal) { [wnid] = 0 };
        var queue = new Queue<string>();
        queue.Enqueue(wnid);
        while (queue.Count > 0)
        {
            var current = queue.Dequeue();
            foreach (var parent in Get(current).Hypernyms)
            {
                if (distances.ContainsKey(parent)) continue;
                distances[parent] = distances[current] + 1;
                queue.Enqueue(parent);
            }
        }
        return distances;
    }

    private Synset Get(string wnid) =>
        _synsets.TryGetValue(wnid, out var synset)
            ? synset
            : throw new KeyNotFoundException($"'{wnid}' is not a noun synset in the WordNet database at {Directory}.");

    private static WordNet Read(string directory)
    {
        var path = Path.Combine(directory, "data.noun");
        if (!File.Exists(path))
            throw new DatasetFormatException(
                $"WordNet noun database not found at {path}. Install Debian's wordnet-base package or pass the folder holding data.noun.");
        var synsets = new Dictionary<string, Synset>(90_000, StringComparer.Ordinal);
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path, Encoding.Latin1))
        {
            lineNumber++;
            if (line.Length == 0 || line[0] == ' ') continue; // licence header lines start with two spaces
            try
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var offset = fields[0];
                var wordCount = Convert.ToInt32(fields[3], 16);
                var lemmas = new string[wordCount];
                for (var i = 0; i < wordCount; i++) lemmas[i] = fields[4 + 2 * i].Replace('_', ' ');
                var p = 4 + 2 * wordCount;
                var pointerCount = int.Parse(fields[p++]);
                var hypernyms = new List<string>(2);
                for (var i = 0; i < pointerCount; i++, p += 4)
                    if (fields[p + 2] == "n" && fields[p] is "@" or "@i")
                        hypernyms.Add("n" + fields[p + 1]);
                synsets["n" + offset] = new Synset(lemmas, hypernyms);
            }
            catch (Exception ex) when (ex is FormatException or IndexOutOfRangeException or OverflowException)
            {
                throw new DatasetFormatException($"{path}:{lineNumber}: not a WordNet data line ({ex.Message}).", ex);
            }
        }
        if (synsets.Count == 0) throw new DatasetFormatException($"{path} holds no synsets.");
        return new WordNet(directory, synsets);
    }

    private sealed record Synset(string[] Lemmas, List<string> Hypernyms);
}
