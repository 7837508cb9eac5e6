using System.Text.Json.Serialization;

namespace Cnnc.Engine.Analysis;

/// <summary>Settings of <see cref="Contours.Compute"/>.</summary>
public sealed record ContourOptions
{
    /// <summary>Number of contour levels between the threshold and 1 (VAC-CNN draws 4).</summary>
    public int Levels { get; init; } = 4;

    /// <summary>
    /// Sigma (pixels) of the Gaussian smoothing before contouring; null: max(H, W) / 112, i.e. 2 pixels on a 224×224
    /// map ("light" smoothing; VAC-CNN uses 5 on 224×224), 0.25 on 28×28. 0 turns smoothing off.
    /// </summary>
    public double? Sigma { get; init; }

    /// <summary>The sigma used for a map of the given size.</summary>
    public double SigmaFor(int height, int width) => Sigma ?? Math.Max(height, width) / 112.0;

    /// <summary>The defaults.</summary>
    public static ContourOptions Default { get; } = new();
}

/// <summary>One contour polyline at one level, in pixel coordinates (pixel (row y, column x) has its centre at (x, y)).</summary>
/// <param name="Level">The iso-value.</param>
/// <param name="LevelIndex">Index of the level (0 = the threshold).</param>
/// <param name="X">Column coordinates of the vertices.</param>
/// <param name="Y">Row coordinates of the vertices (y grows downwards, as in the image).</param>
/// <param name="Closed">Whether the line is a closed loop (its last vertex repeats the first).</param>
public sealed record ContourLine(double Level, int LevelIndex, double[] X, double[] Y, bool Closed);

/// <summary>The contour view of one saliency map at one threshold (paper 4.3, Fig. 2).</summary>
/// <param name="Threshold">The user threshold t.</param>
/// <param name="Levels">The K levels t + (1 − t)·k/K, k = 0..K−1.</param>
/// <param name="Sigma">Smoothing sigma used.</param>
/// <param name="Height">Map rows.</param>
/// <param name="Width">Map columns.</param>
/// <param name="RoiSize">Fraction of the (unsmoothed) map's pixels with saliency ≥ t.</param>
/// <param name="Lines">Polylines of all levels.</param>
/// <param name="Smoothed">The smoothed map the contours and the overlay's mask are drawn from.</param>
public sealed record ContourSet(
    double Threshold, IReadOnlyList<double> Levels, double Sigma, int Height, int Width, double RoiSize,
    IReadOnlyList<ContourLine> Lines, [property: JsonIgnore] Map2D Smoothed);

/// <summary>Contours of saliency maps: marching squares with linear (sub-pixel) interpolation, joined into polylines.</summary>
public static class Contours
{
    /// <summary>
    /// Smooths <paramref name="map"/> (values in [0, 1]) and contours it at K levels from <paramref name="threshold"/>
    /// towards 1: t + (1 − t)·k/K for k = 0..K−1, so the lowest line is the ROI border and none sits at 1, which a
    /// smoothed map rarely reaches. (VAC-CNN's matplotlib call spaces 4 levels from t to 1 inclusive.)
    /// </summary>
    public static ContourSet Compute(Map2D map, double threshold, ContourOptions? options = null)
    {
        options ??= ContourOptions.Default;
        if (!(threshold >= 0 && threshold <= 1)) throw new ArgumentOutOfRangeException(nameof(threshold), $"The threshold must be in [0, 1], got {threshold}.");
        if (options.Levels < 1) throw new ArgumentOutOfRangeException(nameof(options), "At least one contour level is needed.");
        map = map.RequireUnitRange();
        var sigma = options.SigmaFor(map.Height, map.Width);
        var smoothed = map.GaussianBlur(sigma);
        var levels = Enumerable.Range(0, options.Levels).Select(k => Math.Round(threshold + (1 - threshold) * k / options.Levels, 12)).ToArray();
        var lines = new List<ContourLine>();
        for (var k = 0; k < levels.Length; k++) lines.AddRange(MarchingSquares(smoothed, levels[k], k));
        return new ContourSet(threshold, levels, sigma, map.Height, map.Width, RoiSize(map, threshold), lines, smoothed);
    }

    /// <summary>Fraction of pixels with value ≥ <paramref name="threshold"/>.</summary>
    public static double RoiSize(Map2D map, double threshold)
    {
        var count = 0;
        foreach (var v in map.Data) if (v >= threshold) count++;
        return (double)count / map.Length;
    }

    /// <summary>
    /// Iso-lines of <paramref name="map"/> at <paramref name="level"/> (inside = value ≥ level). Vertices lie on grid
    /// edges between pixel centres, placed by linear interpolation; saddle cells are resolved by the mean of their four
    /// corners. Lines that reach the map border are open; others are closed loops.
    /// </summary>
    public static IReadOnlyList<ContourLine> MarchingSquares(Map2D map, double level, int levelIndex = 0)
    {
        int h = map.Height, w = map.Width;
        var v = map.Data;
        // Edge keys: horizontal edge (x,y)-(x+1,y) → 2·(y·w + x); vertical edge (x,y)-(x,y+1) → 2·(y·w + x) + 1.
        var segments = new List<(long A, long B)>();
        for (var y = 0; y + 1 < h; y++)
            for (var x = 0; x + 1 < w; x++)
            {
                double tl = v[y * w + x], tr = v[y * w + x + 1], bl = v[(y + 1) * w + x], br = v[(y + 1) * w + x + 1];
                var idx = (tl >= level ? 8 : 0) | (tr >= level ? 4 : 0) | (br >= level ? 2 : 0) | (bl >= level ? 1 : 0);
                if (idx is 0 or 15) continue;
                long top = 2L * (y * w + x), bottom = 2L * ((y + 1) * w + x), left = 2L * (y * w + x) + 1, right = 2L * (y * w + x + 1) + 1;
                switch (idx)
                {
                    case 1: case 14: segments.Add((left, bottom)); break;
                    case 2: case 13: segments.Add((bottom, right)); break;
                    case 3: case 12: segments.Add((left, right)); break;
                    case 4: case 11: segments.Add((top, right)); break;
                    case 6: case 9: segments.Add((top, bottom)); break;
                    case 7: case 8: segments.Add((left, top)); break;
                    case 5: // TR and BL inside
                    case 10: // TL and BR inside
                        var centreInside = (tl + tr + bl + br) / 4 >= level;
                        // Cut around the corners that are cut off from the centre's side.
                        var cutTlBr = (idx == 10) != centreInside;
                        if (cutTlBr) { segments.Add((left, top)); segments.Add((bottom, right)); }
                        else { segments.Add((top, right)); segments.Add((left, bottom)); }
                        break;
                }
            }
        return Join(segments, key => Point(map, key, level), level, levelIndex);
    }

    private static (double X, double Y) Point(Map2D map, long key, double level)
    {
        var w = map.Width;
        var cell = (int)(key >> 1);
        int x = cell % w, y = cell / w;
        var vertical = (key & 1) == 1;
        double a = map.Data[cell], b = vertical ? map.Data[cell + w] : map.Data[cell + 1];
        var t = b == a ? 0.5 : Math.Clamp((level - a) / (b - a), 0, 1);
        return vertical ? (x, y + t) : (x + t, y);
    }

    private static List<ContourLine> Join(List<(long A, long B)> segments, Func<long, (double X, double Y)> point, double level, int levelIndex)
    {
        // Each edge point is shared by at most two segments (the cells on either side of the edge).
        var at = new Dictionary<long, (int First, int Second)>();
        for (var s = 0; s < segments.Count; s++)
            foreach (var key in new[] { segments[s].A, segments[s].B })
                at[key] = at.TryGetValue(key, out var e) ? (e.First, s) : (s, -1);
        var used = new bool[segments.Count];
        var lines = new List<ContourLine>();

        List<long> Walk(int start, long from)
        {
            var keys = new List<long> { from };
            var s = start;
            var current = from;
            while (s >= 0 && !used[s])
            {
                used[s] = true;
                var next = segments[s].A == current ? segments[s].B : segments[s].A;
                keys.Add(next);
                current = next;
                var e = at[current];
                s = e.First == s ? e.Second : e.First;
            }
            return keys;
        }

        ContourLine Line(List<long> keys, bool closed)
        {
            var pts = keys.Select(point).ToArray();
            return new ContourLine(level, levelIndex, pts.Select(p => p.X).ToArray(), pts.Select(p => p.Y).ToArray(), closed);
        }

        // Open lines start at an edge point used by one segment only (on the map border).
        foreach (var (key, e) in at.OrderBy(kv => kv.Key))
            if (e.Second < 0 && !used[e.First]) lines.Add(Line(Walk(e.First, key), false));
        for (var s = 0; s < segments.Count; s++)
            if (!used[s]) lines.Add(Line(Walk(s, segments[s].A), true));
        return lines;
    }
}
