using Cnnc.Engine.Explain;
using Cnnc.Engine.IO;
using Cnnc.Engine.Models;
using Cnnc.Engine.Tests.Support;
using Cnnc.Engine.Weights;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Cnnc.Engine.Tests.Explain;

/// <summary>
/// One architecture's explanations at its default layer against tests/fixtures/explain_reference.py (torchvision
/// model, parity-fixture weights): maps within 1e-4, raw maps within 1e-3 of their scale, same target classes.
/// </summary>
internal static class ExplainReferenceChecks
{
    /// <param name="arch">Catalog (and torchvision) name.</param>
    /// <param name="shape">Input shape N,C,H,W; a seeded randn of it is the input unless <paramref name="parityInput"/>.</param>
    /// <param name="method">Explainer name.</param>
    /// <param name="parityInput">Use the parity fixture's input (then <paramref name="shape"/> must be its shape).</param>
    /// <param name="output">Test output.</param>
    public static void MatchesPyTorch(string arch, string shape, string method, bool parityInput, ITestOutputHelper output)
    {
        var (weights, inputPath, _) = PyTorchFixtures.For(arch);
        var layer = ArchitectureCatalog.Get(arch).DefaultTargetLayer;
        var dir = ExplainReference.Folder($"{arch}-{shape.Replace(',', 'x')}", arch, weights, shape, layer,
            "gradcam,gradcam++,layercam,scorecam", inputSource: parityInput ? inputPath : null);
        using var model = ArchitectureCatalog.Create(arch);
        WeightsLoader.Load(model, weights);
        Compare(method, dir, model, layer, grid: null, output);
    }

    /// <summary>
    /// <paramref name="model"/>'s explanations by <paramref name="method"/> at its default layer (which must be
    /// <paramref name="layer"/>) of the reference folder's input, against the folder's maps: the same target classes,
    /// maps within 1e-4, raw maps within 1e-3 of their scale, each reference raw map not constant (a constant map would
    /// match anything after normalisation), and raw maps <paramref name="grid"/>×<paramref name="grid"/> when given.
    /// </summary>
    public static void Compare(string method, string dir, nn.Module<Tensor, Tensor> model, string layer, int? grid, ITestOutputHelper output)
    {
        using var scope = NewDisposeScope();
        model.eval();
        using var input = Npy.Read(Path.Combine(dir, "input.npy"));
        var explanations = ExplainerCatalog.Create(method).ExplainBatch(model, input); // default layer
        Assert.All(explanations, e => Assert.Equal(layer, e.Layer));

        using var expectedMaps = Npy.Read(Path.Combine(dir, method + ".map.npy"));
        using var expectedRaw = Npy.Read(Path.Combine(dir, method + ".raw.npy"));
        using var targets = Npy.Read(Path.Combine(dir, "targets.npy"));
        Assert.Equal(input.shape[0], explanations.Count);
        for (var i = 0; i < explanations.Count; i++)
        {
            var e = explanations[i];
            Assert.Equal(targets[i].item<long>(), e.TargetClass);
            if (grid is { } g) Assert.Equal(new long[] { g, g }, new long[] { e.Raw.Height, e.Raw.Width });
            Assert.True(expectedRaw[i].max().item<float>() > expectedRaw[i].min().item<float>(), $"{method} image {i}: the reference raw map is constant");
            using var map = e.Map.ToTensor();
            using var raw = e.Raw.ToTensor();
            var mapDiff = (map - expectedMaps[i]).abs().max().item<float>();
            var scale = Math.Max(expectedRaw[i].abs().max().item<float>(), 1e-12f);
            var rawDiff = (raw - expectedRaw[i]).abs().max().item<float>() / scale;
            output.WriteLine($"{model.GetName()} {method} image {i}: raw {e.Raw.Height}x{e.Raw.Width}, max |map diff| {mapDiff:E2}, " +
                             $"max |raw diff| / max |raw| {rawDiff:E2}");
            Assert.True(mapDiff <= 1e-4, $"{method} image {i}: map differs by {mapDiff:E3}");
            Assert.True(rawDiff <= 1e-3, $"{method} image {i}: raw map differs by {rawDiff:E3} of its scale");
        }
    }
}
