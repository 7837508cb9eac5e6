using System.Diagnostics.CodeAnalysis;
using System.Text;
using static TorchSharp.torch;

namespace Cnnc.Engine.Data;

/// <summary>
/// torchvision's <c>ImageFolder</c>: <c>root/&lt;class&gt;/**/&lt;image&gt;</c>, one sub-folder per class.
/// </summary>
/// <remarks>
/// As torchvision: classes are the sub-folder names of <see cref="Root"/> sorted by code point (Python's
/// <c>sorted</c>); the files of each class are found recursively (symbolic links followed), folders visited in sorted
/// path order and files sorted by name within each; a file counts when its name ends with one of
/// <see cref="Extensions"/>, compared case-insensitively; a class folder without such a file is an error. Unlike
/// torchvision, class folders whose name starts with '.' (e.g. <c>.ipynb_checkpoints</c>) are ignored.
/// Files are not opened while listing: an unreadable image shows up when it is loaded (<see cref="TryLoad"/>).
/// <para>
/// <see cref="Fingerprint"/>: SHA-256 over the class list and, per item, its relative path, file size and label. It
/// does not read file contents, so an edit that keeps a file's size is not detected.
/// </para>
/// </remarks>
public sealed class ImageFolderDataset : IImageDataset
{
    /// <summary>torchvision's <c>IMG_EXTENSIONS</c>: .jpg .jpeg .png .ppm .bmp .pgm .tif .tiff .webp.</summary>
    public static IReadOnlyList<string> Extensions { get; } = new[] { ".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp" };

    private readonly string[] _relativePaths;
    private readonly long[] _sizes;
    private readonly int[] _labels;
    private readonly Lazy<string> _fingerprint;

    /// <summary>Lists <paramref name="root"/>.</summary>
    /// <param name="root">The folder holding one sub-folder per class.</param>
    /// <param name="hierarchy">Default <see cref="ClassHierarchy.Flat"/>; must have the same classes in the same order.</param>
    /// <param name="colorMode">Default <see cref="ImageColorMode.Rgb"/> (3 channels, as torchvision's loader).</param>
    /// <param name="decoderOptions">Default <see cref="ImageDecoderOptions.Default"/>.</param>
    /// <param name="name">Default: the folder's name.</param>
    /// <exception cref="DirectoryNotFoundException">When <paramref name="root"/> does not exist.</exception>
    /// <exception cref="DatasetFormatException">When there is no class folder, or a class folder has no image file.</exception>
    public ImageFolderDataset(string root, ClassHierarchy? hierarchy = null, ImageColorMode colorMode = ImageColorMode.Rgb,
        ImageDecoderOptions? decoderOptions = null, string? name = null)
    {
        Root = Path.GetFullPath(root);
        if (!Directory.Exists(Root)) throw new DirectoryNotFoundException($"Image folder not found: {Root}");
        ColorMode = colorMode;
        DecoderOptions = decoderOptions ?? ImageDecoderOptions.Default;
        Name = name ?? Path.GetFileName(Root.TrimEnd(Path.DirectorySeparatorChar));

        var classes = new DirectoryInfo(Root).EnumerateDirectories()
            .Select(d => d.Name)
            .Where(n => !n.StartsWith('.'))
            .OrderBy(n => n, DatasetSupport.CodePointComparer)
            .ToArray();
        if (classes.Length == 0)
            throw new DatasetFormatException($"{Root}: no class sub-folders (ImageFolder layout: root/<class>/<image>).");
        Classes = classes;
        Hierarchy = hierarchy ?? ClassHierarchy.Flat(classes);
        Hierarchy.EnsureMatches(classes, Name);

        var paths = new List<string>();
        var sizes = new List<long>();
        var labels = new List<int>();
        var empty = new List<string>();
        for (var label = 0; label < classes.Length; label++)
        {
            var before = paths.Count;
            foreach (var file in ClassFiles(Path.Combine(Root, classes[label])))
            {
                paths.Add(Path.GetRelativePath(Root, file.FullName).Replace(Path.DirectorySeparatorChar, '/'));
                sizes.Add(file.Length);
                labels.Add(label);
            }
            if (paths.Count == before) empty.Add(classes[label]);
        }
        if (empty.Count > 0)
            throw new DatasetFormatException(
                $"{Root}: class folder(s) with no image file: {string.Join(", ", empty)}. Supported extensions: {string.Join(" ", Extensions)}.");
        _relativePaths = paths.ToArray();
        _sizes = sizes.ToArray();
        _labels = labels.ToArray();
        _fingerprint = new Lazy<string>(() =>
        {
            var text = new StringBuilder("imagefolder\n");
            text.Append(string.Join("\t", Classes)).Append('\n');
            for (var i = 0; i < _relativePaths.Length; i++)
                text.Append(_relativePaths[i]).Append('\t').Append(_sizes[i]).Append('\t').Append(_labels[i]).Append('\n');
            return DatasetSupport.Sha256(text.ToString());
        });
    }

    /// <summary>The dataset folder (absolute).</summary>
    public string Root { get; }

    /// <summary>How images are decoded (RGB or grey).</summary>
    public ImageColorMode ColorMode { get; }

    /// <summary>Decoder limits used by <see cref="Load"/>.</summary>
    public ImageDecoderOptions DecoderOptions { get; }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public int Count => _labels.Length;

    /// <inheritdoc />
    public IReadOnlyList<string> Classes { get; }

    /// <inheritdoc />
    public ClassHierarchy Hierarchy { get; }

    /// <inheritdoc />
    public int Channels => ColorMode == ImageColorMode.Rgb ? 3 : 1;

    /// <inheritdoc />
    public string Fingerprint => _fingerprint.Value;

    /// <inheritdoc />
    public int Label(int index)
    {
        DatasetSupport.CheckIndex(index, Count);
        return _labels[index];
    }

    /// <summary>The path relative to <see cref="Root"/>, with '/' separators, e.g. "cat/001.png".</summary>
    public string Describe(int index)
    {
        DatasetSupport.CheckIndex(index, Count);
        return _relativePaths[index];
    }

    /// <summary>The absolute path of item <paramref name="index"/>.</summary>
    public string PathOf(int index) => Path.Combine(Root, Describe(index));

    /// <inheritdoc />
    public Tensor Load(int index) => ImageDecoder.DecodeTensor(PathOf(index), ColorMode, DecoderOptions);

    /// <inheritdoc />
    public bool TryLoad(int index, [NotNullWhen(true)] out Tensor? image, [NotNullWhen(false)] out string? error) =>
        DatasetSupport.TryLoad(this, index, out image, out error);

    /// <inheritdoc />
    public override string ToString() => $"{Name}: {Count} images, {Classes.Count} classes ({Root})";

    /// <summary>True when torchvision's ImageFolder would take the file (extension check, case-insensitive).</summary>
    public static bool HasImageExtension(string fileName) =>
        Extensions.Any(e => fileName.EndsWith(e, StringComparison.OrdinalIgnoreCase));

    private static IEnumerable<FileInfo> ClassFiles(string classDir)
    {
        // os.walk(followlinks=True), sorted by folder path, files sorted by name; guard against link cycles.
        var visited = new HashSet<string>(StringComparer.Ordinal);
        var folders = new List<string>();
        void Walk(string dir)
        {
            var real = new DirectoryInfo(dir).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(dir);
            if (!visited.Add(real)) return;
            folders.Add(dir);
            foreach (var sub in Directory.EnumerateDirectories(dir)) Walk(sub);
        }
        Walk(classDir);
        foreach (var folder in folders.OrderBy(f => f, DatasetSupport.CodePointComparer))
        {
            var files = new DirectoryInfo(folder).EnumerateFiles()
                .Where(f => HasImageExtension(f.Name))
                .OrderBy(f => f.Name, DatasetSupport.CodePointComparer);
            foreach (var file in files) yield return file;
        }
    }
}
