using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Cnnc.Engine.Data;
using Cnnc.Engine.Runtime;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;

namespace Cnnc.Engine.Tests.Data;

public sealed class ImageNetValDatasetTests : IDisposable
{
    private readonly TempDir _dir = new();

    public ImageNetValDatasetTests() => TorchRuntime.Initialize();

    public void Dispose() => _dir.Dispose();

    /// <summary>Image number → wnid of the fake validation images the tests write.</summary>
    private static readonly (int Number, string Wnid)[] Truth =
    {
        (1, "n01440764"), (2, "n04285008"), (3, "n15075141"), (4, "n09421951"), (5, "n02085620"), (6, "n07697537"),
    };

    private static readonly string[] Sorted = ImageNetClasses.Wnids.ToArray();

    /// <summary>A fake ILSVRC2012_ID order: the sorted wnids reversed (ID 1 = last wnid).</summary>
    private static int IlsvrcId(string wnid) => Sorted.Length - Array.IndexOf(Sorted, wnid);

    private string WriteImages(string folder = "val")
    {
        for (var i = 0; i < Truth.Length; i++)
        {
            using var image = new Image<Rgb24>(20 + i, 16, new Rgb24((byte)(40 * i), 100, 200));
            using var ms = new MemoryStream();
            image.Save(ms, new JpegEncoder { Quality = 90 });
            _dir.File($"{folder}/ILSVRC2012_val_{Truth[i].Number:D8}.JPEG", ms.ToArray());
        }
        _dir.Text($"{folder}/README.txt", "not part of the dataset");
        return _dir.Combine(folder);
    }

    private void WriteLoc(string where = "")
    {
        var mapping = new StringBuilder();
        for (var i = 0; i < Sorted.Length; i++) mapping.Append(Sorted[i]).Append(' ').Append(ImageNetClasses.Words[i]).Append('\n');
        _dir.Text(Path.Combine(where, "LOC_synset_mapping.txt"), mapping.ToString());
        var rows = new StringBuilder("ImageId,PredictionString\n");
        foreach (var (number, wnid) in Truth.Reverse().Append((7, "n01443537")))
            rows.Append($"ILSVRC2012_val_{number:D8},{wnid} 10 20 30 40 {wnid} 1 2 3 4 \n");
        _dir.Text(Path.Combine(where, "LOC_val_solution.csv"), rows.ToString());
    }

    private void WriteGroundTruth(string where)
    {
        var lines = Enumerable.Range(1, 10).Select(n => Truth.FirstOrDefault(t => t.Number == n) is { Wnid: { } w } ? IlsvrcId(w) : 1);
        _dir.Text(Path.Combine(where, "ILSVRC2012_validation_ground_truth.txt"), string.Join("\n", lines) + "\n");
    }

    private static void AssertExpectedLabels(ImageNetValDataset data)
    {
        Assert.Equal(6, data.Count);
        Assert.Equal(Sorted, data.Classes);
        Assert.Equal(Truth.Select(t => $"ILSVRC2012_val_{t.Number:D8}.JPEG"), Enumerable.Range(0, data.Count).Select(data.Describe));
        Assert.Equal(new[] { 0, 817, 999, 977, 151, 934 }, data.Labels());
        Assert.Equal(new[] { "tench", "sports car", "toilet tissue", "sandbar", "Chihuahua", "hotdog" }, data.Labels().Select(l => data.ClassNames[l]));
        Assert.Equal(new[] { "animal", "artifact", "misc", "natural object", "animal", "misc" }, data.Labels().Select(data.Hierarchy.RootNameOf));
    }

    [Fact]
    public void KaggleLocLayout()
    {
        // Kaggle's imagenet-object-localization-challenge: LOC files four levels above the images.
        var images = WriteImages("ILSVRC/Data/CLS-LOC/val");
        WriteLoc();
        var data = new ImageNetValDataset(images);
        Assert.Equal(ImageNetValLayout.Loc, data.Layout);
        AssertExpectedLabels(data);
        Assert.Equal(ClassHierarchy.ImageNet1k.Roots, data.Hierarchy.Roots);
        Assert.Equal(ClassHierarchy.ImageNet1k.RootIndices, data.Hierarchy.RootIndices);
        Assert.Equal(3, data.Channels);
        using var image = data.Load(1);
        Assert.Equal(new long[] { 3, 16, 21 }, image.shape);
        Assert.Equal(200 / 255f, image[2, 8, 10].item<float>(), 1);
        Assert.Matches("^sha256:[0-9a-f]{64}$", data.Fingerprint);
    }

    [Fact]
    public void DevkitLayoutWithTextSynsetList()
    {
        var images = WriteImages();
        var byId = Sorted.Reverse().Select(w => $"{w} {ImageNetClasses.Words[Array.IndexOf(Sorted, w)]}");
        _dir.Text("ILSVRC2012_devkit_t12/data/ILSVRC2012_synsets.txt", string.Join("\n", byId) + "\n");
        WriteGroundTruth("ILSVRC2012_devkit_t12/data");
        var data = new ImageNetValDataset(images);
        Assert.Equal(ImageNetValLayout.Devkit, data.Layout);
        AssertExpectedLabels(data);

        // Same images, same labels: the same fingerprint as the LOC layout.
        WriteLoc();
        var loc = new ImageNetValDataset(images);
        Assert.Equal(ImageNetValLayout.Loc, loc.Layout);
        Assert.Equal(loc.Fingerprint, data.Fingerprint);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DevkitLayoutWithMetaMat(bool compressed)
    {
        var images = WriteImages();
        var synsets = Sorted.Select((w, i) => (Id: (double)IlsvrcId(w), Wnid: w, Words: ImageNetClasses.Words[i], Children: 0.0))
            .Append((Id: 1001.0, Wnid: "n00015388", Words: "animal, animate being, beast, brute, creature, fauna", Children: 12.0))
            .Append((Id: 1002.0, Wnid: "n00021939", Words: "artifact, artefact", Children: 30.0))
            .OrderBy(s => s.Wnid == "n00015388" ? "" : s.Wnid, StringComparer.Ordinal) // an internal node first
            .ToList();
        _dir.File("ILSVRC2012_devkit_t12/data/meta.mat", MatWriter.Synsets(synsets, compressed));
        WriteGroundTruth("ILSVRC2012_devkit_t12/data");
        var data = new ImageNetValDataset(images);
        Assert.Equal(ImageNetValLayout.Devkit, data.Layout);
        Assert.EndsWith("meta.mat", data.Files.SynsetList);
        AssertExpectedLabels(data);
    }

    [Fact]
    public void SmallClassSetUsesWordNet()
    {
        var images = WriteImages();
        _dir.Text("mapping.txt", "n07697537 hotdog, hot dog, red hot\nn02084071 dog, domestic dog, Canis familiaris\nn04285008 sports car, sport car\n");
        _dir.Text("solution.csv", "ImageId,PredictionString\n" + string.Join("\n",
            Truth.Select((t, i) => $"ILSVRC2012_val_{t.Number:D8},{new[] { "n02084071", "n04285008", "n07697537" }[i % 3]} 1 2 3 4")));
        var data = new ImageNetValDataset(images, new ImageNetValFiles(LocSolution: _dir.Combine("solution.csv"), SynsetMapping: _dir.Combine("mapping.txt")));
        Assert.Equal(new[] { "n02084071", "n04285008", "n07697537" }, data.Classes);
        Assert.Equal(new[] { "dog", "sports car", "hotdog" }, data.ClassNames);
        Assert.Equal(new[] { "animal", "artifact", "misc" }, data.Hierarchy.Roots);
        Assert.Equal(new[] { 0, 1, 2, 0, 1, 2 }, data.Labels());
    }

    [Fact]
    public void MissingLabelsAreClearErrors()
    {
        var images = WriteImages();
        var ex = Assert.Throws<DatasetFormatException>(() => new ImageNetValDataset(images));
        Assert.Contains("LOC_val_solution.csv", ex.Message);
        Assert.Contains("ILSVRC2012_validation_ground_truth.txt", ex.Message);
        Assert.Contains("meta.mat", ex.Message);

        WriteLoc();
        File.WriteAllText(_dir.Combine("LOC_val_solution.csv"), "ImageId,PredictionString\nILSVRC2012_val_00000001,n01440764 1 2 3 4\n");
        ex = Assert.Throws<DatasetFormatException>(() => new ImageNetValDataset(images));
        Assert.Contains("ILSVRC2012_val_00000002.JPEG has no row", ex.Message);

        File.WriteAllText(_dir.Combine("LOC_val_solution.csv"), "ImageId,PredictionString\nILSVRC2012_val_00000001,n99999999 1 2 3 4\n");
        ex = Assert.Throws<DatasetFormatException>(() => new ImageNetValDataset(images));
        Assert.Contains("LOC_val_solution.csv:2", ex.Message);
        Assert.Contains("n99999999", ex.Message);

        var empty = Directory.CreateDirectory(_dir.Combine("empty")).FullName;
        File.WriteAllText(_dir.Combine("LOC_val_solution.csv"), "ImageId,PredictionString\n");
        Assert.Contains("no ILSVRC2012_val_", Assert.Throws<DatasetFormatException>(() => new ImageNetValDataset(empty)).Message);
    }
}

/// <summary>Writes a MATLAB level-5 MAT-file holding a devkit-like <c>synsets</c> struct array (N×1).</summary>
internal static class MatWriter
{
    private const int MiInt8 = 1, MiUInt8 = 2, MiUInt16 = 4, MiInt32 = 5, MiUInt32 = 6, MiDouble = 9, MiMatrix = 14, MiCompressed = 15;

    public static byte[] Synsets(IReadOnlyList<(double Id, string Wnid, string Words, double Children)> synsets, bool compressed)
    {
        string[] fields = { "ILSVRC2012_ID", "WNID", "words", "gloss", "num_children", "children" };
        var body = new MemoryStream();
        Element(body, MiUInt32, Flags(2));
        Element(body, MiInt32, Int32s(synsets.Count, 1));
        Element(body, MiInt8, Encoding.ASCII.GetBytes("synsets"));
        Small(body, MiInt32, Int32s(32));
        var names = new byte[32 * fields.Length];
        for (var f = 0; f < fields.Length; f++) Encoding.ASCII.GetBytes(fields[f], names.AsSpan(32 * f));
        Element(body, MiInt8, names);
        foreach (var s in synsets)
        {
            Element(body, MiMatrix, Number(s.Id, compact: true));
            Element(body, MiMatrix, Text(s.Wnid));
            Element(body, MiMatrix, Text(s.Words));
            Element(body, MiMatrix, Text("")); // empty char array
            Element(body, MiMatrix, Number(s.Children, compact: false));
            Element(body, MiMatrix, s.Children > 0 ? Number(1, compact: false) : EmptyDouble());
        }
        var matrix = new MemoryStream();
        Element(matrix, MiMatrix, body.ToArray());

        var file = new MemoryStream();
        var header = Encoding.ASCII.GetBytes("MATLAB 5.0 MAT-file, Platform: GLNXA64, Created by: Cnnc tests".PadRight(116));
        file.Write(header);
        file.Write(new byte[8]);
        file.Write(new byte[] { 0x00, 0x01, (byte)'I', (byte)'M' });
        if (compressed)
        {
            var z = new MemoryStream();
            using (var zlib = new ZLibStream(z, CompressionLevel.Optimal, leaveOpen: true)) zlib.Write(matrix.ToArray());
            var data = z.ToArray();
            file.Write(Int32s(MiCompressed, data.Length));
            file.Write(data); // compressed elements are not padded
        }
        else file.Write(matrix.ToArray());
        return file.ToArray();
    }

    private static byte[] Number(double value, bool compact)
    {
        var m = new MemoryStream();
        Element(m, MiUInt32, Flags(6));
        Element(m, MiInt32, Int32s(1, 1));
        Element(m, MiInt8, Array.Empty<byte>());
        if (compact) Small(m, MiUInt16, BitConverter.GetBytes((ushort)value)); // MATLAB stores integral doubles compactly
        else Element(m, MiDouble, BitConverter.GetBytes(value));
        return m.ToArray();
    }

    private static byte[] EmptyDouble()
    {
        var m = new MemoryStream();
        Element(m, MiUInt32, Flags(6));
        Element(m, MiInt32, Int32s(0, 0));
        Element(m, MiInt8, Array.Empty<byte>());
        Element(m, MiDouble, Array.Empty<byte>());
        return m.ToArray();
    }

    private static byte[] Text(string text)
    {
        var m = new MemoryStream();
        Element(m, MiUInt32, Flags(4));
        Element(m, MiInt32, Int32s(text.Length == 0 ? 0 : 1, text.Length));
        Element(m, MiInt8, Array.Empty<byte>());
        if (text.Length > 0) Element(m, MiUInt16, Encoding.Unicode.GetBytes(text));
        return m.ToArray();
    }

    private static byte[] Flags(int mxClass) => Int32s(mxClass, 0);

    private static byte[] Int32s(params int[] values)
    {
        var bytes = new byte[4 * values.Length];
        for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4 * i), values[i]);
        return bytes;
    }

    private static void Element(Stream s, int type, byte[] data)
    {
        s.Write(Int32s(type, data.Length));
        s.Write(data);
        s.Write(new byte[(8 - data.Length % 8) % 8]);
    }

    private static void Small(Stream s, int type, byte[] data)
    {
        s.Write(Int32s((data.Length << 16) | type));
        var padded = new byte[4];
        data.CopyTo(padded, 0);
        s.Write(padded);
    }
}
