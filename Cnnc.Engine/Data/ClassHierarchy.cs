using System.Reflection;
using System.Text;
using System.Text.Json;

namespace Cnnc.Engine.Data;

/// <summary>A root class defined by a WordNet synset, for <see cref="ClassHierarchy.FromWordNet"/>.</summary>
/// <param name="Name">Display name of the root, e.g. "animal".</param>
/// <param name="Wnid">The synset, e.g. "n00015388"; null marks the catch-all root for classes under no other root.</param>
public sealed record WordNetRoot(string Name, string? Wnid);

/// <summary>
/// Two-level class hierarchy: every leaf class (in the dataset's class-index order) belongs to exactly one root class.
/// Roots are kept in a fixed order, which is also the order in which charts assign colours.
/// </summary>
/// <remarks>
/// Classes have a unique key (<see cref="Classes"/>: a folder name, a wnid, a Fashion-MNIST label) and a display name
/// (<see cref="ClassNames"/>: e.g. "tench" for n01440764), which need not be unique (ImageNet has two "crane"s).
/// Look-ups by string accept the key, or a display name when it is unambiguous.
/// <para>
/// Hierarchy file format (<see cref="Load"/>), chosen by extension:
/// <list type="bullet">
/// <item><c>.json</c>: <c>{"name": "clothes", "roots": {"tops": ["T-shirt/top", "Pullover"], "footwear": ["Sandal"]}}</c>;
/// roots in the order written; <c>name</c> optional.</item>
/// <item><c>.csv</c> (or any other extension): one <c>class,root</c> line per class; an optional header line
/// <c>class,root</c>; blank lines and lines starting with <c>#</c> ignored; fields may be double-quoted (RFC 4180);
/// roots in order of first appearance.</item>
/// </list>
/// Every class of the dataset must appear exactly once; a class the dataset does not have, a class left without a
/// root, a class listed twice or a root without classes is a <see cref="DatasetFormatException"/> naming the file.
/// </para>
/// </remarks>
public sealed class ClassHierarchy
{
    private readonly int[] _rootOfClass;
    private readonly int[][] _classesOfRoot;
    private readonly Dictionary<string, int> _classByKey;
    private readonly Dictionary<string, int> _classByName;
    private readonly HashSet<string> _ambiguousNames;
    private readonly Dictionary<string, int> _rootByName;

    private ClassHierarchy(string name, string[] classes, string[] classNames, string[] roots, int[] rootOfClass)
    {
        Name = name;
        Classes = classes;
        ClassNames = classNames;
        Roots = roots;
        _rootOfClass = rootOfClass;
        _classesOfRoot = roots.Select((_, r) => Enumerable.Range(0, classes.Length).Where(c => rootOfClass[c] == r).ToArray()).ToArray();
        _classByKey = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < classes.Length; i++) _classByKey[classes[i]] = i;
        _classByName = new Dictionary<string, int>(StringComparer.Ordinal);
        _ambiguousNames = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < classNames.Length; i++)
            if (!_classByName.TryAdd(classNames[i], i)) _ambiguousNames.Add(classNames[i]);
        _rootByName = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var r = 0; r < roots.Length; r++) _rootByName[roots[r]] = r;
    }

    /// <summary>A short name for the hierarchy, e.g. "imagenet-vac-cnn", "fashion-mnist", or the file it came from.</summary>
    public string Name { get; }

    /// <summary>Unique class keys in class-index order.</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>Display names in class-index order (equal to the keys unless given).</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Root names in their fixed (colour) order.</summary>
    public IReadOnlyList<string> Roots { get; }

    /// <summary>Number of leaf classes.</summary>
    public int ClassCount => Classes.Count;

    /// <summary>Number of roots.</summary>
    public int RootCount => Roots.Count;

    /// <summary>Root index of every class, in class-index order.</summary>
    public IReadOnlyList<int> RootIndices => _rootOfClass;

    /// <summary>The root index of class <paramref name="classIndex"/>.</summary>
    public int RootOf(int classIndex) => _rootOfClass[classIndex];

    /// <summary>The root name of class <paramref name="classIndex"/>.</summary>
    public string RootNameOf(int classIndex) => Roots[_rootOfClass[classIndex]];

    /// <summary>The root name of a class given by key or unambiguous display name.</summary>
    /// <exception cref="KeyNotFoundException">For an unknown or ambiguous class.</exception>
    public string RootNameOf(string @class) => RootNameOf(IndexOfClass(@class));

    /// <summary>Class indices under root <paramref name="rootIndex"/>, ascending.</summary>
    public IReadOnlyList<int> ClassesOf(int rootIndex) => _classesOfRoot[rootIndex];

    /// <summary>Class indices under the named root, ascending.</summary>
    /// <exception cref="KeyNotFoundException">For an unknown root.</exception>
    public IReadOnlyList<int> ClassesOf(string root) => _classesOfRoot[IndexOfRoot(root)];

    /// <summary>The index of a root by name.</summary>
    /// <exception cref="KeyNotFoundException">For an unknown root.</exception>
    public int IndexOfRoot(string root) =>
        _rootByName.TryGetValue(root, out var r)
            ? r
            : throw new KeyNotFoundException($"'{root}' is not a root of hierarchy {Name} (roots: {string.Join(", ", Roots)}).");

    /// <summary>The index of a class by key, or by display name when that is unambiguous.</summary>
    /// <exception cref="KeyNotFoundException">For an unknown or ambiguous class.</exception>
    public int IndexOfClass(string @class)
    {
        if (TryIndexOfClass(@class, out var index, out var error)) return index;
        throw new KeyNotFoundException(error);
    }

    /// <summary>Like <see cref="IndexOfClass"/> without throwing; <paramref name="error"/> says why not found.</summary>
    public bool TryIndexOfClass(string @class, out int index, out string? error)
    {
        error = null;
        if (_classByKey.TryGetValue(@class, out index)) return true;
        if (_ambiguousNames.Contains(@class))
        {
            var keys = Enumerable.Range(0, ClassCount).Where(i => ClassNames[i] == @class).Select(i => Classes[i]);
            error = $"'{@class}' names several classes of hierarchy {Name} ({string.Join(", ", keys)}); use the key.";
            index = -1;
            return false;
        }
        if (_classByName.TryGetValue(@class, out index)) return true;
        error = $"'{@class}' is not a class of hierarchy {Name}.";
        index = -1;
        return false;
    }

    /// <summary>
    /// True when the hierarchy's class keys, or its display names, are exactly <paramref name="classes"/>, in that
    /// order: a store entry records a dataset's classes by the names it shows (ImageNet's "tench", not "n01440764").
    /// </summary>
    public bool Matches(IReadOnlyList<string> classes) =>
        classes.SequenceEqual(Classes, StringComparer.Ordinal) || classes.SequenceEqual(ClassNames, StringComparer.Ordinal);

    /// <summary>Throws unless <see cref="Matches"/>; used by datasets to check a hierarchy they are given.</summary>
    /// <exception cref="ArgumentException">When the classes differ, naming the first difference.</exception>
    public void EnsureMatches(IReadOnlyList<string> classes, string datasetName)
    {
        if (Matches(classes)) return;
        var first = Enumerable.Range(0, Math.Min(classes.Count, ClassCount)).FirstOrDefault(i => classes[i] != Classes[i], Math.Min(classes.Count, ClassCount));
        throw new ArgumentException(
            $"Hierarchy {Name} ({ClassCount} classes) does not match dataset {datasetName} ({classes.Count} classes): " +
            (first < Math.Min(classes.Count, ClassCount)
                ? $"class {first} is '{Classes[first]}' in the hierarchy and '{classes[first]}' in the dataset."
                : "the class counts differ."));
    }

    /// <summary>A copy with other display names (same count as <see cref="Classes"/>).</summary>
    public ClassHierarchy WithClassNames(IReadOnlyList<string> classNames, string? name = null) =>
        Create(name ?? Name, Classes, Roots, _rootOfClass, classNames);

    /// <inheritdoc />
    public override string ToString() => $"{Name}: {ClassCount} classes in {RootCount} roots ({string.Join(", ", Roots)})";

    // ------------------------------------------------------------------ factories

    /// <summary>Builds a hierarchy from explicit root indices.</summary>
    /// <param name="name">Hierarchy name.</param>
    /// <param name="classes">Unique class keys in class-index order.</param>
    /// <param name="roots">Unique root names in colour order; a root may have no classes.</param>
    /// <param name="rootOfClass">Root index of every class.</param>
    /// <param name="classNames">Display names; default: the keys.</param>
    /// <exception cref="ArgumentException">On duplicates, count mismatches or out-of-range root indices.</exception>
    public static ClassHierarchy Create(string name, IReadOnlyList<string> classes, IReadOnlyList<string> roots,
        IReadOnlyList<int> rootOfClass, IReadOnlyList<string>? classNames = null)
    {
        if (classes.Count == 0) throw new ArgumentException("A hierarchy needs at least one class.", nameof(classes));
        if (rootOfClass.Count != classes.Count)
            throw new ArgumentException($"{rootOfClass.Count} root indices for {classes.Count} classes.", nameof(rootOfClass));
        if (classNames is not null && classNames.Count != classes.Count)
            throw new ArgumentException($"{classNames.Count} class names for {classes.Count} classes.", nameof(classNames));
        var duplicate = classes.GroupBy(c => c, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"Class '{duplicate.Key}' appears more than once.", nameof(classes));
        var duplicateRoot = roots.GroupBy(c => c, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicateRoot is not null) throw new ArgumentException($"Root '{duplicateRoot.Key}' appears more than once.", nameof(roots));
        for (var i = 0; i < rootOfClass.Count; i++)
            if (rootOfClass[i] < 0 || rootOfClass[i] >= roots.Count)
                throw new ArgumentException($"Class '{classes[i]}' has root index {rootOfClass[i]}, outside 0..{roots.Count - 1}.", nameof(rootOfClass));
        return new ClassHierarchy(name, classes.ToArray(), (classNames ?? classes).ToArray(), roots.ToArray(), rootOfClass.ToArray());
    }

    /// <summary>Builds a hierarchy from root → member lists; every class must be listed exactly once.</summary>
    /// <param name="name">Hierarchy name.</param>
    /// <param name="classes">Class keys in class-index order.</param>
    /// <param name="groups">Roots in colour order with their members (keys or unambiguous display names).</param>
    /// <param name="classNames">Display names; default: the keys.</param>
    /// <exception cref="DatasetFormatException">For an unknown, repeated or unassigned class, or an empty root.</exception>
    public static ClassHierarchy FromGroups(string name, IReadOnlyList<string> classes,
        IEnumerable<KeyValuePair<string, IReadOnlyList<string>>> groups, IReadOnlyList<string>? classNames = null)
    {
        var lookup = Create(name, classes, new[] { "?" }, new int[classes.Count], classNames);
        var roots = new List<string>();
        var rootOf = Enumerable.Repeat(-1, classes.Count).ToArray();
        foreach (var (root, members) in groups)
        {
            if (string.IsNullOrWhiteSpace(root)) throw new DatasetFormatException($"{name}: a root has an empty name.");
            if (roots.Contains(root, StringComparer.Ordinal)) throw new DatasetFormatException($"{name}: root '{root}' is defined twice.");
            if (members.Count == 0) throw new DatasetFormatException($"{name}: root '{root}' has no classes.");
            roots.Add(root);
            foreach (var member in members)
            {
                if (!lookup.TryIndexOfClass(member, out var c, out var error))
                    throw new DatasetFormatException($"{name}: root '{root}' lists an unknown class: {error}");
                if (rootOf[c] >= 0)
                    throw new DatasetFormatException(
                        $"{name}: class '{member}' is listed twice (under '{roots[rootOf[c]]}' and '{root}').");
                rootOf[c] = roots.Count - 1;
            }
        }
        var missing = Enumerable.Range(0, classes.Count).Where(c => rootOf[c] < 0).Select(c => classes[c]).ToList();
        if (missing.Count > 0)
            throw new DatasetFormatException(
                $"{name}: {missing.Count} class(es) have no root: {string.Join(", ", missing.Take(10))}{(missing.Count > 10 ? ", …" : "")}.");
        return Create(name, classes, roots, rootOf, classNames);
    }

    /// <summary>All classes under one root (default name "all"): for datasets without a known hierarchy.</summary>
    public static ClassHierarchy Flat(IReadOnlyList<string> classes, IReadOnlyList<string>? classNames = null, string root = "all") =>
        Create("flat", classes, new[] { root }, new int[classes.Count], classNames);

    /// <summary>
    /// Fashion-MNIST, hand-made, 4 roots in this order: <c>tops</c> (T-shirt/top, Pullover, Coat, Shirt),
    /// <c>bottoms &amp; dresses</c> (Trouser, Dress), <c>footwear</c> (Sandal, Sneaker, Ankle boot), <c>bags</c> (Bag).
    /// Classes are <see cref="IdxDataset.FashionMnistClasses"/>.
    /// </summary>
    public static ClassHierarchy FashionMnist { get; } = FromGroups("fashion-mnist", IdxDataset.FashionMnistClasses,
        new Dictionary<string, IReadOnlyList<string>>
        {
            ["tops"] = new[] { "T-shirt/top", "Pullover", "Coat", "Shirt" },
            ["bottoms & dresses"] = new[] { "Trouser", "Dress" },
            ["footwear"] = new[] { "Sandal", "Sneaker", "Ankle boot" },
            ["bags"] = new[] { "Bag" },
        });

    /// <summary>
    /// The 8 ImageNet roots of VAC-CNN (the paper's implementation, <c>back/getbarData.py</c>), in its order:
    /// animal (n00015388), artifact (n00021939), misc (catch-all; VAC-CNN's "MISC"), natural object (n00019128),
    /// geological formation (n09287968), person (n00007846), plant (n00017222), fungus (n12992868).
    /// </summary>
    public static IReadOnlyList<WordNetRoot> VacCnnRoots { get; } = new[]
    {
        new WordNetRoot("animal", "n00015388"),
        new WordNetRoot("artifact", "n00021939"),
        new WordNetRoot("misc", null),
        new WordNetRoot("natural object", "n00019128"),
        new WordNetRoot("geological formation", "n09287968"),
        new WordNetRoot("person", "n00007846"),
        new WordNetRoot("plant", "n00017222"),
        new WordNetRoot("fungus", "n12992868"),
    };

    /// <summary>
    /// Places WordNet classes under roots. Rule: collect every ancestor of the class through hypernym and
    /// instance-hypernym pointers (all paths); among the roots reached, take the nearest (fewest steps), ties going to
    /// the root listed first; a class that reaches none goes to the catch-all root (<see cref="WordNetRoot.Wnid"/>
    /// null). With <see cref="VacCnnRoots"/> this reproduces VAC-CNN's assignment of all 1000 ImageNet classes; the
    /// only class under two roots there, n09421951 sandbar (natural object via bar → barrier → mechanism, geological
    /// formation via bar → ridge → natural elevation, both 4 steps), goes to natural object, as in VAC-CNN's scatter.
    /// </summary>
    /// <param name="wnids">Class wnids in class-index order.</param>
    /// <param name="wordNet">The WordNet database (<see cref="WordNet.Load"/>).</param>
    /// <param name="roots">Roots in colour/priority order; default <see cref="VacCnnRoots"/>.</param>
    /// <param name="classNames">Display names; default: the first lemma of each synset.</param>
    /// <param name="keepEmptyRoots">Default false: roots no class falls under are left out.</param>
    /// <param name="name">Hierarchy name; default "wordnet".</param>
    /// <exception cref="DatasetFormatException">
    /// For a wnid missing from WordNet, or a class reaching no root when there is no catch-all root.
    /// </exception>
    public static ClassHierarchy FromWordNet(IReadOnlyList<string> wnids, WordNet wordNet,
        IReadOnlyList<WordNetRoot>? roots = null, IReadOnlyList<string>? classNames = null,
        bool keepEmptyRoots = false, string name = "wordnet")
    {
        roots ??= VacCnnRoots;
        if (roots.Count(r => r.Wnid is null) > 1) throw new ArgumentException("At most one catch-all root (Wnid null).", nameof(roots));
        foreach (var root in roots)
            if (root.Wnid is not null && !wordNet.Contains(root.Wnid))
                throw new DatasetFormatException($"Root '{root.Name}' ({root.Wnid}) is not a noun synset in WordNet at {wordNet.Directory}.");
        var catchAll = roots.Select((r, i) => (r, i)).Where(t => t.r.Wnid is null).Select(t => t.i).DefaultIfEmpty(-1).First();
        var rootOf = new int[wnids.Count];
        var homeless = new List<string>();
        for (var c = 0; c < wnids.Count; c++)
        {
            if (!wordNet.Contains(wnids[c]))
                throw new DatasetFormatException($"Class '{wnids[c]}' is not a noun synset in WordNet at {wordNet.Directory}.");
            var ancestors = wordNet.AncestorDistances(wnids[c]);
            int best = -1, bestDistance = int.MaxValue;
            for (var r = 0; r < roots.Count; r++)
                if (roots[r].Wnid is { } rootWnid && ancestors.TryGetValue(rootWnid, out var d) && d < bestDistance)
                    (best, bestDistance) = (r, d);
            if (best < 0)
            {
                if (catchAll < 0) homeless.Add(wnids[c]);
                best = catchAll;
            }
            rootOf[c] = best;
        }
        if (homeless.Count > 0)
            throw new DatasetFormatException(
                $"{homeless.Count} class(es) fall under none of the roots and there is no catch-all root: {string.Join(", ", homeless.Take(10))}.");
        classNames ??= wnids.Select(w => wordNet.Lemmas(w)[0]).ToList();
        var rootNames = roots.Select(r => r.Name).ToList();
        if (!keepEmptyRoots)
        {
            var used = Enumerable.Range(0, roots.Count).Where(r => rootOf.Contains(r)).ToList();
            rootNames = used.Select(r => roots[r].Name).ToList();
            for (var c = 0; c < rootOf.Length; c++) rootOf[c] = used.IndexOf(rootOf[c]);
        }
        return Create(name, wnids, rootNames, rootOf, classNames);
    }

    private static readonly Lazy<ClassHierarchy> ImageNet1kLazy = new(() =>
        Create("imagenet-vac-cnn", ImageNetClasses.Wnids,
            VacCnnRoots.Select(r => r.Name).ToList(),
            ImageNetClasses.VacCnnRootNames.Select(r => VacCnnRoots.Select(x => x.Name).ToList().IndexOf(r)).ToList(),
            ImageNetClasses.ShortNames));

    /// <summary>
    /// ImageNet-1k (ILSVRC2012, classes = sorted wnids = torchvision's output order) under <see cref="VacCnnRoots"/>,
    /// built in (no WordNet needed at run time): <see cref="FromWordNet"/>'s rule applied to Debian's WordNet 3.0
    /// gives 398 animal, 522 artifact, 42 misc, 17 natural object, 9 geological formation, 3 person, 2 plant and
    /// 7 fungus classes, exactly VAC-CNN's assignment. Display names are each synset's first lemma ("tench").
    /// </summary>
    public static ClassHierarchy ImageNet1k => ImageNet1kLazy.Value;

    /// <summary>
    /// The hierarchy for a set of ImageNet wnids: <see cref="ImageNet1k"/> when they are exactly its 1000 classes
    /// (with <paramref name="classNames"/> if given), else <see cref="FromWordNet"/> with <see cref="VacCnnRoots"/>
    /// on the WordNet database in <paramref name="wordNetDirectory"/> (default <see cref="WordNet.DefaultDirectory"/>).
    /// </summary>
    public static ClassHierarchy ForImageNet(IReadOnlyList<string> wnids, IReadOnlyList<string>? classNames = null, string? wordNetDirectory = null)
    {
        if (ImageNet1k.Matches(wnids)) return classNames is null ? ImageNet1k : ImageNet1k.WithClassNames(classNames);
        return FromWordNet(wnids, WordNet.Load(wordNetDirectory), VacCnnRoots, classNames, name: "imagenet-wordnet");
    }

    // ------------------------------------------------------------------ files

    /// <summary>
    /// Reads a hierarchy file (format in the class remarks) for a dataset with the given classes.
    /// </summary>
    /// <param name="path">A <c>.json</c> or CSV file.</param>
    /// <param name="classes">The dataset's class keys in class-index order.</param>
    /// <param name="classNames">The dataset's display names (members may use them when unambiguous).</param>
    /// <exception cref="DatasetFormatException">For a malformed file or any mismatch with the classes.</exception>
    /// <exception cref="FileNotFoundException">When the file does not exist.</exception>
    public static ClassHierarchy Load(string path, IReadOnlyList<string> classes, IReadOnlyList<string>? classNames = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Hierarchy file not found: {path}", path);
        var text = File.ReadAllText(path);
        var label = $"hierarchy file {path}";
        string name = Path.GetFileNameWithoutExtension(path);
        List<KeyValuePair<string, IReadOnlyList<string>>> groups;
        if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            (groups, name) = ParseJson(text, label, name);
        else
            groups = ParseCsv(text, label);
        try
        {
            return FromGroups(label, classes, groups, classNames).Renamed(name);
        }
        catch (ArgumentException ex)
        {
            throw new DatasetFormatException($"{label}: {ex.Message}", ex);
        }
    }

    /// <summary>The hierarchy as JSON in the <see cref="Load"/> format (members written as keys).</summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            writer.WriteString("name", Name);
            writer.WriteStartObject("roots");
            for (var r = 0; r < RootCount; r++)
            {
                if (_classesOfRoot[r].Length == 0) continue;
                writer.WriteStartArray(Roots[r]);
                foreach (var c in _classesOfRoot[r]) writer.WriteStringValue(Classes[c]);
                writer.WriteEndArray();
            }
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Writes <see cref="ToJson"/> to <paramref name="path"/>.</summary>
    public void Save(string path) => File.WriteAllText(path, ToJson());

    private ClassHierarchy Renamed(string name) => new(name, (string[])Classes, (string[])ClassNames, (string[])Roots, _rootOfClass);

    private static (List<KeyValuePair<string, IReadOnlyList<string>>>, string) ParseJson(string text, string label, string name)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            throw new DatasetFormatException($"{label}: not valid JSON ({ex.Message}).", ex);
        }
        using (document)
        {
            var rootElement = document.RootElement;
            if (rootElement.ValueKind != JsonValueKind.Object || !rootElement.TryGetProperty("roots", out var roots) || roots.ValueKind != JsonValueKind.Object)
                throw new DatasetFormatException($"{label}: expected an object with a \"roots\" object, e.g. {{\"roots\": {{\"tops\": [\"Shirt\"]}}}}.");
            if (rootElement.TryGetProperty("name", out var nameElement) && nameElement.ValueKind == JsonValueKind.String)
                name = nameElement.GetString()!;
            var groups = new List<KeyValuePair<string, IReadOnlyList<string>>>();
            foreach (var root in roots.EnumerateObject())
            {
                if (root.Value.ValueKind != JsonValueKind.Array)
                    throw new DatasetFormatException($"{label}: root '{root.Name}' must be an array of class names.");
                var members = new List<string>();
                foreach (var member in root.Value.EnumerateArray())
                {
                    if (member.ValueKind != JsonValueKind.String)
                        throw new DatasetFormatException($"{label}: root '{root.Name}' holds a {member.ValueKind}, not a class name.");
                    members.Add(member.GetString()!);
                }
                groups.Add(new(root.Name, members));
            }
            return (groups, name);
        }
    }

    private static List<KeyValuePair<string, IReadOnlyList<string>>> ParseCsv(string text, string label)
    {
        var order = new List<string>();
        var members = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var lines = text.Split('\n');
        var first = true;
        for (var n = 0; n < lines.Length; n++)
        {
            var line = lines[n].TrimEnd('\r');
            if (line.Trim().Length == 0 || line.TrimStart().StartsWith('#')) continue;
            var fields = SplitCsvLine(line, $"{label}:{n + 1}");
            if (first && fields.Count == 2 && fields[0].Trim().Equals("class", StringComparison.OrdinalIgnoreCase)
                && fields[1].Trim().Equals("root", StringComparison.OrdinalIgnoreCase))
            {
                first = false;
                continue;
            }
            first = false;
            if (fields.Count != 2)
                throw new DatasetFormatException($"{label}:{n + 1}: expected 2 fields 'class,root', found {fields.Count}.");
            var (cls, root) = (fields[0].Trim(), fields[1].Trim());
            if (cls.Length == 0 || root.Length == 0) throw new DatasetFormatException($"{label}:{n + 1}: empty class or root.");
            if (!members.TryGetValue(root, out var list))
            {
                members[root] = list = new List<string>();
                order.Add(root);
            }
            list.Add(cls);
        }
        return order.Select(r => new KeyValuePair<string, IReadOnlyList<string>>(r, members[r])).ToList();
    }

    private static List<string> SplitCsvLine(string line, string where)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var ch = line[i];
            if (quoted)
            {
                if (ch == '"' && i + 1 < line.Length && line[i + 1] == '"') { field.Append('"'); i++; }
                else if (ch == '"') quoted = false;
                else field.Append(ch);
            }
            else if (ch == '"' && field.ToString().Trim().Length == 0) { field.Clear(); quoted = true; }
            else if (ch == ',') { fields.Add(field.ToString()); field.Clear(); }
            else field.Append(ch);
        }
        if (quoted) throw new DatasetFormatException($"{where}: unterminated quoted field.");
        fields.Add(field.ToString());
        return fields;
    }
}

/// <summary>The 1000 ILSVRC2012 (ImageNet-1k) classes, built in, in model output order (sorted wnids).</summary>
public static class ImageNetClasses
{
    private static readonly Lazy<(string[] Wnids, string[] Roots, string[] Words)> Table = new(ReadTable);

    /// <summary>The 1000 wnids, sorted (= torchvision ImageFolder order = pretrained models' output order).</summary>
    public static IReadOnlyList<string> Wnids => Table.Value.Wnids;

    /// <summary>WordNet 3.0 synset words per class, as in ImageNet's LOC_synset_mapping.txt ("tench, Tinca tinca").</summary>
    public static IReadOnlyList<string> Words => Table.Value.Words;

    /// <summary>First word of each class ("tench"); not unique (two "crane", two "maillot").</summary>
    public static IReadOnlyList<string> ShortNames => ShortNamesLazy.Value;

    private static readonly Lazy<string[]> ShortNamesLazy = new(() => Table.Value.Words.Select(w => w.Split(", ")[0]).ToArray());

    /// <summary>VAC-CNN's root of each class (see <see cref="ClassHierarchy.ImageNet1k"/>).</summary>
    internal static IReadOnlyList<string> VacCnnRootNames => Table.Value.Roots;

    private static (string[], string[], string[]) ReadTable()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Cnnc.Engine.Data.Resources.imagenet1k.tsv")
                           ?? throw new InvalidOperationException("Embedded resource imagenet1k.tsv is missing.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var rows = new List<string[]>();
        while (reader.ReadLine() is { } line)
            if (line.Length > 0 && line[0] != '#') rows.Add(line.Split('\t'));
        return (rows.Select(r => r[0]).ToArray(), rows.Select(r => r[1]).ToArray(), rows.Select(r => r[2]).ToArray());
    }
}
