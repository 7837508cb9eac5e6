using Cnnc.Engine.Data;
using Cnnc.Engine.IO;
using Cnnc.Engine.Runtime;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Cnnc.Engine.Tests.Data;

/// <summary>Reference outputs of torchvision 0.14 transforms, computed once per test class.</summary>
public sealed class TorchvisionTransformsFixture : IDisposable
{
    private readonly TempDir _dir = new();

    public TorchvisionTransformsFixture()
    {
        const string script = """
            import sys
            import numpy as np
            from PIL import Image
            import torchvision.transforms as T
            import torchvision.transforms.functional as F
            out = sys.argv[1]
            rng = np.random.default_rng(7)
            H, W = 301, 402   # odd sizes: resize gives 256x341, crop offsets round half to even (58.5 -> 58)
            yy, xx = np.mgrid[0:H, 0:W]
            img = np.stack([xx * 255.0 / (W - 1), yy * 255.0 / (H - 1), ((xx + yy) % 64) * 4.0], -1)
            img += rng.normal(0, 20, img.shape)
            img[100:150, 200:260] = [255, 0, 0]
            img[:, 300:302] = 0
            Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(f"{out}/input.png")
            pil = Image.open(f"{out}/input.png").convert("RGB")
            norm = T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
            np.save(f"{out}/pil_full.npy", T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(), norm])(pil).numpy())
            t = T.ToTensor()(pil)
            np.save(f"{out}/crop_norm.npy", norm(T.CenterCrop(224)(t)).numpy())
            np.save(f"{out}/tensor_full.npy", norm(T.CenterCrop(224)(F.resize(t, 256, antialias=True))).numpy())
            small = t[:, :50, :71].contiguous()
            np.save(f"{out}/small.npy", small.numpy())
            np.save(f"{out}/pad.npy", T.CenterCrop((61, 90))(small).numpy())
            np.save(f"{out}/grey.npy", T.ToTensor()(T.Grayscale()(pil)).numpy())
            """;
        Py.Run(script, $"\"{_dir.Path}\"");
    }

    public string File(string name) => _dir.Combine(name);

    public void Dispose() => _dir.Dispose();
}

public sealed class PreprocessingTests : IClassFixture<TorchvisionTransformsFixture>
{
    private readonly TorchvisionTransformsFixture _reference;
    private readonly ITestOutputHelper _output;

    public PreprocessingTests(TorchvisionTransformsFixture reference, ITestOutputHelper output)
    {
        TorchRuntime.Initialize();
        _reference = reference;
        _output = output;
    }

    private static float MaxAbs(Tensor a, Tensor b)
    {
        Assert.Equal(b.shape, a.shape);
        using var d = (a - b).abs().max();
        return d.item<float>();
    }

    [Fact]
    public void CropAndNormaliseMatchTorchvisionExactly()
    {
        using var image = ImageDecoder.DecodeTensor(_reference.File("input.png"));
        Assert.Equal(new long[] { 3, 301, 402 }, image.shape);
        var cropOnly = Preprocessing.ImageNet with { ResizeShorterSide = null };
        using var ours = cropOnly.Apply(image);
        using var expected = Npy.Read(_reference.File("crop_norm.npy"));
        Assert.True(MaxAbs(ours, expected) < 1e-5f);
    }

    [Fact]
    public void ResizeMatchesTorchvisionTensorResize()
    {
        // Same algorithm (libtorch's antialiased bilinear), libtorch 2.10 here vs 1.13 in Python. A float64 image is not
        // an 8-bit one, so it takes the float path.
        using var image = ImageDecoder.DecodeTensor(_reference.File("input.png")).to_type(ScalarType.Float64);
        using var ours = Preprocessing.ImageNet.Apply(image).to_type(ScalarType.Float32);
        using var expected = Npy.Read(_reference.File("tensor_full.npy"));
        var diff = MaxAbs(ours, expected);
        _output.WriteLine($"tensor resize: max |diff| = {diff} (normalised units)");
        Assert.True(diff < 1e-4f, $"max diff {diff}");
    }

    [Fact]
    public void ResizeEqualsTorchvisionPilPipeline()
    {
        // An 8-bit image is resized as PIL resizes it (fixed point, 8-bit rounding): torchvision's PIL pipeline exactly.
        using var image = ImageDecoder.DecodeTensor(_reference.File("input.png"));
        using var ours = Preprocessing.ImageNet.Apply(image);
        using var expected = Npy.Read(_reference.File("pil_full.npy"));
        var max = MaxAbs(ours, expected);
        _output.WriteLine($"PIL pipeline: max |diff| = {max:G3} (normalised units)");
        Assert.True(max <= 1e-6f, $"max {max}");
    }

    [Fact]
    public void CropLargerThanTheImagePadsLikeTorchvision()
    {
        using var small = Npy.Read(_reference.File("small.npy"));
        using var expected = Npy.Read(_reference.File("pad.npy"));
        using var ours = new Preprocessing { CenterCrop = (61, 90) }.Apply(small);
        Assert.Equal(0f, MaxAbs(ours, expected));
    }

    [Fact]
    public void ChannelConversion()
    {
        using var image = ImageDecoder.DecodeTensor(_reference.File("input.png"));
        using var grey = new Preprocessing { Channels = 1 }.Apply(image);
        using var expected = Npy.Read(_reference.File("grey.npy"));
        // PIL rounds to 8 bits with 16.16 fixed-point weights (19595, 38470, 7471) / 65536: within 0.5/255 + 0.0015/255.
        var greyDiff = MaxAbs(grey, expected) * 255;
        _output.WriteLine($"grey: max |diff| = {greyDiff:F4}/255");
        Assert.True(greyDiff <= 0.5015f, $"{greyDiff}/255");

        using var rgb = new Preprocessing { Channels = 3 }.Apply(grey);
        Assert.Equal(new long[] { 3, 301, 402 }, rgb.shape);
        Assert.True(rgb[0].allclose(grey[0], rtol: 0, atol: 0) && rgb[2].allclose(grey[0], rtol: 0, atol: 0));
        rgb[0, 0, 0] = 5f; // a real copy, not a broadcast view
        Assert.NotEqual(5f, rgb[1, 0, 0].item<float>());
    }

    [Fact]
    public void FashionMnistPresetOnRealData()
    {
        var data = IdxDataset.FashionMnist();
        using var image = data.Load(0);
        using var x = Preprocessing.FashionMnist.Apply(image);
        Assert.Equal(new long[] { 1, 28, 28 }, x.shape);
        var p = data.Pixels(0)[14 * 28 + 10];
        Assert.Equal((p / 255f - 0.2860f) / 0.3530f, x[0, 14, 10].item<float>(), 5);
        using var back = Preprocessing.FashionMnist.Denormalize(x);
        Assert.True(MaxAbs(back, image) < 1e-6f);

        // An RGB folder image through the Fashion-MNIST preset: grey, exactly 28×28.
        using var rgb = ones(3, 40, 50);
        using var y = Preprocessing.FashionMnist.Apply(rgb);
        Assert.Equal(new long[] { 1, 28, 28 }, y.shape);
        Assert.Equal((1f - 0.2860f) / 0.3530f, y[0, 5, 5].item<float>(), 4);
    }

    [Fact]
    public void StackBatchesImagesOfDifferentSizes()
    {
        using var a = rand(3, 300, 400);
        using var b = rand(1, 224, 224);
        using var c = rand(3, 500, 260);
        using var batch = Preprocessing.ImageNet.Stack(new[] { a, b, c });
        Assert.Equal(new long[] { 3, 3, 224, 224 }, batch.shape);
        using var single = Preprocessing.ImageNet.Apply(c);
        Assert.True(batch[2].allclose(single));
        Assert.Equal((3, 224, 224), Preprocessing.ImageNet.OutputShape(1, 375, 500));
        Assert.Equal((3, 256, 341), (Preprocessing.ImageNet with { CenterCrop = null }).OutputShape(3, 301, 402));

        var noCrop = new Preprocessing { ResizeShorterSide = 32 };
        Assert.Throws<ArgumentException>(() => noCrop.Stack(new[] { a, c }));
        Assert.Throws<ArgumentException>(() => Preprocessing.ImageNet.Stack(Array.Empty<Tensor>()));

        var data = IdxDataset.FashionMnist();
        using var fm = Preprocessing.FashionMnist.Stack(data, new[] { 3, 1, 4 });
        Assert.Equal(new long[] { 3, 1, 28, 28 }, fm.shape);
    }

    [Fact]
    public void RecordSemanticsAndValidation()
    {
        Assert.Equal(Preprocessing.ImageNet, Preprocessing.ImageNet with { });
        Assert.Equal(Preprocessing.ImageNet, new Preprocessing
        {
            ResizeShorterSide = 256, CenterCrop = (224, 224), Channels = 3,
            Mean = new[] { 0.485f, 0.456f, 0.406f }, Std = new[] { 0.229f, 0.224f, 0.225f },
        });
        Assert.NotEqual(Preprocessing.ImageNet, Preprocessing.ImageNet with { Mean = new[] { 0.5f, 0.5f, 0.5f } });
        Assert.Equal("resize256-crop224x224-c3-mean0.485,0.456,0.406-std0.229,0.224,0.225-aa", Preprocessing.ImageNet.Key);
        Assert.Equal("resize28x28-c1-mean0.286-std0.353-aa", Preprocessing.FashionMnist.Key);

        using var image = rand(3, 10, 10);
        Assert.Throws<ArgumentException>(() => (Preprocessing.ImageNet with { ResizeExact = (5, 5) }).Apply(image));
        Assert.Throws<ArgumentException>(() => (Preprocessing.ImageNet with { Std = new[] { 1f } }).Apply(image));
        using var bytes = zeros(3, 10, 10, ScalarType.Byte);
        Assert.Throws<ArgumentException>(() => Preprocessing.ImageNet.Apply(bytes));
        using var twoChannels = rand(2, 10, 10);
        Assert.Throws<ArgumentException>(() => Preprocessing.ImageNet.Apply(twoChannels));
    }
}
