using Cnnc.Engine.Analysis;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using SixLabors.ImageSharp.Processing.Processors.Quantization;
using static TorchSharp.torch;

namespace Cnnc.Interactive.Html;

/// <summary>
/// Images inlined in views as PNG data URIs, at a size that reads well in a table: small images (the zoo's 28×28) are
/// scaled up by a whole factor to about <see cref="Side"/> pixels (×4 for 28×28; pixels stay sharp), large ones scaled
/// down to at most <see cref="MaxSide"/>. Grey images stay 8-bit grey; colour ones become 256-colour palette PNGs.
/// </summary>
public static class Pictures
{
    /// <summary>The side small images are scaled up to (about).</summary>
    public const int Side = 112;

    /// <summary>The largest side of an inlined image (large images are scaled down to it).</summary>
    public const int MaxSide = 128;

    /// <summary>The side of the large image of view E (about).</summary>
    public const int LargeSide = 168;

    /// <summary>The side of the class strip's thumbnails (about).</summary>
    public const int StripSide = 56;

    private static readonly PngEncoder GreyEncoder = new() { CompressionLevel = PngCompressionLevel.BestCompression };

    // Colour images as 256-colour palette PNGs without dithering: about a third of the bytes of RGB and no visible
    // difference at this size (zoo overlays at ×4: 5.3 kB instead of 15 kB an image). The octree quantizer: ImageSharp's
    // Wu quantizer looks a little smoother but took 45 ms an image here, the octree one 6 ms.
    private static readonly PngEncoder ColourEncoder = new()
    {
        ColorType = PngColorType.Palette,
        Quantizer = new OctreeQuantizer(new QuantizerOptions { Dither = null }),
    };

    /// <summary>Whole-number scale of an image of the given size towards <paramref name="side"/> (1 for large images).</summary>
    public static int ScaleFor(int height, int width, int side = Side)
    {
        var longest = Math.Max(height, width);
        return longest >= side ? 1 : Math.Max(1, (int)Math.Round((double)side / longest));
    }

    /// <summary>The paper's contour view (heatmap above the threshold, contour lines) of an image tensor C×H×W in [0, 1].</summary>
    public static string Overlay(Tensor image, ContourSet contours)
    {
        var scale = ScaleFor(contours.Height, contours.Width);
        using var rendered = Engine.Analysis.Overlay.Render(image, contours, new OverlayOptions { Scale = scale });
        return Encode(rendered, MaxSide);
    }

    /// <summary>An image tensor C×H×W in [0, 1] (grey stays grey), scaled towards <paramref name="side"/> pixels.</summary>
    public static string Image(Tensor image, int side = Side)
    {
        var decoded = ColorHistogram.ToDecoded(image);
        var scale = ScaleFor(decoded.Height, decoded.Width, side);
        if (decoded.Channels == 1)
        {
            using var grey = SixLabors.ImageSharp.Image.LoadPixelData<L8>(decoded.Pixels, decoded.Width, decoded.Height);
            if (scale > 1) grey.Mutate(c => c.Resize(decoded.Width * scale, decoded.Height * scale, KnownResamplers.NearestNeighbor));
            return Encode(grey, side < Side ? side : Math.Max(side, MaxSide));
        }
        var plane = decoded.Width * decoded.Height;
        var rgb = new byte[plane * 3];
        for (var i = 0; i < plane; i++)
            for (var c = 0; c < 3; c++) rgb[3 * i + c] = decoded.Pixels[c * plane + i];
        using var colour = SixLabors.ImageSharp.Image.LoadPixelData<Rgb24>(rgb, decoded.Width, decoded.Height);
        if (scale > 1) colour.Mutate(c => c.Resize(decoded.Width * scale, decoded.Height * scale, KnownResamplers.NearestNeighbor));
        return Encode(colour, side < Side ? side : Math.Max(side, MaxSide));
    }

    /// <summary>The PNG bytes of a data URI made here.</summary>
    public static byte[] Decode(string dataUri)
    {
        const string prefix = "data:image/png;base64,";
        if (!dataUri.StartsWith(prefix, StringComparison.Ordinal)) throw new ArgumentException("Not a PNG data URI.");
        return Convert.FromBase64String(dataUri[prefix.Length..]);
    }

    private static string Encode(SixLabors.ImageSharp.Image image, int maxSide)
    {
        var longest = Math.Max(image.Width, image.Height);
        if (longest > maxSide)
        {
            var f = (double)maxSide / longest;
            image.Mutate(c => c.Resize(Math.Max(1, (int)Math.Round(image.Width * f)), Math.Max(1, (int)Math.Round(image.Height * f))));
        }
        using var stream = new MemoryStream();
        image.SaveAsPng(stream, image is Image<L8> ? GreyEncoder : ColourEncoder);
        return "data:image/png;base64," + Convert.ToBase64String(stream.ToArray());
    }
}
