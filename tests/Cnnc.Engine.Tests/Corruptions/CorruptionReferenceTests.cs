using System.Text;
using System.Text.Json;
using Cnnc.Engine.Corruptions;
using Cnnc.Engine.Data;
using Cnnc.Engine.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Cnnc.Engine.Tests.Corruptions;

/// <summary>
/// Every implemented corruption at severities 1..5 on three real photographs (skimage's astronaut, chelsea and coffee,
/// resized 256 and center-cropped 224 as ImageNet-C does) and three 28×28 Fashion-MNIST images, against
/// tests/fixtures/corruptions_reference.py — imagecorruptions' functions run on the same images with CNNC's own noise
/// replayed — in one Python run shared by the tests of this class.
/// </summary>
public sealed class CorruptionReferenceFixture
{
    public sealed record Case(string Name, string Corruption, int Severity, DecodedImage Input, DecodedImage Ours, string ReferencePath)
    {
        public DecodedImage Reference { get; set; } = null!;
    }

    public IReadOnlyList<Case> Cases { get; }

    /// <summary>Milliseconds CNNC spent per corruption (all severities and images), and the Python run.</summary>
    public Dictionary<string, double> Milliseconds { get; } = new();

    public CorruptionReferenceFixture()
    {
        var dir = Path.Combine(Path.GetTempPath(), "cnnc-corruptions-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        var images = new List<(string Name, DecodedImage Image)>();
        var crop = new Preprocessing { ResizeShorterSide = 256, CenterCrop = (224, 224), Channels = 3 };
        foreach (var photo in new[] { "astronaut", "chelsea", "coffee" })
            images.Add((photo, crop.Geometry(ImageDecoder.Decode($"/usr/lib/python3/dist-packages/skimage/data/{photo}.png"))));
        var fashion = IdxDataset.FashionMnist();
        foreach (var i in new[] { 0, 1, 17 })
            images.Add(($"fashion{i}", new DecodedImage(28, 28, 1, fashion.Pixels(i).ToArray())));
        foreach (var (name, image) in images) NpyFiles.WriteImage(Path.Combine(dir, name + ".npy"), image);

        var cases = new List<Case>();
        var json = new List<object>();
        foreach (var corruption in ImageCorruptions.Names)
            for (var severity = 1; severity <= 5; severity++)
                for (var k = 0; k < images.Count; k++)
                {
                    var (imageName, image) = images[k];
                    var name = $"{corruption}-{severity}-{imageName}";
                    var noise = new CorruptionNoise(new CorruptionRandom(CorruptionRandom.SeedFor(7, corruption, severity, k)), record: true);
                    var clock = System.Diagnostics.Stopwatch.StartNew();
                    var ours = ImageCorruptions.Apply(image, corruption, severity, noise);
                    Milliseconds[corruption] = Milliseconds.GetValueOrDefault(corruption) + clock.Elapsed.TotalMilliseconds;
                    var records = new List<object>();
                    for (var r = 0; r < noise.Recorded!.Count; r++)
                    {
                        var file = $"{name}.noise{r}.npy";
                        NpyFiles.WriteDoubles(Path.Combine(dir, file), noise.Recorded[r].Values);
                        records.Add(new { kind = noise.Recorded[r].Kind, file });
                    }
                    json.Add(new { name, image = imageName + ".npy", corruption, severity, noise = records });
                    cases.Add(new Case(name, corruption, severity, image, ours, Path.Combine(dir, "out", name + ".npy")));
                }
        File.WriteAllText(Path.Combine(dir, "cases.json"), JsonSerializer.Serialize(json));
        var python = System.Diagnostics.Stopwatch.StartNew();
        PyTorchFixtures.Run(Path.Combine(PyTorchFixtures.RepoRoot(), "tests", "fixtures", "corruptions_reference.py"), $"--dir \"{dir}\"");
        Milliseconds["python"] = python.Elapsed.TotalMilliseconds;
        foreach (var c in cases) c.Reference = NpyFiles.ReadImage(c.ReferencePath);
        Cases = cases;
        Directory.Delete(dir, recursive: true);
    }
}

public sealed class CorruptionReferenceTests(CorruptionReferenceFixture fixture, ITestOutputHelper output)
    : IClassFixture<CorruptionReferenceFixture>
{
    /// <summary>
    /// The largest difference (in 8-bit steps) and the largest share of differing values allowed per corruption. Exact
    /// where CNNC does numpy's arithmetic in numpy's order; one step where a sum runs in another order (the contrast
    /// mean, the 2-D filters) and truncation meets a value within rounding of an integer; defocus also substitutes
    /// OpenCV (see the fixture script).
    /// </summary>
    private static readonly Dictionary<string, (int MaxStep, double MaxShare)> Tolerance = new()
    {
        ["gaussian_noise"] = (0, 0), ["shot_noise"] = (0, 0), ["impulse_noise"] = (0, 0), ["speckle_noise"] = (0, 0),
        ["brightness"] = (0, 0), ["pixelate"] = (0, 0), ["jpeg_compression"] = (0, 0), ["fog"] = (0, 0),
        ["motion_blur"] = (1, 1e-3), ["zoom_blur"] = (1, 1e-3), ["contrast"] = (1, 1e-3),
        ["gaussian_blur"] = (1, 1e-3), ["defocus_blur"] = (1, 1e-3), ["elastic_transform"] = (0, 0),
    };

    public static IEnumerable<object[]> Names() => ImageCorruptions.Names.Select(n => new object[] { n });

    [Theory]
    [MemberData(nameof(Names))]
    public void Equals_the_published_code_on_photographs_and_fashion_mnist(string corruption)
    {
        var (maxStep, maxShare) = Tolerance[corruption];
        var report = new StringBuilder();
        var failures = new List<string>();
        foreach (var c in fixture.Cases.Where(c => c.Corruption == corruption))
        {
            var reference = c.Reference;
            Assert.Equal((c.Input.Width, c.Input.Height, c.Input.Channels), (reference.Width, reference.Height, reference.Channels));
            int worst = 0, differing = 0;
            var a = c.Ours.Pixels;
            var b = reference.Pixels;
            for (var i = 0; i < a.Length; i++)
            {
                var d = Math.Abs(a[i] - b[i]);
                if (d > 0) differing++;
                worst = Math.Max(worst, d);
            }
            var share = (double)differing / a.Length;
            report.AppendLine($"{c.Name}: max {worst}, differing {differing}/{a.Length}");
            if (worst > maxStep || share > maxShare) failures.Add($"{c.Name}: max {worst}, differing {differing}/{a.Length}");
        }
        output.WriteLine($"CNNC {fixture.Milliseconds[corruption]:F0} ms for {corruption}; Python (all) {fixture.Milliseconds["python"]:F0} ms");
        output.WriteLine(report.ToString());
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void Corruptions_change_the_images()
    {
        foreach (var c in fixture.Cases.Where(c => c.Severity == 5))
            Assert.False(c.Input.Pixels.AsSpan().SequenceEqual(c.Ours.Pixels), c.Name);
    }
}

/// <summary>Just enough of .npy for the fixture: uint8 images (H×W or H×W×C) and float64 vectors.</summary>
internal static class NpyFiles
{
    private static void Write(string path, string descr, string shape, byte[] data)
    {
        var header = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}";
        var total = 10 + header.Length + 1;
        header = header.PadRight(header.Length + (64 - total % 64) % 64) + "\n";
        using var f = File.Create(path);
        f.Write(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0 });
        f.Write(BitConverter.GetBytes((ushort)header.Length));
        f.Write(Encoding.ASCII.GetBytes(header));
        f.Write(data);
    }

    public static void WriteImage(string path, DecodedImage image)
    {
        int h = image.Height, w = image.Width, c = image.Channels, plane = h * w;
        var data = new byte[plane * c];
        var p = image.Pixels;
        for (var i = 0; i < plane; i++)
            for (var ch = 0; ch < c; ch++) data[i * c + ch] = p[ch * plane + i];
        Write(path, "|u1", c == 1 ? $"({h}, {w})" : $"({h}, {w}, {c})", data);
    }

    public static void WriteDoubles(string path, double[] values)
    {
        var data = new byte[values.Length * 8];
        Buffer.BlockCopy(values, 0, data, 0, data.Length);
        Write(path, "<f8", $"({values.Length},)", data);
    }

    public static DecodedImage ReadImage(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var headerLength = BitConverter.ToUInt16(bytes, 8);
        var header = Encoding.ASCII.GetString(bytes, 10, headerLength);
        Assert.Contains("'|u1'", header);
        var shapeText = header[(header.IndexOf("'shape': (", StringComparison.Ordinal) + 10)..];
        shapeText = shapeText[..shapeText.IndexOf(')')];
        var shape = shapeText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();
        int h = shape[0], w = shape[1], c = shape.Length == 3 ? shape[2] : 1, plane = h * w;
        var data = bytes.AsSpan(10 + headerLength);
        var planar = new byte[plane * c];
        for (var i = 0; i < plane; i++)
            for (var ch = 0; ch < c; ch++) planar[ch * plane + i] = data[i * c + ch];
        return new DecodedImage(w, h, c, planar);
    }
}
