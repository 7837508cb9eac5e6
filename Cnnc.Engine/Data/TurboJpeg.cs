using System.Runtime.InteropServices;

namespace Cnnc.Engine.Data;

/// <summary>
/// JPEG decoding with libjpeg-turbo's TurboJPEG API (Debian's <c>libturbojpeg0</c>, built from the same libjpeg-turbo
/// source as the <c>libjpeg62-turbo</c> that Debian's PIL links): the same decoder with the same settings — accurate
/// integer IDCT, fancy upsampling — gives the same bytes as <c>PIL.Image.open(f).convert("RGB")</c>.
/// </summary>
/// <remarks>
/// Measured on 32 JPEG photographs (tests/fixtures/photographs.py: published files, PIL re-encodings at qualities 30–95
/// with 4:4:4, 4:2:2 and 4:2:0, greyscale, progressive, CMYK): every byte equal to PIL's; ImageSharp 2.1 differed by
/// up to 49/255. TurboJPEG keeps libjpeg's error handling inside the library (its own setjmp), so a corrupt file is an
/// error code, never a jump through managed frames. CMYK/YCCK files are decoded to CMYK and converted as PIL does
/// (Adobe inverted polarity, PIL's <c>cmyk2rgb</c>).
/// </remarks>
internal static unsafe class TurboJpeg
{
    private static readonly string[] Candidates =
        { "libturbojpeg.so.0", "libturbojpeg.so", "libturbojpeg.0.dylib", "libturbojpeg.dylib", "turbojpeg.dll", "turbojpeg" };

    private const int PixelFormatRgb = 0, PixelFormatGray = 6, PixelFormatCmyk = 11;
    private const int ColorspaceGray = 2, ColorspaceCmyk = 3, ColorspaceYcck = 4;
    // TJFLAG_LIMITSCANS: refuse progressive files with more than 500 scans (a known decoding-time bomb).
    private const int Flags = 32768;
    private const int ErrorWarning = 0;

    /// <summary>The library's entry points, bound once (function pointers: no DllImport resolver to share).</summary>
    private sealed class Api
    {
        public delegate* unmanaged<IntPtr> InitDecompress;
        public delegate* unmanaged<IntPtr, int> Destroy;
        public delegate* unmanaged<IntPtr, byte*, CULong, int*, int*, int*, int*, int> DecompressHeader3;
        public delegate* unmanaged<IntPtr, byte*, CULong, byte*, int, int, int, int, int, int> Decompress2;
        public delegate* unmanaged<IntPtr, IntPtr> GetErrorStr2;
        public delegate* unmanaged<IntPtr, int> GetErrorCode;
        public delegate* unmanaged<IntPtr> InitCompress;
        public delegate* unmanaged<IntPtr, byte*, int, int, int, int, byte**, CULong*, int, int, int, int> Compress2;
        public delegate* unmanaged<byte*, void> Free;
    }

    private static readonly Lazy<(Api? Api, string? Error)> Bound = new(() =>
    {
        foreach (var name in Candidates)
        {
            if (!NativeLibrary.TryLoad(name, out var lib)) continue;
            return (new Api
            {
                InitDecompress = (delegate* unmanaged<IntPtr>)NativeLibrary.GetExport(lib, "tjInitDecompress"),
                Destroy = (delegate* unmanaged<IntPtr, int>)NativeLibrary.GetExport(lib, "tjDestroy"),
                DecompressHeader3 = (delegate* unmanaged<IntPtr, byte*, CULong, int*, int*, int*, int*, int>)NativeLibrary.GetExport(lib, "tjDecompressHeader3"),
                Decompress2 = (delegate* unmanaged<IntPtr, byte*, CULong, byte*, int, int, int, int, int, int>)NativeLibrary.GetExport(lib, "tjDecompress2"),
                GetErrorStr2 = (delegate* unmanaged<IntPtr, IntPtr>)NativeLibrary.GetExport(lib, "tjGetErrorStr2"),
                GetErrorCode = (delegate* unmanaged<IntPtr, int>)NativeLibrary.GetExport(lib, "tjGetErrorCode"),
                InitCompress = (delegate* unmanaged<IntPtr>)NativeLibrary.GetExport(lib, "tjInitCompress"),
                Compress2 = (delegate* unmanaged<IntPtr, byte*, int, int, int, int, byte**, CULong*, int, int, int, int>)NativeLibrary.GetExport(lib, "tjCompress2"),
                Free = (delegate* unmanaged<byte*, void>)NativeLibrary.GetExport(lib, "tjFree"),
            }, null);
        }
        return (null, "libjpeg-turbo's TurboJPEG library was not found (tried " + string.Join(", ", Candidates) +
                      "): install it (Debian/Ubuntu: apt-get install libturbojpeg0; tools/setup.sh does).");
    });

    private static Api Functions => Bound.Value.Api ?? throw new DllNotFoundException(Bound.Value.Error);

    private static IntPtr tjInitDecompress() => Functions.InitDecompress();
    private static int tjDestroy(IntPtr handle) => Functions.Destroy(handle);
    private static int tjDecompressHeader3(IntPtr handle, byte* jpeg, CULong size, out int width, out int height, out int subsampling, out int colorspace)
    {
        int w, h, s, c;
        var result = Functions.DecompressHeader3(handle, jpeg, size, &w, &h, &s, &c);
        (width, height, subsampling, colorspace) = (w, h, s, c);
        return result;
    }
    private static int tjDecompress2(IntPtr handle, byte* jpeg, CULong size, byte* destination, int width, int pitch, int height, int pixelFormat, int flags) =>
        Functions.Decompress2(handle, jpeg, size, destination, width, pitch, height, pixelFormat, flags);
    private static IntPtr tjGetErrorStr2(IntPtr handle) => Functions.GetErrorStr2(handle);
    private static int tjGetErrorCode(IntPtr handle) => Functions.GetErrorCode(handle);

    /// <summary>Throws when the library cannot be loaded (the message says what to install).</summary>
    public static void EnsureLoaded()
    {
        if (Bound.Value.Error is { } error) throw new DllNotFoundException(error);
    }

    /// <summary>True when the bytes start like a JPEG file (SOI marker, then another marker).</summary>
    public static bool LooksLikeJpeg(ReadOnlySpan<byte> bytes) => bytes.Length >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF;

    /// <summary>Width, height and whether the file holds one (grey) or four (CMYK/YCCK) components.</summary>
    public static (int Width, int Height, int Colorspace) ReadHeader(byte[] bytes, string name)
    {
        EnsureLoaded();
        var handle = tjInitDecompress();
        try
        {
            fixed (byte* jpeg = bytes)
                if (tjDecompressHeader3(handle, jpeg, new CULong((nuint)bytes.Length), out var w, out var h, out _, out var colorspace) != 0)
                    throw Failure(handle, name);
                else return (w, h, colorspace);
        }
        finally
        {
            tjDestroy(handle);
        }
    }

    /// <summary>
    /// Encodes interleaved 8-bit RGB (H × W × 3) as a baseline JPEG the way PIL's <c>save(f, "JPEG", quality=q)</c>
    /// does with its defaults: libjpeg's quality scaling (forced baseline), 4:2:0 chroma subsampling, the accurate integer
    /// DCT (TurboJPEG's default below quality 96 is the fast DCT: TJFLAG_ACCURATEDCT asks for libjpeg's default).
    /// </summary>
    public static byte[] EncodeRgb(byte[] rgb, int width, int height, int quality)
    {
        EnsureLoaded();
        if (rgb.LongLength != (long)width * height * 3) throw new ArgumentException("Expected width × height × 3 bytes.", nameof(rgb));
        const int subsampling420 = 2, accurateDct = 4096;
        var handle = Functions.InitCompress();
        byte* buffer = null;
        try
        {
            CULong size = default;
            int result;
            fixed (byte* source = rgb)
                result = Functions.Compress2(handle, source, width, 0, height, PixelFormatRgb, &buffer, &size, subsampling420, quality, accurateDct);
            if (result != 0) throw new InvalidOperationException("JPEG encoding failed: " + Message(handle));
            var bytes = new byte[(int)size.Value];
            new ReadOnlySpan<byte>(buffer, bytes.Length).CopyTo(bytes);
            return bytes;
        }
        finally
        {
            if (buffer != null) Functions.Free(buffer);
            tjDestroy(handle);
        }
    }

    /// <summary>Decodes to interleaved 8-bit RGB (H × W × 3), as PIL's <c>convert("RGB")</c>.</summary>
    public static byte[] DecodeRgb(byte[] bytes, string name, int width, int height, int colorspace)
    {
        EnsureLoaded();
        var handle = tjInitDecompress();
        try
        {
            var pixels = (long)width * height;
            var cmyk = colorspace is ColorspaceCmyk or ColorspaceYcck;
            var grey = colorspace == ColorspaceGray;
            var output = GC.AllocateUninitializedArray<byte>((int)(pixels * 3));
            var raw = cmyk ? GC.AllocateUninitializedArray<byte>((int)(pixels * 4)) : grey ? GC.AllocateUninitializedArray<byte>((int)pixels) : output;
            int result;
            fixed (byte* jpeg = bytes)
            fixed (byte* destination = raw)
                result = tjDecompress2(handle, jpeg, new CULong((nuint)bytes.Length), destination, width, 0, height,
                    cmyk ? PixelFormatCmyk : grey ? PixelFormatGray : PixelFormatRgb, Flags);
            // A warning (e.g. "Corrupt JPEG data: 2 extraneous bytes") still decodes: PIL accepts those files too. The
            // one warning PIL refuses is data that stops early.
            if (result != 0 && (tjGetErrorCode(handle) != ErrorWarning || Message(handle).Contains("Premature end", StringComparison.Ordinal)))
                throw Failure(handle, name);
            if (cmyk) CmykToRgb(raw, output);
            else if (grey)
                for (long i = 0; i < pixels; i++) output[3 * i] = output[3 * i + 1] = output[3 * i + 2] = raw[i];
            return output;
        }
        finally
        {
            tjDestroy(handle);
        }
    }

    /// <summary>
    /// PIL: a 4-component JPEG is read with raw mode <c>CMYK;I</c> (Adobe polarity, always), then <c>cmyk2rgb</c>:
    /// with nk = 255 − k, each of R, G, B = nk − round(c · nk / 255).
    /// </summary>
    private static void CmykToRgb(byte[] stored, byte[] rgb)
    {
        var pixels = stored.Length / 4;
        for (var i = 0; i < pixels; i++)
        {
            var nk = stored[4 * i + 3]; // 255 − (255 − stored)
            for (var c = 0; c < 3; c++)
            {
                var value = 255 - stored[4 * i + c];
                var t = value * nk + 128;
                var product = ((t >> 8) + t) >> 8;
                rgb[3 * i + c] = (byte)Math.Clamp(nk - product, 0, 255);
            }
        }
    }

    private static string Message(IntPtr handle) => Marshal.PtrToStringAnsi(tjGetErrorStr2(handle)) ?? "unknown error";

    private static ImageDecodeException Failure(IntPtr handle, string name)
    {
        var message = Message(handle);
        var truncated = message.Contains("Premature end", StringComparison.Ordinal) || message.Contains("end of file", StringComparison.OrdinalIgnoreCase);
        return truncated
            ? new ImageDecodeException(name, ImageDecodeError.Truncated, $"the JPEG data is truncated ({message}).")
            : new ImageDecodeException(name, ImageDecodeError.Corrupt, $"the JPEG data is corrupt ({message}).");
    }
}
