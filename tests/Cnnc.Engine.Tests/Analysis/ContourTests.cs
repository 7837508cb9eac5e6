using Cnnc.Engine.Analysis;
using Cnnc.Engine.Data;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Cnnc.Engine.Tests.Analysis;

public sealed class ContourTests
{
    private const double Cy = 31.3, Cx = 30.7, S = 8;

    private static Map2D Bump(int side = 64) =>
        Map2D.Create(side, side, (y, x) => Math.Exp(-((y - Cy) * (y - Cy) + (x - Cx) * (x - Cx)) / (2 * S * S)));

    [Fact]
    public void ContoursOfARadialBumpAreCirclesOfTheExpectedRadius()
    {
        var set = Contours.Compute(Bump(), 0.3, new ContourOptions { Sigma = 0 });
        Assert.Equal(new[] { 0.3, 0.475, 0.65, 0.825 }, set.Levels.Select(l => Math.Round(l, 10)));
        Assert.Equal(4, set.Lines.Count);
        foreach (var line in set.Lines)
        {
            Assert.True(line.Closed);
            Assert.Equal(line.X[0], line.X[^1]);
            Assert.Equal(line.Y[0], line.Y[^1]);
            var expected = S * Math.Sqrt(-2 * Math.Log(line.Level));
            for (var i = 0; i < line.X.Length; i++)
            {
                var r = Math.Sqrt(Math.Pow(line.X[i] - Cx, 2) + Math.Pow(line.Y[i] - Cy, 2));
                Assert.True(Math.Abs(r - expected) < 0.1, $"level {line.Level}: radius {r}, expected {expected}");
            }
            Assert.True(line.X.Length > 2 * Math.PI * expected); // about one vertex per crossed grid edge
        }
    }

    [Fact]
    public void SmoothedBumpContoursWidenAsTheConvolutionPredicts()
    {
        const double sigma = 1.5;
        var set = Contours.Compute(Bump(), 0.3, new ContourOptions { Sigma = sigma, Levels = 2 });
        Assert.Equal(sigma, set.Sigma);
        // Gaussian * Gaussian: variance s² + σ², peak s² / (s² + σ²).
        var variance = S * S + sigma * sigma;
        var peak = S * S / variance;
        foreach (var line in set.Lines)
        {
            var expected = Math.Sqrt(2 * variance * Math.Log(peak / line.Level));
            var radii = line.X.Select((x, i) => Math.Sqrt(Math.Pow(x - Cx, 2) + Math.Pow(line.Y[i] - Cy, 2))).ToArray();
            Assert.True(Math.Abs(radii.Average() - expected) < 0.1, $"mean radius {radii.Average()}, expected {expected}");
        }
    }

    [Fact]
    public void ARampGivesAnOpenStraightLineAcrossTheMap()
    {
        var ramp = Map2D.Create(10, 21, (_, x) => x / 20.0);
        var lines = Contours.MarchingSquares(ramp, 0.5);
        var line = Assert.Single(lines);
        Assert.False(line.Closed);
        Assert.Equal(10, line.X.Length);
        Assert.All(line.X, x => Assert.Equal(10.0, x, 9));
        Assert.Equal(new[] { 0.0, 9.0 }, new[] { line.Y.Min(), line.Y.Max() });
    }

    [Fact]
    public void SaddleCellsAreResolvedByTheCentreValue()
    {
        // Two diagonal highs: with a high centre they join (one line around the outside corners' cut), else two loops.
        var joined = Map2D.FromArray(new float[,] { { 1, 0 }, { 0, 1 } });
        Assert.Equal(2, Contours.MarchingSquares(joined, 0.4).Count); // centre 0.5 ≥ 0.4: TR and BL cut off
        Assert.Equal(2, Contours.MarchingSquares(joined, 0.6).Count); // centre 0.5 < 0.6: TL and BR cut off
        var grid = Map2D.FromArray(new float[,] { { 0, 0, 0, 0 }, { 0, 1, 0, 0 }, { 0, 0, 1, 0 }, { 0, 0, 0, 0 } });
        Assert.Single(Contours.MarchingSquares(grid, 0.4)); // the two peaks merge through the saddle
        Assert.Equal(2, Contours.MarchingSquares(grid, 0.6).Count);
    }

    [Fact]
    public void RoiSizeIsTheFractionAtOrAboveTheThreshold()
    {
        var map = Map2D.Create(4, 5, (y, x) => (y * 5 + x) / 19.0);
        Assert.Equal(10 / 20.0, Contours.RoiSize(map, 10 / 19.0));
        Assert.Equal(1.0, Contours.RoiSize(map, 0));
        Assert.Equal(Contours.RoiSize(map, 0.5), Contours.Compute(map, 0.5).RoiSize);
    }

    [Fact]
    public void OverlayKeepsTheImageBelowTheThresholdAndDrawsHeatmapAndContours()
    {
        var image = new DecodedImage(64, 64, 1, Enumerable.Repeat((byte)128, 64 * 64).ToArray());
        var set = Contours.Compute(Bump(), 0.3, new ContourOptions { Sigma = 0 });
        using var rendered = Overlay.Render(image, set, new OverlayOptions { Scale = 2, LineWidth = 3 });
        Assert.Equal(128, rendered.Width);
        Assert.Equal(128, rendered.Height);
        Assert.Equal(new Rgb24(128, 128, 128), rendered[2, 2]); // far from the bump: the image itself
        var centre = rendered[(int)(2 * Cx) + 1, (int)(2 * Cy) + 1];
        Assert.NotEqual(new Rgb24(128, 128, 128), centre);
        Assert.True(centre.R > centre.B, $"the peak is red in jet: {centre}"); // value ~1 → dark red blended with grey
        // The lowest contour (white) crosses the horizontal through the centre at x = Cx + r.
        var r = S * Math.Sqrt(-2 * Math.Log(0.3));
        var onLine = rendered[(int)((Cx + r + 0.5) * 2), (int)((Cy + 0.5) * 2)];
        Assert.True(onLine.R > 200 && onLine.G > 200 && onLine.B > 200, $"contour pixel {onLine}");
        var png = Overlay.RenderPng(image, set);
        using var decoded = Image.Load<Rgb24>(png);
        Assert.Equal(64, decoded.Width);
    }

    [Fact]
    public void ColormapsMatchMatplotlibAtTheEnds()
    {
        Assert.Equal(new Rgb24(0, 0, 128), Overlay.Color(Colormap.Jet, 0));
        Assert.Equal(new Rgb24(128, 0, 0), Overlay.Color(Colormap.Jet, 1));
        Assert.Equal(new Rgb24(68, 1, 84), Overlay.Color(Colormap.Viridis, 0));
        Assert.Equal(new Rgb24(253, 231, 37), Overlay.Color(Colormap.Viridis, 1));
    }
}
