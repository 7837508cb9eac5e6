using System.Diagnostics;
using Cnnc.Engine.Analysis;
using Cnnc.Engine.Data;
using Cnnc.Engine.Evaluation;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Cnnc.Engine.Tests.Analysis;

public sealed class DistributionTests : IClassFixture<AnalyticsReference>
{
    private readonly AnalyticsReference _ref;
    private readonly ITestOutputHelper _output;

    public DistributionTests(AnalyticsReference reference, ITestOutputHelper output)
    {
        _ref = reference;
        _output = output;
    }

    [Fact]
    public void Algorithm1MatchesThePapersLoopInNumpy()
    {
        const int m = 120, n = 6;
        manual_seed(3);
        using var logits = randn(m, n) * 2;
        using var probabilities = nn.functional.softmax(logits, 1);
        var random = new Random(5);
        var labels = Enumerable.Range(0, m).Select(i => (long)(i % n)).OrderBy(_ => random.Next()).ToArray();
        var include = Enumerable.Range(0, m).Select(i => i % 17 != 3).ToArray();
        var result = _ref.Run(new
        {
            kind = "alg1", probabilities = Save(probabilities, "p"), labels = _ref.Save("labels", labels),
            include = _ref.Save("include", include), @out = _ref.Out("alg1"),
        });
        var expected = AnalyticsReference.Load(result[0].GetProperty("out").GetString()!);

        var distances = ClassDistances.Compute(probabilities, labels, include);
        Assert.Equal(n, distances.ClassCount);
        for (var i = 0; i < n * n; i++) Assert.Equal(expected[i], distances.Values[i], 12);
        for (var i = 0; i < n; i++)
        {
            Assert.Equal(0, distances[i, i]);
            for (var j = 0; j < n; j++) Assert.Equal(distances[i, j], distances[j, i]);
        }
        Assert.Equal(include.Where((_, i) => labels[i] == 0).Count(x => x), distances.ImagesPerClass[0]);
    }

    [Fact]
    public void Algorithm1HandCheckAndEmptyClass()
    {
        // Class 0: two images with p = (0.5, 0.3, 0.2) and (0.7, 0.1, 0.2); class 1: one image (0.1, 0.8, 0.1); class 2: none.
        using var p = tensor(new float[] { 0.5f, 0.3f, 0.2f, 0.7f, 0.1f, 0.2f, 0.1f, 0.8f, 0.1f }, new long[] { 3, 3 });
        var d = ClassDistances.Compute(p, new long[] { 0, 0, 1 });
        // D[0,1] = mean(1 - 0.3, 1 - 0.1) = 0.8; D[1,0] = 1 - 0.1 = 0.9 → 0.85.
        Assert.Equal(0.85, d[0, 1], 6);
        // D[0,2] = mean(0.8, 0.8) = 0.8; D[2,0] = 1 (empty class) → 0.9.
        Assert.Equal(0.9, d[0, 2], 6);
        Assert.Equal((0.9 + 1) / 2, d[1, 2], 6);
        Assert.Equal(new[] { 2 }, d.EmptyClasses);
    }

    [Fact]
    public void Algorithm1RunsAtImageNetScale()
    {
        const int m = 50_000, n = 1000;
        manual_seed(1);
        using var probabilities = nn.functional.softmax(randn(m, n), 1);
        var labels = Enumerable.Range(0, m).Select(i => (long)(i % n)).ToArray();
        var clock = Stopwatch.StartNew();
        var d = ClassDistances.Compute(probabilities, labels);
        var first = clock.ElapsedMilliseconds;
        clock.Restart();
        d = ClassDistances.Compute(probabilities, labels);
        _output.WriteLine($"Algorithm 1, M = {m}, N = {n}: {first} ms first call, {clock.ElapsedMilliseconds} ms second");
        Assert.Equal(n, d.ClassCount);
        Assert.Empty(d.EmptyClasses); // 50 images per class
    }

    [Fact]
    public void JointProbabilitiesMatchScikitLearn()
    {
        var (distances, n) = Clusters(3, 12, seed: 11);
        var result = _ref.Run(new { kind = "joint", distances = _ref.Save("djoint", distances, n, n), perplexity = 5.0, @out = _ref.Out("pjoint") });
        var expected = AnalyticsReference.Load(result[0].GetProperty("out").GetString()!);
        var actual = Tsne.JointProbabilities(distances, n, 5.0);
        for (var i = 0; i < n * n; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-6 * Math.Max(expected[i], 1e-3), $"P[{i}]: {expected[i]} vs {actual[i]}");
    }

    [Fact]
    public void KlAndGradientMatchScikitLearn()
    {
        var (distances, n) = Clusters(2, 8, seed: 6);
        var p = Tsne.JointProbabilities(distances, n, 4.0);
        var random = new Random(3);
        var layout = Enumerable.Range(0, 2 * n).Select(_ => 3 * (random.NextDouble() - 0.5)).ToArray();
        var result = _ref.Run(new { kind = "kl_gradient", p = _ref.Save("pkl", p, n, n), y = _ref.Save("ykl", layout, n, 2), @out = _ref.Out("gkl") })[0];
        var expected = AnalyticsReference.Load(result.GetProperty("out").GetString()!);
        var x = Enumerable.Range(0, n).Select(i => layout[2 * i]).ToArray();
        var y = Enumerable.Range(0, n).Select(i => layout[2 * i + 1]).ToArray();
        var (kl, gx, gy) = Tsne.KlAndGradient(p, x, y, n);
        Assert.Equal(result.GetProperty("kl").GetDouble(), kl, 10);
        for (var i = 0; i < n; i++)
        {
            Assert.Equal(expected[2 * i], gx[i], 10);
            Assert.Equal(expected[2 * i + 1], gy[i], 10);
        }
    }

    [Fact]
    public void TsneIsDeterministicAndIndependentOfThreads()
    {
        var (distances, n) = Clusters(3, 10, seed: 2);
        var options = new TsneOptions { Iterations = 300, Seed = 42 };
        var a = Tsne.Embed(distances, n, options with { Threads = 1 });
        var b = Tsne.Embed(distances, n, options with { Threads = 2 });
        var c = Tsne.Embed(distances, n, options with { Seed = 43 });
        Assert.Equal(a.X, b.X);
        Assert.Equal(a.Y, b.Y);
        Assert.Equal(a.KlDivergence, b.KlDivergence);
        Assert.NotEqual(a.X, c.X);
    }

    [Fact]
    public void TsneSeparatesClustersAndKlDecreases()
    {
        const int k = 4, per = 15;
        var (distances, n) = Clusters(k, per, seed: 9);
        // VAC-CNN's learning rate 800 overshoots on 60 points (scikit-learn's layout then spans thousands of units too).
        var result = Tsne.Embed(distances, n, new TsneOptions { LearningRate = TsneOptions.AutoLearningRate(n) });
        Assert.Equal(1000, result.Iterations);
        // KL of the un-exaggerated phase decreases from its first check to the end.
        var late = result.History.Where(h => !h.Exaggerated).ToList();
        Assert.True(late.Count >= 10);
        Assert.True(result.KlDivergence < late[0].KlDivergence, $"{result.KlDivergence} vs {late[0].KlDivergence}");
        Assert.True(result.KlDivergence <= late.Min(h => h.KlDivergence) + 1e-9);
        // Every point's nearest neighbour in the embedding is in its own cluster, and clusters do not mix.
        double Dist(int i, int j) => Math.Sqrt(Math.Pow(result.X[i] - result.X[j], 2) + Math.Pow(result.Y[i] - result.Y[j], 2));
        double maxIntra = 0, minInter = double.MaxValue;
        for (var i = 0; i < n; i++)
            for (var j = i + 1; j < n; j++)
                if (i / per == j / per) maxIntra = Math.Max(maxIntra, Dist(i, j));
                else minInter = Math.Min(minInter, Dist(i, j));
        Assert.True(maxIntra < minInter, $"max within {maxIntra}, min between {minInter}");
    }

    [Fact]
    public void TsneKlIsCloseToScikitLearnsExactTsneFromTheSameStart()
    {
        var (distances, n) = Clusters(3, 20, seed: 4);
        var init = new double[2 * n];
        var random = new Random(8);
        for (var i = 0; i < init.Length; i++) init[i] = 1e-4 * (random.NextDouble() - 0.5);
        var ours = Tsne.Embed(distances, n, new TsneOptions { Initial = init, LearningRate = 100 });
        var theirs = _ref.Run(new
        {
            kind = "tsne", distances = _ref.Save("dtsne", distances, n, n), init = _ref.Save("init", init, n, 2),
            perplexity = 5.0, early_exaggeration = 25.0, learning_rate = 100.0, iterations = 1000,
        })[0];
        var kl = theirs.GetProperty("kl").GetDouble();
        _output.WriteLine($"KL: ours {ours.KlDivergence:F5} ({ours.Iterations} it), scikit-learn exact {kl:F5} ({theirs.GetProperty("iterations").GetInt32()} it)");
        Assert.True(Math.Abs(ours.KlDivergence - kl) <= 0.15 * kl + 0.02, $"ours {ours.KlDivergence}, scikit-learn {kl}");
    }

    /// <summary>
    /// CNNC's t-SNE with its default (VAC-CNN's) settings on Algorithm 1 distances of a synthetic 100-class confidence
    /// matrix (as the benchmark's ImageNet-scale inputs: logits N(0, 2²), true class + 6), from the same initial layout
    /// as scikit-learn 1.2's exact TSNE: the final KL must not exceed scikit-learn's by more than 2 %. Without squaring
    /// the distances (what scikit-learn 1.2 does for metric="precomputed") the two optimise different P and CNNC ends
    /// far higher (with <see cref="TsneOptions.SquareDistances"/> = false, the code before the fix: N = 100 KL 1.925 vs
    /// 1.766, N = 10 0.0904 vs 0.0783, both fail). With squaring: N = 10 0.07829 vs 0.07831 (the same optimisation to
    /// 3e-4); N = 100 1.624 vs 1.766 (scikit-learn rounds the distances to float32 before the perplexity search, and
    /// from there the trajectories part). The 2 % is a margin for such rounding-level divergence, not a statistic.
    /// </summary>
    [Theory]
    [InlineData(100, true)]
    [InlineData(10, true)]
    public void TsneKlIsAtMostScikitLearnsOnAlgorithm1Distances(int n, bool square)
    {
        manual_seed(12);
        const int perClass = 50;
        var labels = Enumerable.Range(0, n * perClass).Select(i => (long)(i / perClass)).ToArray();
        using var logits = randn(n * perClass, n) * 2 + nn.functional.one_hot(tensor(labels), n) * 6;
        using var probabilities = nn.functional.softmax(logits, 1);
        var distances = ClassDistances.Compute(probabilities, labels).Values.ToArray();
        var random = new Random(21);
        var init = Enumerable.Range(0, 2 * n).Select(_ => 1e-4 * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble())).ToArray();
        var options = new TsneOptions { Initial = init, SquareDistances = square };
        var ours = Tsne.Embed(distances, n, options);
        var theirs = _ref.Run(new
        {
            kind = "tsne", distances = _ref.Save($"dalg{n}", distances, n, n), init = _ref.Save($"init{n}", init, n, 2),
            perplexity = options.Perplexity, early_exaggeration = options.EarlyExaggeration, learning_rate = options.LearningRate,
            iterations = options.Iterations,
        })[0];
        var kl = theirs.GetProperty("kl").GetDouble();
        _output.WriteLine($"N = {n}: KL ours {ours.KlDivergence:F5} ({ours.Iterations} it), scikit-learn exact {kl:F5} ({theirs.GetProperty("iterations").GetInt32() + 1} it)");
        Assert.True(ours.KlDivergence <= kl * 1.02, $"ours {ours.KlDivergence}, scikit-learn {kl}");
    }

    [Fact]
    public void TsneOfAThousandClassesConverges()
    {
        var (distances, n) = Clusters(8, 125, seed: 1);
        var clock = Stopwatch.StartNew();
        var result = Tsne.Embed(distances, n);
        _output.WriteLine($"t-SNE N = {n}: {clock.Elapsed.TotalSeconds:F2} s, {result.Iterations} iterations, KL {result.KlDivergence:F4}");
        Assert.True(double.IsFinite(result.KlDivergence));
        Assert.InRange(result.KlDivergence, 0, 3); // well-separated clusters embed with a small KL
    }

    [Fact]
    public void DistributionGraphOfAStoreEntryCarriesClassesRootsAndAccuracy()
    {
        var root = Path.Combine(_ref.Folder, "store");
        manual_seed(7);
        // More than 5 classes, so the accuracy's top-5 reads the probabilities (inside its own dispose scope) first.
        var classes = new[] { "a", "b", "c", "d", "e", "f" };
        var model = nn.Sequential(("flatten", nn.Flatten()), ("fc", nn.Linear(6, classes.Length)));
        var labels = Enumerable.Range(0, 60).Select(i => (long)(i % 6)).ToArray();
        using var inputs = randn(60, 6) + nn.functional.one_hot(tensor(labels), 6) * 3;
        var source = new TensorEvaluationSource("toy", inputs, labels, classes);
        var entry = Evaluator.Evaluate(model, new ModelIdentity("toy", "linear", new string('b', 64)), source, new PredictionsStore(root),
            new EvaluationOptions { BatchSize = 8, ChunkSize = 16, MeasureLatency = false, Device = CPU })!;
        var hierarchy = ClassHierarchy.Create("toy", classes, new[] { "first", "second" }, new[] { 0, 0, 1, 1, 1, 1 });
        var graph = DistributionGraph.Compute(entry, hierarchy, new TsneOptions { Perplexity = 2, Iterations = 300 });
        var accuracy = AccuracyMetrics.Compute(entry);
        Assert.Equal(6, graph.Points.Count);
        Assert.Equal("second", graph.Points[2].Root);
        Assert.Equal(1, graph.Points[3].RootIndex);
        Assert.Equal(accuracy.PerClass[1].Accuracy, graph.Points[1].Accuracy);
        Assert.Equal(10, graph.Points[0].Images);
        Assert.True(double.IsFinite(graph.KlDivergence));
        var csv = graph.ToCsv().Split('\n');
        Assert.Equal("class_index,class_key,class_name,root_index,root,accuracy,images,x,y", csv[0]);
        Assert.StartsWith("2,c,c,1,second,", csv[3]);
    }

    /// <summary>k clusters of `per` points: distances ~0.1-0.3 within a cluster, ~0.8-1.0 between (symmetric, zero diagonal).</summary>
    private static (double[] Distances, int N) Clusters(int k, int per, int seed)
    {
        var n = k * per;
        var random = new Random(seed);
        var d = new double[n * n];
        for (var i = 0; i < n; i++)
            for (var j = i + 1; j < n; j++)
                d[i * n + j] = d[j * n + i] = i / per == j / per ? 0.1 + 0.2 * random.NextDouble() : 0.8 + 0.2 * random.NextDouble();
        return (d, n);
    }

    private string Save(Tensor t, string name)
    {
        var path = _ref.Out(name);
        IO.Npy.Write(path, t);
        return path;
    }
}
