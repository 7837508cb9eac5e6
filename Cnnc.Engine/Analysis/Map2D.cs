using Cnnc.Engine.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Analysis;

/// <summary>
/// A 2-D map of floats, row-major H×W: a saliency map (values in [0, 1]) or a derived map. Immutable by convention:
/// operations return new maps. Pixel (row y, column x) is <c>Data[y·W + x]</c>; geometric outputs (contours) place
/// the centre of that pixel at coordinates (x, y).
/// </summary>
public sealed class Map2D
{
    /// <summary>Wraps <paramref name="data"/> (length H·W, row-major); the array is not copied.</summary>
    public Map2D(int height, int width, float[] data)
    {
        if (height <= 0 || width <= 0) throw new ArgumentOutOfRangeException(nameof(height), $"A map needs a positive size, got {height}x{width}.");
        if (data.LongLength != (long)height * width)
            throw new ArgumentException($"A {height}x{width} map needs {(long)height * width} values, got {data.LongLength}.", nameof(data));
        Height = height;
        Width = width;
        Data = data;
    }

    /// <summary>Rows.</summary>
    public int Height { get; }

    /// <summary>Columns.</summary>
    public int Width { get; }

    /// <summary>Values, row-major.</summary>
    public float[] Data { get; }

    /// <summary>Number of pixels.</summary>
    public int Length => Data.Length;

    /// <summary>The value at row <paramref name="y"/>, column <paramref name="x"/>.</summary>
    public float this[int y, int x] => Data[y * Width + x];

    /// <summary>
    /// A map from a tensor of shape [H, W] (leading dimensions of size 1 are dropped, e.g. [1, 1, H, W]); any
    /// floating or integer dtype, any device. The values are copied.
    /// </summary>
    public static Map2D FromTensor(Tensor tensor)
    {
        var shape = tensor.shape.ToList();
        while (shape.Count > 2 && shape[0] == 1) shape.RemoveAt(0);
        if (shape.Count != 2)
            throw new ArgumentException($"A map must be a 2-D tensor [H, W] (leading 1s allowed), got [{string.Join(", ", tensor.shape)}].");
        using var flat = tensor.detach().to(ScalarType.Float32).cpu().contiguous().reshape(-1);
        return new Map2D((int)shape[0], (int)shape[1], flat.data<float>().ToArray());
    }

    /// <summary>A map from a 2-D array (copied).</summary>
    public static Map2D FromArray(float[,] values)
    {
        int h = values.GetLength(0), w = values.GetLength(1);
        var data = new float[h * w];
        for (var y = 0; y < h; y++)
            for (var x = 0; x < w; x++) data[y * w + x] = values[y, x];
        return new Map2D(h, w, data);
    }

    /// <summary>A map whose value at (y, x) is <paramref name="f"/>(y, x).</summary>
    public static Map2D Create(int height, int width, Func<int, int, double> f)
    {
        var data = new float[height * width];
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++) data[y * width + x] = (float)f(y, x);
        return new Map2D(height, width, data);
    }

    /// <summary>Reads a map from a .npy file holding [H, W] (leading 1s allowed), float or integer.</summary>
    public static Map2D Load(string path)
    {
        using var tensor = Npy.Read(path);
        try
        {
            return FromTensor(tensor);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>A new float32 CPU tensor [H, W]; the caller disposes it.</summary>
    public Tensor ToTensor()
    {
        Runtime.TorchRuntime.Initialize();
        return torch.tensor(Data, new long[] { Height, Width });
    }

    /// <summary>The values as doubles (a copy).</summary>
    public double[] ToDoubles()
    {
        var d = new double[Data.Length];
        for (var i = 0; i < d.Length; i++) d[i] = Data[i];
        return d;
    }

    /// <summary>
    /// Checks that every value is finite and within [0, 1] (a tolerance of 1e-4 for rounding); returns the map with
    /// values clamped to [0, 1] (this map itself when nothing needed clamping).
    /// </summary>
    /// <exception cref="ArgumentException">For a NaN, an infinity or a value outside [−1e-4, 1 + 1e-4].</exception>
    public Map2D RequireUnitRange(string what = "saliency map")
    {
        var clamp = false;
        foreach (var v in Data)
        {
            if (!float.IsFinite(v)) throw new ArgumentException($"The {what} has a non-finite value ({v}).");
            if (v < -1e-4f || v > 1 + 1e-4f)
                throw new ArgumentException($"The {what} has a value {v} outside [0, 1]; normalise it first.");
            if (v < 0 || v > 1) clamp = true;
        }
        if (!clamp) return this;
        return new Map2D(Height, Width, Data.Select(v => Math.Clamp(v, 0f, 1f)).ToArray());
    }

    /// <summary>
    /// Gaussian smoothing as scipy's <c>ndimage.gaussian_filter</c>: separable, kernel radius
    /// <c>int(truncate·sigma + 0.5)</c>, boundary mode "reflect" (d c b a | a b c d). Sigma 0 returns this map.
    /// </summary>
    public Map2D GaussianBlur(double sigma, double truncate = 4.0)
    {
        if (sigma < 0 || !double.IsFinite(sigma)) throw new ArgumentOutOfRangeException(nameof(sigma), "Sigma must be finite and >= 0.");
        if (sigma == 0) return this;
        var kernel = Filters.GaussianKernel(sigma, Filters.GaussianRadius(sigma, truncate));
        var result = Filters.SeparableReflect(ToDoubles(), Height, Width, kernel);
        return new Map2D(Height, Width, result.Select(v => (float)v).ToArray());
    }

    /// <summary>
    /// Resampled to <paramref name="height"/>×<paramref name="width"/> by bilinear interpolation with pixel centres
    /// aligned (as <c>F.interpolate(mode="bilinear", align_corners=False)</c>, no antialiasing).
    /// </summary>
    public Map2D ResizeBilinear(int height, int width)
    {
        if (height == Height && width == Width) return this;
        var data = new float[height * width];
        var sy = (double)Height / height;
        var sx = (double)Width / width;
        for (var y = 0; y < height; y++)
        {
            var fy = Math.Max((y + 0.5) * sy - 0.5, 0);
            var y0 = Math.Min((int)fy, Height - 1);
            var y1 = Math.Min(y0 + 1, Height - 1);
            var wy = fy - y0;
            for (var x = 0; x < width; x++)
            {
                var fx = Math.Max((x + 0.5) * sx - 0.5, 0);
                var x0 = Math.Min((int)fx, Width - 1);
                var x1 = Math.Min(x0 + 1, Width - 1);
                var wx = fx - x0;
                var top = this[y0, x0] * (1 - wx) + this[y0, x1] * wx;
                var bottom = this[y1, x0] * (1 - wx) + this[y1, x1] * wx;
                data[y * width + x] = (float)(top * (1 - wy) + bottom * wy);
            }
        }
        return new Map2D(height, width, data);
    }

    /// <summary>
    /// Resampled to <paramref name="height"/>×<paramref name="width"/> by area averaging: each output pixel is the
    /// mean of the input area it covers (fractional overlaps weighted). Used for downsampling before hashing.
    /// </summary>
    public Map2D ResizeArea(int height, int width)
    {
        if (height == Height && width == Width) return this;
        var rows = Filters.AreaWeights(Height, height);
        var cols = Filters.AreaWeights(Width, width);
        var data = new float[height * width];
        for (var oy = 0; oy < height; oy++)
            for (var ox = 0; ox < width; ox++)
            {
                double sum = 0, weight = 0;
                foreach (var (iy, wy) in rows[oy])
                    foreach (var (ix, wx) in cols[ox])
                    {
                        sum += this[iy, ix] * wy * wx;
                        weight += wy * wx;
                    }
                data[oy * width + ox] = (float)(sum / weight);
            }
        return new Map2D(height, width, data);
    }

    internal void RequireSameShape(Map2D other)
    {
        if (other.Height != Height || other.Width != Width)
            throw new ArgumentException($"Maps differ in size: {Height}x{Width} and {other.Height}x{other.Width}.");
    }
}

/// <summary>Small numeric kernels shared by the analyses.</summary>
internal static class Filters
{
    /// <summary>scipy's kernel radius: <c>int(truncate·sigma + 0.5)</c>.</summary>
    public static int GaussianRadius(double sigma, double truncate) => (int)(truncate * sigma + 0.5);

    /// <summary>Normalised Gaussian weights exp(−x²/2σ²) for x in [−radius, radius].</summary>
    public static double[] GaussianKernel(double sigma, int radius)
    {
        var k = new double[2 * radius + 1];
        double sum = 0;
        for (var i = -radius; i <= radius; i++) sum += k[i + radius] = Math.Exp(-0.5 * i * i / (sigma * sigma));
        for (var i = 0; i < k.Length; i++) k[i] /= sum;
        return k;
    }

    /// <summary>scipy's "reflect" index (half-sample symmetric), valid for any offset.</summary>
    public static int Reflect(int i, int n)
    {
        if (n == 1) return 0;
        var period = 2 * n;
        i %= period;
        if (i < 0) i += period;
        return i < n ? i : period - 1 - i;
    }

    /// <summary>Separable correlation with a symmetric kernel, reflect boundary; rows then columns.</summary>
    public static double[] SeparableReflect(double[] src, int h, int w, double[] kernel)
    {
        var r = kernel.Length / 2;
        var tmp = new double[src.Length];
        var dst = new double[src.Length];
        for (var y = 0; y < h; y++)
        {
            var row = y * w;
            for (var x = 0; x < w; x++)
            {
                double s = 0;
                if (x >= r && x + r < w)
                    for (var k = -r; k <= r; k++) s += kernel[k + r] * src[row + x + k];
                else
                    for (var k = -r; k <= r; k++) s += kernel[k + r] * src[row + Reflect(x + k, w)];
                tmp[row + x] = s;
            }
        }
        for (var y = 0; y < h; y++)
            for (var x = 0; x < w; x++)
            {
                double s = 0;
                if (y >= r && y + r < h)
                    for (var k = -r; k <= r; k++) s += kernel[k + r] * tmp[(y + k) * w + x];
                else
                    for (var k = -r; k <= r; k++) s += kernel[k + r] * tmp[Reflect(y + k, h) * w + x];
                dst[y * w + x] = s;
            }
        return dst;
    }

    /// <summary>For each of <paramref name="outputs"/> cells, the input indices it covers and their overlap lengths.</summary>
    public static List<(int Index, double Weight)>[] AreaWeights(int inputs, int outputs)
    {
        var result = new List<(int, double)>[outputs];
        var scale = (double)inputs / outputs;
        for (var o = 0; o < outputs; o++)
        {
            double start = o * scale, end = (o + 1) * scale;
            var list = new List<(int, double)>();
            for (var i = (int)Math.Floor(start); i < Math.Min(inputs, (int)Math.Ceiling(end)); i++)
            {
                var overlap = Math.Min(end, i + 1) - Math.Max(start, i);
                if (overlap > 1e-12) list.Add((i, overlap));
            }
            result[o] = list;
        }
        return result;
    }
}
