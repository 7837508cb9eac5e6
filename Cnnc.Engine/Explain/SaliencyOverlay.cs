using Cnnc.Engine.IO;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Explain;

/// <summary>Renders a saliency map over its image: a jet colour map blended with the image, written as PNG.</summary>
public static class SaliencyOverlay
{
    /// <summary>Matplotlib-style "jet" colour of a value in [0, 1] (clamped): blue → cyan → yellow → red.</summary>
    public static (byte R, byte G, byte B) Jet(float value)
    {
        var v = float.IsFinite(value) ? Math.Clamp(value, 0f, 1f) : 0f;
        static byte Channel(float x) => (byte)Math.Round(255 * Math.Clamp(1.5f - Math.Abs(x), 0f, 1f));
        return (Channel(4 * v - 3), Channel(4 * v - 2), Channel(4 * v - 1));
    }

    /// <summary>
    /// Blends: pixel = (1 − <paramref name="alpha"/>) · image + <paramref name="alpha"/> · jet(map), as 8-bit RGB.
    /// </summary>
    /// <param name="image">The image as the model sees it, C×H×W with values in [0, 1] (C = 1 or 3); e.g.
    /// <c>Preprocessing.Geometry</c> of the decoded image, or <c>Preprocessing.Denormalize</c> of a model input.</param>
    /// <param name="map">The [0, 1] map, H×W.</param>
    /// <param name="alpha">Weight of the colour map. Default 0.5.</param>
    /// <returns>RGB bytes, row-major, H·W·3.</returns>
    public static byte[] Blend(Tensor image, SaliencyMap map, double alpha = 0.5)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(map);
        if (!(alpha >= 0 && alpha <= 1)) throw new ArgumentOutOfRangeException(nameof(alpha), "alpha must be in [0, 1].");
        if (image.dim() != 3 || image.shape[0] is not (1 or 3) || image.shape[1] != map.Height || image.shape[2] != map.Width)
            throw new ArgumentException($"The image must be 1 or 3 × {map.Height} × {map.Width} (got [{string.Join("x", image.shape)}]).");
        float[] pixels;
        using (var scope = NewDisposeScope())
        {
            var rgb = image.shape[0] == 1 ? image.expand(3, -1, -1) : image;
            pixels = rgb.detach().to(ScalarType.Float32).cpu().clamp(0, 1).permute(1, 2, 0).contiguous().data<float>().ToArray();
        }
        var output = new byte[map.Height * map.Width * 3];
        var values = map.Values;
        for (var i = 0; i < values.Length; i++)
        {
            var (r, g, b) = Jet(values[i]);
            output[3 * i] = Mix(pixels[3 * i], r, alpha);
            output[3 * i + 1] = Mix(pixels[3 * i + 1], g, alpha);
            output[3 * i + 2] = Mix(pixels[3 * i + 2], b, alpha);
        }
        return output;
    }

    /// <summary>Writes <see cref="Blend"/> as a PNG file (atomically).</summary>
    public static void WritePng(string path, Tensor image, SaliencyMap map, double alpha = 0.5)
    {
        ArgumentNullException.ThrowIfNull(map);
        var rgb = Blend(image, map, alpha);
        using var png = Image.LoadPixelData<Rgb24>(rgb, map.Width, map.Height);
        AtomicFile.Write(path, stream => png.SaveAsPng(stream));
    }

    private static byte Mix(float image, byte colour, double alpha) =>
        (byte)Math.Round(Math.Clamp((1 - alpha) * image * 255 + alpha * colour, 0, 255));
}
