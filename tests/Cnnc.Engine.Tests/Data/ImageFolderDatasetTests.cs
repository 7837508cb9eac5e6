using System.Text.Json;
using Cnnc.Engine.Data;
using Cnnc.Engine.Runtime;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace Cnnc.Engine.Tests.Data;

public sealed class ImageFolderDatasetTests : IDisposable
{
    private readonly TempDir _dir = new();

    public ImageFolderDatasetTests() => TorchRuntime.Initialize();

    public void Dispose() => _dir.Dispose();

    private static byte[] Solid(byte r, byte g, byte b, bool jpeg = false, int size = 6)
    {
        using var image = new Image<Rgb24>(size, size, new Rgb24(r, g, b));
        using var ms = new MemoryStream();
        if (jpeg) image.Save(ms, new JpegEncoder { Quality = 95 });
        else image.Save(ms, new PngEncoder());
        return ms.ToArray();
    }

    /// <summary>Zebra/ (capital: sorts first), cat/, dog/ with PNG, JPEG, nested and upper-case files, junk and a corrupt PNG.</summary>
    private string MakeFolder()
    {
        _dir.File("set/cat/b.png", Solid(10, 20, 30));
        _dir.File("set/cat/a.JPG", Solid(200, 100, 50, jpeg: true));
        _dir.File("set/cat/notes.txt", "not an image"u8.ToArray());
        _dir.File("set/cat/deeper/c.png", Solid(1, 2, 3));
        _dir.File("set/dog/broken.png", "this is not a png"u8.ToArray());
        _dir.File("set/dog/d.jpeg", Solid(0, 255, 0, jpeg: true));
        _dir.File("set/Zebra/z.bmp", Solid(9, 9, 9));
        _dir.File("set/.ipynb_checkpoints/x.png", Solid(5, 5, 5));
        _dir.File("set/readme.md", "top-level files are ignored"u8.ToArray());
        return _dir.Combine("set");
    }

    [Fact]
    public void FollowsImageFolderOrderAndReportsCorruptFilesOnlyWhenLoaded()
    {
        var root = MakeFolder();
        var data = new ImageFolderDataset(root); // listing does not open files: the corrupt one is not noticed here
        Assert.Equal(new[] { "Zebra", "cat", "dog" }, data.Classes);
        Assert.Equal(new[] { "Zebra/z.bmp", "cat/a.JPG", "cat/b.png", "cat/deeper/c.png", "dog/broken.png", "dog/d.jpeg" },
            Enumerable.Range(0, data.Count).Select(data.Describe));
        Assert.Equal(new[] { 0, 1, 1, 1, 2, 2 }, data.Labels());
        Assert.Equal("set", data.Name);
        Assert.Equal(3, data.Channels);

        using (var b = data.Load(2))
        {
            Assert.Equal(new long[] { 3, 6, 6 }, b.shape);
            Assert.Equal(new[] { 10 / 255f, 20 / 255f, 30 / 255f }, new[] { b[0, 0, 0].item<float>(), b[1, 3, 3].item<float>(), b[2, 5, 5].item<float>() });
        }

        Assert.False(data.TryLoad(4, out var image, out var error));
        Assert.Null(image);
        Assert.Contains("broken.png", error);
        Assert.Contains("unknown or unsupported image format", error);
        Assert.Throws<ImageDecodeException>(() => data.Load(4));

        var readable = 0;
        for (var i = 0; i < data.Count; i++)
            if (data.TryLoad(i, out var img, out _))
            {
                readable++;
                img.Dispose();
            }
        Assert.Equal(5, readable);
    }

    [Fact]
    public void MatchesTorchvisionImageFolder()
    {
        var root = MakeFolder();
        Directory.Delete(_dir.Combine("set/.ipynb_checkpoints"), recursive: true); // torchvision would make it a class
        var data = new ImageFolderDataset(root);
        const string script = """
            import json, os, sys
            from torchvision.datasets import ImageFolder
            ds = ImageFolder(sys.argv[1], loader=lambda p: p)
            print(json.dumps({"classes": ds.classes, "samples": [[os.path.relpath(p, sys.argv[1]), t] for p, t in ds.samples]}))
            """;
        using var json = JsonDocument.Parse(Py.Run(script, $"\"{root}\""));
        var classes = json.RootElement.GetProperty("classes").EnumerateArray().Select(e => e.GetString()!).ToArray();
        var samples = json.RootElement.GetProperty("samples").EnumerateArray()
            .Select(e => (e[0].GetString()!, e[1].GetInt32())).ToArray();
        Assert.Equal(classes, data.Classes);
        Assert.Equal(samples, Enumerable.Range(0, data.Count).Select(i => (data.Describe(i), data.Label(i))).ToArray());
    }

    [Fact]
    public void EmptyClassFolderIsAClearError()
    {
        var root = MakeFolder();
        Directory.CreateDirectory(_dir.Combine("set/emu"));
        _dir.File("set/emu/readme.txt", "no images here"u8.ToArray());
        var ex = Assert.Throws<DatasetFormatException>(() => new ImageFolderDataset(root));
        Assert.Contains("emu", ex.Message);
        Assert.Contains("no image file", ex.Message);
        Assert.Contains(".webp", ex.Message);

        var noClasses = Directory.CreateDirectory(_dir.Combine("flat")).FullName;
        _dir.File("flat/a.png", Solid(1, 1, 1));
        Assert.Contains("no class sub-folders", Assert.Throws<DatasetFormatException>(() => new ImageFolderDataset(noClasses)).Message);
        Assert.Throws<DirectoryNotFoundException>(() => new ImageFolderDataset(_dir.Combine("missing")));
    }

    [Fact]
    public void FingerprintChangesWithTheFileListAndNotOtherwise()
    {
        var root = MakeFolder();
        var first = new ImageFolderDataset(root).Fingerprint;
        Assert.Matches("^sha256:[0-9a-f]{64}$", first);
        Assert.Equal(first, new ImageFolderDataset(root).Fingerprint);
        _dir.File("set/dog/e.png", Solid(4, 4, 4));
        var added = new ImageFolderDataset(root).Fingerprint;
        Assert.NotEqual(first, added);
        _dir.File("set/dog/e.png", Solid(4, 4, 4, size: 9)); // same name, different size
        Assert.NotEqual(added, new ImageFolderDataset(root).Fingerprint);
    }

    [Fact]
    public void GreyModeAndACustomHierarchy()
    {
        var root = MakeFolder();
        var hierarchy = ClassHierarchy.FromGroups("pets", new[] { "Zebra", "cat", "dog" },
            new Dictionary<string, IReadOnlyList<string>> { ["wild"] = new[] { "Zebra" }, ["pets"] = new[] { "cat", "dog" } });
        var data = new ImageFolderDataset(root, hierarchy, ImageColorMode.Grey, name: "pets");
        Assert.Equal(1, data.Channels);
        using var image = data.Load(3); // c.png (1, 2, 3) → round(0.299 + 1.174 + 0.342) = 2
        Assert.Equal(new long[] { 1, 6, 6 }, image.shape);
        Assert.Equal(2 / 255f, image[0, 0, 0].item<float>(), 6);
        Assert.Equal("pets", data.Hierarchy.RootNameOf(data.Label(3)));
        Assert.Equal("wild", data.Hierarchy.RootNameOf(data.Label(0)));

        var wrong = ClassHierarchy.Flat(new[] { "cat", "dog", "Zebra" });
        Assert.Contains("class 0", Assert.Throws<ArgumentException>(() => new ImageFolderDataset(root, wrong)).Message);
    }
}
