using Cnnc.Engine.Data;

namespace Cnnc.Engine.Corruptions;

/// <summary>What one corruption is.</summary>
/// <param name="Name">The published name, e.g. "gaussian_noise".</param>
/// <param name="Category">"noise", "blur", "weather" or "digital" (Hendrycks &amp; Dietterich's groups; "extra" for the validation corruptions).</param>
/// <param name="IsRandom">Whether it draws random numbers (then the seed matters).</param>
/// <param name="IsCommon">One of the 15 corruptions of ImageNet-C's mCE (false: the held-out validation ones).</param>
/// <param name="Severities">The parameter(s) at severities 1..5, as published.</param>
public sealed record CorruptionInfo(string Name, string Category, bool IsRandom, bool IsCommon, IReadOnlyList<string> Severities);

/// <summary>A corruption name that is not implemented; the message lists the ones that are.</summary>
public sealed class UnknownCorruptionException(string name)
    : ArgumentException($"Unknown corruption '{name}'. Valid: {string.Join(", ", ImageCorruptions.Names)}.")
{
    /// <summary>The name asked for.</summary>
    public string Corruption { get; } = name;
}

/// <summary>
/// The common corruptions of Hendrycks &amp; Dietterich (ICLR 2019, "Benchmarking Neural Network Robustness to Common
/// Corruptions and Perturbations"), on 8-bit images of any size, grey or RGB, written after the size-general published
/// code: <c>imagecorruptions/corruptions.py</c> of github.com/bethgelab/imagecorruptions (Michaelis et al. 2019), whose
/// severity parameters are those of <c>ImageNet-C/create_c/make_imagenet_c.py</c> (github.com/hendrycks/robustness).
/// </summary>
/// <remarks>
/// <para>Each corruption computes what the Python function computes, in the same arithmetic (float64, float32 where
/// numpy works in float32) and returns <c>np.uint8(result)</c> — values clipped to [0, 255] then truncated, as
/// <c>imagecorruptions.corrupt</c> does. Grey images are corrupted as one channel: imagecorruptions replicates a grey
/// image to RGB first, which for these corruptions gives three equal channels (the noise ones draw independent noise
/// per channel there, one field here). imagecorruptions refuses images under 32 pixels; these run on Fashion-MNIST's 28×28
/// with the same formulas.</para>
/// <para>Random corruptions draw from <see cref="CorruptionRandom"/> seeded per (seed, corruption, severity, image),
/// never from shared state, in numpy's row-major H×W×C order.</para>
/// <para>Not implemented: glass_blur, snow, frost, elastic_transform (of the 15), spatter and saturate (validation).</para>
/// </remarks>
public static class ImageCorruptions
{
    // ---- Severity parameters: imagecorruptions/corruptions.py (bethgelab/imagecorruptions, master c959e65), identical
    // ---- to make_imagenet_c.py (hendrycks/robustness e0377d4).
    private static readonly double[] GaussianNoiseScale = { .08, .12, 0.18, 0.26, 0.38 };
    private static readonly double[] ShotNoiseRate = { 60, 25, 12, 5, 3 };
    private static readonly double[] ImpulseAmount = { .03, .06, .09, 0.17, 0.27 };
    private static readonly double[] SpeckleScale = { .15, .2, 0.35, 0.45, 0.6 };
    private static readonly double[] GaussianBlurSigma = { 1, 2, 3, 4, 6 };
    private static readonly (int Radius, double AliasBlur)[] DefocusParameters = { (3, 0.1), (4, 0.5), (6, 0.5), (8, 0.5), (10, 0.5) };
    private static readonly (int Radius, double Sigma)[] MotionParameters = { (10, 3), (15, 5), (15, 8), (15, 12), (20, 15) };
    // zoom_blur: np.arange(1, 1.11, 0.01), np.arange(1, 1.16, 0.01), np.arange(1, 1.21, 0.02), np.arange(1, 1.26, 0.02),
    // np.arange(1, 1.31, 0.03): numpy's lengths (12, 16, 11, 13, 11: the first includes 1.11 by rounding) and values
    // start + i·step.
    private static readonly (double Step, int Count)[] ZoomFactors = { (0.01, 12), (0.01, 16), (0.02, 11), (0.02, 13), (0.03, 11) };
    private static readonly (double Amount, double Decay)[] FogParameters = { (1.5, 2), (2.0, 2), (2.5, 1.7), (2.5, 1.5), (3.0, 1.4) };
    private static readonly double[] BrightnessShift = { .1, .2, .3, .4, .5 };
    private static readonly double[] ContrastFactor = { 0.4, .3, .2, .1, .05 };
    private static readonly int[] JpegQuality = { 25, 18, 15, 10, 7 };
    private static readonly double[] PixelateFactor = { 0.6, 0.5, 0.4, 0.3, 0.25 };
    private static readonly double[] ElasticAlpha = { 250 * 0.05, 250 * 0.065, 250 * 0.085, 250 * 0.1, 250 * 0.12 };

    private static string Row<T>(IEnumerable<T> values) => string.Join(" | ", values);

    private static readonly CorruptionInfo[] Catalog =
    {
        new("gaussian_noise", "noise", true, true, GaussianNoiseScale.Select(c => $"σ={c}").ToArray()),
        new("shot_noise", "noise", true, true, ShotNoiseRate.Select(c => $"λ=x·{c}").ToArray()),
        new("impulse_noise", "noise", true, true, ImpulseAmount.Select(c => $"amount={c}").ToArray()),
        new("defocus_blur", "blur", false, true, DefocusParameters.Select(c => $"radius={c.Radius}, alias_blur={c.AliasBlur}").ToArray()),
        new("motion_blur", "blur", true, true, MotionParameters.Select(c => $"radius={c.Radius}, sigma={c.Sigma}, angle~U(−45°,45°)").ToArray()),
        new("zoom_blur", "blur", false, true, ZoomFactors.Select(z => $"zooms 1..{1 + (z.Count - 1) * z.Step:0.00} step {z.Step}").ToArray()),
        new("fog", "weather", true, true, FogParameters.Select(c => $"amount={c.Amount}, wibbledecay={c.Decay}").ToArray()),
        new("brightness", "weather", false, true, BrightnessShift.Select(c => $"V+{c}").ToArray()),
        new("contrast", "digital", false, true, ContrastFactor.Select(c => $"×{c}").ToArray()),
        new("elastic_transform", "digital", true, true, ElasticAlpha.Select(a => $"alpha={a}, sigma=0.01·size, max shift=0.005·height").ToArray()),
        new("pixelate", "digital", false, true, PixelateFactor.Select(c => $"×{c}").ToArray()),
        new("jpeg_compression", "digital", false, true, JpegQuality.Select(c => $"quality={c}").ToArray()),
        new("speckle_noise", "extra", true, false, SpeckleScale.Select(c => $"σ={c}").ToArray()),
        new("gaussian_blur", "extra", false, false, GaussianBlurSigma.Select(c => $"σ={c}").ToArray()),
    };

    /// <summary>The implemented corruptions, in imagecorruptions' order (the common ones first).</summary>
    public static IReadOnlyList<string> Names { get; } = Catalog.Select(c => c.Name).ToArray();

    /// <summary>The implemented ones among ImageNet-C's 15 (what mCE averages over by default).</summary>
    public static IReadOnlyList<string> CommonNames { get; } = Catalog.Where(c => c.IsCommon).Select(c => c.Name).ToArray();

    /// <summary>All 15 of ImageNet-C, implemented or not, in the paper's order.</summary>
    public static IReadOnlyList<string> ImageNetC { get; } = new[]
    {
        "gaussian_noise", "shot_noise", "impulse_noise", "defocus_blur", "glass_blur", "motion_blur", "zoom_blur",
        "snow", "frost", "fog", "brightness", "contrast", "elastic_transform", "pixelate", "jpeg_compression",
    };

    /// <summary>The description of <paramref name="name"/>.</summary>
    /// <exception cref="UnknownCorruptionException">For a name that is not implemented.</exception>
    public static CorruptionInfo Info(string name) =>
        Catalog.FirstOrDefault(c => c.Name == name) ?? throw new UnknownCorruptionException(name);

    /// <summary>Checks a name and a severity (1..5).</summary>
    public static void Validate(string name, int severity)
    {
        Info(name);
        if (severity is < 1 or > 5)
            throw new ArgumentOutOfRangeException(nameof(severity), severity, "Severity must be an integer in 1..5.");
    }

    /// <summary>
    /// Corrupts <paramref name="image"/> (grey or RGB, any size) with <paramref name="corruption"/> at
    /// <paramref name="severity"/> (1..5); random corruptions draw the noise of image <paramref name="index"/> under
    /// <paramref name="seed"/>. A new image of the same size and channels.
    /// </summary>
    public static DecodedImage Apply(DecodedImage image, string corruption, int severity, ulong seed = 0, long index = 0)
    {
        Validate(corruption, severity);
        return Apply(image, corruption, severity, new CorruptionNoise(new CorruptionRandom(CorruptionRandom.SeedFor(seed, corruption, severity, index))));
    }

    /// <summary>The seam of the tests: the same, drawing from <paramref name="noise"/> (which may record its draws).</summary>
    internal static DecodedImage Apply(DecodedImage image, string corruption, int severity, CorruptionNoise noise)
    {
        Validate(corruption, severity);
        var s = severity - 1;
        var img = Hwc.From(image);
        return corruption switch
        {
            "gaussian_noise" => GaussianNoise(img, GaussianNoiseScale[s], noise),
            "shot_noise" => ShotNoise(img, ShotNoiseRate[s], noise),
            "impulse_noise" => ImpulseNoise(img, ImpulseAmount[s], noise),
            "speckle_noise" => SpeckleNoise(img, SpeckleScale[s], noise),
            "gaussian_blur" => img.ToImage(GaussianFilter(img, GaussianBlurSigma[s], Border.Nearest, 4.0)),
            "defocus_blur" => DefocusBlur(img, DefocusParameters[s].Radius, DefocusParameters[s].AliasBlur),
            "motion_blur" => MotionBlur(img, MotionParameters[s].Radius, MotionParameters[s].Sigma, noise),
            "zoom_blur" => ZoomBlur(img, ZoomFactors[s]),
            "fog" => Fog(img, FogParameters[s].Amount, FogParameters[s].Decay, noise),
            "brightness" => Brightness(img, BrightnessShift[s]),
            "contrast" => Contrast(img, ContrastFactor[s]),
            "elastic_transform" => ElasticTransform(img, ElasticAlpha[s], noise),
            "pixelate" => Pixelate(image, PixelateFactor[s]),
            "jpeg_compression" => Jpeg(image, JpegQuality[s]),
            _ => throw new UnknownCorruptionException(corruption),
        };
    }

    // ---------------------------------------------------------------------------------------------------------------
    // An image as numpy holds it: float64 H×W×C, x / 255.

    internal sealed class Hwc
    {
        public int H, W, C;
        public double[] V = Array.Empty<double>();

        public static Hwc From(DecodedImage image)
        {
            var r = new Hwc { H = image.Height, W = image.Width, C = image.Channels };
            r.V = new double[r.H * r.W * r.C];
            var p = image.Pixels;
            var plane = r.H * r.W;
            for (var i = 0; i < plane; i++)
                for (var c = 0; c < r.C; c++)
                    r.V[i * r.C + c] = p[c * plane + i] / 255.0;
            return r;
        }

        /// <summary><c>np.uint8(np.clip(v, 0, 1) * 255)</c>, back to a planar image.</summary>
        public DecodedImage ToImage(double[] v)
        {
            var plane = H * W;
            var bytes = new byte[plane * C];
            for (var i = 0; i < plane; i++)
                for (var c = 0; c < C; c++)
                {
                    var x = v[i * C + c];
                    x = x < 0 ? 0 : x > 1 ? 1 : x; // np.clip keeps NaN; none arise here
                    bytes[c * plane + i] = (byte)(x * 255);
                }
            return new DecodedImage(W, H, C, bytes);
        }

        /// <summary>The float32 version: <c>np.uint8(np.clip(v, 0, 1) * 255)</c> with v float32.</summary>
        public DecodedImage ToImage(float[] v)
        {
            var plane = H * W;
            var bytes = new byte[plane * C];
            for (var i = 0; i < plane; i++)
                for (var c = 0; c < C; c++)
                {
                    var x = v[i * C + c];
                    x = x < 0f ? 0f : x > 1f ? 1f : x;
                    bytes[c * plane + i] = (byte)(float)(x * 255f);
                }
            return new DecodedImage(W, H, C, bytes);
        }
    }

    // ---- noise -------------------------------------------------------------------------------------------------------

    // gaussian_noise: np.clip(x + np.random.normal(size=x.shape, scale=c), 0, 1) * 255
    private static DecodedImage GaussianNoise(Hwc x, double c, CorruptionNoise noise)
    {
        var n = noise.Normal(x.V.Length, c);
        var v = new double[n.Length];
        for (var i = 0; i < v.Length; i++) v[i] = x.V[i] + n[i];
        return x.ToImage(v);
    }

    // shot_noise: np.clip(np.random.poisson(x * c) / float(c), 0, 1) * 255
    private static DecodedImage ShotNoise(Hwc x, double c, CorruptionNoise noise)
    {
        var lambda = new double[x.V.Length];
        for (var i = 0; i < lambda.Length; i++) lambda[i] = x.V[i] * c;
        var k = noise.Poisson(lambda);
        var v = new double[k.Length];
        for (var i = 0; i < v.Length; i++) v[i] = k[i] / c;
        return x.ToImage(v);
    }

    // impulse_noise: sk.util.random_noise(x, mode='s&p', amount=c) (skimage 0.19 util/noise.py: flipped = random(shape)
    // <= amount, salted = random(shape) <= 0.5; salt → 1, pepper → 0), then np.clip(x, 0, 1) * 255.
    private static DecodedImage ImpulseNoise(Hwc x, double amount, CorruptionNoise noise)
    {
        var flip = noise.Uniform(0, 1, x.V.Length);
        var salt = noise.Uniform(0, 1, x.V.Length);
        var v = (double[])x.V.Clone();
        for (var i = 0; i < v.Length; i++)
            if (flip[i] <= amount) v[i] = salt[i] <= 0.5 ? 1.0 : 0.0;
        return x.ToImage(v);
    }

    // speckle_noise: np.clip(x + x * np.random.normal(size=x.shape, scale=c), 0, 1) * 255
    private static DecodedImage SpeckleNoise(Hwc x, double c, CorruptionNoise noise)
    {
        var n = noise.Normal(x.V.Length, c);
        var v = new double[n.Length];
        for (var i = 0; i < v.Length; i++) v[i] = x.V[i] + x.V[i] * n[i];
        return x.ToImage(v);
    }

    // ---- scipy.ndimage.gaussian_filter (skimage.filters.gaussian) ------------------------------------------------------

    internal enum Border { Nearest, Reflect, Mirror }

    /// <summary>An index outside 0..n−1 folded by scipy's mode: nearest (clamp), reflect (abc|cba), mirror (abc|ba).</summary>
    internal static int Fold(int i, int n, Border border)
    {
        if ((uint)i < (uint)n) return i;
        switch (border)
        {
            case Border.Nearest:
                return i < 0 ? 0 : n - 1;
            case Border.Reflect:
            {
                if (n == 1) return 0;
                var period = 2 * n;
                i %= period;
                if (i < 0) i += period;
                return i < n ? i : period - 1 - i;
            }
            default:
            {
                if (n == 1) return 0;
                var period = 2 * n - 2;
                i %= period;
                if (i < 0) i += period;
                return i < n ? i : period - i;
            }
        }
    }

    /// <summary>numpy's pairwise sum of a short float64 array (<c>pairwise_sum</c>, n ≤ 128).</summary>
    internal static double NumpySum(ReadOnlySpan<double> a)
    {
        if (a.Length < 8)
        {
            var res = 0.0;
            foreach (var v in a) res += v;
            return res;
        }
        if (a.Length > 128) throw new ArgumentException("Only the unblocked case is written out.");
        Span<double> r = stackalloc double[8];
        for (var j = 0; j < 8; j++) r[j] = a[j];
        var i = 8;
        for (; i < a.Length - a.Length % 8; i += 8)
            for (var j = 0; j < 8; j++) r[j] += a[i + j];
        var sum = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < a.Length; i++) sum += a[i];
        return sum;
    }

    /// <summary>scipy's <c>_gaussian_kernel1d(sigma, 0, radius)</c> with radius = int(truncate·σ + 0.5).</summary>
    internal static double[] GaussianKernel1D(double sigma, double truncate)
    {
        var radius = (int)(truncate * sigma + 0.5);
        var sigma2 = sigma * sigma;
        var phi = new double[2 * radius + 1];
        for (var x = -radius; x <= radius; x++) phi[x + radius] = Math.Exp(-0.5 / sigma2 * (double)(x * x));
        var sum = NumpySum(phi);
        for (var i = 0; i < phi.Length; i++) phi[i] /= sum;
        return phi;
    }

    /// <summary>scipy's <c>correlate1d</c> of one line with a symmetric kernel (NI_Correlate1D's symmetric loop).</summary>
    private static void Correlate1D(ReadOnlySpan<double> line, Span<double> output, double[] weights, Border border)
    {
        var r = weights.Length / 2;
        var n = line.Length;
        for (var i = 0; i < n; i++)
        {
            var t = line[i] * weights[r];
            for (var j = -r; j < 0; j++)
                t += (line[Fold(i + j, n, border)] + line[Fold(i - j, n, border)]) * weights[r + j];
            output[i] = t;
        }
    }

    /// <summary>
    /// <c>skimage.filters.gaussian(x, sigma, mode, truncate, channel_axis=-1)</c>: scipy's gaussian_filter along rows
    /// (axis 0) then columns (axis 1) of each channel, in float64.
    /// </summary>
    internal static double[] GaussianFilter(Hwc x, double sigma, Border border, double truncate) =>
        GaussianFilter(x.V, x.H, x.W, x.C, sigma, sigma, border, truncate);

    internal static double[] GaussianFilter(double[] v, int h, int w, int channels, double sigmaY, double sigmaX, Border border, double truncate)
    {
        var ky = GaussianKernel1D(sigmaY, truncate);
        var kx = GaussianKernel1D(sigmaX, truncate);
        var first = new double[v.Length];
        var output = new double[v.Length];
        var line = new double[Math.Max(h, w)];
        var result = new double[Math.Max(h, w)];
        for (var c = 0; c < channels; c++)
        {
            for (var xx = 0; xx < w; xx++)
            {
                for (var y = 0; y < h; y++) line[y] = v[(y * w + xx) * channels + c];
                Correlate1D(line.AsSpan(0, h), result.AsSpan(0, h), ky, border);
                for (var y = 0; y < h; y++) first[(y * w + xx) * channels + c] = result[y];
            }
            for (var y = 0; y < h; y++)
            {
                for (var xx = 0; xx < w; xx++) line[xx] = first[(y * w + xx) * channels + c];
                Correlate1D(line.AsSpan(0, w), result.AsSpan(0, w), kx, border);
                for (var xx = 0; xx < w; xx++) output[(y * w + xx) * channels + c] = result[xx];
            }
        }
        return output;
    }

    // ---- defocus_blur ------------------------------------------------------------------------------------------------

    /// <summary>
    /// imagecorruptions' <c>disk(radius, alias_blur)</c>: the float32 disk X² + Y² ≤ r² on −8..8 (or −r..r when r &gt; 8),
    /// normalised, then <c>cv2.GaussianBlur(ksize=(3,3) or (5,5), sigmaX=alias_blur)</c> — OpenCV's float32 Gaussian
    /// kernel (getGaussianKernel) applied separably, rows then columns, with BORDER_REFLECT_101.
    /// </summary>
    internal static float[,] Disk(int radius, double aliasBlur)
    {
        var half = radius <= 8 ? 8 : radius;
        var ksize = radius <= 8 ? 3 : 5;
        var n = 2 * half + 1;
        var disk = new float[n, n];
        var count = 0f;
        for (var y = 0; y < n; y++)
            for (var x = 0; x < n; x++)
            {
                int dy = y - half, dx = x - half;
                if (dx * dx + dy * dy <= radius * radius) { disk[y, x] = 1f; count += 1f; }
            }
        for (var y = 0; y < n; y++)
            for (var x = 0; x < n; x++) disk[y, x] /= count;

        // getGaussianKernel(ksize, sigma, CV_32F)
        var k = new float[ksize];
        var scale2X = -0.5 / (aliasBlur * aliasBlur);
        double sum = 0;
        for (var i = 0; i < ksize; i++)
        {
            var xx = i - (ksize - 1) * 0.5;
            k[i] = (float)Math.Exp(scale2X * xx * xx);
            sum += k[i];
        }
        sum = 1.0 / sum;
        for (var i = 0; i < ksize; i++) k[i] = (float)(k[i] * sum);

        var r = ksize / 2;
        var rows = new float[n, n];
        for (var y = 0; y < n; y++)
            for (var x = 0; x < n; x++)
            {
                var t = disk[y, x] * k[r];
                for (var j = 1; j <= r; j++) t += (disk[y, Fold(x - j, n, Border.Mirror)] + disk[y, Fold(x + j, n, Border.Mirror)]) * k[r + j];
                rows[y, x] = t;
            }
        var result = new float[n, n];
        for (var y = 0; y < n; y++)
            for (var x = 0; x < n; x++)
            {
                var t = rows[y, x] * k[r];
                for (var j = 1; j <= r; j++) t += (rows[Fold(y - j, n, Border.Mirror), x] + rows[Fold(y + j, n, Border.Mirror), x]) * k[r + j];
                result[y, x] = t;
            }
        return result;
    }

    // defocus_blur: cv2.filter2D(x[:, :, d], -1, kernel) per channel (float64 image, kernel widened to float64, kernel
    // centred, BORDER_REFLECT_101), then np.clip(·, 0, 1) * 255.
    private static DecodedImage DefocusBlur(Hwc x, int radius, double aliasBlur)
    {
        var kernel = Disk(radius, aliasBlur);
        var n = kernel.GetLength(0);
        var half = n / 2;
        var k = new double[n * n];
        for (var i = 0; i < n; i++)
            for (var j = 0; j < n; j++) k[i * n + j] = kernel[i, j];
        int h = x.H, w = x.W, channels = x.C;
        var output = new double[x.V.Length];
        var rowsIndex = new int[n];
        var colsIndex = new int[w, n];
        for (var xx = 0; xx < w; xx++)
            for (var j = 0; j < n; j++) colsIndex[xx, j] = Fold(xx + j - half, w, Border.Mirror);
        Parallel.For(0, h, y =>
        {
            Span<int> ri = stackalloc int[n];
            for (var i = 0; i < n; i++) ri[i] = Fold(y + i - half, h, Border.Mirror);
            for (var xx = 0; xx < w; xx++)
                for (var c = 0; c < channels; c++)
                {
                    var t = 0.0;
                    for (var i = 0; i < n; i++)
                    {
                        var row = ri[i] * w;
                        for (var j = 0; j < n; j++) t += k[i * n + j] * x.V[(row + colsIndex[xx, j]) * channels + c];
                    }
                    output[(y * w + xx) * channels + c] = t;
                }
        });
        return x.ToImage(output);
    }

    // ---- motion_blur (imagecorruptions' numpy _motion_blur; ImageNet-C used ImageMagick's MotionBlurImage) ------------

    private static DecodedImage MotionBlur(Hwc x, int radius, double sigma, CorruptionNoise noise)
    {
        var angle = noise.Uniform(-45, 45, 1)[0];
        var width = radius * 2 + 1;
        // getMotionBlurKernel: gauss_function(np.arange(width), 0, sigma) / sum
        var kernel = new double[width];
        for (var i = 0; i < width; i++)
            kernel[i] = Math.Exp(-((double)i - 0) * ((double)i - 0) / (2 * (sigma * sigma))) / (Math.Sqrt(2 * Math.PI) * sigma);
        var z = NumpySum(kernel);
        for (var i = 0; i < width; i++) kernel[i] /= z;
        var rad = angle * (Math.PI / 180.0); // np.deg2rad
        double py = width * Math.Sin(rad), px = width * Math.Cos(rad);
        var hypot = Math.Sqrt(py * py + px * px);
        int h = x.H, w = x.W, channels = x.C;
        var bytes = new double[x.V.Length];
        for (var i = 0; i < bytes.Length; i++) bytes[i] = Math.Round(x.V[i] * 255.0); // the uint8 image itself
        var blurred = new double[bytes.Length];
        for (var i = 0; i < width; i++)
        {
            var dy = -(int)Math.Ceiling(i * py / hypot - 0.5);
            var dx = -(int)Math.Ceiling(i * px / hypot - 0.5);
            if (Math.Abs(dy) >= h || Math.Abs(dx) >= w) break; // "simulated motion exceeded image borders"
            // shift(x, dx, dy): out[y, x] = in[clamp(y − dy), clamp(x − dx)]
            for (var y = 0; y < h; y++)
            {
                var sy = Math.Clamp(y - dy, 0, h - 1);
                for (var xx = 0; xx < w; xx++)
                {
                    var sx = Math.Clamp(xx - dx, 0, w - 1);
                    for (var c = 0; c < channels; c++)
                        blurred[(y * w + xx) * channels + c] += kernel[i] * bytes[(sy * w + sx) * channels + c];
                }
            }
        }
        // np.clip(x, 0, 255), then np.uint8
        var plane = h * w;
        var output = new byte[plane * channels];
        for (var p = 0; p < plane; p++)
            for (var c = 0; c < channels; c++)
            {
                var v = blurred[p * channels + c];
                output[c * plane + p] = (byte)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
        return new DecodedImage(w, h, channels, output);
    }

    // ---- zoom_blur ---------------------------------------------------------------------------------------------------

    // zoom_blur: x float32; out = Σ clipped_zoom(x, z)[:h, :w]; x = (x + out) / (len(c) + 1); np.clip(x, 0, 1) * 255.
    // clipped_zoom (imagecorruptions): the centre crop ceil(h / z) × ceil(w / z) from ((h − ch) // 2, (w − cw) // 2),
    // scipy.ndimage.zoom(·, (z, z, 1), order=1) — no trimming to the centre (make_imagenet_c.py trims; equal on 224²).
    private static DecodedImage ZoomBlur(Hwc x, (double Step, int Count) zooms)
    {
        int h = x.H, w = x.W, channels = x.C;
        var xf = new float[x.V.Length];
        for (var i = 0; i < xf.Length; i++) xf[i] = (float)x.V[i];
        var output = new float[xf.Length];
        for (var k = 0; k < zooms.Count; k++)
        {
            var z = 1.0 + k * zooms.Step;
            var layer = ClippedZoom(xf, h, w, channels, z, out var zh, out var zw);
            int rows = Math.Min(zh, h), cols = Math.Min(zw, w);
            for (var y = 0; y < rows; y++)
                for (var xx = 0; xx < cols; xx++)
                    for (var c = 0; c < channels; c++)
                        output[(y * w + xx) * channels + c] += layer[(y * zw + xx) * channels + c];
        }
        var divisor = (float)(zooms.Count + 1);
        var result = new float[xf.Length];
        for (var i = 0; i < result.Length; i++) result[i] = (xf[i] + output[i]) / divisor;
        return x.ToImage(result);
    }

    /// <summary>The crop and <c>scipy.ndimage.zoom(order=1, mode='constant')</c> of imagecorruptions' clipped_zoom.</summary>
    internal static float[] ClippedZoom(float[] x, int h, int w, int channels, double z, out int zh, out int zw)
    {
        var ch0 = (int)Math.Ceiling(h / z);
        var top0 = (h - ch0) / 2;
        var ch1 = (int)Math.Ceiling(w / z);
        var top1 = (w - ch1) / 2;
        zh = (int)Math.Round(ch0 * z, MidpointRounding.ToEven);
        zw = (int)Math.Round(ch1 * z, MidpointRounding.ToEven);
        var (iy, wy, oky) = LinearTaps(ch0, zh);
        var (ix, wx, okx) = LinearTaps(ch1, zw);
        var result = new float[zh * zw * channels];
        for (var oy = 0; oy < zh; oy++)
        {
            if (!oky[oy]) continue; // cval 0
            int y0 = top0 + iy[2 * oy], y1 = top0 + iy[2 * oy + 1];
            double wy0 = wy[2 * oy], wy1 = wy[2 * oy + 1];
            for (var ox = 0; ox < zw; ox++)
            {
                if (!okx[ox]) continue;
                int x0 = top1 + ix[2 * ox], x1 = top1 + ix[2 * ox + 1];
                double wx0 = wx[2 * ox], wx1 = wx[2 * ox + 1];
                for (var c = 0; c < channels; c++)
                {
                    var t = 0.0;
                    t += (double)x[(y0 * w + x0) * channels + c] * wy0 * wx0;
                    t += (double)x[(y0 * w + x1) * channels + c] * wy0 * wx1;
                    t += (double)x[(y1 * w + x0) * channels + c] * wy1 * wx0;
                    t += (double)x[(y1 * w + x1) * channels + c] * wy1 * wx1;
                    result[(oy * zw + ox) * channels + c] = (float)t;
                }
            }
        }
        return result;
    }

    /// <summary>
    /// scipy's NI_ZoomShift along one axis for order 1 and mode 'constant' (grid_mode False): coordinate
    /// kk · (in − 1) / (out − 1); past the last sample → cval; taps floor(cc) and floor(cc) + 1 (folded by mirroring at the
    /// edge, where its weight is 0), weights 1 − t and t.
    /// </summary>
    private static (int[] Index, double[] Weight, bool[] Inside) LinearTaps(int inSize, int outSize)
    {
        var zoom = outSize - 1 != 0 ? (double)(inSize - 1) / (outSize - 1) : 1.0;
        var index = new int[2 * outSize];
        var weight = new double[2 * outSize];
        var inside = new bool[outSize];
        for (var kk = 0; kk < outSize; kk++)
        {
            var cc = (double)kk * zoom;
            if (cc > inSize - 1) continue;
            inside[kk] = true;
            var start = (int)Math.Floor(cc);
            var t = cc - Math.Floor(cc);
            index[2 * kk] = Fold(start, inSize, Border.Mirror);
            index[2 * kk + 1] = Fold(start + 1, inSize, Border.Mirror);
            weight[2 * kk] = 1.0 - t;
            weight[2 * kk + 1] = t;
        }
        return (index, weight, inside);
    }

    // ---- fog ---------------------------------------------------------------------------------------------------------

    /// <summary>imagecorruptions' plasma_fractal (diamond-square, FLHerne/mapgen), float64, drawing uniforms in numpy's order.</summary>
    internal static double[] PlasmaFractal(int mapsize, double wibbledecay, CorruptionNoise noise)
    {
        if (mapsize <= 0 || (mapsize & (mapsize - 1)) != 0) throw new ArgumentException("mapsize must be a power of two.", nameof(mapsize));
        var m = new double[mapsize * mapsize];
        var stepsize = mapsize;
        var wibble = 100.0;

        double[] WibbledMean(double[] array)
        {
            var u = noise.Uniform(-wibble, wibble, array.Length);
            var r = new double[array.Length];
            for (var i = 0; i < r.Length; i++) r[i] = array[i] / 4 + wibble * u[i];
            return r;
        }

        while (stepsize >= 2)
        {
            var n = mapsize / stepsize;
            var half = stepsize / 2;
            double At(int row, int col) => m[row * mapsize + col];
            // fillsquares: corners c = m[0::s, 0::s]; a = c + roll(c, −1, 0); a += roll(a, −1, 1)
            var a = new double[n * n];
            for (var i = 0; i < n; i++)
                for (var j = 0; j < n; j++)
                    a[i * n + j] = At(i * stepsize, j * stepsize) + At((i + 1) % n * stepsize, j * stepsize);
            var sq = new double[n * n];
            for (var i = 0; i < n; i++)
                for (var j = 0; j < n; j++) sq[i * n + j] = a[i * n + j] + a[i * n + (j + 1) % n];
            var centres = WibbledMean(sq);
            for (var i = 0; i < n; i++)
                for (var j = 0; j < n; j++) m[(i * stepsize + half) * mapsize + j * stepsize + half] = centres[i * n + j];
            // filldiamonds: dr = m[s/2::s, s/2::s], ul = m[0::s, 0::s]
            double Dr(int i, int j) => At(((i % n + n) % n) * stepsize + half, ((j % n + n) % n) * stepsize + half);
            double Ul(int i, int j) => At(((i % n + n) % n) * stepsize, ((j % n + n) % n) * stepsize);
            var lt = new double[n * n];
            for (var i = 0; i < n; i++)
                for (var j = 0; j < n; j++) lt[i * n + j] = (Dr(i, j) + Dr(i - 1, j)) + (Ul(i, j) + Ul(i, j + 1));
            var tt = new double[n * n];
            for (var i = 0; i < n; i++)
                for (var j = 0; j < n; j++) tt[i * n + j] = (Dr(i, j) + Dr(i, j - 1)) + (Ul(i, j) + Ul(i + 1, j));
            var top = WibbledMean(lt);
            for (var i = 0; i < n; i++)
                for (var j = 0; j < n; j++) m[i * stepsize * mapsize + j * stepsize + half] = top[i * n + j];
            var left = WibbledMean(tt);
            for (var i = 0; i < n; i++)
                for (var j = 0; j < n; j++) m[(i * stepsize + half) * mapsize + j * stepsize] = left[i * n + j];
            stepsize /= 2;
            wibble /= wibbledecay;
        }
        var min = m.Min();
        for (var i = 0; i < m.Length; i++) m[i] -= min;
        var max = m.Max();
        for (var i = 0; i < m.Length; i++) m[i] /= max;
        return m;
    }

    // fog: x += c0 · plasma_fractal(next_power_of_2(max(shape)), c1)[:h, :w]; np.clip(x · max / (max + c0), 0, 1) · 255
    private static DecodedImage Fog(Hwc x, double amount, double decay, CorruptionNoise noise)
    {
        var side = Math.Max(Math.Max(x.H, x.W), x.C);
        var mapsize = 1;
        while (mapsize < side) mapsize *= 2;
        var max = x.V.Max();
        var plasma = PlasmaFractal(mapsize, decay, noise);
        var v = new double[x.V.Length];
        for (var y = 0; y < x.H; y++)
            for (var xx = 0; xx < x.W; xx++)
                for (var c = 0; c < x.C; c++)
                {
                    var i = (y * x.W + xx) * x.C + c;
                    var fogged = x.V[i] + amount * plasma[y * mapsize + xx];
                    v[i] = fogged * max / (max + amount);
                }
        return x.ToImage(v);
    }

    // ---- brightness (skimage.color.rgb2hsv / hsv2rgb, skimage 0.19) ---------------------------------------------------

    private static DecodedImage Brightness(Hwc x, double c)
    {
        var v = new double[x.V.Length];
        if (x.C == 1)
        {
            for (var i = 0; i < v.Length; i++) v[i] = Math.Clamp(x.V[i] + c, 0, 1);
            return x.ToImage(v);
        }
        for (var p = 0; p < x.H * x.W; p++)
        {
            double r = x.V[3 * p], g = x.V[3 * p + 1], b = x.V[3 * p + 2];
            var (hue, sat, val) = RgbToHsv(r, g, b);
            val = Math.Clamp(val + c, 0, 1);
            var (r2, g2, b2) = HsvToRgb(hue, sat, val);
            v[3 * p] = r2; v[3 * p + 1] = g2; v[3 * p + 2] = b2;
        }
        return x.ToImage(v);
    }

    internal static (double H, double S, double V) RgbToHsv(double r, double g, double b)
    {
        var v = Math.Max(r, Math.Max(g, b));
        var delta = v - Math.Min(r, Math.Min(g, b));
        if (delta == 0) return (0, 0, v);
        var s = delta / v;
        double h = 0;
        if (r == v) h = (g - b) / delta;
        if (g == v) h = 2.0 + (b - r) / delta;
        if (b == v) h = 4.0 + (r - g) / delta;
        h = PythonMod(h / 6.0, 1.0);
        return (h, s, v);
    }

    /// <summary>numpy's float remainder (npy_divmod): the sign of the divisor.</summary>
    private static double PythonMod(double a, double b)
    {
        var mod = a % b; // C fmod
        if (mod != 0) { if ((b < 0) != (mod < 0)) mod += b; }
        else mod = Math.CopySign(0, b);
        return mod;
    }

    internal static (double R, double G, double B) HsvToRgb(double h, double s, double v)
    {
        var hi = Math.Floor(h * 6);
        var f = h * 6 - hi;
        var p = v * (1 - s);
        var q = v * (1 - f * s);
        var t = v * (1 - (1 - f) * s);
        return ((int)(byte)hi % 6) switch
        {
            0 => (v, t, p),
            1 => (q, v, p),
            2 => (p, v, t),
            3 => (p, q, v),
            4 => (t, p, v),
            _ => (v, p, q),
        };
    }

    // ---- contrast ----------------------------------------------------------------------------------------------------

    // contrast: means = np.mean(x, axis=(0, 1), keepdims=True); np.clip((x − means) · c + means, 0, 1) · 255
    private static DecodedImage Contrast(Hwc x, double c)
    {
        var n = x.H * x.W;
        var means = new double[x.C];
        for (var p = 0; p < n; p++)
            for (var ch = 0; ch < x.C; ch++) means[ch] += x.V[p * x.C + ch];
        for (var ch = 0; ch < x.C; ch++) means[ch] /= n;
        var v = new double[x.V.Length];
        for (var p = 0; p < n; p++)
            for (var ch = 0; ch < x.C; ch++) v[p * x.C + ch] = (x.V[p * x.C + ch] - means[ch]) * c + means[ch];
        return x.ToImage(v);
    }

    // ---- elastic_transform (imagecorruptions' version; make_imagenet_c.py's adds an affine warp and other parameters) ----

    // image float32 / 255; sigma = (h, w) · 0.01; max_d = h · 0.005;
    // dx = (gaussian(uniform(−max_d, max_d, (h, w)), sigma, mode='reflect', truncate=3) · alpha).astype(float32), dy alike;
    // map_coordinates(image, (y + dy, x + dx[, z]), order=1, mode='reflect'); np.clip(·, 0, 1) · 255.
    private static DecodedImage ElasticTransform(Hwc x, double alpha, CorruptionNoise noise)
    {
        int h = x.H, w = x.W, channels = x.C, plane = h * w;
        var image = new float[x.V.Length];
        for (var i = 0; i < image.Length; i++) image[i] = (float)x.V[i]; // np.array(image, dtype=np.float32) / 255.
        double sy = h * 0.01, sx = w * 0.01, max = h * 0.005;
        var ux = noise.Uniform(-max, max, plane);
        var dxField = GaussianFilter(ux, h, w, 1, sy, sx, Border.Reflect, 3.0);
        var uy = noise.Uniform(-max, max, plane);
        var dyField = GaussianFilter(uy, h, w, 1, sy, sx, Border.Reflect, 3.0);
        var output = new float[image.Length];
        Span<int> ti = stackalloc int[2];
        Span<double> tw = stackalloc double[2];
        for (var r = 0; r < h; r++)
            for (var c = 0; c < w; c++)
            {
                var p = r * w + c;
                var row = r + (double)(float)(dyField[p] * alpha);
                var col = c + (double)(float)(dxField[p] * alpha);
                if (!LinearTap(row, h, out var r0, out var r1, out var wr0, out var wr1) ||
                    !LinearTap(col, w, out var c0, out var c1, out var wc0, out var wc1))
                    continue; // outside even after reflection: cval 0 (does not happen for 'reflect')
                for (var ch = 0; ch < channels; ch++)
                {
                    var t = 0.0;
                    t += (double)image[(r0 * w + c0) * channels + ch] * wr0 * wc0;
                    t += (double)image[(r0 * w + c1) * channels + ch] * wr0 * wc1;
                    t += (double)image[(r1 * w + c0) * channels + ch] * wr1 * wc0;
                    t += (double)image[(r1 * w + c1) * channels + ch] * wr1 * wc1;
                    output[p * channels + ch] = (float)t;
                }
            }
        return x.ToImage(output);
    }

    /// <summary>
    /// scipy's NI_GeometricTransform for order 1 along one axis in mode 'reflect': the coordinate folded by
    /// map_coordinate, taps floor(cc) and floor(cc) + 1 folded by reflection too (scipy 1.10: −1 → 0, len → len − 1,
    /// checked on a ramp), weights 1 − t and t.
    /// </summary>
    private static bool LinearTap(double cc, int len, out int i0, out int i1, out double w0, out double w1)
    {
        if (len > 1)
        {
            var sz2 = 2 * len;
            if (cc < 0)
            {
                if (cc < -sz2) cc = sz2 * (long)(-cc / sz2) + cc;
                cc = cc < -len ? cc + sz2 : (cc > -1e-15 ? 1e-15 : -cc) - 1;
            }
            else if (cc > len - 1)
            {
                cc -= sz2 * (long)(cc / sz2);
                if (cc >= len) cc = sz2 - cc - 1;
            }
        }
        else cc = 0;
        i0 = i1 = 0;
        w0 = w1 = 0;
        if (!(cc > -1.0)) return false;
        var start = (int)Math.Floor(cc);
        var t = cc - Math.Floor(cc);
        i0 = Fold(start, len, Border.Reflect);
        i1 = Fold(start + 1, len, Border.Reflect);
        w0 = 1.0 - t;
        w1 = t;
        return true;
    }

    // ---- pixelate and jpeg_compression (PIL) -------------------------------------------------------------------------

    // pixelate: x.resize((int(w · c), int(h · c)), Image.BOX); x.resize((w, h), Image.NEAREST)
    private static DecodedImage Pixelate(DecodedImage image, double c)
    {
        int w = image.Width, h = image.Height, channels = image.Channels;
        int sw = (int)(w * c), sh = (int)(h * c);
        var small = new DecodedImage(sw, sh, channels, PillowResample.Resize(image, sw, sh, PillowResample.Box, (0, 0, sw, sh)));
        // PIL's NEAREST resize: ImagingScaleAffine with a = (in / out, 0, 0, 0, in / out, 0), sampling at centres.
        var xs = NearestTable(sw, w);
        var ys = NearestTable(sh, h);
        var output = new byte[w * h * channels];
        var sp = small.Pixels;
        for (var ch = 0; ch < channels; ch++)
            for (var y = 0; y < h; y++)
                for (var x = 0; x < w; x++)
                    output[(ch * h + y) * w + x] = sp[(ch * sh + ys[y]) * sw + xs[x]];
        return new DecodedImage(w, h, channels, output);
    }

    private static int[] NearestTable(int inSize, int outSize)
    {
        var a = (double)inSize / outSize;
        var table = new int[outSize];
        var o = a * 0.5;
        for (var i = 0; i < outSize; i++)
        {
            var v = o < 0 ? -1 : (int)o;
            table[i] = Math.Clamp(v, 0, inSize - 1);
            o += a;
        }
        return table;
    }

    // jpeg_compression: x.save(output, 'JPEG', quality=c); Image.open(output) — a grey image is converted to RGB first
    // and back to L after (PIL's luma).
    private static DecodedImage Jpeg(DecodedImage image, int quality)
    {
        int w = image.Width, h = image.Height, plane = w * h;
        var p = image.Pixels;
        var rgb = new byte[plane * 3];
        for (var i = 0; i < plane; i++)
            for (var c = 0; c < 3; c++) rgb[3 * i + c] = p[(image.Channels == 3 ? c : 0) * plane + i];
        var jpeg = TurboJpeg.EncodeRgb(rgb, w, h, quality);
        var (dw, dh, colorspace) = TurboJpeg.ReadHeader(jpeg, "jpeg_compression");
        var decoded = TurboJpeg.DecodeRgb(jpeg, "jpeg_compression", dw, dh, colorspace);
        if (image.Channels == 3) return DecodedImage.FromInterleavedRgb(w, h, decoded).Planar();
        var grey = new byte[plane];
        for (var i = 0; i < plane; i++)
            grey[i] = (byte)((decoded[3 * i] * 19595 + decoded[3 * i + 1] * 38470 + decoded[3 * i + 2] * 7471 + 0x8000) >> 16);
        return new DecodedImage(w, h, 1, grey);
    }

    private static DecodedImage Planar(this DecodedImage image) => new(image.Width, image.Height, image.Channels, image.Pixels);
}
