using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing.Processors.Quantization;

namespace Cnnc.Engine.Rendering;

/// <summary>A PNG picture: its bytes and size, and how a page embeds it.</summary>
/// <param name="Bytes">The PNG file.</param>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
public sealed record PngImage(byte[] Bytes, int Width, int Height)
{
    private const string DataUriPrefix = "data:image/png;base64,";

    /// <summary>The picture as a <c>data:image/png;base64,…</c> URI.</summary>
    public string DataUri => DataUriPrefix + Convert.ToBase64String(Bytes);

    /// <summary>The PNG bytes of a data URI made by <see cref="DataUri"/>.</summary>
    public static byte[] FromDataUri(string dataUri) =>
        dataUri.StartsWith(DataUriPrefix, StringComparison.Ordinal)
            ? Convert.FromBase64String(dataUri[DataUriPrefix.Length..])
            : throw new ArgumentException("Not a PNG data URI.");

    public override string ToString() => $"PNG {Width}×{Height} ({Bytes.Length:N0} bytes)";
}

/// <summary>
/// The one PNG encoder: files written by the CLI keep every colour (lossless RGB or grey); pictures inlined in views
/// become 256-colour palette PNGs when they are in colour (grey ones stay 8-bit grey).
/// </summary>
public static class Png
{
    // Palette PNGs without dithering: about a third of the bytes of RGB and no visible difference at view size (zoo
    // overlays at ×4: 5.3 kB instead of 15 kB). The octree quantizer: ImageSharp's Wu quantizer looks a little smoother
    // but took 45 ms an image here, the octree one 6 ms.
    private static readonly PngEncoder Inline = new()
    {
        ColorType = PngColorType.Palette,
        Quantizer = new OctreeQuantizer(new QuantizerOptions { Dither = null }),
    };

    private static readonly PngEncoder InlineGrey = new() { CompressionLevel = PngCompressionLevel.BestCompression };

    private static readonly PngEncoder Lossless = new();

    /// <summary>Every pixel as it is (what the CLI writes to files).</summary>
    public static byte[] Encode(Image image) => Save(image, Lossless);

    /// <summary>For a view: palette PNG in colour, 8-bit grey stays grey.</summary>
    public static PngImage EncodeInline(Image image) =>
        new(Save(image, image is Image<L8> ? InlineGrey : Inline), image.Width, image.Height);

    /// <summary>Writes <see cref="Encode"/> to a file, atomically.</summary>
    public static void Write(string path, Image image)
    {
        var bytes = Encode(image);
        IO.AtomicFile.Write(path, stream => stream.Write(bytes));
    }

    private static byte[] Save(Image image, PngEncoder encoder)
    {
        using var stream = new MemoryStream();
        image.SaveAsPng(stream, encoder);
        return stream.ToArray();
    }
}
