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
/// Files are not opened while listing: an unreadable image shows up when it is loaded (<see cref="FileListDataset.TryLoad"/>).
/// The listing, decoding and fingerprint are <see cref="FileListDataset"/>'s.
/// </remarks>
public sealed class ImageFolderDataset : FileListDataset
{
    /// <summary>torchvision's <c>IMG_EXTENSIONS</c>: .jpg .jpeg .png .ppm .bmp .pgm .tif .tiff .webp.</summary>
    public static IReadOnlyList<string> Extensions { get; } = new[] { ".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp" };

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
        : base(root, colorMode, decoderOptions, name ?? Path.GetFileName(Path.GetFullPath(root).TrimEnd(Path.DirectorySeparatorChar)))
    {
        Root = Folder;
        if (!Directory.Exists(Root)) throw new DirectoryNotFoundException($"Image folder not found: {Root}");

        var classes = new DirectoryInfo(Root).EnumerateDirectories()
            .Select(d => d.Name)
            .Where(n => !n.StartsWith('.'))
            .OrderBy(n => n, DatasetSupport.CodePointComparer)
            .ToArray();
        if (classes.Length == 0)
            throw new DatasetFormatException($"{Root}: no class sub-folders (ImageFolder layout: root/<class>/<image>).");
        (hierarchy ?? ClassHierarchy.Flat(classes)).EnsureMatches(classes, Name);

        var items = new List<(string, long, int)>();
        var empty = new List<string>();
        for (var label = 0; label < classes.Length; label++)
        {
            var before = items.Count;
            foreach (var file in ClassFiles(Path.Combine(Root, classes[label])))
                items.Add((Path.GetRelativePath(Root, file.FullName).Replace(Path.DirectorySeparatorChar, '/'), file.Length, label));
            if (items.Count == before) empty.Add(classes[label]);
        }
        if (empty.Count > 0)
            throw new DatasetFormatException(
                $"{Root}: class folder(s) with no image file: {string.Join(", ", empty)}. Supported extensions: {string.Join(" ", Extensions)}.");
        SetItems("imagefolder", classes, hierarchy ?? ClassHierarchy.Flat(classes), items);
    }

    /// <summary>The dataset folder (absolute).</summary>
    public string Root { get; }

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
