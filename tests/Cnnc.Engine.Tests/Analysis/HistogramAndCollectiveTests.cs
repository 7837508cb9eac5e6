using Cnnc.Engine.Analysis;
using Cnnc.Engine.Data;
using Cnnc.Engine.Runtime;
using TorchSharp;

namespace Cnnc.Engine.Tests.Analysis;

public sealed class HistogramAndCollectiveTests
{
    public HistogramAndCollectiveTests() => TorchRuntime.Initialize();

    /// <summary>4×4 RGB: the left two columns pure red, the right two pure blue.</summary>
    private static DecodedImage RedBlue()
    {
        var pixels = new byte[3 * 16];
        for (var y = 0; y < 4; y++)
            for (var x = 0; x < 4; x++)
            {
                pixels[0 * 16 + y * 4 + x] = (byte)(x < 2 ? 255 : 0);
                pixels[2 * 16 + y * 4 + x] = (byte)(x < 2 ? 0 : 255);
            }
        return new DecodedImage(4, 4, 3, pixels);
    }

    private static Map2D Columns(Func<int, bool> on) => Map2D.Create(4, 4, (_, x) => on(x) ? 1 : 0);

    [Fact]
    public void HistogramKeepsOnlyPixelsAtOrAboveTheThreshold()
    {
        var left = ColorHistogram.Compute(RedBlue(), Columns(x => x < 2), 0.5);
        Assert.Equal(8, left.PixelCount);
        Assert.Equal(16, left.TotalPixels);
        Assert.Equal(new[] { "R", "G", "B" }, left.Channels);
        Assert.Equal(1.0, left.Bins[0][255]);
        Assert.Equal(1.0, left.Bins[1][0]);
        Assert.Equal(1.0, left.Bins[2][0]);
        Assert.All(left.Bins, channel => Assert.Equal(1.0, channel.Sum(), 12));

        var all = ColorHistogram.Compute(RedBlue(), Columns(_ => false), 0);
        Assert.Equal(16, all.PixelCount);
        Assert.Equal(0.5, all.Bins[0][255]);
        Assert.Equal(0.5, all.Bins[0][0]);

        var none = ColorHistogram.Compute(RedBlue(), Columns(_ => false), 0.5);
        Assert.Equal(0, none.PixelCount);
        Assert.All(none.Bins, channel => Assert.Equal(0.0, channel.Sum()));
    }

    [Fact]
    public void HistogramDistancesHandChecked()
    {
        var left = ColorHistogram.Compute(RedBlue(), Columns(x => x < 2), 0.5);
        var right = ColorHistogram.Compute(RedBlue(), Columns(x => x >= 2), 0.5);
        var all = ColorHistogram.Compute(RedBlue(), Columns(_ => true), 0.5);
        var empty = ColorHistogram.Compute(RedBlue(), Columns(_ => false), 0.5);
        Assert.Equal(0, left.DistanceTo(left));
        // Red and blue channels disjoint (1 each), green equal (0).
        Assert.Equal(2 / 3.0, left.DistanceTo(right), 12);
        Assert.Equal(2 / 3.0, left.DistanceTo(right, HistogramDistance.Intersection), 12);
        // Left vs whole: R ½[(1−½)²/1.5 + ½²/½] = 1/3, G 0, B 1/3 → 2/9; intersection: 1 − ½, 0, 1 − ½ → 1/3.
        Assert.Equal(2 / 9.0, left.DistanceTo(all), 12);
        Assert.Equal(1 / 3.0, left.DistanceTo(all, HistogramDistance.Intersection), 12);
        Assert.Equal(left.DistanceTo(all), all.DistanceTo(left), 12);
        Assert.Equal(1, left.DistanceTo(empty));
        Assert.Equal(0, empty.DistanceTo(empty));
    }

    [Fact]
    public void HistogramOfATensorImageResizesTheMap()
    {
        // Grey 4×4 tensor with values 0, 1/255, …; a 2×2 map selecting the top-left quadrant.
        using var image = torch.arange(16, torch.ScalarType.Float32).reshape(1, 4, 4) / 255f;
        var map = Map2D.FromArray(new float[,] { { 1, 0 }, { 0, 0 } });
        var h = ColorHistogram.Compute(image, map, 0.99);
        Assert.Equal(new[] { "Grey" }, h.Channels);
        Assert.Equal(1, h.PixelCount); // bilinear upsampling keeps only the corner pixel at 1
        Assert.Equal(1.0, h.Bins[0][0]);
    }

    [Fact]
    public void CollectiveSummaryAveragesRoiSaliencyAndSuppliedMetrics()
    {
        var samples = new[]
        {
            new ExplanationSample("img0", Map2D.Create(2, 2, (y, x) => y == 0 ? 1.0 : 0.2), 0, new Dictionary<string, double> { ["deletion_auc"] = 0.2 }),
            new ExplanationSample("img1", Map2D.Create(2, 2, (_, _) => 0.1), 1, new Dictionary<string, double> { ["deletion_auc"] = 0.4 }),
        };
        var summary = CollectiveEvaluation.Summarise("m", "gradcam", samples, 0.5,
            s => new Dictionary<string, double> { ["insertion_auc"] = s.ImageId == "img0" ? 0.9 : 0.7 });
        Assert.Equal(2, summary.Images);
        Assert.Equal(0.25, summary.RoiSize.Mean, 12); // ½ and 0
        Assert.Equal(1, summary.SaliencyInside.Count); // img1 has no ROI
        Assert.Equal(1.0, summary.SaliencyInside.Mean, 6);
        Assert.Equal((0.2 + 0.1) / 2, summary.SaliencyOutside.Mean, 6);
        Assert.Equal(0.8, summary.Contrast.Mean, 6);
        Assert.Equal(new[] { "deletion_auc", "insertion_auc" }, summary.Metrics.Select(m => m.Name));
        Assert.Equal(0.3, summary.Metrics[0].Mean, 12);
        Assert.Equal(0.8, summary.Metrics[1].Mean, 12);
        var byClass = CollectiveEvaluation.SummariseByClass("m", "gradcam", samples, 0.5);
        Assert.Equal(new[] { 0, 1 }, byClass.Keys);
        Assert.Equal(0.5, byClass[0].RoiSize.Mean);
    }

    [Fact]
    public void AgreementIsMeanSsimOverSharedImages()
    {
        var a = Enumerable.Range(0, 3).Select(i => new ExplanationSample($"img{i}", SimilarityTests.Blobs(24, 24, i))).ToList();
        var b = a.Select(s => s with { }).ToList(); // identical maps
        var c = Enumerable.Range(1, 3).Select(i => new ExplanationSample($"img{i}", SimilarityTests.Blobs(24, 24, 100 + i))).ToList();
        var agreement = CollectiveEvaluation.Agreement(new (string, IReadOnlyList<ExplanationSample>)[] { ("a", a), ("b", b), ("c", c) });
        Assert.Equal(new[] { "a", "b", "c" }, agreement.Models);
        Assert.Equal("ssim", agreement.Formula);
        Assert.Equal(1.0, agreement.Mean[0][1], 12);
        Assert.Equal(3, agreement.Images[0][1]);
        Assert.Equal(2, agreement.Images[0][2]); // img1 and img2
        var expected = (MapSimilarity.Ssim(a[1].Map, c[0].Map) + MapSimilarity.Ssim(a[2].Map, c[1].Map)) / 2;
        Assert.Equal(expected, agreement.Mean[0][2], 12);
        Assert.Equal(agreement.Mean[2][0], agreement.Mean[0][2]);
    }
}
