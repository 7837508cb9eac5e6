using Cnnc.Engine.Data;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using static TorchSharp.torch;

namespace Cnnc.Engine.Analysis;

/// <summary>Colormaps for heatmaps.</summary>
public enum Colormap
{
    /// <summary>matplotlib's "jet" (the Grad-CAM convention, and VAC-CNN's).</summary>
    Jet,

    /// <summary>matplotlib's "viridis" (perceptually uniform).</summary>
    Viridis,

    /// <summary>Grey ramp, black to white.</summary>
    Grey,
}

/// <summary>Settings of <see cref="Overlay.Render(DecodedImage, ContourSet, OverlayOptions?)"/>.</summary>
public sealed record OverlayOptions
{
    /// <summary>Colormap of the heatmap.</summary>
    public Colormap Colormap { get; init; } = Colormap.Jet;

    /// <summary>Opacity of the heatmap over the image where saliency ≥ threshold (below it the heatmap is transparent).</summary>
    public double Alpha { get; init; } = 0.5;

    /// <summary>Output pixels per map pixel (e.g. 8 for a 28×28 map); the image is resized to the map size × scale.</summary>
    public int Scale { get; init; } = 1;

    /// <summary>Contour line width in output pixels.</summary>
    public double LineWidth { get; init; } = 1.5;

    /// <summary>Whether to draw the contour lines.</summary>
    public bool DrawContours { get; init; } = true;

    /// <summary>Line colour per level (cycled); default white to black in K steps so higher levels are darker.</summary>
    public IReadOnlyList<Rgb24>? LineColors { get; init; }

    /// <summary>The defaults.</summary>
    public static OverlayOptions Default { get; } = new();
}

/// <summary>
/// Renders the paper's improved explanation view (Fig. 2c): the original image, the heatmap of the smoothed saliency
/// map blended over it where saliency ≥ threshold (transparent below), and the contour lines drawn on top
/// (anti-aliased by distance to each segment; no ImageSharp.Drawing needed).
/// </summary>
public static class Overlay
{
    /// <summary>The colour of <paramref name="value"/> in [0, 1] under a colormap.</summary>
    public static Rgb24 Color(Colormap map, double value)
    {
        value = Math.Clamp(double.IsNaN(value) ? 0 : value, 0, 1);
        return map switch
        {
            Colormap.Jet => new Rgb24(Byte(Piecewise(JetRed, value)), Byte(Piecewise(JetGreen, value)), Byte(Piecewise(JetBlue, value))),
            Colormap.Viridis => Interpolate(ViridisStops, value),
            _ => new Rgb24(Byte(value), Byte(value), Byte(value)),
        };
    }

    /// <summary>Renders the overlay of <paramref name="image"/> (RGB or grey) and <paramref name="contours"/>.</summary>
    public static Image<Rgb24> Render(DecodedImage image, ContourSet contours, OverlayOptions? options = null)
    {
        options ??= OverlayOptions.Default;
        if (options.Scale < 1 || options.Scale > 64) throw new ArgumentOutOfRangeException(nameof(options), "Scale must be in 1..64.");
        if (!(options.Alpha >= 0 && options.Alpha <= 1)) throw new ArgumentOutOfRangeException(nameof(options), "Alpha must be in [0, 1].");
        int s = options.Scale, h = contours.Height * s, w = contours.Width * s;
        var output = (Image<Rgb24>)Rendering.Pictures.ToImage(image, rgb: true);
        if (output.Width != w || output.Height != h)
            output.Mutate(c => c.Resize(w, h));
        var map = contours.Smoothed.ResizeBilinear(h, w);
        var alpha = options.Alpha;
        output.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < h; y++)
            {
                var row = rows.GetRowSpan(y);
                for (var x = 0; x < w; x++)
                {
                    var v = map[y, x];
                    if (v < contours.Threshold) continue;
                    var c = Color(options.Colormap, v);
                    row[x] = Blend(row[x], c, alpha);
                }
            }
        });
        if (options.DrawContours)
        {
            var colors = options.LineColors ?? DefaultLineColors(contours.Levels.Count);
            foreach (var line in contours.Lines)
            {
                var color = colors[line.LevelIndex % colors.Count];
                for (var i = 0; i + 1 < line.X.Length; i++)
                    DrawSegment(output, (line.X[i] + 0.5) * s, (line.Y[i] + 0.5) * s, (line.X[i + 1] + 0.5) * s, (line.Y[i + 1] + 0.5) * s,
                        options.LineWidth, color);
            }
        }
        return output;
    }

    /// <summary>Renders the overlay of an image tensor C×H×W in [0, 1] (C = 1 or 3).</summary>
    public static Image<Rgb24> Render(Tensor image, ContourSet contours, OverlayOptions? options = null) =>
        Render(ColorHistogram.ToDecoded(image), contours, options);

    /// <summary>Renders the overlay and writes it as a PNG file (every colour kept).</summary>
    public static void SavePng(string path, DecodedImage image, ContourSet contours, OverlayOptions? options = null)
    {
        using var rendered = Render(image, contours, options);
        Rendering.Png.Write(path, rendered);
    }

    /// <summary>Renders the overlay as PNG bytes (every colour kept).</summary>
    public static byte[] RenderPng(DecodedImage image, ContourSet contours, OverlayOptions? options = null)
    {
        using var rendered = Render(image, contours, options);
        return Rendering.Png.Encode(rendered);
    }

    private static IReadOnlyList<Rgb24> DefaultLineColors(int levels) =>
        Enumerable.Range(0, levels).Select(k =>
        {
            var g = levels == 1 ? (byte)255 : (byte)Math.Round(255.0 * (levels - 1 - k) / (levels - 1));
            return new Rgb24(g, g, g);
        }).ToArray();

    private static Rgb24 Blend(Rgb24 under, Rgb24 over, double alpha) => new(
        (byte)Math.Round(under.R * (1 - alpha) + over.R * alpha),
        (byte)Math.Round(under.G * (1 - alpha) + over.G * alpha),
        (byte)Math.Round(under.B * (1 - alpha) + over.B * alpha));

    /// <summary>Draws a segment between continuous image coordinates with coverage = clamp(w/2 + 0.5 − distance).</summary>
    private static void DrawSegment(Image<Rgb24> image, double x0, double y0, double x1, double y1, double width, Rgb24 color)
    {
        var half = width / 2;
        var minX = Math.Max(0, (int)Math.Floor(Math.Min(x0, x1) - half - 1));
        var maxX = Math.Min(image.Width - 1, (int)Math.Ceiling(Math.Max(x0, x1) + half + 1));
        var minY = Math.Max(0, (int)Math.Floor(Math.Min(y0, y1) - half - 1));
        var maxY = Math.Min(image.Height - 1, (int)Math.Ceiling(Math.Max(y0, y1) + half + 1));
        double dx = x1 - x0, dy = y1 - y0, len2 = dx * dx + dy * dy;
        for (var py = minY; py <= maxY; py++)
            for (var px = minX; px <= maxX; px++)
            {
                // Distance from the pixel centre to the segment.
                double cx = px + 0.5, cy = py + 0.5;
                var t = len2 == 0 ? 0 : Math.Clamp(((cx - x0) * dx + (cy - y0) * dy) / len2, 0, 1);
                double ex = x0 + t * dx - cx, ey = y0 + t * dy - cy;
                var coverage = Math.Clamp(half + 0.5 - Math.Sqrt(ex * ex + ey * ey), 0, 1);
                if (coverage <= 0) continue;
                image[px, py] = Blend(image[px, py], color, coverage);
            }
    }

    private static double Piecewise(double[] xy, double v)
    {
        for (var i = 2; i < xy.Length; i += 2)
            if (v <= xy[i])
            {
                var t = (v - xy[i - 2]) / (xy[i] - xy[i - 2]);
                return xy[i - 1] + (xy[i + 1] - xy[i - 1]) * t;
            }
        return xy[^1];
    }

    // matplotlib's jet segment data (x, value pairs).
    private static readonly double[] JetRed = { 0, 0, 0.35, 0, 0.66, 1, 0.89, 1, 1, 0.5 };
    private static readonly double[] JetGreen = { 0, 0, 0.125, 0, 0.375, 1, 0.64, 1, 0.91, 0, 1, 0 };
    private static readonly double[] JetBlue = { 0, 0.5, 0.11, 1, 0.34, 1, 0.65, 0, 1, 0 };

    private static byte Byte(double v) => (byte)Math.Round(Math.Clamp(v, 0, 1) * 255);

    private static Rgb24 Interpolate(double[][] stops, double v)
    {
        var f = v * (stops.Length - 1);
        var i = Math.Min((int)f, stops.Length - 2);
        var t = f - i;
        return new Rgb24(Byte(stops[i][0] + (stops[i + 1][0] - stops[i][0]) * t),
            Byte(stops[i][1] + (stops[i + 1][1] - stops[i][1]) * t),
            Byte(stops[i][2] + (stops[i + 1][2] - stops[i][2]) * t));
    }

    // matplotlib 3.6's viridis sampled at 9 evenly spaced points, linearly interpolated between them.
    private static readonly double[][] ViridisStops =
    {
        new[] { 0.267004, 0.004874, 0.329415 }, new[] { 0.278826, 0.175490, 0.483397 }, new[] { 0.229739, 0.322361, 0.545706 },
        new[] { 0.172719, 0.448791, 0.557885 }, new[] { 0.127568, 0.566949, 0.550556 }, new[] { 0.157851, 0.683765, 0.501686 },
        new[] { 0.369214, 0.788888, 0.382914 }, new[] { 0.678489, 0.863742, 0.189503 }, new[] { 0.993248, 0.906157, 0.143936 },
    };
}
