using System.Text.Json.Serialization;

namespace Cnnc.Engine.Analysis;

/// <summary>How two saliency maps are compared (the paper's Algorithm 2 "simFunc").</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SimilarityRule>))]
public enum SimilarityRule
{
    /// <summary>Structural similarity (Wang et al. 2004), in [−1, 1].</summary>
    Ssim,

    /// <summary>Mean squared difference, in [0, 1] for maps in [0, 1].</summary>
    Mse,

    /// <summary>Mean absolute difference, in [0, 1] for maps in [0, 1].</summary>
    L1,

    /// <summary>Hamming distance of 64-bit average hashes.</summary>
    AHash,

    /// <summary>Hamming distance of 64-bit DCT perceptual hashes.</summary>
    PHash,
}

/// <summary>How a rule's score becomes a similarity.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SimilarityTransform>))]
public enum SimilarityTransform
{
    /// <summary>
    /// Fixed, comparable across matrices: SSIM as is ([−1, 1]); MSE and L1 as 1 − d ([0, 1], maps in [0, 1]); hashes as
    /// 1 − 2·h/bits ([−1, 1]: 0 is what two unrelated maps score on average, −1 a complementary map).
    /// </summary>
    Absolute,

    /// <summary>
    /// VAC-CNN's: 1 − 2·d / max(d) over the off-diagonal pairs of the matrix ([−1, 1]; the most different pair is −1),
    /// with d = 1 − SSIM for SSIM. Stretches the contrast but is relative to the maps compared.
    /// </summary>
    RelativeToMax,
}

/// <summary>SSIM settings; the defaults are Wang et al. 2004's (and skimage's <c>gaussian_weights=True</c>).</summary>
public sealed record SsimOptions
{
    /// <summary>Sigma of the Gaussian window.</summary>
    public double Sigma { get; init; } = 1.5;

    /// <summary>Window radius in sigmas (skimage: 3.5, giving radius 5 = an 11×11 window at sigma 1.5).</summary>
    public double Truncate { get; init; } = 3.5;

    /// <summary>K1 of C1 = (K1·L)².</summary>
    public double K1 { get; init; } = 0.01;

    /// <summary>K2 of C2 = (K2·L)².</summary>
    public double K2 { get; init; } = 0.03;

    /// <summary>L, the data range (1 for maps in [0, 1]).</summary>
    public double DataRange { get; init; } = 1.0;

    /// <summary>The default settings.</summary>
    public static SsimOptions Default { get; } = new();
}

/// <summary>A perceptual hash: bits in row-major order of the hashed grid.</summary>
public sealed record PerceptualHash(bool[] Bits)
{
    /// <summary>Number of bits.</summary>
    public int Length => Bits.Length;

    /// <summary>Hamming distance to <paramref name="other"/> (same length).</summary>
    public int Distance(PerceptualHash other)
    {
        if (other.Length != Length) throw new ArgumentException($"Hashes of {Length} and {other.Length} bits cannot be compared.");
        var d = 0;
        for (var i = 0; i < Length; i++) if (Bits[i] != other.Bits[i]) d++;
        return d;
    }

    /// <summary>Hex string, most significant bit first (imagehash's <c>str()</c> format for 64 bits).</summary>
    public override string ToString()
    {
        var chars = new char[(Length + 3) / 4];
        for (var c = 0; c < chars.Length; c++)
        {
            var v = 0;
            for (var b = 0; b < 4; b++)
            {
                var i = c * 4 + b;
                v = (v << 1) | (i < Length && Bits[i] ? 1 : 0);
            }
            chars[c] = "0123456789abcdef"[v];
        }
        return new string(chars);
    }
}

/// <summary>An L×L similarity matrix of saliency maps (the paper's Algorithm 2) and how it was made.</summary>
/// <param name="Rule">The comparison rule.</param>
/// <param name="Transform">The score → similarity transform.</param>
/// <param name="Formula">The transform written out, e.g. "1 - mse".</param>
/// <param name="RangeMin">Lowest possible similarity.</param>
/// <param name="RangeMax">Highest possible similarity (the diagonal).</param>
/// <param name="Labels">One label per map.</param>
/// <param name="Values">Similarities [i][j], symmetric.</param>
/// <param name="Scores">The rule's raw scores [i][j]: SSIM, MSE, L1 or Hamming distance in bits.</param>
public sealed record SimilarityMatrix(
    SimilarityRule Rule, SimilarityTransform Transform, string Formula, double RangeMin, double RangeMax,
    IReadOnlyList<string> Labels, double[][] Values, double[][] Scores);

/// <summary>
/// Scores between saliency maps of equal size with values in [0, 1]: SSIM, MSE, L1 and perceptual hashes, and the
/// similarity matrix over L maps.
/// </summary>
/// <remarks>
/// Unlike VAC-CNN, which compares the colour-mapped heatmap PNGs, these compare the raw maps: a colormap is not a
/// linear function of the map, so differences in it would weigh some saliency ranges more than others.
/// Hashes follow the <c>imagehash</c> package with one documented change: downsampling averages areas (exact for
/// sizes that divide) instead of PIL's Lanczos resampling of an 8-bit grey image.
/// Caveat measured on blob-like maps: pHash thresholds the 64 low DCT coefficients at their median, and a smooth map
/// has many near-zero coefficients, so a shift of a few pixels can flip a third of its bits; aHash and SSIM are the
/// steadier choices for saliency maps. Times: BENCHMARKS.md ("Analysis").
/// </remarks>
public static class MapSimilarity
{
    /// <summary>
    /// Mean SSIM of two maps as skimage's <c>structural_similarity(a, b, gaussian_weights=True, sigma=1.5,
    /// use_sample_covariance=False, data_range=1)</c>: local means, variances and covariance under a Gaussian window,
    /// S = (2μaμb + C1)(2σab + C2) / ((μa² + μb² + C1)(σa² + σb² + C2)), averaged over the pixels whose window lies
    /// inside the map (a border of the window radius is left out, as skimage crops it). Maps need a side of at least
    /// 2·radius + 1 (11 at the defaults).
    /// </summary>
    public static double Ssim(Map2D a, Map2D b, SsimOptions? options = null)
    {
        a.RequireSameShape(b);
        options ??= SsimOptions.Default;
        var pa = SsimStats.Of(a, options);
        var pb = SsimStats.Of(b, options);
        return SsimStats.Score(pa, pb, options);
    }

    /// <summary>Mean of (a − b)².</summary>
    public static double Mse(Map2D a, Map2D b)
    {
        a.RequireSameShape(b);
        double s = 0;
        for (var i = 0; i < a.Length; i++)
        {
            double d = a.Data[i] - b.Data[i];
            s += d * d;
        }
        return s / a.Length;
    }

    /// <summary>Mean of |a − b|.</summary>
    public static double L1(Map2D a, Map2D b)
    {
        a.RequireSameShape(b);
        double s = 0;
        for (var i = 0; i < a.Length; i++) s += Math.Abs((double)a.Data[i] - b.Data[i]);
        return s / a.Length;
    }

    /// <summary>
    /// Average hash (imagehash.average_hash): the map downsampled to <paramref name="size"/>×<paramref name="size"/>
    /// by area averaging; bit = cell &gt; mean of the cells.
    /// </summary>
    public static PerceptualHash AverageHash(Map2D map, int size = 8)
    {
        if (size < 2) throw new ArgumentOutOfRangeException(nameof(size), "A hash needs a grid of at least 2x2.");
        var small = map.ResizeArea(size, size);
        var mean = small.Data.Select(v => (double)v).Average();
        return new PerceptualHash(small.Data.Select(v => v > mean).ToArray());
    }

    /// <summary>
    /// DCT perceptual hash (imagehash.phash): the map downsampled to (size·factor)² by area averaging, a 2-D DCT-II
    /// (scipy.fftpack's unnormalised type II along rows then columns), the top-left size×size low frequencies (the DC
    /// term included); bit = coefficient &gt; their median.
    /// </summary>
    public static PerceptualHash PHash(Map2D map, int size = 8, int highFrequencyFactor = 4)
    {
        if (size < 2 || highFrequencyFactor < 1) throw new ArgumentOutOfRangeException(nameof(size), "Need size >= 2 and factor >= 1.");
        var side = size * highFrequencyFactor;
        var small = map.ResizeArea(side, side);
        var pixels = small.ToDoubles();
        // DCT along axis 0 (columns), then along axis 1 (rows); only the first `size` coefficients of each are needed.
        var cos = new double[size, side];
        for (var k = 0; k < size; k++)
            for (var n = 0; n < side; n++) cos[k, n] = Math.Cos(Math.PI * k * (2 * n + 1) / (2.0 * side));
        var colDct = new double[size * side]; // [k, x]
        for (var k = 0; k < size; k++)
            for (var x = 0; x < side; x++)
            {
                double s = 0;
                for (var y = 0; y < side; y++) s += pixels[y * side + x] * cos[k, y];
                colDct[k * side + x] = 2 * s;
            }
        var low = new double[size * size];
        for (var k = 0; k < size; k++)
            for (var l = 0; l < size; l++)
            {
                double s = 0;
                for (var x = 0; x < side; x++) s += colDct[k * side + x] * cos[l, x];
                low[k * size + l] = 2 * s;
            }
        var sorted = low.Order().ToArray();
        var median = sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        return new PerceptualHash(low.Select(v => v > median).ToArray());
    }

    /// <summary>The raw score of a rule (SSIM, MSE, L1, or the Hamming distance in bits for hashes).</summary>
    public static double Score(Map2D a, Map2D b, SimilarityRule rule) => rule switch
    {
        SimilarityRule.Ssim => Ssim(a, b),
        SimilarityRule.Mse => Mse(a, b),
        SimilarityRule.L1 => L1(a, b),
        SimilarityRule.AHash => SameShape(a, b, () => AverageHash(a).Distance(AverageHash(b))),
        SimilarityRule.PHash => SameShape(a, b, () => PHash(a).Distance(PHash(b))),
        _ => throw new ArgumentOutOfRangeException(nameof(rule)),
    };

    /// <summary>
    /// The L×L similarity matrix of <paramref name="maps"/> (equal sizes, values in [0, 1]) under a rule and transform.
    /// Symmetric; the diagonal is the maximum (1). Each map's own statistics (SSIM means and variances, hashes) are
    /// computed once.
    /// </summary>
    public static SimilarityMatrix Matrix(IReadOnlyList<Map2D> maps, SimilarityRule rule,
        SimilarityTransform transform = SimilarityTransform.Absolute, IReadOnlyList<string>? labels = null, SsimOptions? ssim = null)
    {
        if (maps.Count == 0) throw new ArgumentException("At least one map is needed.");
        labels ??= Enumerable.Range(0, maps.Count).Select(i => i.ToString()).ToArray();
        if (labels.Count != maps.Count) throw new ArgumentException($"{labels.Count} labels for {maps.Count} maps.");
        var checkedMaps = maps.Select((m, i) => m.RequireUnitRange($"map {labels[i]}")).ToArray();
        foreach (var m in checkedMaps) checkedMaps[0].RequireSameShape(m);
        var l = maps.Count;
        var scores = new double[l][];
        for (var i = 0; i < l; i++) scores[i] = new double[l];

        Func<int, int, double> score;
        double self;
        switch (rule)
        {
            case SimilarityRule.Ssim:
                ssim ??= SsimOptions.Default;
                var stats = checkedMaps.Select(m => SsimStats.Of(m, ssim)).ToArray();
                score = (i, j) => SsimStats.Score(stats[i], stats[j], ssim);
                self = 1;
                break;
            case SimilarityRule.Mse:
                score = (i, j) => Mse(checkedMaps[i], checkedMaps[j]);
                self = 0;
                break;
            case SimilarityRule.L1:
                score = (i, j) => L1(checkedMaps[i], checkedMaps[j]);
                self = 0;
                break;
            case SimilarityRule.AHash:
            case SimilarityRule.PHash:
                var hashes = checkedMaps.Select(m => rule == SimilarityRule.AHash ? AverageHash(m) : PHash(m)).ToArray();
                score = (i, j) => hashes[i].Distance(hashes[j]);
                self = 0;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(rule));
        }
        var pairs = new List<(int I, int J)>();
        for (var i = 0; i < l; i++)
        {
            scores[i][i] = self;
            for (var j = i + 1; j < l; j++) pairs.Add((i, j));
        }
        Parallel.ForEach(pairs, pair => scores[pair.I][pair.J] = scores[pair.J][pair.I] = score(pair.I, pair.J));

        const int bits = 64;
        var isSimilarity = rule == SimilarityRule.Ssim;
        Func<double, double> distance = isSimilarity ? s => 1 - s : d => d;
        string name = rule switch
        {
            SimilarityRule.Ssim => "ssim", SimilarityRule.Mse => "mse", SimilarityRule.L1 => "mean|a-b|",
            _ => "hamming",
        };
        Func<double, double> toSimilarity;
        string formula;
        double rangeMin;
        if (transform == SimilarityTransform.Absolute)
        {
            (toSimilarity, formula, rangeMin) = rule switch
            {
                SimilarityRule.Ssim => ((Func<double, double>)(s => s), "ssim", -1.0),
                SimilarityRule.Mse or SimilarityRule.L1 => (d => 1 - d, $"1 - {name}", 0.0),
                _ => (d => 1 - 2 * d / bits, $"1 - 2*hamming/{bits}", -1.0),
            };
        }
        else
        {
            var max = 0.0;
            for (var i = 0; i < l; i++)
                for (var j = 0; j < l; j++)
                    if (i != j) max = Math.Max(max, distance(scores[i][j]));
            toSimilarity = s => max == 0 ? 1 : 1 - 2 * distance(s) / max;
            formula = isSimilarity ? "1 - 2*d/max(d), d = 1 - ssim" : $"1 - 2*d/max(d), d = {name}";
            rangeMin = -1;
        }
        var values = scores.Select(row => row.Select(toSimilarity).ToArray()).ToArray();
        for (var i = 0; i < l; i++) values[i][i] = 1;
        return new SimilarityMatrix(rule, transform, formula, rangeMin, 1, labels.ToArray(), values, scores);
    }

    private static double SameShape(Map2D a, Map2D b, Func<double> f)
    {
        a.RequireSameShape(b);
        return f();
    }

    /// <summary>Per-map SSIM statistics over the valid region: μ and E[x²] under the window, plus the map itself.</summary>
    internal sealed class SsimStats
    {
        private SsimStats(double[] values, double[] mean, double[] meanSquare, int h, int w, double[] kernel)
        {
            Values = values;
            Mean = mean;
            MeanSquare = meanSquare;
            Height = h;
            Width = w;
            Kernel = kernel;
        }

        public double[] Values { get; }
        public double[] Mean { get; }
        public double[] MeanSquare { get; }
        public int Height { get; }
        public int Width { get; }
        public double[] Kernel { get; }

        public static SsimStats Of(Map2D map, SsimOptions o)
        {
            var radius = Filters.GaussianRadius(o.Sigma, o.Truncate);
            var side = 2 * radius + 1;
            if (map.Height < side || map.Width < side)
                throw new ArgumentException($"SSIM with a {side}x{side} window needs maps of at least {side}x{side}, got {map.Height}x{map.Width}.");
            var kernel = Filters.GaussianKernel(o.Sigma, radius);
            var values = map.ToDoubles();
            var squares = values.Select(v => v * v).ToArray();
            return new SsimStats(values, ValidFilter(values, map.Height, map.Width, kernel),
                ValidFilter(squares, map.Height, map.Width, kernel), map.Height, map.Width, kernel);
        }

        public static double Score(SsimStats a, SsimStats b, SsimOptions o)
        {
            var products = new double[a.Values.Length];
            for (var i = 0; i < products.Length; i++) products[i] = a.Values[i] * b.Values[i];
            var cross = ValidFilter(products, a.Height, a.Width, a.Kernel);
            var c1 = Math.Pow(o.K1 * o.DataRange, 2);
            var c2 = Math.Pow(o.K2 * o.DataRange, 2);
            double sum = 0;
            for (var i = 0; i < cross.Length; i++)
            {
                double ux = a.Mean[i], uy = b.Mean[i];
                var vx = a.MeanSquare[i] - ux * ux;
                var vy = b.MeanSquare[i] - uy * uy;
                var vxy = cross[i] - ux * uy;
                sum += (2 * ux * uy + c1) * (2 * vxy + c2) / ((ux * ux + uy * uy + c1) * (vx + vy + c2));
            }
            return sum / cross.Length;
        }

        /// <summary>Correlation with the separable kernel at the pixels whose window lies inside (no padding needed).</summary>
        private static double[] ValidFilter(double[] src, int h, int w, double[] kernel)
        {
            var r = kernel.Length / 2;
            int oh = h - 2 * r, ow = w - 2 * r;
            var vertical = new double[oh * w];
            for (var y = 0; y < oh; y++)
            {
                var dst = vertical.AsSpan(y * w, w);
                for (var k = 0; k < kernel.Length; k++)
                {
                    var weight = kernel[k];
                    var row = src.AsSpan((y + k) * w, w);
                    for (var x = 0; x < w; x++) dst[x] += weight * row[x];
                }
            }
            var result = new double[oh * ow];
            for (var y = 0; y < oh; y++)
            {
                var row = vertical.AsSpan(y * w, w);
                for (var x = 0; x < ow; x++)
                {
                    double s = 0;
                    for (var k = 0; k < kernel.Length; k++) s += kernel[k] * row[x + k];
                    result[y * ow + x] = s;
                }
            }
            return result;
        }
    }
}
