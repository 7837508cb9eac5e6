using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.RegularExpressions;
using static TorchSharp.torch;

namespace Cnnc.Engine.Data;

/// <summary>Where <see cref="ImageNetValDataset"/> takes its labels from.</summary>
public enum ImageNetValLayout
{
    /// <summary>Kaggle's ILSVRC layout: <c>LOC_val_solution.csv</c> + <c>LOC_synset_mapping.txt</c>.</summary>
    Loc,
    /// <summary>The ILSVRC2012 devkit: <c>ILSVRC2012_validation_ground_truth.txt</c> + a synset list in ILSVRC2012_ID order.</summary>
    Devkit,
}

/// <summary>
/// Label files of an ImageNet validation folder; null members are looked for by <see cref="ImageNetValFiles.Locate"/>.
/// </summary>
/// <param name="LocSolution"><c>LOC_val_solution.csv</c>: header <c>ImageId,PredictionString</c>, then rows
/// <c>ILSVRC2012_val_00008726,n02119789 255 142 454 329 …</c>; the label is the first wnid.</param>
/// <param name="SynsetMapping"><c>LOC_synset_mapping.txt</c>: lines <c>n01440764 tench, Tinca tinca</c>; it defines the
/// classes (any order; they are sorted) and their names.</param>
/// <param name="GroundTruth"><c>ILSVRC2012_validation_ground_truth.txt</c> (devkit <c>data/</c>): line n holds the
/// 1-based ILSVRC2012_ID of image n.</param>
/// <param name="SynsetList">The wnids in ILSVRC2012_ID order: either the devkit's <c>meta.mat</c> (its <c>synsets</c>
/// struct: ILSVRC2012_ID, WNID, words), or a text file whose k-th non-blank line starts with the wnid of ILSVRC2012_ID
/// k, optionally followed by the words (<c>n02119789 kit fox, Vulpes macrotis</c>).</param>
public sealed record ImageNetValFiles(
    string? LocSolution = null, string? SynsetMapping = null, string? GroundTruth = null, string? SynsetList = null)
{
    /// <summary>File names looked for by <see cref="Locate"/>.</summary>
    public const string LocSolutionName = "LOC_val_solution.csv",
        SynsetMappingName = "LOC_synset_mapping.txt",
        GroundTruthName = "ILSVRC2012_validation_ground_truth.txt",
        MetaMatName = "meta.mat",
        SynsetListName = "ILSVRC2012_synsets.txt";

    /// <summary>
    /// Fills the missing members by looking, in this order, in the image folder and up to four folders above it (Kaggle
    /// keeps the LOC files four levels above <c>ILSVRC/Data/CLS-LOC/val</c>), and in <c>ILSVRC2012_devkit_t12/data</c>
    /// and <c>data</c> under each, for <see cref="LocSolutionName"/>,
    /// <see cref="SynsetMappingName"/>, <see cref="GroundTruthName"/> and, as the synset list,
    /// <see cref="MetaMatName"/> or <see cref="SynsetListName"/>. The first match of each name wins.
    /// </summary>
    public ImageNetValFiles Locate(string imagesDirectory)
    {
        var dirs = new List<string>();
        for (DirectoryInfo? d = new(Path.GetFullPath(imagesDirectory)); d is not null && dirs.Count < 15; d = d.Parent)
        {
            dirs.Add(d.FullName);
            dirs.Add(Path.Combine(d.FullName, "ILSVRC2012_devkit_t12", "data"));
            dirs.Add(Path.Combine(d.FullName, "data"));
        }
        string? Find(params string[] names) =>
            dirs.SelectMany(d => names.Select(n => Path.Combine(d, n))).FirstOrDefault(File.Exists);
        return new ImageNetValFiles(
            LocSolution ?? Find(LocSolutionName),
            SynsetMapping ?? Find(SynsetMappingName),
            GroundTruth ?? Find(GroundTruthName),
            SynsetList ?? Find(MetaMatName, SynsetListName));
    }
}

/// <summary>
/// The ILSVRC2012 validation images as distributed: one flat folder of <c>ILSVRC2012_val_XXXXXXXX.JPEG</c> files, with
/// labels from either the Kaggle LOC files or the devkit (see <see cref="ImageNetValFiles"/> for the files it needs and
/// where it finds them).
/// </summary>
/// <remarks>
/// Classes are the wnids of the synset mapping / list, sorted (= torchvision's ImageFolder order = the output order of
/// pretrained ImageNet models); display names are the first of each synset's words ("tench"). The dataset holds the
/// image files present in the folder (sorted by name), so a subset of the 50,000 works; every present image must have a
/// label. The LOC layout is used when both its files are found, else the devkit layout. Default hierarchy:
/// <see cref="ClassHierarchy.ForImageNet"/> (VAC-CNN's 8 roots).
/// <para>
/// <see cref="FileListDataset.Fingerprint"/>: SHA-256 over the class list and, per image, its file name, size and label (contents not
/// read).
/// </para>
/// </remarks>
public sealed class ImageNetValDataset : FileListDataset
{
    private static readonly Regex ValName = new(@"^ILSVRC2012_val_(\d{8})\.jpe?g$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    /// <summary>Opens <paramref name="imagesDirectory"/>.</summary>
    /// <param name="imagesDirectory">The folder of <c>ILSVRC2012_val_*.JPEG</c> files.</param>
    /// <param name="files">Label files; missing members are located (<see cref="ImageNetValFiles.Locate"/>).</param>
    /// <param name="hierarchy">Default <see cref="ClassHierarchy.ForImageNet"/> over the classes.</param>
    /// <param name="colorMode">Default <see cref="ImageColorMode.Rgb"/>.</param>
    /// <param name="decoderOptions">Default <see cref="ImageDecoderOptions.Default"/>.</param>
    /// <param name="name">Default "ImageNet val".</param>
    /// <exception cref="DirectoryNotFoundException">When the folder does not exist.</exception>
    /// <exception cref="DatasetFormatException">
    /// When no label files are found, a label file is malformed, there is no validation image, or an image has no label.
    /// </exception>
    public ImageNetValDataset(string imagesDirectory, ImageNetValFiles? files = null, ClassHierarchy? hierarchy = null,
        ImageColorMode colorMode = ImageColorMode.Rgb, ImageDecoderOptions? decoderOptions = null, string? name = null)
        : base(imagesDirectory, colorMode, decoderOptions, name ?? "ImageNet val")
    {
        ImagesDirectory = Folder;
        if (!Directory.Exists(ImagesDirectory)) throw new DirectoryNotFoundException($"ImageNet validation folder not found: {ImagesDirectory}");
        Files = (files ?? new ImageNetValFiles()).Locate(ImagesDirectory);

        Func<int, string, int> labelOf; // (image number, file name) -> class index
        string[] wnids;
        string[] names;
        if (Files.LocSolution is not null && Files.SynsetMapping is not null)
        {
            Layout = ImageNetValLayout.Loc;
            (wnids, names) = ReadSynsets(Files.SynsetMapping, sorted: true);
            var index = wnids.Select((w, i) => (w, i)).ToDictionary(t => t.w, t => t.i, StringComparer.Ordinal);
            var solution = ReadLocSolution(Files.LocSolution, index);
            labelOf = (_, file) => solution.TryGetValue(Path.GetFileNameWithoutExtension(file), out var label)
                ? label
                : throw new DatasetFormatException($"{file} has no row in {Files.LocSolution}.");
        }
        else if (Files.GroundTruth is not null && Files.SynsetList is not null)
        {
            Layout = ImageNetValLayout.Devkit;
            var (byId, wordsById) = Files.SynsetList.EndsWith(".mat", StringComparison.OrdinalIgnoreCase)
                ? ReadMetaMat(Files.SynsetList)
                : ReadSynsets(Files.SynsetList, sorted: false);
            var order = Enumerable.Range(0, byId.Length).OrderBy(i => byId[i], StringComparer.Ordinal).ToArray();
            wnids = order.Select(i => byId[i]).ToArray();
            names = order.Select(i => wordsById[i]).ToArray();
            var classOfId = new int[byId.Length];
            for (var k = 0; k < order.Length; k++) classOfId[order[k]] = k;
            var truth = ReadGroundTruth(Files.GroundTruth, byId.Length);
            labelOf = (number, file) => number >= 1 && number <= truth.Length
                ? classOfId[truth[number - 1] - 1]
                : throw new DatasetFormatException($"{file}: {Files.GroundTruth} has only {truth.Length} lines.");
        }
        else
        {
            throw new DatasetFormatException(
                $"{ImagesDirectory}: no ImageNet labels found. Need either {ImageNetValFiles.LocSolutionName} + {ImageNetValFiles.SynsetMappingName}, " +
                $"or {ImageNetValFiles.GroundTruthName} + {ImageNetValFiles.MetaMatName} (or {ImageNetValFiles.SynsetListName}), " +
                "in the folder or up to four levels above it, or their ILSVRC2012_devkit_t12/data; found: " +
                string.Join(", ", new[] { Files.LocSolution, Files.SynsetMapping, Files.GroundTruth, Files.SynsetList }.Where(f => f is not null).DefaultIfEmpty("nothing")) + ".");
        }
        var duplicate = wnids.GroupBy(w => w).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new DatasetFormatException($"Synset {duplicate.Key} is listed twice in {Files.SynsetMapping ?? Files.SynsetList}.");
        ClassNames = names.Select((n, i) => n.Length > 0 ? n.Split(", ")[0] : wnids[i]).ToArray();
        var classHierarchy = hierarchy ?? ClassHierarchy.ForImageNet(wnids, ClassNames);
        classHierarchy.EnsureMatches(wnids, Name);

        var images = new DirectoryInfo(ImagesDirectory).EnumerateFiles()
            .Select(f => (File: f, Match: ValName.Match(f.Name)))
            .Where(t => t.Match.Success)
            .OrderBy(t => t.File.Name, StringComparer.Ordinal)
            .ToList();
        if (images.Count == 0)
            throw new DatasetFormatException($"{ImagesDirectory}: no ILSVRC2012_val_XXXXXXXX.JPEG files.");
        SetItems("imagenet-val", wnids, classHierarchy,
            images.Select(t => (t.File.Name, t.File.Length, labelOf(int.Parse(t.Match.Groups[1].Value), t.File.Name))).ToList());
    }

    /// <summary>The image folder (absolute).</summary>
    public string ImagesDirectory { get; }

    /// <summary>The label files used (after <see cref="ImageNetValFiles.Locate"/>).</summary>
    public ImageNetValFiles Files { get; }

    /// <summary>Which layout the labels came from.</summary>
    public ImageNetValLayout Layout { get; }

    /// <summary>Display names in class-index order ("tench").</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Name}: {Count} images, {Classes.Count} classes ({Layout} labels, {ImagesDirectory})";

    /// <summary>Reads "wnid words" lines; sorted: by wnid (mapping) or kept in file order (ILSVRC2012_ID order).</summary>
    private static (string[] Wnids, string[] Words) ReadSynsets(string path, bool sorted)
    {
        var rows = new List<(string Wnid, string Words)>();
        var n = 0;
        foreach (var raw in File.ReadLines(path))
        {
            n++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var space = line.IndexOfAny(new[] { ' ', '\t' });
            var wnid = space < 0 ? line : line[..space];
            if (!IsWnid(wnid)) throw new DatasetFormatException($"{path}:{n}: '{wnid}' is not a wnid (nXXXXXXXX).");
            rows.Add((wnid, space < 0 ? "" : line[(space + 1)..].Trim()));
        }
        if (rows.Count == 0) throw new DatasetFormatException($"{path}: no synsets.");
        if (sorted) rows.Sort((a, b) => string.CompareOrdinal(a.Wnid, b.Wnid));
        return (rows.Select(r => r.Wnid).ToArray(), rows.Select(r => r.Words).ToArray());
    }

    private static (string[] Wnids, string[] Words) ReadMetaMat(string path)
    {
        MatFile.Struct synsets;
        try
        {
            synsets = MatFile.Read(path).TryGetValue("synsets", out var value) && value is MatFile.Struct s
                ? s
                : throw new DatasetFormatException($"{path}: no 'synsets' struct array (expected the ILSVRC2012 devkit's meta.mat).");
        }
        catch (Exception ex) when (ex is EndOfStreamException or InvalidDataException or NotSupportedException)
        {
            throw new DatasetFormatException($"{path}: not a readable MATLAB 5 file ({ex.Message}).", ex);
        }
        var leaves = new SortedDictionary<int, (string Wnid, string Words)>();
        for (var i = 0; i < synsets.Count; i++)
        {
            var id = (int)synsets.Number(i, "ILSVRC2012_ID");
            var children = synsets.Has("num_children") ? synsets.Number(i, "num_children") : 0;
            if (children != 0 || id <= 0) continue;
            var wnid = synsets.Text(i, "WNID");
            if (!IsWnid(wnid)) throw new DatasetFormatException($"{path}: synset {i + 1} has WNID '{wnid}'.");
            if (!leaves.TryAdd(id, (wnid, synsets.Has("words") ? synsets.Text(i, "words") : "")))
                throw new DatasetFormatException($"{path}: ILSVRC2012_ID {id} appears twice.");
        }
        if (leaves.Count == 0 || leaves.Keys.First() != 1 || leaves.Keys.Last() != leaves.Count)
            throw new DatasetFormatException($"{path}: leaf synsets do not have ILSVRC2012_IDs 1..N.");
        return (leaves.Values.Select(v => v.Wnid).ToArray(), leaves.Values.Select(v => v.Words).ToArray());
    }

    private static Dictionary<string, int> ReadLocSolution(string path, IReadOnlyDictionary<string, int> classIndex)
    {
        var result = new Dictionary<string, int>(StringComparer.Ordinal);
        var n = 0;
        foreach (var raw in File.ReadLines(path))
        {
            n++;
            var line = raw.Trim();
            if (line.Length == 0) continue;
            if (n == 1 && line.StartsWith("ImageId", StringComparison.OrdinalIgnoreCase)) continue;
            var comma = line.IndexOf(',');
            if (comma <= 0) throw new DatasetFormatException($"{path}:{n}: expected 'ImageId,PredictionString'.");
            var id = line[..comma].Trim();
            var wnid = line[(comma + 1)..].Trim().Split(' ', 2)[0];
            if (!classIndex.TryGetValue(wnid, out var label))
                throw new DatasetFormatException($"{path}:{n}: '{wnid}' is not in the synset mapping.");
            if (!result.TryAdd(id, label)) throw new DatasetFormatException($"{path}:{n}: image {id} appears twice.");
        }
        return result;
    }

    private static int[] ReadGroundTruth(string path, int classCount)
    {
        var labels = new List<int>();
        var n = 0;
        foreach (var raw in File.ReadLines(path))
        {
            n++;
            var line = raw.Trim();
            if (line.Length == 0) continue;
            if (!int.TryParse(line, out var id) || id < 1 || id > classCount)
                throw new DatasetFormatException($"{path}:{n}: '{line}' is not an ILSVRC2012_ID in 1..{classCount}.");
            labels.Add(id);
        }
        return labels.ToArray();
    }

    private static bool IsWnid(string s) => s.Length == 9 && s[0] == 'n' && s.Skip(1).All(char.IsAsciiDigit);
}
