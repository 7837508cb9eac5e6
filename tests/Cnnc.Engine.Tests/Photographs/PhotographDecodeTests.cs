using Cnnc.Engine.Data;
using Cnnc.Engine.IO;
using Cnnc.Engine.Runtime;
using Cnnc.Engine.Tests.Support;

namespace Cnnc.Engine.Tests.Photographs;

/// <summary>Decoding real photographs gives exactly PIL's <c>Image.open(f).convert("RGB")</c> bytes.</summary>
public sealed class PhotographDecodeTests
{
    public PhotographDecodeTests() => TorchRuntime.Initialize();

    [Fact]
    public void FixtureCoversTheVariants()
    {
        var cases = PhotographFixtures.Cases;
        Assert.True(cases.Count >= 40, $"{cases.Count} cases");
        Assert.True(cases.Select(c => c.Source).Distinct().Count() >= 20);
        foreach (var needle in new[] { "444", "422", "420", "greyscale JPEG", "progressive", "CMYK", "EXIF", "palette", "RGBA", "16-bit", "1-bit", "grey + alpha" })
            Assert.Contains(cases, c => c.Variant.Contains(needle, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(PhotographFixtures.Names), MemberType = typeof(PhotographFixtures))]
    public void DecodedBytesEqualPil(string name)
    {
        var c = PhotographFixtures.Case(name);
        var decoded = ImageDecoder.Decode(PhotographFixtures.PathOf(c));
        using var expected = Npy.Read(PhotographFixtures.Decoded(c)); // H x W x 3 uint8
        Assert.Equal(new long[] { decoded.Height, decoded.Width, 3 }, expected.shape);
        var pil = expected.data<byte>().ToArray();
        int plane = decoded.Width * decoded.Height, differ = 0, max = 0;
        for (var i = 0; i < plane; i++)
            for (var ch = 0; ch < 3; ch++)
            {
                var d = Math.Abs(decoded.Pixels[ch * plane + i] - pil[3 * i + ch]);
                if (d != 0) differ++;
                max = Math.Max(max, d);
            }
        Assert.True(differ == 0, $"{name} ({c.Variant}): {differ} values differ from PIL, max {max}/255");
    }
}

/// <summary>The decoder's limits hold on the libjpeg-turbo path: cut, corrupt and oversized real JPEGs.</summary>
public sealed class PhotographJpegLimitTests : IDisposable
{
    private readonly Cnnc.Engine.Tests.Data.TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static byte[] Photo() => File.ReadAllBytes(PhotographFixtures.PathOf(PhotographFixtures.Case("chelsea_progressive_420")));

    [Fact]
    public void CutPhotographIsTruncatedNamingTheFile()
    {
        var bytes = Photo();
        var path = _dir.File("cut.jpg", bytes[..(bytes.Length * 6 / 10)]);
        var ex = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(path));
        Assert.Equal(ImageDecodeError.Truncated, ex.Reason);
        Assert.StartsWith($"Cannot decode image '{path}': the JPEG data is truncated", ex.Message);
    }

    [Fact]
    public void SkimageTruncatedJpegIsRefusedAsByPil()
    {
        const string path = "/usr/lib/python3/dist-packages/skimage/data/truncated.jpg";
        var pil = Cnnc.Engine.Tests.Data.Py.Run("import sys\nfrom PIL import Image\ntry:\n    Image.open(sys.argv[1]).convert('RGB'); print('ok')\nexcept OSError as e:\n    print('error')", path);
        Assert.Equal("error", pil);
        Assert.Equal(ImageDecodeError.Truncated, Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(path)).Reason);
    }

    [Fact]
    public void ScrambledScanDataIsAFullImageOrOneClearError()
    {
        // 200 random bytes in the middle of a progressive scan. libjpeg only warns about such data; PIL refuses this
        // file ("broken data stream"), CNNC decodes it (a known difference, docs/data.md). Either way: never a crash,
        // and an image of the declared size or an error naming the file.
        var bytes = Photo();
        var random = new Random(14);
        for (var i = bytes.Length / 3; i < bytes.Length / 3 + 200; i++) bytes[i] = (byte)random.Next(256);
        var path = _dir.File("scrambled.jpg", bytes);
        try
        {
            var decoded = ImageDecoder.Decode(path);
            Assert.Equal((451, 300, 3), (decoded.Width, decoded.Height, decoded.Channels));
        }
        catch (ImageDecodeException ex)
        {
            Assert.StartsWith($"Cannot decode image '{path}': the JPEG data is", ex.Message);
        }
    }

    [Fact]
    public void OversizedJpegIsRefusedBeforeDecoding()
    {
        var path = PhotographFixtures.PathOf(PhotographFixtures.Case("retina"));
        var ex = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(path, options: new ImageDecoderOptions(MaxPixels: 1_000_000)));
        Assert.Equal(ImageDecodeError.TooLarge, ex.Reason);
        Assert.Contains("the JPEG header declares 1411x1411 = 1990921 pixels", ex.Message);
    }
}
