using System.Text.Json.Serialization;
using Cnnc.Engine.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Analysis;

/// <summary>How two colour-intensity histograms are compared.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<HistogramDistance>))]
public enum HistogramDistance
{
    /// <summary>Symmetric chi-square, ½ Σ (a − b)² / (a + b) per channel, averaged over channels: 0 (equal) … 1 (disjoint).</summary>
    ChiSquare,

    /// <summary>1 − Σ min(a, b) per channel (one minus the histogram intersection), averaged over channels: 0 … 1.</summary>
    Intersection,
}

/// <summary>
/// A colour-intensity histogram (paper 4.5, Fig. 3): per-channel 256-bin histograms of the image pixels where the
/// saliency is ≥ the threshold, each normalised to sum 1 (all zero when no pixel passes).
/// </summary>
/// <param name="Threshold">The saliency threshold (the user's; VAC-CNN fixes 0.5).</param>
/// <param name="Channels">Channel names: R, G, B or Grey.</param>
/// <param name="Bins">Per channel, 256 normalised counts.</param>
/// <param name="PixelCount">Pixels that passed the threshold.</param>
/// <param name="TotalPixels">Pixels of the image.</param>
public sealed record ColorHistogram(double Threshold, IReadOnlyList<string> Channels, double[][] Bins, int PixelCount, int TotalPixels)
{
    /// <summary>Histogram of <paramref name="image"/> (8-bit, RGB or grey) under <paramref name="saliency"/> ≥ t.
    /// The map is resized bilinearly to the image size when they differ.</summary>
    public static ColorHistogram Compute(DecodedImage image, Map2D saliency, double threshold)
    {
        if (!(threshold >= 0 && threshold <= 1)) throw new ArgumentOutOfRangeException(nameof(threshold), $"The threshold must be in [0, 1], got {threshold}.");
        var map = saliency.ResizeBilinear(image.Height, image.Width);
        var bins = new double[image.Channels][];
        for (var c = 0; c < bins.Length; c++) bins[c] = new double[256];
        var count = 0;
        var plane = image.Width * image.Height;
        for (var i = 0; i < plane; i++)
        {
            if (!(map.Data[i] >= threshold)) continue;
            count++;
            for (var c = 0; c < image.Channels; c++) bins[c][image.Pixels[c * plane + i]]++;
        }
        if (count > 0)
            foreach (var channel in bins)
                for (var b = 0; b < 256; b++) channel[b] /= count;
        return new ColorHistogram(threshold, image.Channels == 3 ? new[] { "R", "G", "B" } : new[] { "Grey" }, bins, count, plane);
    }

    /// <summary>Histogram of an image tensor C×H×W with values in [0, 1] (converted to bytes by round(255·v)).</summary>
    public static ColorHistogram Compute(Tensor image, Map2D saliency, double threshold) => Compute(ToDecoded(image), saliency, threshold);

    /// <summary>Distance to <paramref name="other"/> (same channel count): 0 for equal histograms, at most 1.
    /// Two empty histograms are at distance 0; an empty and a non-empty one at 1.</summary>
    public double DistanceTo(ColorHistogram other, HistogramDistance kind = HistogramDistance.ChiSquare)
    {
        if (other.Bins.Length != Bins.Length)
            throw new ArgumentException($"Histograms of {Bins.Length} and {other.Bins.Length} channels cannot be compared.");
        if (PixelCount == 0 || other.PixelCount == 0) return PixelCount == other.PixelCount ? 0 : 1;
        double total = 0;
        for (var c = 0; c < Bins.Length; c++)
        {
            double d = 0;
            for (var b = 0; b < 256; b++)
            {
                double x = Bins[c][b], y = other.Bins[c][b];
                if (kind == HistogramDistance.ChiSquare)
                {
                    if (x + y > 0) d += (x - y) * (x - y) / (x + y);
                }
                else d += Math.Min(x, y);
            }
            total += kind == HistogramDistance.ChiSquare ? d / 2 : 1 - d;
        }
        return total / Bins.Length;
    }

    /// <summary>An 8-bit planar image from a tensor C×H×W (or H×W) with values in [0, 1]; values are clamped, then rounded.</summary>
    public static DecodedImage ToDecoded(Tensor image)
    {
        Runtime.TorchRuntime.Initialize();
        using var scope = NewDisposeScope();
        var t = image.detach().cpu().to(ScalarType.Float32);
        if (t.dim() == 2) t = t.unsqueeze(0);
        if (t.dim() == 4 && t.shape[0] == 1) t = t.squeeze(0);
        if (t.dim() != 3 || t.shape[0] is not (1 or 3))
            throw new ArgumentException($"An image must be [C, H, W] with C = 1 or 3, got [{string.Join(", ", image.shape)}].");
        var bytes = t.clamp(0, 1).mul(255).round().to(ScalarType.Byte).contiguous().data<byte>().ToArray();
        return new DecodedImage((int)t.shape[2], (int)t.shape[1], (int)t.shape[0], bytes);
    }
}
