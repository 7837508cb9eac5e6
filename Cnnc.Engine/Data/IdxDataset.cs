using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.IO.Compression;
using System.Security.Cryptography;
using Cnnc.Engine.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Data;

/// <summary>Which part of a dataset with a fixed split.</summary>
public enum DatasetSplit
{
    /// <summary>The training set (IDX file prefix <c>train</c>).</summary>
    Train,
    /// <summary>The test set (IDX file prefix <c>t10k</c>).</summary>
    Test,
}

/// <summary>
/// MNIST-style IDX files (Fashion-MNIST, MNIST, KMNIST…): an unsigned-byte image file (magic 0x00000803, N×H×W) and a
/// label file (magic 0x00000801, N), each plain or gzip-compressed (detected from the content). Both files are read
/// and validated once, in the constructor; images are 1×H×W.
/// </summary>
/// <remarks>
/// Validation: magic numbers, that each file's length is exactly what its header declares, that image and label
/// counts agree, and that every label is below the class count. Any failure is a
/// <see cref="DatasetFormatException"/> naming the file.
/// <para>
/// <see cref="Fingerprint"/>: SHA-256 of the decompressed image file followed by the decompressed label file, so the
/// same data gives the same fingerprint whether gzip-compressed or not.
/// </para>
/// </remarks>
public sealed class IdxDataset : IImageDataset
{
    /// <summary>Where Debian's <c>dataset-fashion-mnist</c> installs the files: <c>/usr/share/datasets/fashion-mnist</c>.</summary>
    public const string FashionMnistDefaultRoot = "/usr/share/datasets/fashion-mnist";

    /// <summary>Fashion-MNIST's 10 classes in label order.</summary>
    public static IReadOnlyList<string> FashionMnistClasses { get; } = new[]
    {
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    };

    /// <summary>MNIST's 10 classes in label order: "0" … "9".</summary>
    public static IReadOnlyList<string> DigitClasses { get; } = Enumerable.Range(0, 10).Select(i => i.ToString()).ToArray();

    private const int ImagesMagic = 0x00000803;
    private const int LabelsMagic = 0x00000801;
    private const int ImagesHeader = 16;
    private const int LabelsHeader = 8;

    private readonly byte[] _images;
    private readonly byte[] _labels;
    private readonly string _describePrefix;
    private readonly Lazy<string> _fingerprint;

    /// <summary>Reads and validates an IDX image file and label file.</summary>
    /// <param name="imagesPath">The images file (idx3-ubyte, optionally .gz).</param>
    /// <param name="labelsPath">The labels file (idx1-ubyte, optionally .gz).</param>
    /// <param name="name">Dataset name, e.g. "Fashion-MNIST (test)".</param>
    /// <param name="classes">Class names in label order.</param>
    /// <param name="hierarchy">Default: <see cref="ClassHierarchy.Flat"/> over <paramref name="classes"/>.</param>
    /// <param name="describePrefix">Prefix of <see cref="Describe"/>, e.g. "test" gives "test[17]"; default "item".</param>
    /// <exception cref="DatasetFormatException">For a missing or malformed file, or inconsistent files.</exception>
    public IdxDataset(string imagesPath, string labelsPath, string name, IReadOnlyList<string> classes,
        ClassHierarchy? hierarchy = null, string describePrefix = "item")
    {
        if (classes.Count is 0 or > 256) throw new ArgumentException("IDX labels are bytes: 1 to 256 classes.", nameof(classes));
        ImagesPath = imagesPath;
        LabelsPath = labelsPath;
        Name = name;
        Classes = classes.ToArray();
        Hierarchy = hierarchy ?? ClassHierarchy.Flat(Classes);
        Hierarchy.EnsureMatches(Classes, name);
        _describePrefix = describePrefix;

        _images = ReadMaybeGzip(imagesPath);
        _labels = ReadMaybeGzip(labelsPath);
        if (_images.Length < ImagesHeader || BinaryPrimitives.ReadInt32BigEndian(_images) != ImagesMagic)
            throw new DatasetFormatException(
                $"{imagesPath}: not an IDX unsigned-byte 3-D image file (magic {Magic(_images)}, expected 0x00000803).");
        if (_labels.Length < LabelsHeader || BinaryPrimitives.ReadInt32BigEndian(_labels) != LabelsMagic)
            throw new DatasetFormatException(
                $"{labelsPath}: not an IDX unsigned-byte 1-D label file (magic {Magic(_labels)}, expected 0x00000801).");
        var count = BinaryPrimitives.ReadInt32BigEndian(_images.AsSpan(4));
        Height = BinaryPrimitives.ReadInt32BigEndian(_images.AsSpan(8));
        Width = BinaryPrimitives.ReadInt32BigEndian(_images.AsSpan(12));
        if (count <= 0 || Height <= 0 || Width <= 0)
            throw new DatasetFormatException($"{imagesPath}: header declares {count} images of {Height}x{Width}.");
        var expected = ImagesHeader + (long)count * Height * Width;
        if (_images.LongLength != expected)
            throw new DatasetFormatException(
                $"{imagesPath}: header declares {count} images of {Height}x{Width} ({expected} bytes) but the data has {_images.LongLength} bytes" +
                (_images.LongLength < expected ? " (truncated)." : "."));
        var labelCount = BinaryPrimitives.ReadInt32BigEndian(_labels.AsSpan(4));
        if (_labels.LongLength != LabelsHeader + (long)labelCount)
            throw new DatasetFormatException(
                $"{labelsPath}: header declares {labelCount} labels but the data has {_labels.LongLength - LabelsHeader}.");
        if (labelCount != count)
            throw new DatasetFormatException($"{imagesPath} has {count} images but {labelsPath} has {labelCount} labels.");
        for (var i = 0; i < count; i++)
            if (_labels[LabelsHeader + i] >= Classes.Count)
                throw new DatasetFormatException($"{labelsPath}: label {_labels[LabelsHeader + i]} of item {i} is not below the class count {Classes.Count}.");
        Count = count;
        _fingerprint = new Lazy<string>(() =>
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            sha.AppendData(_images);
            sha.AppendData(_labels);
            return "sha256:" + Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
        });
    }

    /// <summary>
    /// Fashion-MNIST from <paramref name="root"/> (default <see cref="FashionMnistDefaultRoot"/>), with
    /// <see cref="FashionMnistClasses"/> and <see cref="ClassHierarchy.FashionMnist"/>. Default split: test.
    /// </summary>
    /// <exception cref="DatasetFormatException">When the files are missing or malformed.</exception>
    public static IdxDataset FashionMnist(DatasetSplit split = DatasetSplit.Test, string? root = null) =>
        Open(root ?? FashionMnistDefaultRoot, split, $"Fashion-MNIST ({Lower(split)})", FashionMnistClasses, ClassHierarchy.FashionMnist);

    /// <summary>MNIST digits from <paramref name="root"/>, classes "0"…"9", flat hierarchy. Default split: test.</summary>
    /// <exception cref="DatasetFormatException">When the files are missing or malformed.</exception>
    public static IdxDataset Mnist(string root, DatasetSplit split = DatasetSplit.Test) =>
        Open(root, split, $"MNIST ({Lower(split)})", DigitClasses, null);

    /// <summary>
    /// Opens the standard file names in <paramref name="root"/> or <c>root/raw</c> (torchvision's layout):
    /// <c>train-images-idx3-ubyte</c> / <c>train-labels-idx1-ubyte</c> for train, <c>t10k-…</c> for test, each also
    /// with <c>.gz</c> or as <c>…-images.idx3-ubyte</c>. The first existing candidate is used.
    /// </summary>
    /// <exception cref="DatasetFormatException">When no candidate exists (the message lists them) or a file is malformed.</exception>
    public static IdxDataset Open(string root, DatasetSplit split, string name, IReadOnlyList<string> classes, ClassHierarchy? hierarchy = null)
    {
        var prefix = split == DatasetSplit.Train ? "train" : "t10k";
        return new IdxDataset(Find(root, prefix, "images", 3), Find(root, prefix, "labels", 1), name, classes, hierarchy, Lower(split));
    }

    /// <summary>The image file that was read.</summary>
    public string ImagesPath { get; }

    /// <summary>The label file that was read.</summary>
    public string LabelsPath { get; }

    /// <summary>Image height in pixels (28 for Fashion-MNIST).</summary>
    public int Height { get; }

    /// <summary>Image width in pixels (28 for Fashion-MNIST).</summary>
    public int Width { get; }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public int Count { get; }

    /// <inheritdoc />
    public IReadOnlyList<string> Classes { get; }

    /// <inheritdoc />
    public ClassHierarchy Hierarchy { get; }

    /// <inheritdoc />
    public int Channels => 1;

    /// <inheritdoc />
    public string Fingerprint => _fingerprint.Value;

    /// <inheritdoc />
    public int Label(int index)
    {
        DatasetSupport.CheckIndex(index, Count);
        return _labels[LabelsHeader + index];
    }

    /// <summary>"test[17]" or "train[17]" (the prefix given to the constructor).</summary>
    public string Describe(int index)
    {
        DatasetSupport.CheckIndex(index, Count);
        return $"{_describePrefix}[{index}]";
    }

    /// <summary>The raw bytes of image <paramref name="index"/>, row-major H×W.</summary>
    public ReadOnlySpan<byte> Pixels(int index)
    {
        DatasetSupport.CheckIndex(index, Count);
        return _images.AsSpan(ImagesHeader + index * Height * Width, Height * Width);
    }

    /// <inheritdoc />
    public Tensor Load(int index) => LoadBatch(index, 1).squeeze_(0);

    /// <summary>Items <paramref name="start"/> … start+count−1 as one float32 CPU tensor N×1×H×W in [0, 1].</summary>
    public Tensor LoadBatch(int start, int count)
    {
        if (count <= 0 || start < 0 || (long)start + count > Count)
            throw new ArgumentOutOfRangeException(nameof(count), $"Range {start}+{count} is outside 0..{Count}.");
        TorchRuntime.Initialize();
        using var scope = NewDisposeScope();
        var plane = Height * Width;
        var bytes = _images.AsSpan(ImagesHeader + start * plane, count * plane).ToArray();
        var raw = torch.tensor(bytes, new long[] { count, 1, Height, Width }, ScalarType.Byte);
        return raw.to_type(ScalarType.Float32).div_(255f).MoveToOuterDisposeScope();
    }

    /// <summary>Never fails for IDX data (everything was validated on opening); always true.</summary>
    public bool TryLoad(int index, [NotNullWhen(true)] out Tensor? image, [NotNullWhen(false)] out string? error)
    {
        image = Load(index);
        error = null;
        return true;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name}: {Count} images {Height}x{Width}, {Classes.Count} classes";

    private static string Lower(DatasetSplit split) => split == DatasetSplit.Train ? "train" : "test";

    private static string Magic(byte[] data) =>
        data.Length >= 4 ? "0x" + Convert.ToHexString(data, 0, 4) : $"missing, {data.Length} bytes";

    private static string Find(string root, string prefix, string kind, int dims)
    {
        var names = new[] { $"{prefix}-{kind}-idx{dims}-ubyte", $"{prefix}-{kind}.idx{dims}-ubyte" };
        var candidates = new List<string>();
        foreach (var dir in new[] { root, Path.Combine(root, "raw") })
            foreach (var n in names)
            {
                candidates.Add(Path.Combine(dir, n));
                candidates.Add(Path.Combine(dir, n + ".gz"));
            }
        return candidates.FirstOrDefault(File.Exists)
               ?? throw new DatasetFormatException(
                   $"No IDX {kind} file for the {(prefix == "t10k" ? "test" : "train")} split under {root}; looked for: " +
                   string.Join(", ", candidates.Select(c => Path.GetRelativePath(root, c))) + ".");
    }

    private static byte[] ReadMaybeGzip(string path)
    {
        if (!File.Exists(path)) throw new DatasetFormatException($"IDX file not found: {path}.");
        try
        {
            var data = File.ReadAllBytes(path);
            if (data.Length < 2 || data[0] != 0x1F || data[1] != 0x8B) return data;
            using var gzip = new GZipStream(new MemoryStream(data), CompressionMode.Decompress);
            using var output = new MemoryStream(data.Length * 2);
            gzip.CopyTo(output);
            return output.ToArray();
        }
        catch (InvalidDataException ex)
        {
            throw new DatasetFormatException($"{path}: corrupt gzip data ({ex.Message}).", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new DatasetFormatException($"{path}: cannot be read ({ex.Message}).", ex);
        }
    }
}
