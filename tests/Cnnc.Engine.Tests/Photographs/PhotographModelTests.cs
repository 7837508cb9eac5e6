using Cnnc.Engine.Data;
using Cnnc.Engine.IO;
using Cnnc.Engine.Models;
using Cnnc.Engine.Runtime;
using Cnnc.Engine.Tests.Support;
using Cnnc.Engine.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Tests.Photographs;

/// <summary>
/// From JPEG/PNG file to prediction: resnet50 (random-init, BN-calibrated weights as in torchvision_parity.py) on
/// CNNC's own decoding and preprocessing of every photograph gives PyTorch's top-5 on torchvision's input.
/// </summary>
public sealed class PhotographModelTests
{
    public PhotographModelTests() => TorchRuntime.Initialize();

    [Fact]
    public void Resnet50TopFiveEqualsPyTorch()
    {
        var cases = PhotographFixtures.Cases;
        var preprocessing = PhotographPreprocessingTests.PresetOf("resnet50_v2");
        using var scope = NewDisposeScope();
        using var model = ArchitectureCatalog.Create("resnet50");
        WeightsLoader.Load(model, Path.Combine(PhotographFixtures.Directory, "resnet50.pth"));
        model.eval();
        var expected = Npy.Read(Path.Combine(PhotographFixtures.Directory, "resnet50.logits.npy"));
        Assert.Equal(cases.Count, (int)expected.shape[0]);
        using var inference = inference_mode();
        for (var start = 0; start < cases.Count; start += 8)
        {
            var batch = stack(cases.Skip(start).Take(8).Select(c => preprocessing.Apply(ImageDecoder.Decode(PhotographFixtures.PathOf(c)))).ToArray());
            var logits = model.call(batch);
            for (var i = 0; i < batch.shape[0]; i++)
            {
                var theirs = expected[start + i];
                var ours = logits[i];
                var top5Theirs = theirs.topk(5).indexes.data<long>().ToArray();
                var top5Ours = ours.topk(5).indexes.data<long>().ToArray();
                Assert.True(top5Theirs.SequenceEqual(top5Ours),
                    $"{cases[start + i].Name}: top-5 {string.Join(",", top5Ours)} vs PyTorch {string.Join(",", top5Theirs)}");
                var scale = theirs.abs().max().item<float>();
                Assert.True((ours - theirs).abs().max().item<float>() <= 1e-3f * Math.Max(1f, scale), cases[start + i].Name);
            }
        }
    }
}
