using System.Diagnostics;
using Cnnc.Engine.Analysis;
using Xunit.Abstractions;

namespace Cnnc.Engine.Tests.Analysis;

public sealed class SimilarityTests : IClassFixture<AnalyticsReference>
{
    private readonly AnalyticsReference _ref;
    private readonly ITestOutputHelper _output;

    public SimilarityTests(AnalyticsReference reference, ITestOutputHelper output)
    {
        _ref = reference;
        _output = output;
    }

    /// <summary>A smooth random map in [0, 1]: a few Gaussian blobs, plus optional noise.</summary>
    internal static Map2D Blobs(int h, int w, int seed, int blobs = 3, double noise = 0)
    {
        var random = new Random(seed);
        var centres = Enumerable.Range(0, blobs).Select(_ => (Y: random.NextDouble() * h, X: random.NextDouble() * w,
            S: (0.08 + 0.15 * random.NextDouble()) * Math.Max(h, w), A: 0.4 + 0.6 * random.NextDouble())).ToArray();
        var map = Map2D.Create(h, w, (y, x) => centres.Sum(c => c.A * Math.Exp(-((y - c.Y) * (y - c.Y) + (x - c.X) * (x - c.X)) / (2 * c.S * c.S))));
        var max = map.Data.Max();
        return Map2D.Create(h, w, (y, x) => Math.Clamp(map[y, x] / max + noise * (random.NextDouble() - 0.5), 0, 1));
    }

    private static Map2D Constant(int h, int w, double v) => Map2D.Create(h, w, (_, _) => v);

    [Fact]
    public void SsimOfAMapWithItselfIsOne()
    {
        var map = Blobs(40, 36, 1, noise: 0.3);
        Assert.Equal(1.0, MapSimilarity.Ssim(map, map), 12);
    }

    [Fact]
    public void SsimMatchesScikitImage()
    {
        var pairs = new[]
        {
            (Blobs(32, 40, 1, noise: 0.2), Blobs(32, 40, 2, noise: 0.2)),
            (Blobs(64, 64, 3), Blobs(64, 64, 4, noise: 0.5)),
            (Map2D.Create(11, 15, (y, x) => ((y * 7 + x * 13) % 10) / 10.0), Map2D.Create(11, 15, (y, x) => ((y * 3 + x * 5) % 9) / 9.0)),
        };
        var jobs = pairs.Select((p, i) => (object)new
        {
            kind = "ssim", a = _ref.Save($"ssim-a{i}", p.Item1.Data, p.Item1.Height, p.Item1.Width),
            b = _ref.Save($"ssim-b{i}", p.Item2.Data, p.Item2.Height, p.Item2.Width),
        }).ToArray();
        var expected = _ref.Run(jobs);
        for (var i = 0; i < pairs.Length; i++)
        {
            var ours = MapSimilarity.Ssim(pairs[i].Item1, pairs[i].Item2);
            _output.WriteLine($"pair {i}: ours {ours:R}, skimage {expected[i].GetProperty("ssim").GetDouble():R}");
            Assert.Equal(expected[i].GetProperty("ssim").GetDouble(), ours, 9);
        }
    }

    [Fact]
    public void SsimOfConstantMapsIsTheLuminanceTerm()
    {
        // σ = 0 everywhere: S = (2ab + C1) C2 / ((a² + b² + C1) C2).
        const double a = 0.2, b = 0.5, c1 = 1e-4;
        Assert.Equal((2 * a * b + c1) / (a * a + b * b + c1), MapSimilarity.Ssim(Constant(20, 20, a), Constant(20, 20, b)), 6);
    }

    [Fact]
    public void SsimRefusesMapsSmallerThanItsWindow() =>
        Assert.Throws<ArgumentException>(() => MapSimilarity.Ssim(Constant(10, 30, 0), Constant(10, 30, 0)));

    [Fact]
    public void MseAndL1HandChecked()
    {
        var zero = Constant(4, 4, 0);
        var half = Map2D.Create(4, 4, (_, x) => x < 2 ? 1 : 0);
        Assert.Equal(0.5, MapSimilarity.Mse(zero, half), 12);
        Assert.Equal(0.5, MapSimilarity.L1(zero, half), 12);
        Assert.Equal(0.09, MapSimilarity.Mse(Constant(3, 5, 0.2), Constant(3, 5, 0.5)), 6);
        Assert.Equal(0.3, MapSimilarity.L1(Constant(3, 5, 0.2), Constant(3, 5, 0.5)), 6);
        // One pixel of 16 differs by 0.8: MSE 0.64/16, L1 0.8/16.
        var one = Map2D.Create(4, 4, (y, x) => y == 1 && x == 2 ? 0.8 : 0);
        Assert.Equal(0.04, MapSimilarity.Mse(zero, one), 6);
        Assert.Equal(0.05, MapSimilarity.L1(zero, one), 6);
    }

    [Fact]
    public void AverageHashHandChecked()
    {
        // Left half bright: every row of the 8x8 grid is 11110000; its mirror image flips all 64 bits.
        var left = Map2D.Create(16, 16, (_, x) => x < 8 ? 0.9 : 0.1);
        var right = Map2D.Create(16, 16, (_, x) => x < 8 ? 0.1 : 0.9);
        var hash = MapSimilarity.AverageHash(left);
        Assert.Equal(string.Concat(Enumerable.Repeat("f0", 8)), hash.ToString());
        Assert.Equal(64, hash.Distance(MapSimilarity.AverageHash(right)));
        // A constant map has no cell above its mean: all zeros.
        Assert.Equal(new string('0', 16), MapSimilarity.AverageHash(Constant(8, 8, 0.4)).ToString());
        var matrix = MapSimilarity.Matrix(new[] { left, right }, SimilarityRule.AHash);
        Assert.Equal(-1, matrix.Values[0][1]);
        Assert.Equal(64, matrix.Scores[0][1]);
    }

    [Fact]
    public void HashesMatchNumpyReference()
    {
        var maps = new[] { Blobs(64, 64, 5), Blobs(32, 32, 6, noise: 0.4), Blobs(96, 64, 7, blobs: 5) };
        var expected = _ref.Run(maps.Select((m, i) => (object)new { kind = "hashes", map = _ref.Save($"hash{i}", m.Data, m.Height, m.Width) }).ToArray());
        for (var i = 0; i < maps.Length; i++)
        {
            string Bits(PerceptualHash h) => string.Concat(h.Bits.Select(b => b ? '1' : '0'));
            Assert.Equal(expected[i].GetProperty("ahash").GetString(), Bits(MapSimilarity.AverageHash(maps[i])));
            Assert.Equal(expected[i].GetProperty("phash").GetString(), Bits(MapSimilarity.PHash(maps[i])));
        }
    }

    [Fact]
    public void HashesOfNearIdenticalMapsAreClose()
    {
        var map = Blobs(224, 224, 8);
        var random = new Random(1);
        var jittered = Map2D.Create(224, 224, (y, x) => Math.Clamp(map[y, x] + 0.02 * (random.NextDouble() - 0.5), 0, 1));
        var other = Blobs(224, 224, 99);
        Assert.True(MapSimilarity.AverageHash(map).Distance(MapSimilarity.AverageHash(jittered)) <= 3);
        Assert.True(MapSimilarity.PHash(map).Distance(MapSimilarity.PHash(jittered)) <= 3);
        Assert.True(MapSimilarity.PHash(map).Distance(MapSimilarity.PHash(other)) >= 10);
        Assert.True(MapSimilarity.Ssim(map, jittered) > 0.9);
    }

    [Fact]
    public void MatrixIsSymmetricWithOnesOnTheDiagonalAndRecordsItsTransform()
    {
        var maps = Enumerable.Range(0, 4).Select(i => Blobs(32, 32, 20 + i)).ToArray();
        foreach (var rule in Enum.GetValues<SimilarityRule>())
            foreach (var transform in Enum.GetValues<SimilarityTransform>())
            {
                var m = MapSimilarity.Matrix(maps, rule, transform, new[] { "a", "b", "c", "d" });
                Assert.Equal(rule, m.Rule);
                Assert.Equal(transform, m.Transform);
                Assert.False(string.IsNullOrEmpty(m.Formula));
                for (var i = 0; i < 4; i++)
                {
                    Assert.Equal(1, m.Values[i][i]);
                    for (var j = 0; j < 4; j++)
                    {
                        Assert.Equal(m.Values[i][j], m.Values[j][i]);
                        Assert.InRange(m.Values[i][j], m.RangeMin, m.RangeMax);
                    }
                }
                if (transform == SimilarityTransform.RelativeToMax)
                    Assert.Equal(-1, m.Values.SelectMany(r => r).Min(), 12);
            }
        var mse = MapSimilarity.Matrix(maps, SimilarityRule.Mse);
        Assert.Equal("1 - mse", mse.Formula);
        Assert.Equal(1 - MapSimilarity.Mse(maps[0], maps[2]), mse.Values[0][2], 12);
        Assert.Equal(MapSimilarity.Ssim(maps[1], maps[3]), MapSimilarity.Matrix(maps, SimilarityRule.Ssim).Values[1][3], 12);
    }

    [Fact]
    public void MatrixRefusesMapsOutsideUnitRangeOrOfDifferentSizes()
    {
        Assert.Throws<ArgumentException>(() => MapSimilarity.Matrix(new[] { Constant(16, 16, 0), Constant(16, 16, 1.5) }, SimilarityRule.Mse));
        Assert.Throws<ArgumentException>(() => MapSimilarity.Matrix(new[] { Constant(16, 16, 0), Constant(16, 17, 0) }, SimilarityRule.L1));
        Assert.Throws<ArgumentException>(() => MapSimilarity.Matrix(new[] { Constant(16, 16, float.NaN) }, SimilarityRule.L1));
    }

    [Fact]
    public void ThirteenMapsAt224GiveASymmetricMatrixWithTheRangeMaxOnTheDiagonal()
    {
        // Paper scale: 13 models' maps at 224×224 (speed is a benchmark figure, not asserted here).
        var maps = Enumerable.Range(0, 13).Select(i => Blobs(224, 224, 40 + i)).ToArray();
        foreach (var rule in Enum.GetValues<SimilarityRule>())
        {
            var clock = Stopwatch.StartNew();
            var matrix = MapSimilarity.Matrix(maps, rule);
            _output.WriteLine($"{rule}: {clock.ElapsedMilliseconds} ms for 13 maps at 224x224");
            Assert.Equal(13, matrix.Values.Length);
            for (var i = 0; i < 13; i++)
            {
                Assert.Equal(13, matrix.Values[i].Length);
                Assert.Equal(matrix.RangeMax, matrix.Values[i][i], 9);
                for (var j = 0; j < 13; j++)
                {
                    Assert.Equal(matrix.Values[i][j], matrix.Values[j][i], 12);
                    Assert.InRange(matrix.Values[i][j], matrix.RangeMin, matrix.RangeMax + 1e-9);
                }
            }
            Assert.Contains(matrix.Values.SelectMany(r => r), v => v < matrix.RangeMax - 1e-6); // distinct maps differ
        }
    }
}
