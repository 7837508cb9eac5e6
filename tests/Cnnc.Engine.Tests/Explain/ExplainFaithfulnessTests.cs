using Cnnc.Engine.Analysis;
using Cnnc.Engine.Explain;
using Cnnc.Engine.IO;
using Cnnc.Engine.Runtime;
using static TorchSharp.torch;

namespace Cnnc.Engine.Tests.Explain;

/// <summary>Deletion / insertion AUC, average drop and increase in confidence, against PyTorch and by their definitions.</summary>
public sealed class ExplainFaithfulnessTests
{
    public ExplainFaithfulnessTests() => TorchRuntime.Initialize();

    [Fact]
    public void CurvesAndConfidenceMatchPyTorch()
    {
        var (model, input, dir) = ExplainReference.SmallNet();
        using (model)
        using (input)
        {
            using var mapsTensor = Npy.Read(Path.Combine(dir, "gradcam.map.npy"));
            using var targetsTensor = Npy.Read(Path.Combine(dir, "targets.npy"));
            var maps = Enumerable.Range(0, 2).Select(i => Map2D.FromTensor(mapsTensor[i])).ToList();
            var targets = targetsTensor.data<long>().ToArray().Select(t => (int)t).ToList();
            var scores = Faithfulness.Evaluate(model, input, maps, targets);
            using var deletion = Npy.Read(Path.Combine(dir, "faithfulness.deletion.npy"));
            using var insertion = Npy.Read(Path.Combine(dir, "faithfulness.insertion.npy"));
            using var yo = Npy.Read(Path.Combine(dir, "faithfulness.yo.npy"));
            for (var i = 0; i < 2; i++)
            {
                var s = scores[i];
                Assert.Equal(101, s.DeletionCurve.Count);
                Assert.Equal(101, s.InsertionCurve.Count);
                for (var t = 0; t <= 100; t++)
                {
                    Assert.Equal(deletion[i, t].item<float>(), s.DeletionCurve[t], 5);
                    Assert.Equal(insertion[i, t].item<float>(), s.InsertionCurve[t], 5);
                }
                Assert.Equal(yo[i, 0].item<float>(), s.Probability, 5);
                Assert.Equal(yo[i, 1].item<float>(), s.MaskedProbability, 5);
                // The curves' ends: nothing deleted = the image; everything inserted = the image.
                Assert.Equal(s.Probability, s.DeletionCurve[0], 5);
                Assert.Equal(s.Probability, s.InsertionCurve[^1], 5);
                Assert.Equal(Faithfulness.Auc(s.DeletionCurve), s.DeletionAuc, 12);
                Assert.Equal(Math.Max(0, s.Probability - s.MaskedProbability) / s.Probability, s.Drop, 6);
                Assert.Equal(s.MaskedProbability > s.Probability, s.Increase);
            }
        }
    }

    [Fact]
    public void DefinitionsOnKnownValues()
    {
        Assert.Equal(0.5, Faithfulness.Auc(new[] { 0f, 0.5f, 1f }), 12);
        Assert.Equal(0.75, Faithfulness.Auc(new[] { 1f, 1f, 0.5f, 0.5f, 1f }), 12); // (1 + 1 + .5 + .5 + 1 − 1) / 4
        var summary = Faithfulness.Summarize(new[]
        {
            new FaithfulnessScore(0, 0.2, 0.6, 0.8f, 0.4f, 0.5, false, new[] { 0f, 0f }, new[] { 0f, 0f }),
            new FaithfulnessScore(1, 0.4, 0.8, 0.5f, 0.6f, 0.0, true, new[] { 0f, 0f }, new[] { 0f, 0f }),
        });
        Assert.Equal(2, summary.Images);
        Assert.Equal(0.3, summary.DeletionAuc, 12);
        Assert.Equal(0.7, summary.InsertionAuc, 12);
        Assert.Equal(25, summary.AverageDrop, 12);
        Assert.Equal(50, summary.IncreaseInConfidence, 12);
    }

    [Fact]
    public void AllOnesMapKeepsConfidenceAndMethodsCanBeScored()
    {
        var (model, input, _) = ExplainReference.SmallNet();
        using (model)
        using (input)
        {
            var ones = Enumerable.Range(0, 2).Select(_ => new Map2D(32, 32, Enumerable.Repeat(1f, 1024).ToArray())).ToList();
            var scores = Faithfulness.Evaluate(model, input, ones, new[] { 0, 1 }, new FaithfulnessOptions { Steps = 4 });
            Assert.All(scores, s => Assert.Equal(0, s.Drop, 6));
            Assert.All(scores, s => Assert.Equal(5, s.DeletionCurve.Count));

            var viaExplainer = Faithfulness.Evaluate(new GradCam(), model, input, layer: "features",
                options: new FaithfulnessOptions { Steps = 10 });
            Assert.Equal(2, viaExplainer.Count);
            var summary = Faithfulness.Summarize(viaExplainer);
            Assert.InRange(summary.DeletionAuc, 0, 1);
            Assert.InRange(summary.InsertionAuc, 0, 1);
            Assert.Throws<ArgumentException>(() => Faithfulness.Evaluate(model, input, ones.Take(1).ToList(), new[] { 0 }));
            Assert.Equal(0, Hooks.Count(model));
        }
    }
}
