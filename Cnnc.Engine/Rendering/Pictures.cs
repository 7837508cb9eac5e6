using Cnnc.Engine.Analysis;
using Cnnc.Engine.Data;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using static TorchSharp.torch;

namespace Cnnc.Engine.Rendering;

/// <summary>
/// How large a picture is drawn in a view: small images are enlarged by the smallest whole factor that makes their
/// longer side at least <see cref="Side"/> pixels without passing <see cref="MaxSide"/> (pixels stay sharp: ×4 for the
/// zoo's 28×28 cells); images still longer than <see cref="MaxSide"/> are scaled down to it.
/// </summary>
/// <param name="Side">Longer side the enlargement reaches.</param>
/// <param name="MaxSide">Longest side a picture may have.</param>
public sealed record PictureSize(int Side, int MaxSide)
{
    /// <summary>A table cell or an explanation example: 112 pixels (at most 128).</summary>
    public static PictureSize Cell { get; } = new(112, 128);

    /// <summary>A thumbnail of the class strip: 56 pixels.</summary>
    public static PictureSize Strip { get; } = new(56, 56);

    /// <summary>The large image of a comparison's view E: 168 pixels.</summary>
    public static PictureSize Large { get; } = new(168, 168);

    /// <summary>Output pixels per input pixel for an image of the given size (1 to 64).</summary>
    public int ScaleFor(int height, int width)
    {
        var longest = Math.Max(1, Math.Max(height, width));
        var scale = Math.Clamp((int)Math.Ceiling((double)Side / longest), 1, 64);
        while (scale > 1 && scale * longest > MaxSide) scale--;
        return scale;
    }
}

/// <summary>
/// The one picture pipeline of the views (the overview's D, compare, inspect, the engine records' own views): an image
/// or the paper's contour view (<see cref="Analysis.Overlay"/>) enlarged by <see cref="PictureSize.ScaleFor"/> with
/// nearest-neighbour sampling, then encoded by <see cref="Png.EncodeInline"/>.
/// </summary>
public static class Pictures
{
    /// <summary>An image tensor C×H×W in [0, 1] (C = 1 or 3; grey stays grey), sized by <paramref name="size"/> (default <see cref="PictureSize.Cell"/>).</summary>
    public static PngImage Image(Tensor image, PictureSize? size = null)
    {
        var decoded = ColorHistogram.ToDecoded(image);
        size ??= PictureSize.Cell;
        return Image(decoded, size.ScaleFor(decoded.Height, decoded.Width), size.MaxSide);
    }

    /// <summary>An image tensor C×H×W in [0, 1], enlarged by exactly <paramref name="scale"/> (1 to 64).</summary>
    public static PngImage Image(Tensor image, int scale) => Image(ColorHistogram.ToDecoded(image), scale, int.MaxValue);

    /// <summary>
    /// The paper's contour view of an image tensor C×H×W in [0, 1] (the image as the model sees it) and the contours of
    /// its saliency map, at the scale <paramref name="size"/> gives the map's size.
    /// </summary>
    public static PngImage Overlay(Tensor image, ContourSet contours, OverlayOptions? options = null, PictureSize? size = null) =>
        Overlay(ColorHistogram.ToDecoded(image), contours, options, size);

    /// <inheritdoc cref="Overlay(Tensor, ContourSet, OverlayOptions?, PictureSize?)"/>
    public static PngImage Overlay(DecodedImage image, ContourSet contours, OverlayOptions? options = null, PictureSize? size = null)
    {
        size ??= PictureSize.Cell;
        var scaled = (options ?? OverlayOptions.Default) with { Scale = size.ScaleFor(contours.Height, contours.Width) };
        using var rendered = Analysis.Overlay.Render(image, contours, scaled);
        return Encode(rendered, size.MaxSide);
    }

    /// <summary>A [0, 1] map alone as a colour-mapped heatmap (no image under it), sized like a cell.</summary>
    public static PngImage Heatmap(Map2D map, Colormap colormap = Colormap.Jet, PictureSize? size = null)
    {
        size ??= PictureSize.Cell;
        var scale = size.ScaleFor(map.Height, map.Width);
        using var image = new Image<Rgb24>(map.Width, map.Height);
        image.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < map.Height; y++)
            {
                var row = rows.GetRowSpan(y);
                for (var x = 0; x < map.Width; x++) row[x] = Analysis.Overlay.Color(colormap, map[y, x]);
            }
        });
        if (scale > 1) image.Mutate(c => c.Resize(map.Width * scale, map.Height * scale, KnownResamplers.NearestNeighbor));
        return Encode(image, size.MaxSide);
    }

    /// <summary>A decoded image as an ImageSharp image: 8-bit grey for one channel (unless <paramref name="rgb"/>), else RGB.</summary>
    public static Image ToImage(DecodedImage image, bool rgb = false)
    {
        if (image.Channels == 1 && !rgb) return SixLabors.ImageSharp.Image.LoadPixelData<L8>(image.Pixels, image.Width, image.Height);
        var output = new Image<Rgb24>(image.Width, image.Height);
        output.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < image.Height; y++)
            {
                var row = rows.GetRowSpan(y);
                for (var x = 0; x < image.Width; x++)
                    row[x] = image.Channels == 3
                        ? new Rgb24(image[0, y, x], image[1, y, x], image[2, y, x])
                        : new Rgb24(image[0, y, x], image[0, y, x], image[0, y, x]);
            }
        });
        return output;
    }

    private static PngImage Image(DecodedImage decoded, int scale, int maxSide)
    {
        if (scale < 1 || scale > 64) throw new ArgumentOutOfRangeException(nameof(scale), "Scale must be in 1..64.");
        using var image = ToImage(decoded);
        if (scale > 1) image.Mutate(c => c.Resize(decoded.Width * scale, decoded.Height * scale, KnownResamplers.NearestNeighbor));
        return Encode(image, maxSide);
    }

    private static PngImage Encode(Image image, int maxSide)
    {
        var longest = Math.Max(image.Width, image.Height);
        if (longest > maxSide)
        {
            var f = (double)maxSide / longest;
            image.Mutate(c => c.Resize(Math.Max(1, (int)Math.Round(image.Width * f)), Math.Max(1, (int)Math.Round(image.Height * f))));
        }
        return Png.EncodeInline(image);
    }
}
