using Cnnc.Engine.Data;
using Cnnc.Engine.IO;
using Cnnc.Engine.Runtime;
using Cnnc.Engine.Tests.Support;
using TorchSharp;
using Xunit.Abstractions;

namespace Cnnc.Engine.Tests.Photographs;

/// <summary>
/// The model input CNNC builds from a real photograph equals <c>weights.transforms()(PIL.Image.open(f).convert("RGB"))</c>
/// within 1e-6, for a bilinear preset (resnet50 IMAGENET1K_V2: 232 / 224) and a bicubic one (vit_b_16
/// IMAGENET1K_SWAG_E2E_V1: 384 / 384).
/// </summary>
public sealed class PhotographPreprocessingTests
{
    private readonly ITestOutputHelper _output;

    public PhotographPreprocessingTests(ITestOutputHelper output)
    {
        _output = output;
        TorchRuntime.Initialize();
    }

    public static IEnumerable<object[]> CasesAndPresets() =>
        PhotographFixtures.Cases.SelectMany(c => new[] { "resnet50_v2", "vit_b_16_swag" }.Select(p => new object[] { c.Name, p }));

    internal static Preprocessing PresetOf(string key)
    {
        var p = PhotographFixtures.Preset(key);
        return Preprocessing.ImageNet with
        {
            ResizeShorterSide = p.Resize,
            CenterCrop = (p.Crop, p.Crop),
            Interpolation = p.Interpolation == "bicubic" ? ResizeInterpolation.Bicubic : ResizeInterpolation.Bilinear,
        };
    }

    [Theory]
    [MemberData(nameof(CasesAndPresets))]
    public void InputTensorEqualsTorchvisionTransforms(string name, string preset)
    {
        var c = PhotographFixtures.Case(name);
        var preprocessing = PresetOf(preset);
        using var expected = Npy.Read(PhotographFixtures.Tensor(c, preset));
        using var actual = preprocessing.Apply(ImageDecoder.Decode(PhotographFixtures.PathOf(c)));
        Assert.Equal(expected.shape, actual.shape);
        var max = (actual - expected).abs().max().item<float>();
        _output.WriteLine($"{name} {preset} max |diff| {max:G3}");
        Assert.True(max <= 1e-6f, $"{name} / {preset}: max |diff| {max:G3}");
    }

    [Fact]
    public void TensorInputOfEightBitValuesTakesTheSameExactPath()
    {
        var c = PhotographFixtures.Case("chelsea_q85_444");
        var preprocessing = PresetOf("vit_b_16_swag");
        using var expected = Npy.Read(PhotographFixtures.Tensor(c, "vit_b_16_swag"));
        using var raw = ImageDecoder.DecodeTensor(PhotographFixtures.PathOf(c));
        using var actual = preprocessing.Apply(raw);
        Assert.True((actual - expected).abs().max().item<float>() <= 1e-6f);
    }

    [Fact]
    public void BicubicAndBilinearDiffer()
    {
        // The interpolation really changes the result (the test above would pass trivially if both presets were one).
        var image = ImageDecoder.Decode(PhotographFixtures.PathOf(PhotographFixtures.Case("coffee_q30_420")));
        var bilinear = PresetOf("resnet50_v2") with { ResizeShorterSide = 300, CenterCrop = (256, 256) };
        using var a = bilinear.Apply(image);
        using var b = (bilinear with { Interpolation = ResizeInterpolation.Bicubic }).Apply(image);
        Assert.True((a - b).abs().max().item<float>() > 0.05f);
        Assert.NotEqual(bilinear.Key, (bilinear with { Interpolation = ResizeInterpolation.Bicubic }).Key);
    }
}
