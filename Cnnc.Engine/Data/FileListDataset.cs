using System.Diagnostics.CodeAnalysis;
using System.Text;
using static TorchSharp.torch;

namespace Cnnc.Engine.Data;

/// <summary>
/// What the file-based datasets share (<see cref="ImageFolderDataset"/>, <see cref="ImageNetValDataset"/>): a folder, a
/// list of image files relative to it with their sizes and labels, found once when the dataset is opened; images
/// decoded on demand. <see cref="Fingerprint"/>: SHA-256 over a tag of the layout, the class list and, per item, its
/// relative path, file size and label (file contents are not read, so an edit that keeps a file's size is not detected).
/// </summary>
public abstract class FileListDataset : IImageFileDataset
{
    private string _tag = "";
    private string[] _files = Array.Empty<string>();
    private long[] _sizes = Array.Empty<long>();
    private int[] _labels = Array.Empty<int>();
    private readonly Lazy<string> _fingerprint;

    /// <param name="folder">The folder the files are relative to (made absolute).</param>
    /// <param name="colorMode">How images are decoded.</param>
    /// <param name="decoderOptions">Default <see cref="ImageDecoderOptions.Default"/>.</param>
    /// <param name="name">The dataset's name.</param>
    protected FileListDataset(string folder, ImageColorMode colorMode, ImageDecoderOptions? decoderOptions, string name)
    {
        Folder = Path.GetFullPath(folder);
        ColorMode = colorMode;
        DecoderOptions = decoderOptions ?? ImageDecoderOptions.Default;
        Name = name;
        _fingerprint = new Lazy<string>(() =>
        {
            var text = new StringBuilder(_tag).Append('\n');
            text.Append(string.Join("\t", Classes)).Append('\n');
            for (var i = 0; i < _files.Length; i++)
                text.Append(_files[i]).Append('\t').Append(_sizes[i]).Append('\t').Append(_labels[i]).Append('\n');
            return DatasetSupport.Sha256(text.ToString());
        });
    }

    /// <summary>Sets what the subclass found: classes, hierarchy (checked against them) and the items in order.</summary>
    /// <param name="tag">The layout's tag in the fingerprint, e.g. "imagefolder".</param>
    /// <param name="classes">Class keys in class-index order.</param>
    /// <param name="hierarchy">Roots over <paramref name="classes"/>.</param>
    /// <param name="items">Every image: path relative to the folder, file size, label.</param>
    protected void SetItems(string tag, IReadOnlyList<string> classes, ClassHierarchy hierarchy,
        IReadOnlyList<(string RelativePath, long Size, int Label)> items)
    {
        hierarchy.EnsureMatches(classes, Name);
        _tag = tag;
        Classes = classes;
        Hierarchy = hierarchy;
        _files = items.Select(i => i.RelativePath).ToArray();
        _sizes = items.Select(i => i.Size).ToArray();
        _labels = items.Select(i => i.Label).ToArray();
    }

    /// <summary>The folder the items' paths are relative to (absolute).</summary>
    protected string Folder { get; }

    /// <summary>How images are decoded (RGB or grey).</summary>
    public ImageColorMode ColorMode { get; }

    /// <summary>Decoder limits used by <see cref="Load"/>.</summary>
    public ImageDecoderOptions DecoderOptions { get; }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public int Count => _labels.Length;

    /// <inheritdoc />
    public IReadOnlyList<string> Classes { get; private set; } = Array.Empty<string>();

    /// <inheritdoc />
    public ClassHierarchy Hierarchy { get; private set; } = null!;

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

    /// <summary>The item's path relative to the dataset's folder, with '/' separators.</summary>
    public string Describe(int index)
    {
        DatasetSupport.CheckIndex(index, Count);
        return _files[index];
    }

    /// <summary>The absolute path of item <paramref name="index"/>.</summary>
    public string PathOf(int index) => Path.Combine(Folder, Describe(index));

    /// <inheritdoc />
    public Tensor Load(int index) => LoadImage(index).ToTensor();

    /// <inheritdoc />
    public DecodedImage LoadImage(int index) => ImageDecoder.Decode(PathOf(index), ColorMode, DecoderOptions);

    /// <inheritdoc />
    public bool TryLoad(int index, [NotNullWhen(true)] out Tensor? image, [NotNullWhen(false)] out string? error) =>
        DatasetSupport.TryLoad(this, index, out image, out error);

    /// <inheritdoc />
    public override string ToString() => $"{Name}: {Count} images, {Classes.Count} classes ({Folder})";
}
