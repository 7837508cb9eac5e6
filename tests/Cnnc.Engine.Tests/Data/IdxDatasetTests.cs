using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using Cnnc.Engine.Data;
using Cnnc.Engine.Runtime;

namespace Cnnc.Engine.Tests.Data;

/// <summary>Opens the real Fashion-MNIST files once for all tests of the class.</summary>
public sealed class FashionMnistFixture
{
    public FashionMnistFixture()
    {
        TorchRuntime.Initialize();
        Train = IdxDataset.FashionMnist(DatasetSplit.Train);
        Test = IdxDataset.FashionMnist();
    }

    public IdxDataset Train { get; }

    public IdxDataset Test { get; }
}

public sealed class IdxDatasetTests : IClassFixture<FashionMnistFixture>, IDisposable
{
    private readonly FashionMnistFixture _data;
    private readonly TempDir _dir = new();

    public IdxDatasetTests(FashionMnistFixture data)
    {
        TorchRuntime.Initialize();
        _data = data;
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void RealFashionMnistHasTheDocumentedCountsAndClasses()
    {
        Assert.Equal(60000, _data.Train.Count);
        Assert.Equal(10000, _data.Test.Count);
        Assert.Equal((28, 28, 1), (_data.Test.Height, _data.Test.Width, _data.Test.Channels));
        Assert.Equal(Enumerable.Repeat(6000, 10), _data.Train.LabelHistogram());
        Assert.Equal(Enumerable.Repeat(1000, 10), _data.Test.LabelHistogram());
        Assert.Equal(new[] { "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot" }, _data.Test.Classes);
        Assert.Same(ClassHierarchy.FashionMnist, _data.Test.Hierarchy);
        Assert.Equal("Fashion-MNIST (test)", _data.Test.Name);
        Assert.Equal("test[17]", _data.Test.Describe(17));
        Assert.Equal("train[0]", _data.Train.Describe(0));
        Assert.EndsWith("t10k-images-idx3-ubyte.gz", _data.Test.ImagesPath);
        // Well-known first items: test[0] is an ankle boot, train[0] an ankle boot, train[1] a T-shirt/top.
        Assert.Equal(9, _data.Test.Label(0));
        Assert.Equal(9, _data.Train.Label(0));
        Assert.Equal(0, _data.Train.Label(1));
    }

    [Fact]
    public void PixelsAgreeWithAnIndependentNumpyRead()
    {
        const string script = """
            import gzip, sys
            import numpy as np
            root = sys.argv[1]
            def images(name):
                with gzip.open(f"{root}/{name}-images-idx3-ubyte.gz") as f:
                    return np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
            def labels(name):
                with gzip.open(f"{root}/{name}-labels-idx1-ubyte.gz") as f:
                    return np.frombuffer(f.read(), np.uint8, offset=8)
            test, train = images("t10k"), images("train")
            print(int(labels("t10k")[17]), int(test[17].sum()), int(test[17, 14, 14]), " ".join(str(v) for v in test[17, 14]))
            print(int(labels("train")[59999]), int(train[59999].sum()), int(train[59999, 10, 20]))
            x = train.astype(np.float64) / 255.0
            print("%.6f %.6f" % (x.mean(), x.std()))
            """;
        var lines = Py.Run(script, $"\"{IdxDataset.FashionMnistDefaultRoot}\"").Split('\n');
        var first = lines[0].Split(' ').Select(int.Parse).ToArray();
        var test = _data.Test;
        Assert.Equal(first[0], test.Label(17));
        Assert.Equal(first[1], test.Pixels(17).ToArray().Sum(b => b));
        Assert.Equal(first[2], test.Pixels(17)[14 * 28 + 14]);
        Assert.Equal(first[3..], test.Pixels(17).Slice(14 * 28, 28).ToArray().Select(b => (int)b));
        using (var image = test.Load(17))
        {
            Assert.Equal(new long[] { 1, 28, 28 }, image.shape);
            Assert.Equal(first[2] / 255f, image[0, 14, 14].item<float>(), 6);
        }

        var second = lines[1].Split(' ').Select(int.Parse).ToArray();
        var train = _data.Train;
        Assert.Equal(second[0], train.Label(59999));
        Assert.Equal(second[1], train.Pixels(59999).ToArray().Sum(b => b));
        Assert.Equal(second[2], train.Pixels(59999)[10 * 28 + 20]);

        var stats = lines[2].Split(' ').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var (mean, std) = PixelStatistics(train);
        Assert.Equal(stats[0], mean, 5);
        Assert.Equal(stats[1], std, 5);
    }

    [Fact]
    public void FashionMnistPresetStatisticsMatchTheTrainingSet()
    {
        var (mean, std) = PixelStatistics(_data.Train);
        Assert.Equal(0.2860, Math.Round(mean, 4));
        Assert.Equal(0.3530, Math.Round(std, 4));
        Assert.Equal(new[] { 0.2860f }, Preprocessing.FashionMnist.Mean);
        Assert.Equal(new[] { 0.3530f }, Preprocessing.FashionMnist.Std);
    }

    [Fact]
    public void LoadBatchStacksConsecutiveItems()
    {
        using var batch = _data.Test.LoadBatch(100, 8);
        Assert.Equal(new long[] { 8, 1, 28, 28 }, batch.shape);
        using var single = _data.Test.Load(103);
        Assert.True(batch[3].allclose(single, rtol: 0, atol: 0));
        Assert.True(_data.Test.TryLoad(5, out var image, out var error));
        Assert.Null(error);
        image.Dispose();
        Assert.Throws<ArgumentOutOfRangeException>(() => _data.Test.LoadBatch(9999, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => _data.Test.Label(10000));
    }

    [Fact]
    public void FingerprintIdentifiesTheDataNotTheCompression()
    {
        var train = _data.Train.Fingerprint;
        var test = _data.Test.Fingerprint;
        Assert.Matches("^sha256:[0-9a-f]{64}$", test);
        Assert.NotEqual(train, test);
        // The same files uncompressed, under the alternative name, in torchvision's raw/ folder.
        foreach (var (source, target) in new[] { ("t10k-images-idx3-ubyte.gz", "raw/t10k-images.idx3-ubyte"), ("t10k-labels-idx1-ubyte.gz", "raw/t10k-labels.idx1-ubyte") })
            _dir.File(target, Gunzip(Path.Combine(IdxDataset.FashionMnistDefaultRoot, source)));
        var copy = IdxDataset.FashionMnist(DatasetSplit.Test, _dir.Path);
        Assert.EndsWith("t10k-images.idx3-ubyte", copy.ImagesPath);
        Assert.Equal(test, copy.Fingerprint);
        Assert.Equal(test, IdxDataset.FashionMnist().Fingerprint);
    }

    [Fact]
    public void MalformedFilesAreReportedWithTheirPath()
    {
        var images = _dir.File("i", Idx(0x803, new[] { 3, 2, 2 }, new byte[12]));
        var labels = _dir.File("l", Idx(0x801, new[] { 3 }, new byte[] { 0, 1, 2 }));
        var ok = new IdxDataset(images, labels, "tiny", new[] { "a", "b", "c" });
        Assert.Equal(3, ok.Count);
        Assert.Equal("item[2]", ok.Describe(2));
        Assert.Equal(new[] { "all" }, ok.Hierarchy.Roots);

        var badMagic = _dir.File("bad", Idx(0x801, new[] { 3 }, new byte[] { 0, 1, 2 }));
        var ex = Assert.Throws<DatasetFormatException>(() => new IdxDataset(badMagic, labels, "x", new[] { "a", "b", "c" }));
        Assert.Contains(badMagic, ex.Message);
        Assert.Contains("0x00000801", ex.Message);

        var twoLabels = _dir.File("l2", Idx(0x801, new[] { 2 }, new byte[] { 0, 1 }));
        ex = Assert.Throws<DatasetFormatException>(() => new IdxDataset(images, twoLabels, "x", new[] { "a", "b", "c" }));
        Assert.Contains("3 images", ex.Message);
        Assert.Contains("2 labels", ex.Message);

        var truncated = _dir.File("cut", Idx(0x803, new[] { 3, 2, 2 }, new byte[10]));
        ex = Assert.Throws<DatasetFormatException>(() => new IdxDataset(truncated, labels, "x", new[] { "a", "b", "c" }));
        Assert.Contains("truncated", ex.Message);

        ex = Assert.Throws<DatasetFormatException>(() => new IdxDataset(images, labels, "x", new[] { "a", "b" }));
        Assert.Contains("label 2 of item 2", ex.Message);

        ex = Assert.Throws<DatasetFormatException>(() => IdxDataset.Mnist(_dir.Combine("nowhere")));
        Assert.Contains("t10k-images-idx3-ubyte.gz", ex.Message);
    }

    private static (double Mean, double Std) PixelStatistics(IdxDataset data)
    {
        double sum = 0, sumSquares = 0;
        long n = 0;
        for (var i = 0; i < data.Count; i++)
            foreach (var b in data.Pixels(i))
            {
                var v = b / 255.0;
                sum += v;
                sumSquares += v * v;
                n++;
            }
        var mean = sum / n;
        return (mean, Math.Sqrt(sumSquares / n - mean * mean));
    }

    private static byte[] Idx(int magic, int[] dims, byte[] data)
    {
        var header = new byte[4 + 4 * dims.Length];
        BinaryPrimitives.WriteInt32BigEndian(header, magic);
        for (var i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + 4 * i), dims[i]);
        return header.Concat(data).ToArray();
    }

    private static byte[] Gunzip(string path)
    {
        using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var ms = new MemoryStream();
        gz.CopyTo(ms);
        return ms.ToArray();
    }
}
