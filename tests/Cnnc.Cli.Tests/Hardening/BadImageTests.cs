using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace Cnnc.Cli.Tests.Hardening;

/// <summary>
/// Images a user may hand to <c>cnnc predict --image</c> (the same decoder serves every dataset): broken ones end in one
/// clear line naming the file and the reason; odd but valid ones (16-bit, CMYK, palette, alpha, 1x1, misnamed) work.
/// </summary>
public sealed class BadImageTests : Hardening
{
    private static string[] Predict(string image) => new[] { "predict", "--model", "resnet18", "--image", image, "--json" };

    private static void PredictsTenClasses(string image)
    {
        var json = JsonDocument.Parse(Succeeds(Predict(image))).RootElement;
        var top = json.GetProperty("top5").EnumerateArray().ToList();
        Assert.Equal(5, top.Count);
        var sum = top.Sum(t => t.GetProperty("probability").GetDouble());
        Assert.InRange(sum, 0.0, 1.0 + 1e-6);
        Assert.All(top, t => Assert.InRange(t.GetProperty("index").GetInt32(), 0, 9));
    }

    [Fact]
    public void ZeroByteFileIsOneLineNamingIt()
    {
        var path = Write("empty.png", Array.Empty<byte>());
        FailsWithOneLine(Predict(path), $"Cannot decode image '{path}'", "the file is empty (0 bytes)");
    }

    [Fact]
    public void TruncatedPngIsOneLine()
    {
        var png = Png(40, 40);
        var path = Write("truncated.png", png[..(png.Length / 2)]);
        FailsWithOneLine(Predict(path), $"Cannot decode image '{path}'", "truncated");
    }

    [Fact]
    public void TruncatedJpegIsOneLine()
    {
        using var image = new Image<Rgb24>(64, 64, new Rgb24(200, 30, 90));
        using var ms = new MemoryStream();
        image.Save(ms, new JpegEncoder { Quality = 90 });
        var jpeg = ms.ToArray();
        var path = Write("truncated.jpg", jpeg[..(jpeg.Length * 2 / 3)]);
        FailsWithOneLine(Predict(path), $"Cannot decode image '{path}'", "JPEG");
    }

    [Fact]
    public void NotAnImageIsOneLineListingTheSupportedFormats()
    {
        var path = Write("notes.png", "these are not pixels"u8.ToArray());
        FailsWithOneLine(Predict(path), "unknown or unsupported image format", "PNG");
    }

    [Fact]
    public void DecompressionBombIsRefusedWithoutDecoding()
    {
        var path = Write("bomb.png", PngHeaderOnly(60_000, 60_000));
        Assert.True(new FileInfo(path).Length < 100);
        FailsWithOneLine(Predict(path), "60000x60000", "more than the limit");
    }

    [Fact]
    public void DirectoryWhereAFileIsExpectedIsOneLine()
    {
        var path = Path.Combine(Dir, "a-folder.png");
        Directory.CreateDirectory(path);
        FailsWithOneLine(Predict(path), "the path is a directory");
    }

    [Fact]
    public void MissingFileIsOneLine()
    {
        FailsWithOneLine(Predict(Path.Combine(Dir, "absent.png")), "absent.png");
    }

    [Fact]
    public void PngNamedJpgIsDecodedByItsContent() => PredictsTenClasses(Write("misnamed.jpg", Png(28, 28)));

    [Fact]
    public void OnePixelImageIsResizedAndPredicted() => PredictsTenClasses(Write("dot.png", Png(1, 1)));

    [Fact]
    public void SixteenBitPngIsPredicted() =>
        PredictsTenClasses(Write("deep.png", Png(30, 30, new PngEncoder { BitDepth = PngBitDepth.Bit16, ColorType = PngColorType.Rgb })));

    [Fact]
    public void PalettePngIsPredicted() =>
        PredictsTenClasses(Write("palette.png", Png(30, 30, new PngEncoder { ColorType = PngColorType.Palette, BitDepth = PngBitDepth.Bit8 })));

    [Fact]
    public void AlphaPngIsPredicted()
    {
        using var image = new Image<Rgba32>(30, 30);
        for (var y = 0; y < 30; y++)
            for (var x = 0; x < 30; x++)
                image[x, y] = new Rgba32(255, 255, 255, (byte)(x * 8));
        using var ms = new MemoryStream();
        image.Save(ms, new PngEncoder { ColorType = PngColorType.RgbWithAlpha });
        PredictsTenClasses(Write("alpha.png", ms.ToArray()));
    }

    [Fact]
    public void CmykJpegIsPredicted()
    {
        var path = Path.Combine(Dir, "cmyk.jpg");
        Python("import sys\nfrom PIL import Image\nImage.new('CMYK', (32, 32), (0, 200, 200, 20)).save(sys.argv[1], quality=95)\n" +
               "assert Image.open(sys.argv[1]).mode == 'CMYK'\n", path);
        PredictsTenClasses(path);
    }
}
