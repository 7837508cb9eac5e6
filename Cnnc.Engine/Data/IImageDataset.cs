using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using static TorchSharp.torch;

namespace Cnnc.Engine.Data;

/// <summary>
/// A labelled image dataset: items 0..Count−1, each with a class label and an image loaded on demand.
/// Implementations: <see cref="IdxDataset"/> (MNIST/Fashion-MNIST), <see cref="ImageFolderDataset"/>,
/// <see cref="ImageNetValDataset"/>.
/// </summary>
public interface IImageDataset
{
    /// <summary>A human-readable name, e.g. "Fashion-MNIST (test)".</summary>
    string Name { get; }

    /// <summary>Number of items.</summary>
    int Count { get; }

    /// <summary>Unique class keys in class-index order (folder names, wnids, Fashion-MNIST names).</summary>
    IReadOnlyList<string> Classes { get; }

    /// <summary>Leaf → root hierarchy over <see cref="Classes"/> (same order).</summary>
    ClassHierarchy Hierarchy { get; }

    /// <summary>Channels of the images <see cref="Load"/> returns (1 or 3).</summary>
    int Channels { get; }

    /// <summary>
    /// A stable identifier of the exact data, <c>sha256:</c> followed by 64 hex digits: equal fingerprints mean the
    /// same items with the same labels. How it is computed is documented per implementation.
    /// </summary>
    string Fingerprint { get; }

    /// <summary>The class index of item <paramref name="index"/>.</summary>
    int Label(int index);

    /// <summary>A short description of item <paramref name="index"/>: a relative file path, or e.g. "test[17]".</summary>
    string Describe(int index);

    /// <summary>
    /// Loads item <paramref name="index"/> as a new float32 CPU tensor C×H×W with values in [0, 1]; the caller
    /// disposes it.
    /// </summary>
    /// <exception cref="ImageDecodeException">When the item's file cannot be decoded.</exception>
    Tensor Load(int index);

    /// <summary>
    /// Like <see cref="Load"/>, but an unreadable item gives false and a message (naming the item and the reason)
    /// instead of an exception.
    /// </summary>
    bool TryLoad(int index, [NotNullWhen(true)] out Tensor? image, [NotNullWhen(false)] out string? error);
}

/// <summary>
/// A dataset of image files that can give each item as decoded 8-bit pixels, the input of the exact (PIL-equal)
/// preprocessing path; implemented by <see cref="ImageFolderDataset"/> and <see cref="ImageNetValDataset"/>.
/// </summary>
public interface IImageFileDataset : IImageDataset
{
    /// <summary>The file of item <paramref name="index"/>.</summary>
    string PathOf(int index);

    /// <summary>Item <paramref name="index"/> decoded as <c>PIL.Image.open(f).convert("RGB")</c> (or "L") would.</summary>
    /// <exception cref="ImageDecodeException">When the file cannot be decoded.</exception>
    DecodedImage LoadImage(int index);
}

/// <summary>Helpers over any <see cref="IImageDataset"/>.</summary>
public static class ImageDatasetExtensions
{
    /// <summary>All labels, in item order.</summary>
    public static int[] Labels(this IImageDataset dataset)
    {
        var labels = new int[dataset.Count];
        for (var i = 0; i < labels.Length; i++) labels[i] = dataset.Label(i);
        return labels;
    }

    /// <summary>Number of items per class, in class-index order.</summary>
    public static int[] LabelHistogram(this IImageDataset dataset)
    {
        var histogram = new int[dataset.Classes.Count];
        for (var i = 0; i < dataset.Count; i++) histogram[dataset.Label(i)]++;
        return histogram;
    }
}

/// <summary>Shared plumbing of the file-based datasets.</summary>
internal static class DatasetSupport
{
    /// <summary>TryLoad on top of Load: decoding and I/O failures become messages.</summary>
    public static bool TryLoad(IImageDataset dataset, int index, [NotNullWhen(true)] out Tensor? image, [NotNullWhen(false)] out string? error)
    {
        try
        {
            image = dataset.Load(index);
            error = null;
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            image = null;
            error = ex is ImageDecodeException ? ex.Message : $"Cannot load {dataset.Describe(index)}: {ex.Message}";
            return false;
        }
    }

    /// <summary>"sha256:" + hex of the UTF-8 text.</summary>
    public static string Sha256(string text) => "sha256:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text))).ToLowerInvariant();

    public static void CheckIndex(int index, int count)
    {
        if ((uint)index >= (uint)count) throw new ArgumentOutOfRangeException(nameof(index), index, $"Index must be in 0..{count - 1}.");
    }

    /// <summary>Python's string order (code points), which torchvision's <c>sorted()</c> uses.</summary>
    public static int CompareCodePoints(string? a, string? b)
    {
        if (ReferenceEquals(a, b)) return 0;
        if (a is null) return -1;
        if (b is null) return 1;
        var ea = a.EnumerateRunes();
        var eb = b.EnumerateRunes();
        while (true)
        {
            var ha = ea.MoveNext();
            var hb = eb.MoveNext();
            if (!ha || !hb) return ha == hb ? 0 : ha ? 1 : -1;
            var c = ea.Current.Value.CompareTo(eb.Current.Value);
            if (c != 0) return c;
        }
    }

    public static readonly IComparer<string> CodePointComparer = Comparer<string>.Create(CompareCodePoints);
}
