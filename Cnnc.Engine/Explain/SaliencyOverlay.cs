using Cnnc.Engine.Analysis;
using Cnnc.Engine.IO;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Explain;

/// <summary>
/// The plain Grad-CAM-style overlay: a colour-mapped saliency map blended over the whole image, as PNG. (The paper's
/// thresholded view with contour lines is <see cref="Overlay"/>.)
/// </summary>
public static class SaliencyOverlay
{
    /// <summary>
    /// Blends: pixel = (1 − <paramref name="alpha"/>) · image + <paramref name="alpha"/> · colour(map), as 8-bit RGB.
    /// </summary>
    /// <param name="image">The image as the model sees it, C×H×W with values in [0, 1] (C = 1 or 3); e.g.
    /// <c>Preprocessing.Geometry</c> of the decoded image, or <c>Preprocessing.Denormalize</c> of a model input.</param>
    /// <param name="map">The [0, 1] map, H×W.</param>
    /// <param name="alpha">Weight of the colour map. Default 0.5.</param>
    /// <param name="colormap">Default jet.</param>
    /// <returns>RGB bytes, row-major, H·W·3.</returns>
    public static byte[] Blend(Tensor image, Map2D map, double alpha = 0.5, Colormap colormap = Colormap.Jet)
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
        var output = new byte[map.Length * 3];
        for (var i = 0; i < map.Length; i++)
        {
            var colour = Overlay.Color(colormap, map.Data[i]);
            output[3 * i] = Mix(pixels[3 * i], colour.R, alpha);
            output[3 * i + 1] = Mix(pixels[3 * i + 1], colour.G, alpha);
            output[3 * i + 2] = Mix(pixels[3 * i + 2], colour.B, alpha);
        }
        return output;
    }

    /// <summary>Writes <see cref="Blend"/> as a PNG file (atomically).</summary>
    public static void WritePng(string path, Tensor image, Map2D map, double alpha = 0.5, Colormap colormap = Colormap.Jet)
    {
        ArgumentNullException.ThrowIfNull(map);
        var rgb = Blend(image, map, alpha, colormap);
        using var png = Image.LoadPixelData<Rgb24>(rgb, map.Width, map.Height);
        Rendering.Png.Write(path, png);
    }

    private static byte Mix(float image, byte colour, double alpha) =>
        (byte)Math.Round(Math.Clamp((1 - alpha) * image * 255 + alpha * colour, 0, 255));
}
