using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Cnnc.Engine.Data;
using Cnnc.Engine.Evaluation;
using static TorchSharp.torch;

namespace Cnnc.Engine.Corruptions;

/// <summary>
/// A dataset with every image corrupted by one corruption at one severity under one seed (ImageNet-C's protocol:
/// optionally at the model's input geometry first). Its fingerprint combines the source's with the corruption, the
/// severity, the seed, the geometry and <see cref="AlgorithmVersion"/>, so each (corruption, severity, seed) is a store
/// entry of its own, evaluated, sharded and resumed by the existing machinery.
/// </summary>
public sealed class CorruptedDataset : IImageFileDataset
{
    /// <summary>Bumped whenever a corruption's output changes, so that stored results are never reused across versions.</summary>
    public const int AlgorithmVersion = 1;

    private readonly string _fingerprint;

    /// <summary>
    /// Wraps <paramref name="source"/>. <paramref name="geometry"/> (resize, crop, channel conversion; its normalisation
    /// is ignored) is applied before the corruption — the ImageNet-C way, corrupting 224×224 crops.
    /// </summary>
    /// <exception cref="UnknownCorruptionException">For a corruption that is not implemented.</exception>
    /// <exception cref="ArgumentOutOfRangeException">For a severity outside 1..5.</exception>
    public CorruptedDataset(IImageDataset source, string corruption, int severity, ulong seed = 0, Preprocessing? geometry = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ImageCorruptions.Validate(corruption, severity);
        Source = source;
        Corruption = corruption;
        Severity = severity;
        Seed = seed;
        Geometry = geometry is null ? null : geometry with { Mean = Array.Empty<float>(), Std = Array.Empty<float>() };
        Geometry?.Validate();
        _fingerprint = DatasetSupport.Sha256(string.Join("\n", source.Fingerprint, "corruption=" + corruption,
            "severity=" + severity.ToString(CultureInfo.InvariantCulture), "seed=" + seed.ToString(CultureInfo.InvariantCulture),
            "geometry=" + (Geometry?.Key ?? "none"), "version=" + AlgorithmVersion.ToString(CultureInfo.InvariantCulture)));
    }

    /// <summary>
    /// The corrupted dataset and the preprocessing that evaluates it for a model whose transform is
    /// <paramref name="model"/>: the geometry is applied before the corruption, only normalisation after.
    /// </summary>
    public static (CorruptedDataset Dataset, Preprocessing Preprocessing) ForModel(IImageDataset source, Preprocessing model,
        string corruption, int severity, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        var dataset = new CorruptedDataset(source, corruption, severity, seed, model);
        var (c, h, w) = model.CenterCrop is not null || model.ResizeExact is not null
            ? model.OutputShape(source.Channels, 1, 1)
            : SizeOfFirst(dataset);
        var after = new Preprocessing
        {
            ResizeExact = (h, w), // the identity on the corrupted image: it fixes the batch shape
            Channels = model.Channels ?? c,
            Mean = model.Mean,
            Std = model.Std,
            Antialias = model.Antialias,
            Interpolation = model.Interpolation,
        };
        return (dataset, after);
    }

    private static (int, int, int) SizeOfFirst(CorruptedDataset dataset)
    {
        if (dataset.Count == 0) return (dataset.Channels, 1, 1);
        var first = dataset.LoadImage(0);
        return (first.Channels, first.Height, first.Width);
    }

    /// <summary>The clean dataset.</summary>
    public IImageDataset Source { get; }

    /// <summary>The corruption's name (<see cref="ImageCorruptions.Names"/>).</summary>
    public string Corruption { get; }

    /// <summary>1..5.</summary>
    public int Severity { get; }

    /// <summary>The seed of the random corruptions (ignored by the deterministic ones, but part of the identity).</summary>
    public ulong Seed { get; }

    /// <summary>The transform applied before corrupting (no normalisation), or null.</summary>
    public Preprocessing? Geometry { get; }

    /// <inheritdoc />
    public string Name => $"{Source.Name} {Corruption}-{Severity}";

    /// <inheritdoc />
    public int Count => Source.Count;

    /// <inheritdoc />
    public IReadOnlyList<string> Classes => Source.Classes;

    /// <inheritdoc />
    public ClassHierarchy Hierarchy => Source.Hierarchy;

    /// <inheritdoc />
    public int Channels => Geometry?.Channels ?? Source.Channels;

    /// <summary>sha256 over the source's fingerprint, corruption, severity, seed, geometry and algorithm version.</summary>
    public string Fingerprint => _fingerprint;

    /// <inheritdoc />
    public int Label(int index) => Source.Label(index);

    /// <inheritdoc />
    public string Describe(int index) => $"{Source.Describe(index)} ({Corruption} {Severity})";

    /// <summary>The source's file of the item (the file is clean: the corruption happens on loading).</summary>
    /// <exception cref="NotSupportedException">When the source is not a dataset of files.</exception>
    public string PathOf(int index) => Source is IImageFileDataset files
        ? files.PathOf(index)
        : throw new NotSupportedException($"{Source.Name} is not a dataset of files.");

    /// <summary>The item, decoded, through <see cref="Geometry"/>, corrupted: 8-bit.</summary>
    public DecodedImage LoadImage(int index)
    {
        DatasetSupport.CheckIndex(index, Count);
        var clean = LoadClean(index);
        if (Geometry is not null) clean = Geometry.Geometry(clean);
        return ImageCorruptions.Apply(clean, Corruption, Severity, Seed, index);
    }

    private DecodedImage LoadClean(int index)
    {
        switch (Source)
        {
            case IImageFileDataset files:
                return files.LoadImage(index);
            case IdxDataset idx:
                return new DecodedImage(idx.Width, idx.Height, 1, idx.Pixels(index).ToArray());
            default:
            {
                using var tensor = Source.Load(index);
                return Preprocessing.AsEightBit(tensor)
                       ?? throw new ArgumentException($"{Source.Describe(index)} is not an 8-bit image: corruptions apply to 8-bit images.");
            }
        }
    }

    /// <inheritdoc />
    public Tensor Load(int index) => LoadImage(index).ToTensor();

    /// <inheritdoc />
    public bool TryLoad(int index, [NotNullWhen(true)] out Tensor? image, [NotNullWhen(false)] out string? error) =>
        DatasetSupport.TryLoad(this, index, out image, out error);

    /// <inheritdoc />
    public override string ToString() => $"{Name}: {Count} images, seed {Seed}";
}
