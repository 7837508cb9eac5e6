using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Cnnc.Engine.Data;

/// <summary>Resampling filter of a resize (torchvision's <c>InterpolationMode</c> for the ones its presets use).</summary>
public enum ResizeInterpolation
{
    /// <summary>Triangle filter (PIL <c>BILINEAR</c>), antialiased when shrinking.</summary>
    Bilinear,
    /// <summary>Keys cubic with a = −0.5 (PIL <c>BICUBIC</c>), antialiased when shrinking.</summary>
    Bicubic,
}

/// <summary>
/// Pillow's resize of 8-bit images (<c>ImagingResample</c> in libImaging/Resample.c, Pillow 9.4 as Debian 12 ships it),
/// reproduced bit for bit: two separable passes (horizontal first, then vertical) whose coefficients are computed in
/// double precision, normalised to 22-bit fixed point, accumulated in 32-bit integers from a ½ offset and clipped to
/// 0..255 after each pass. This is what torchvision's <c>Resize</c> does to a PIL image.
/// </summary>
/// <remarks>
/// Only the output window that a following center crop keeps is computed (each output pixel depends only on its own
/// coefficients, so the window equals the same window of the full resize): rows of the horizontal pass that no kept
/// output row reads are skipped.
/// </remarks>
internal static unsafe class PillowResample
{
    private const int PrecisionBits = 32 - 8 - 2;

    /// <summary>One axis: for output i, taps Bounds[2i] .. Bounds[2i] + Bounds[2i+1] − 1 with Weights[i·KernelSize + k].</summary>
    internal sealed record Axis(int[] Bounds, int[] Weights, int KernelSize);

    /// <summary>
    /// Pillow's <c>BOX</c> filter (support 0.5, 1 on (−0.5, 0.5]): not a <see cref="Preprocessing"/> choice, used by the
    /// pixelate corruption (<see cref="Corruptions.ImageCorruptions"/>).
    /// </summary>
    internal const ResizeInterpolation Box = (ResizeInterpolation)(-1);

    private static double Support(ResizeInterpolation filter) =>
        filter == ResizeInterpolation.Bicubic ? 2.0 : filter == Box ? 0.5 : 1.0;

    private static double Kernel(ResizeInterpolation filter, double x)
    {
        if (filter == Box) return x > -0.5 && x <= 0.5 ? 1.0 : 0.0;
        if (x < 0.0) x = -x;
        if (filter == ResizeInterpolation.Bilinear) return x < 1.0 ? 1.0 - x : 0.0;
        const double a = -0.5;
        if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
        return 0.0;
    }

    /// <summary>Pillow's <c>precompute_coeffs</c> (box = the whole image) followed by <c>normalize_coeffs_8bpc</c>.</summary>
    internal static Axis Precompute(int inSize, int outSize, ResizeInterpolation filter)
    {
        double scale = (double)(float)inSize / outSize, filterScale = Math.Max(scale, 1.0);
        var support = Support(filter) * filterScale;
        var kernelSize = (int)Math.Ceiling(support) * 2 + 1;
        var bounds = new int[outSize * 2];
        var weights = new int[outSize * kernelSize];
        var k = new double[kernelSize];
        for (var xx = 0; xx < outSize; xx++)
        {
            var center = (xx + 0.5) * scale;
            double ww = 0.0, ss = 1.0 / filterScale;
            var xmin = (int)(center - support + 0.5);
            if (xmin < 0) xmin = 0;
            var xmax = (int)(center + support + 0.5);
            if (xmax > inSize) xmax = inSize;
            xmax -= xmin;
            for (var x = 0; x < xmax; x++)
            {
                var w = Kernel(filter, (x + xmin - center + 0.5) * ss);
                k[x] = w;
                ww += w;
            }
            for (var x = 0; x < xmax; x++)
            {
                if (ww != 0.0) k[x] /= ww;
                var v = k[x] * (1 << PrecisionBits);
                weights[xx * kernelSize + x] = k[x] < 0 ? (int)(-0.5 + v) : (int)(0.5 + v);
            }
            bounds[xx * 2] = xmin;
            bounds[xx * 2 + 1] = xmax;
        }
        return new Axis(bounds, weights, kernelSize);
    }

    private static byte Clip8(int value)
    {
        var v = value >> PrecisionBits;
        return (byte)(v < 0 ? 0 : v > 255 ? 255 : v);
    }

    /// <summary>
    /// Resizes a planar 8-bit image to <paramref name="outWidth"/> × <paramref name="outHeight"/> and returns the window
    /// (x0, y0, width, height) of the result, planar, with the input's channels.
    /// </summary>
    public static byte[] Resize(DecodedImage image, int outWidth, int outHeight, ResizeInterpolation filter,
        (int X, int Y, int Width, int Height) window)
    {
        int w = image.Width, h = image.Height, c = image.Channels;
        var (x0, y0, cw, ch) = window;
        if (x0 < 0 || y0 < 0 || x0 + cw > outWidth || y0 + ch > outHeight)
            throw new ArgumentOutOfRangeException(nameof(window), "The window must lie inside the resized image.");
        var needHorizontal = outWidth != w;
        var needVertical = outHeight != h;

        // Rows of the source (or of the horizontal pass) that the kept output rows read.
        Axis? vertical = needVertical ? Precompute(h, outHeight, filter) : null;
        int rowFirst, rowLast;
        if (vertical is not null)
        {
            rowFirst = vertical.Bounds[2 * y0];
            rowLast = 0;
            for (var yy = y0; yy < y0 + ch; yy++)
            {
                rowFirst = Math.Min(rowFirst, vertical.Bounds[2 * yy]);
                rowLast = Math.Max(rowLast, vertical.Bounds[2 * yy] + vertical.Bounds[2 * yy + 1]);
            }
        }
        else (rowFirst, rowLast) = (y0, y0 + ch);

        // Horizontal pass: rows rowFirst..rowLast−1, output columns x0..x0+cw−1 (or the source columns as they are).
        var rows = rowLast - rowFirst;
        byte[] temp;
        if (needHorizontal)
        {
            var horizontal = Precompute(w, outWidth, filter);
            temp = GC.AllocateUninitializedArray<byte>(c * rows * cw);
            var interleaved = image.Interleaved;
            fixed (byte* planarSource = interleaved is null ? image.Pixels : null)
            fixed (byte* rgbSource = interleaved)
            fixed (byte* target = temp)
            fixed (int* bounds = horizontal.Bounds)
            fixed (int* weights = horizontal.Weights)
            {
                if (rgbSource is not null)
                    // Straight from the decoder's R, G, B triples, the three channels in one pass (as Pillow does).
                    for (var y = 0; y < rows; y++)
                    {
                        var src = rgbSource + (long)(rowFirst + y) * w * 3;
                        byte* dst0 = target + (long)y * cw, dst1 = dst0 + (long)rows * cw, dst2 = dst1 + (long)rows * cw;
                        for (var xx = 0; xx < cw; xx++)
                        {
                            var o = x0 + xx;
                            int xmin = bounds[2 * o], taps = bounds[2 * o + 1];
                            var k = weights + o * horizontal.KernelSize;
                            var from = src + xmin * 3;
                            int s0 = 1 << (PrecisionBits - 1), s1 = s0, s2 = s0;
                            for (var t = 0; t < taps; t++, from += 3)
                            {
                                var weight = k[t];
                                s0 += from[0] * weight;
                                s1 += from[1] * weight;
                                s2 += from[2] * weight;
                            }
                            dst0[xx] = Clip8(s0);
                            dst1[xx] = Clip8(s1);
                            dst2[xx] = Clip8(s2);
                        }
                    }
                else
                    for (var plane = 0; plane < c; plane++)
                        for (var y = 0; y < rows; y++)
                        {
                            var src = planarSource + ((long)plane * h + rowFirst + y) * w;
                            var dst = target + ((long)plane * rows + y) * cw;
                            for (var xx = 0; xx < cw; xx++)
                            {
                                var o = x0 + xx;
                                int xmin = bounds[2 * o], taps = bounds[2 * o + 1];
                                var k = weights + o * horizontal.KernelSize;
                                var from = src + xmin;
                                var sum = 1 << (PrecisionBits - 1);
                                for (var t = 0; t < taps; t++) sum += from[t] * k[t];
                                dst[xx] = Clip8(sum);
                            }
                        }
            }
        }
        else
        {
            temp = new byte[(long)c * rows * cw];
            for (var plane = 0; plane < c; plane++)
                for (var y = 0; y < rows; y++)
                    image.Pixels.AsSpan((int)(((long)plane * h + rowFirst + y) * w + x0), cw)
                        .CopyTo(temp.AsSpan((int)(((long)plane * rows + y) * cw), cw));
        }
        if (vertical is null) return temp;

        // Vertical pass over the kept rows, accumulated a row at a time.
        var output = GC.AllocateUninitializedArray<byte>(c * ch * cw);
        var accumulator = new int[cw];
        fixed (byte* source = temp)
        fixed (byte* target = output)
        fixed (int* acc = accumulator)
        fixed (int* weights = vertical.Weights)
            for (var plane = 0; plane < c; plane++)
                for (var yy = 0; yy < ch; yy++)
                {
                    var o = y0 + yy;
                    int ymin = vertical.Bounds[2 * o] - rowFirst, taps = vertical.Bounds[2 * o + 1];
                    var k = weights + o * vertical.KernelSize;
                    for (var x = 0; x < cw; x++) acc[x] = 1 << (PrecisionBits - 1);
                    for (var t = 0; t < taps; t++)
                    {
                        var weight = k[t];
                        var src = source + ((long)plane * rows + ymin + t) * cw;
                        var x = 0;
                        if (Avx2.IsSupported)
                        {
                            // Eight columns at once: the same integer products and sums, so the same bytes.
                            var w8 = Vector256.Create(weight);
                            for (; x + 8 <= cw; x += 8)
                                Avx.Store(acc + x, Avx2.Add(Avx.LoadVector256(acc + x), Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(src + x), w8)));
                        }
                        for (; x < cw; x++) acc[x] += src[x] * weight;
                    }
                    var dst = target + ((long)plane * ch + yy) * cw;
                    for (var x = 0; x < cw; x++) dst[x] = Clip8(acc[x]);
                }
        return output;
    }
}
