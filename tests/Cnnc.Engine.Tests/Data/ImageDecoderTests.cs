using Cnnc.Engine.Data;
using Cnnc.Engine.Runtime;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tga;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.PixelFormats;

namespace Cnnc.Engine.Tests.Data;

public sealed class ImageDecoderTests : IDisposable
{
    private readonly TempDir _dir = new();

    public ImageDecoderTests() => TorchRuntime.Initialize();

    public void Dispose() => _dir.Dispose();

    private static byte[] Encode(Image image, IImageEncoder encoder)
    {
        using var ms = new MemoryStream();
        image.Save(ms, encoder);
        return ms.ToArray();
    }

    private static Image<Rgb24> Gradient(int w, int h)
    {
        var image = new Image<Rgb24>(w, h);
        for (var y = 0; y < h; y++)
            for (var x = 0; x < w; x++)
                image[x, y] = new Rgb24((byte)(x * 255 / Math.Max(1, w - 1)), (byte)(y * 255 / Math.Max(1, h - 1)), (byte)((x * 7 + y * 13) % 256));
        return image;
    }

    private static Image<Rgb24> Noise(int w, int h, int seed)
    {
        var random = new Random(seed);
        var image = new Image<Rgb24>(w, h);
        for (var y = 0; y < h; y++)
            for (var x = 0; x < w; x++)
                image[x, y] = new Rgb24((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
        return image;
    }

    [Fact]
    public void RgbPngDecodesToExactPlanarValues()
    {
        using var image = Gradient(5, 4);
        var path = _dir.File("g.png", Encode(image, new PngEncoder()));
        var decoded = ImageDecoder.Decode(path);
        Assert.Equal((5, 4, 3), (decoded.Width, decoded.Height, decoded.Channels));
        for (var y = 0; y < 4; y++)
            for (var x = 0; x < 5; x++)
            {
                Assert.Equal(image[x, y].R, decoded[0, y, x]);
                Assert.Equal(image[x, y].G, decoded[1, y, x]);
                Assert.Equal(image[x, y].B, decoded[2, y, x]);
            }
        using var tensor = decoded.ToTensor();
        Assert.Equal(new long[] { 3, 4, 5 }, tensor.shape);
        Assert.Equal(TorchSharp.torch.ScalarType.Float32, tensor.dtype);
        Assert.Equal(image[4, 3].G / 255f, tensor[1, 3, 4].item<float>(), 6);
    }

    [Fact]
    public void EveryEncodableFormatRoundTrips()
    {
        using var image = Gradient(8, 6);
        var formats = new (string Name, IImageEncoder Encoder, bool Lossless)[]
        {
            ("bmp", new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel24 }, true),
            ("tga", new TgaEncoder { BitsPerPixel = TgaBitsPerPixel.Pixel24, Compression = TgaCompression.None }, true),
            ("tiff", new TiffEncoder(), true),
            ("webp", new WebpEncoder { FileFormat = WebpFileFormatType.Lossless }, true),
            ("jpg", new JpegEncoder { Quality = 100 }, false),
        };
        foreach (var (name, encoder, lossless) in formats)
        {
            var decoded = ImageDecoder.Decode(_dir.File("img." + name, Encode(image, encoder)));
            Assert.Equal((8, 6), (decoded.Width, decoded.Height));
            var maxError = 0;
            for (var y = 0; y < 6; y++)
                for (var x = 0; x < 8; x++)
                    maxError = Math.Max(maxError, Math.Abs(decoded[0, y, x] - image[x, y].R));
            Assert.True(lossless ? maxError == 0 : maxError <= 12, $"{name}: max error {maxError}");
        }
        Assert.Contains("PNG", ImageDecoder.SupportedFormats);
        Assert.Contains("Webp", ImageDecoder.SupportedFormats, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("TGA", ImageDecoder.SupportedFormats);
    }

    [Fact]
    public void AnimatedGifGivesTheFirstFrame()
    {
        using var gif = new Image<Rgba32>(4, 4, new Rgba32(255, 0, 0));
        using var second = new Image<Rgba32>(4, 4, new Rgba32(0, 0, 255));
        gif.Frames.AddFrame(second.Frames.RootFrame);
        var decoded = ImageDecoder.Decode(_dir.File("a.gif", Encode(gif, new GifEncoder())));
        Assert.Equal((255, 0, 0), (decoded[0, 2, 2], decoded[1, 2, 2], decoded[2, 2, 2]));
    }

    [Fact]
    public void EmptyFileIsReported()
    {
        var path = _dir.File("empty.png", Array.Empty<byte>());
        var ex = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(path));
        Assert.Equal(ImageDecodeError.Empty, ex.Reason);
        Assert.Contains(path, ex.Message);
        Assert.Contains("empty (0 bytes)", ex.Message);
    }

    [Fact]
    public void TruncatedPngIsReported()
    {
        using var image = Noise(128, 128, 1);
        var bytes = Encode(image, new PngEncoder());
        var path = _dir.File("cut.png", bytes[..(bytes.Length / 2)]);
        var ex = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(path));
        Assert.Equal(ImageDecodeError.Truncated, ex.Reason);
        Assert.Contains("cut.png", ex.Message);
        Assert.Contains("truncated", ex.Message);
    }

    [Fact]
    public void TruncatedJpegIsReported()
    {
        using var image = Noise(64, 64, 2);
        var bytes = Encode(image, new JpegEncoder { Quality = 90 });
        var path = _dir.File("cut.jpg", bytes[..(bytes.Length * 6 / 10)]);
        var ex = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(path));
        Assert.Equal(ImageDecodeError.Truncated, ex.Reason);
        Assert.Contains("cut.jpg", ex.Message);
    }

    [Fact]
    public void ContentDecidesTheFormatNotTheExtension()
    {
        using var image = Gradient(3, 3);
        var pngAsJpg = _dir.File("really-a-png.jpg", Encode(image, new PngEncoder()));
        Assert.Equal(image[2, 1].B, ImageDecoder.Decode(pngAsJpg)[2, 1, 2]);
        Assert.Equal((3, 3, "PNG"), ImageDecoder.ReadSize(pngAsJpg));

        var textAsPng = _dir.Text("notes.png", "this is not an image at all\n");
        var ex = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(textAsPng));
        Assert.Equal(ImageDecodeError.UnknownFormat, ex.Reason);
        Assert.Contains("notes.png", ex.Message);
        Assert.Contains("unknown or unsupported image format", ex.Message);
    }

    [Fact]
    public void DirectoryAndMissingFileAreReported()
    {
        var dir = Directory.CreateDirectory(_dir.Combine("folder.png")).FullName;
        var ex = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(dir));
        Assert.Equal(ImageDecodeError.IsDirectory, ex.Reason);
        Assert.Contains("is a directory", ex.Message);

        var missing = _dir.Combine("nope.png");
        ex = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(missing));
        Assert.Equal(ImageDecodeError.Missing, ex.Reason);
        Assert.Contains(missing, ex.Message);
        Assert.IsAssignableFrom<IOException>(ex);
    }

    [Fact]
    public void SixteenBitGreyPngIsClippedAsPilDoes()
    {
        // One row of 16-bit grey samples, big-endian. PIL opens them as mode I and convert("RGB") clips to 0..255.
        ushort[] samples = { 0, 7, 200, 254, 255, 1000, 0x8080, 65535 };
        var row = samples.SelectMany(s => new[] { (byte)(s >> 8), (byte)s }).ToArray();
        var path = _dir.File("g16.png", Png.Build(samples.Length, 1, colorType: 0, bitDepth: 16, new[] { row }));
        var pil = Py.Run("import sys\nfrom PIL import Image\nprint(list(v[0] for v in Image.open(sys.argv[1]).convert('RGB').getdata()))", $"\"{path}\"");
        Assert.Equal("[0, 7, 200, 254, 255, 255, 255, 255]", pil);
        var decoded = ImageDecoder.Decode(path);
        var expected = new byte[] { 0, 7, 200, 254, 255, 255, 255, 255 };
        Assert.Equal(expected, Enumerable.Range(0, samples.Length).Select(x => decoded[0, 0, x]).ToArray());
        Assert.Equal(expected, Enumerable.Range(0, samples.Length).Select(x => decoded[2, 0, x]).ToArray());
        var grey = ImageDecoder.Decode(path, ImageColorMode.Grey);
        Assert.Equal(1, grey.Channels);
        Assert.Equal(expected, grey.Pixels);
    }

    [Fact]
    public void SixteenBitRgbPngIsScaledToEightBits()
    {
        ushort[] px = { 65535, 0, 0x4040, 0x0101, 0xFFFF, 0x8000 };
        var row = px.SelectMany(s => new[] { (byte)(s >> 8), (byte)s }).ToArray();
        var decoded = ImageDecoder.Decode(_dir.File("rgb16.png", Png.Build(2, 1, colorType: 2, bitDepth: 16, new[] { row })));
        Assert.Equal((255, 0, 64), (decoded[0, 0, 0], decoded[1, 0, 0], decoded[2, 0, 0]));
        Assert.Equal((1, 255, 128), (decoded[0, 0, 1], decoded[1, 0, 1], decoded[2, 0, 1]));
    }

    [Fact]
    public void PalettePngWithTransparencyDecodes()
    {
        byte[] palette = { 255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30 };
        byte[] alpha = { 255, 255, 255, 0 }; // entry 3 fully transparent
        var path = _dir.File("pal.png", Png.Build(4, 1, colorType: 3, bitDepth: 8, new[] { new byte[] { 0, 1, 2, 3 } }, palette, alpha));
        var decoded = ImageDecoder.Decode(path);
        Assert.Equal((255, 0, 0), (decoded[0, 0, 0], decoded[1, 0, 0], decoded[2, 0, 0]));
        Assert.Equal((0, 255, 0), (decoded[0, 0, 1], decoded[1, 0, 1], decoded[2, 0, 1]));
        Assert.Equal((0, 0, 255), (decoded[0, 0, 2], decoded[1, 0, 2], decoded[2, 0, 2]));
        Assert.Equal((10, 20, 30), (decoded[0, 0, 3], decoded[1, 0, 3], decoded[2, 0, 3])); // stored colour, as PIL
        var white = ImageDecoder.Decode(path, options: new ImageDecoderOptions(CompositeAlphaOnWhite: true));
        Assert.Equal((255, 255, 255), (white[0, 0, 3], white[1, 0, 3], white[2, 0, 3])); // transparent → white
    }

    [Fact]
    public void AlphaIsDroppedByDefaultAndCompositedOnWhiteOnRequest()
    {
        // RGBA 8-bit: half-transparent red, opaque blue, transparent black.
        var row = new byte[] { 255, 0, 0, 128, 0, 0, 255, 255, 0, 0, 0, 0 };
        var path = _dir.File("rgba.png", Png.Build(3, 1, colorType: 6, bitDepth: 8, new[] { row }));
        var d = ImageDecoder.Decode(path, options: new ImageDecoderOptions(CompositeAlphaOnWhite: true));
        // c·a/255 + 255·(1 − a/255): red 255, green/blue (255·127 + 127) / 255 = 127.
        Assert.Equal((255, 127, 127), (d[0, 0, 0], d[1, 0, 0], d[2, 0, 0]));
        Assert.Equal((0, 0, 255), (d[0, 0, 1], d[1, 0, 1], d[2, 0, 1]));
        Assert.Equal((255, 255, 255), (d[0, 0, 2], d[1, 0, 2], d[2, 0, 2]));
        var raw = ImageDecoder.Decode(path); // PIL's convert("RGB"): alpha dropped
        Assert.Equal((255, 0, 0), (raw[0, 0, 0], raw[1, 0, 0], raw[2, 0, 0]));
        Assert.Equal((0, 0, 0), (raw[0, 0, 2], raw[1, 0, 2], raw[2, 0, 2]));
    }

    [Fact]
    public void GreyModeUsesPilLuma()
    {
        var row = new byte[] { 10, 200, 30, 255, 255, 255 };
        var path = _dir.File("two.png", Png.Build(2, 1, colorType: 2, bitDepth: 8, new[] { row }));
        var grey = ImageDecoder.Decode(path, ImageColorMode.Grey);
        // PIL: round(10·0.299 + 200·0.587 + 30·0.114) = round(123.81) = 124.
        var pil = Py.Run("import sys\nfrom PIL import Image\nprint(list(Image.open(sys.argv[1]).convert('L').getdata()))", $"\"{path}\"");
        Assert.Equal("[124, 255]", pil);
        Assert.Equal(new byte[] { 124, 255 }, grey.Pixels);
    }

    [Fact]
    public void CmykJpegMatchesPil()
    {
        var path = _dir.Combine("cmyk.jpg");
        // Four flat 16x16 blocks: red (0,255,255,0), cyan, grey via K, and a mixed colour; PIL writes Adobe CMYK.
        var pil = Py.Run(
            "import sys\nfrom PIL import Image\n" +
            "im = Image.new('CMYK', (32, 32))\n" +
            "for (x, y, c) in [(0, 0, (0, 255, 255, 0)), (16, 0, (255, 0, 0, 0)), (0, 16, (0, 0, 0, 128)), (16, 16, (40, 80, 160, 30))]:\n" +
            "    im.paste(c, (x, y, x + 16, y + 16))\n" +
            "im.save(sys.argv[1], quality=95)\n" +
            "back = Image.open(sys.argv[1])\n" +
            "assert back.mode == 'CMYK', back.mode\n" +
            "rgb = back.convert('RGB')\n" +
            "print(' '.join('%d,%d,%d' % rgb.getpixel(p) for p in [(8, 8), (24, 8), (8, 24), (24, 24)]))",
            $"\"{path}\"");
        var expected = pil.Split(' ').Select(t => t.Split(',').Select(int.Parse).ToArray()).ToArray();
        Assert.Equal(new[] { 255, 0, 0 }, expected[0].Select(v => v >= 250 ? 255 : v <= 5 ? 0 : v)); // sanity: red
        var decoded = ImageDecoder.Decode(path);
        var points = new[] { (8, 8), (24, 8), (8, 24), (24, 24) };
        for (var i = 0; i < points.Length; i++)
        {
            var (x, y) = points[i];
            for (var c = 0; c < 3; c++)
                Assert.True(Math.Abs(decoded[c, y, x] - expected[i][c]) <= 4,
                    $"point {i} channel {c}: ImageSharp {decoded[c, y, x]}, PIL {expected[i][c]}");
        }
    }

    [Fact]
    public void DecompressionBombIsRefusedBeforeDecoding()
    {
        var path = _dir.File("bomb.png", Png.HeaderOnly(100_000, 100_000));
        Assert.True(new FileInfo(path).Length < 100);
        var ex = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(path));
        Assert.Equal(ImageDecodeError.TooLarge, ex.Reason);
        Assert.Contains("100000x100000", ex.Message);
        Assert.Contains("40000000", ex.Message);
        Assert.Equal((100_000, 100_000, "PNG"), ImageDecoder.ReadSize(path));

        using var small = Gradient(64, 64);
        var normal = _dir.File("normal.png", Encode(small, new PngEncoder()));
        var limited = new ImageDecoderOptions(MaxPixels: 1000);
        ex = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(normal, options: limited));
        Assert.Equal(ImageDecodeError.TooLarge, ex.Reason);
        Assert.Contains("4096 pixels", ex.Message);
        var tooBig = new ImageDecoderOptions(MaxFileBytes: 10);
        Assert.Equal(ImageDecodeError.TooLarge, Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(normal, options: tooBig)).Reason);
    }

    [Fact]
    public void CorruptPngDataIsReported()
    {
        using var image = Noise(32, 32, 3);
        var bytes = Encode(image, new PngEncoder());
        // Flip bytes inside the IDAT payload (keeps IEND): the CRC no longer matches.
        for (var i = 60; i < 80; i++) bytes[i] ^= 0x5A;
        var ex = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(_dir.File("bad.png", bytes)));
        Assert.Contains(ex.Reason, new[] { ImageDecodeError.Corrupt, ImageDecodeError.Truncated });
        Assert.Contains("bad.png", ex.Message);
    }
}
