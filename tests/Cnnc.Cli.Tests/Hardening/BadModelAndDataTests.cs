using System.Text.Json;
using Cnnc.Engine.Data;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Cnnc.Cli.Tests.Hardening;

/// <summary>
/// Models and datasets that do not fit together or do not exist: one line each, before any work; unreadable images
/// inside a dataset are reported and skipped.
/// </summary>
public sealed class BadModelAndDataTests : Hardening
{
    private string Store => Path.Combine(Dir, "store");

    /// <summary>An ImageFolder with the given classes, <paramref name="perClass"/> grey 28x28 PNGs each.</summary>
    private string Folder(string name, IEnumerable<string> classes, int perClass = 1)
    {
        var root = Path.Combine(Dir, name);
        var seed = 0;
        foreach (var c in classes)
        {
            Directory.CreateDirectory(Path.Combine(root, c));
            for (var i = 0; i < perClass; i++)
            {
                using var image = new Image<L8>(28, 28);
                var random = new Random(seed++);
                for (var y = 0; y < 28; y++)
                    for (var x = 0; x < 28; x++)
                        image[x, y] = new L8((byte)random.Next(256));
                image.SaveAsPng(Path.Combine(root, c, $"{i}.png"));
            }
        }
        return root;
    }

    [Fact]
    public void UnknownLayerPathListsTheValidOnes()
    {
        var image = Write("x.png", Png(28, 28));
        FailsWithOneLine(new[] { "explain", "--model", "resnet18", "--image", image, "--layer", "layer9.0" },
            "Unknown layer 'layer9.0'", "layer4");
    }

    [Fact]
    public void UnknownArchitectureListsTheKnownOnes()
    {
        FailsWithOneLine(new[] { "predict", "--arch", "resnet19", "--weights", ZooWeights(), "--image", Write("x.png", Png(28, 28)) },
            "Unknown architecture 'resnet19'", "resnet18");
    }

    [Fact]
    public void ClassCountMismatchIsAnErrorBeforeAnythingIsStored()
    {
        var folder = Folder("three", new[] { "a", "b", "c" });
        FailsWithOneLine(new[] { "evaluate", "--model", "resnet18", "--data", "folder:" + folder, "--store", Store },
            "10 outputs", "3 classes");
        Assert.Empty(Directory.Exists(Store) ? Directory.GetFiles(Store, "*.npz", SearchOption.AllDirectories) : Array.Empty<string>());
    }

    [Fact]
    public void EmptyClassFolderIsNamed()
    {
        var folder = Folder("gap", new[] { "a", "b" });
        Directory.CreateDirectory(Path.Combine(folder, "c-empty"));
        FailsWithOneLine(new[] { "data", "info", "--data", "folder:" + folder }, "c-empty", "no image file");
    }

    [Fact]
    public void MissingDatasetPathIsNamed()
    {
        var missing = Path.Combine(Dir, "no-such-folder");
        FailsWithOneLine(new[] { "evaluate", "--model", "resnet18", "--data", "folder:" + missing, "--store", Store },
            "Image folder not found", missing);
    }

    [Fact]
    public void HierarchyNamingUnknownClassesIsNamed()
    {
        var classes = IdxDataset.FashionMnistClasses;
        var roots = new Dictionary<string, string[]>
        {
            ["tops"] = classes.Take(5).Append("Jumper").ToArray(),
            ["rest"] = classes.Skip(5).ToArray(),
        };
        var file = Write("hierarchy.json", JsonSerializer.SerializeToUtf8Bytes(new { roots }));
        FailsWithOneLine(new[] { "evaluate", "--model", "resnet18", "--hierarchy", file, "--store", Store }, "Jumper");
    }

    [Fact]
    public void UnreadableImagesInADatasetAreReportedAndSkipped()
    {
        var folder = Folder("ten", IdxDataset.FashionMnistClasses.Select((c, i) => $"{i}-{c.Replace('/', '-')}"), perClass: 2);
        File.WriteAllBytes(Path.Combine(folder, "0-T-shirt-top", "empty.png"), Array.Empty<byte>());
        var png = Png(28, 28);
        File.WriteAllBytes(Path.Combine(folder, "3-Dress", "cut.png"), png[..(png.Length / 2)]);
        var output = Succeeds("evaluate", "--model", "resnet18", "--data", "folder:" + folder, "--store", Store, "--json");
        var json = JsonDocument.Parse(output).RootElement;
        Assert.Equal(20, json.GetProperty("readable").GetInt32());
        Assert.Equal(2, json.GetProperty("unreadable").GetInt32());

        var text = Succeeds("evaluate", "--model", "resnet18", "--data", "folder:" + folder, "--store", Store);
        Assert.Contains("2 unreadable", text);
        Assert.Contains("empty.png", text);
        Assert.Contains("the file is empty", text);
        Assert.Contains("cut.png", text);
    }
}
