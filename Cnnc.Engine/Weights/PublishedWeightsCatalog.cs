using System.Globalization;
using Cnnc.Engine.Data;

namespace Cnnc.Engine.Weights;

/// <summary>One of torchvision's published ImageNet-1k weights (a row of the embedded catalog).</summary>
/// <param name="Architecture">torchvision builder name, e.g. "resnet50".</param>
/// <param name="Name">The weights enum member, e.g. "ResNet50_Weights.IMAGENET1K_V2".</param>
/// <param name="IsDefault">Whether it is the builder's <c>DEFAULT</c>.</param>
/// <param name="FileName">The file name torch.hub caches it under, e.g. "resnet50-11ad3fa6.pth".</param>
/// <param name="HashPrefix">The hex digits in that name: the start of the file's SHA-256.</param>
/// <param name="NumParams">Published parameter count.</param>
/// <param name="Acc1">Published ImageNet-1K top-1 accuracy in percent (NaN for feature-only weights).</param>
/// <param name="Acc5">Published top-5 accuracy in percent (NaN for feature-only weights).</param>
/// <param name="Preprocessing">Its <c>weights.transforms()</c>: resize, center crop, interpolation, mean/std.</param>
public sealed record PublishedWeightsInfo(
    string Architecture, string Name, bool IsDefault, string FileName, string HashPrefix, long NumParams,
    double Acc1, double Acc5, Preprocessing Preprocessing)
{
    /// <summary>True when the file's SHA-256 (lowercase hex) starts with <see cref="HashPrefix"/>.</summary>
    public bool MatchesHash(string sha256) => sha256.StartsWith(HashPrefix, StringComparison.OrdinalIgnoreCase);

    /// <summary>"ResNet50_Weights.IMAGENET1K_V2 (acc@1 80.858 %)".</summary>
    public override string ToString() =>
        double.IsNaN(Acc1) ? Name : $"{Name} (acc@1 {Acc1.ToString("0.###", CultureInfo.InvariantCulture)} %)";
}

/// <summary>How <see cref="PublishedWeightsCatalog.Recognize"/> saw a weights file.</summary>
/// <param name="Published">The published weights it is; null when it is not one.</param>
/// <param name="NamedLike">The published weights whose file name it has, whether or not the content matches.</param>
/// <param name="Sha256">The file's SHA-256 (lowercase hex); null when only the name was consulted.</param>
/// <param name="Note">A one-line remark for the user (e.g. named like a published file but not it); null when none.</param>
public sealed record WeightsRecognition(PublishedWeightsInfo? Published, PublishedWeightsInfo? NamedLike, string? Sha256, string? Note);

/// <summary>
/// A catalog of published weights files: <see cref="Torchvision"/> holds torchvision 0.14.1's 115 ImageNet-1k weights
/// of 80 builders (Debian's python3-torchvision), from the embedded resource that <c>tools/published_weights.py</c>
/// writes from torchvision's own metadata; <see cref="Parse"/> reads another in the same format.
/// </summary>
/// <remarks>
/// A file is recognised by content: torch.hub names each file <c>&lt;name&gt;-&lt;first hex digits of its
/// SHA-256&gt;.pth</c>, so a file whose SHA-256 starts with one entry's prefix is that entry, whatever it is called now.
/// With <c>trustNames</c>, a file carrying a published file name is taken for it without hashing. The catalog lists
/// architectures the engine may not build yet: recognition does not depend on <see cref="Models.ArchitectureCatalog"/>,
/// loading does (an entry starts working once its builder exists).
/// </remarks>
public sealed class PublishedWeightsCatalog
{
    private const string ResourceName = "Cnnc.Engine.Weights.Resources.torchvision-weights.tsv";

    private static readonly Lazy<PublishedWeightsCatalog> Embedded = new(() =>
    {
        using var stream = typeof(PublishedWeightsCatalog).Assembly.GetManifestResourceStream(ResourceName)
                           ?? throw new InvalidOperationException($"Embedded resource {ResourceName} is missing.");
        using var reader = new StreamReader(stream);
        return Parse(reader);
    });

    private PublishedWeightsCatalog(IReadOnlyList<PublishedWeightsInfo> entries) => All = entries;

    /// <summary>torchvision 0.14.1's published ImageNet-1k weights.</summary>
    public static PublishedWeightsCatalog Torchvision => Embedded.Value;

    /// <summary>Every entry, in the catalog's order (by architecture).</summary>
    public IReadOnlyList<PublishedWeightsInfo> All { get; }

    /// <summary>The entry by weights name ("ResNet50_Weights.IMAGENET1K_V2", case-insensitive), or null.</summary>
    public PublishedWeightsInfo? Find(string name) =>
        All.FirstOrDefault(e => e.Name.Equals(name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The entry by hub file name ("resnet50-11ad3fa6.pth", exact), or null.</summary>
    public PublishedWeightsInfo? FindByFileName(string fileName) =>
        All.FirstOrDefault(e => e.FileName.Equals(fileName, StringComparison.Ordinal));

    /// <summary>The entry whose hash prefix starts <paramref name="sha256"/>, or null.</summary>
    public PublishedWeightsInfo? FindByHash(string sha256) => All.FirstOrDefault(e => e.MatchesHash(sha256));

    /// <summary>The builder's default weights for an architecture, or null when the catalog has none.</summary>
    public PublishedWeightsInfo? DefaultFor(string architecture) =>
        All.FirstOrDefault(e => e.IsDefault && e.Architecture.Equals(architecture, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Is the file one of the published weights? By content hash (the file is read), or, with
    /// <paramref name="trustNames"/>, by its file name alone. A file named like a published one whose hash differs is
    /// not recognised, and the note says so.
    /// </summary>
    public WeightsRecognition Recognize(string path, bool trustNames = false)
    {
        var named = FindByFileName(Path.GetFileName(path));
        if (trustNames && named is not null) return new WeightsRecognition(named, named, null, null);
        var sha = WeightsFile.Sha256(path);
        var published = FindByHash(sha);
        string? note = null;
        if (named is not null && published != named)
            note = $"{Path.GetFileName(path)} is named like torchvision's {named.Name} but is not that file (its SHA-256 " +
                   $"starts {sha[..named.HashPrefix.Length]}, not {named.HashPrefix}): loaded as your own weights.";
        return new WeightsRecognition(published, named, sha, note);
    }

    /// <summary>
    /// Reads a catalog in the format of tools/published_weights.py: '#' comment lines, a header line, then one
    /// tab-separated row per weights (architecture, weights, default, file, sha256, num_params, acc1, acc5, resize,
    /// crop, interpolation, mean, std; columns found by header name).
    /// </summary>
    /// <exception cref="FormatException">For a malformed row.</exception>
    public static PublishedWeightsCatalog Parse(TextReader reader)
    {
        var entries = new List<PublishedWeightsInfo>();
        string[]? header = null;
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var fields = line.Split('\t');
            if (header is null)
            {
                header = fields;
                continue;
            }
            string F(string column)
            {
                var i = Array.IndexOf(header, column);
                return i >= 0 && i < fields.Length ? fields[i] : throw new FormatException($"Catalog row '{line}' has no '{column}' column.");
            }
            static float[] Floats(string text) => text.Split(',').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            var crop = int.Parse(F("crop"), CultureInfo.InvariantCulture);
            var preprocessing = Preprocessing.ImageNet with
            {
                ResizeShorterSide = int.Parse(F("resize"), CultureInfo.InvariantCulture),
                CenterCrop = (crop, crop),
                Interpolation = F("interpolation") == "bicubic" ? ResizeInterpolation.Bicubic : ResizeInterpolation.Bilinear,
                Mean = Floats(F("mean")),
                Std = Floats(F("std")),
            };
            entries.Add(new PublishedWeightsInfo(F("architecture"), F("weights"), F("default") == "1", F("file"), F("sha256"),
                long.Parse(F("num_params"), CultureInfo.InvariantCulture),
                double.Parse(F("acc1"), NumberStyles.Float, CultureInfo.InvariantCulture),
                double.Parse(F("acc5"), NumberStyles.Float, CultureInfo.InvariantCulture),
                preprocessing));
        }
        return new PublishedWeightsCatalog(entries);
    }
}
