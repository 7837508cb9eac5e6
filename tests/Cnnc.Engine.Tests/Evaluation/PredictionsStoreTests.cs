using Cnnc.Engine.Analysis;
using Cnnc.Engine.Evaluation;
using Cnnc.Engine.Runtime;
using Cnnc.Engine.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Tests.Evaluation;

public sealed class PredictionsStoreTests : IDisposable
{
    private static readonly string[] Classes = { "a", "b", "c", "d" };
    private readonly string _root = Path.Combine(Path.GetTempPath(), "cnnc-store-" + Guid.NewGuid().ToString("N"));

    public PredictionsStoreTests() => TorchRuntime.Initialize();

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private static (nn.Module<Tensor, Tensor> Model, TensorEvaluationSource Source) Setup(int count = 50, Func<int, string?>? unreadable = null)
    {
        manual_seed(7);
        var model = nn.Sequential(("flatten", nn.Flatten()), ("fc", nn.Linear(2 * 3 * 3, Classes.Length)));
        var inputs = randn(count, 2, 3, 3);
        var labels = Enumerable.Range(0, count).Select(i => (long)(i % Classes.Length)).ToArray();
        return (model, new TensorEvaluationSource("toy", inputs, labels, Classes, unreadable));
    }

    private static readonly ModelIdentity Toy = new("toy-linear", "linear", new string('a', 64));
    private static EvaluationOptions Options(Shard? shard = null) =>
        new() { BatchSize = 8, ChunkSize = 16, MeasureLatency = false, Device = CPU, Shard = shard ?? Shard.All };

    [Fact]
    public void EvaluationStoresSoftmaxArgmaxAndLabels()
    {
        var (model, source) = Setup();
        var entry = Evaluator.Evaluate(model, Toy, source, new PredictionsStore(_root), Options());
        Assert.NotNull(entry);
        Assert.Equal(new long[] { 50, 4 }, entry!.Probabilities.shape);
        using var expected = no_grad();
        model.eval();
        using var batch = source.LoadBatch(0, 50);
        using var reference = nn.functional.softmax(model.call(batch.Inputs), 1);
        Assert.True(reference.allclose(entry.Probabilities, rtol: 1e-5, atol: 1e-6));
        Assert.Equal(reference.argmax(1).data<long>().ToArray(), entry.Predictions);
        Assert.Equal(Enumerable.Range(0, 50).Select(i => (long)(i % 4)).ToArray(), entry.Labels);
        Assert.False(Directory.Exists(Path.Combine(entry.Directory, "parts")));
    }

    [Fact]
    public void PythonReadsTheStoreWithNumpyAlone()
    {
        var (model, source) = Setup();
        var entry = Evaluator.Evaluate(model, Toy, source, new PredictionsStore(_root), Options())!;
        var accuracy = AccuracyMetrics.Compute(entry).Overall;
        var script = Path.Combine(_root, "read.py");
        File.WriteAllText(script, """
            import json, sys, numpy as np
            d = sys.argv[1]
            p = np.load(d + "/probabilities.npy"); y = np.load(d + "/labels.npy"); pred = np.load(d + "/predictions.npy")
            ok = np.load(d + "/readable.npy"); meta = json.load(open(d + "/meta.json"))
            assert p.dtype == np.float32 and p.shape == (meta["dataset"]["count"], len(meta["dataset"]["classes"]))
            assert (p.argmax(1) == pred).all()
            print(repr(float((pred[ok] == y[ok]).mean())), meta["model"]["weights_sha256"][:4])
            """);
        var output = PyTorchFixtures.Run(script, $"\"{entry.Directory}\"").Trim().Split(' ');
        Assert.Equal(accuracy, double.Parse(output[0], System.Globalization.CultureInfo.InvariantCulture), 12);
        Assert.Equal("aaaa", output[1]);
    }

    [Fact]
    public void CancelledEvaluationResumesAndMatchesAnUninterruptedRun()
    {
        var (model, source) = Setup();
        var store = new PredictionsStore(_root);
        using var cancel = new CancellationTokenSource();
        var progress = new SynchronousProgress<EvaluationProgress>(p => { if (p.Done >= 24) cancel.Cancel(); });
        Assert.ThrowsAny<OperationCanceledException>(() => Evaluator.Evaluate(model, Toy, source, store, Options(), progress, cancel.Token));
        Assert.Null(store.TryGet(Toy, source.Identity));
        var chunks = Directory.GetFiles(Path.Combine(store.EntryDirectory(Toy, source.Identity), "parts"), "chunk-*.npz");
        Assert.Single(chunks); // chunk 0 (16 images) finished; chunk 1 was interrupted and left nothing

        EvaluationProgress? last = null;
        var resumed = Evaluator.Evaluate(model, Toy, source, store, Options(), new SynchronousProgress<EvaluationProgress>(p => last = p));
        Assert.NotNull(resumed);
        Assert.Equal(16, last!.Resumed);
        var fresh = Evaluator.Evaluate(model, Toy with { WeightsSha256 = new string('b', 64) }, source, new PredictionsStore(_root + "-fresh"), Options())!;
        Assert.True(fresh.Probabilities.allclose(resumed!.Probabilities, rtol: 0, atol: 0));
        Directory.Delete(_root + "-fresh", true);
    }

    [Fact]
    public void ShardsMergeIntoOneEntry()
    {
        var (model, source) = Setup();
        var store = new PredictionsStore(_root);
        Assert.Null(Evaluator.Evaluate(model, Toy, source, store, Options(new Shard(1, 2))));
        var merged = Evaluator.Evaluate(model, Toy, source, store, Options(new Shard(2, 2)));
        Assert.NotNull(merged);
        var whole = Evaluator.Evaluate(model, Toy, source, new PredictionsStore(_root + "-whole"), Options())!;
        Assert.True(whole.Probabilities.allclose(merged!.Probabilities, rtol: 0, atol: 0));
        Assert.Equal(whole.Predictions, merged.Predictions);
        Directory.Delete(_root + "-whole", true);
    }

    [Fact]
    public void ClassCountMismatchFailsBeforeAnyWork()
    {
        var (_, source) = Setup();
        using var wrong = nn.Sequential(("flatten", nn.Flatten()), ("fc", nn.Linear(18, 7)));
        var store = new PredictionsStore(_root);
        var error = Assert.Throws<ArgumentException>(() => Evaluator.Evaluate(wrong, Toy, source, store, Options()));
        Assert.Equal("Model 'toy-linear' has 7 outputs but dataset 'toy' has 4 classes.", error.Message);
        Assert.False(Directory.Exists(store.EntryDirectory(Toy, source.Identity)));
    }

    [Fact]
    public void UnreadableItemsAreReportedAndExcludedFromAccuracy()
    {
        var (model, source) = Setup(unreadable: i => i is 3 or 20 ? "truncated PNG" : null);
        var entry = Evaluator.Evaluate(model, Toy, source, new PredictionsStore(_root), Options())!;
        Assert.Equal(new[] { 3, 20 }, entry.Errors.Select(e => e.Index));
        Assert.All(entry.Errors, e => Assert.Equal("truncated PNG", e.Reason));
        Assert.False(entry.Readable[3]);
        Assert.Equal(-1, entry.Predictions[20]);
        var metrics = AccuracyMetrics.Compute(entry);
        Assert.Equal(48, metrics.Readable);
        Assert.Equal(2, metrics.Unreadable);
        var expected = Enumerable.Range(0, 50).Where(i => i is not (3 or 20)).Count(i => entry.Predictions[i] == entry.Labels[i]) / 48.0;
        Assert.Equal(expected, metrics.Overall, 12);
    }

    [Fact]
    public void ChangedWeightsAreNeverServedStaleResults()
    {
        var (model, source) = Setup();
        var store = new PredictionsStore(_root);
        Evaluator.Evaluate(model, Toy, source, store, Options());
        var changed = Toy with { WeightsSha256 = new string('c', 64) };
        Assert.Null(store.TryGet(changed, source.Identity));
        Assert.NotEqual(store.EntryDirectory(Toy, source.Identity), store.EntryDirectory(changed, source.Identity));
    }

    [Fact]
    public async Task TwoEvaluationsOfDifferentModelsIntoOneStoreRunAtOnceWithoutClobbering()
    {
        var (model, source) = Setup(count: 200);
        manual_seed(11);
        using var other = nn.Sequential(("flatten", nn.Flatten()), ("fc", nn.Linear(18, Classes.Length)));
        var otherIdentity = new ModelIdentity("toy-other", "linear", new string('d', 64));
        var store = new PredictionsStore(_root);
        var tasks = new[]
        {
            Task.Run(() => Evaluator.Evaluate(model, Toy, source, store, Options())),
            Task.Run(() => Evaluator.Evaluate(other, otherIdentity, source, store, Options())),
        };
        await Task.WhenAll(tasks);
        Assert.Equal(2, store.List(source.Identity).Count);
        using var _ = no_grad();
        model.eval();
        other.eval();
        using var batch = source.LoadBatch(0, 200);
        Assert.Equal(model.call(batch.Inputs).argmax(1).data<long>().ToArray(), store.TryGet(Toy, source.Identity)!.Predictions);
        Assert.Equal(other.call(batch.Inputs).argmax(1).data<long>().ToArray(), store.TryGet(otherIdentity, source.Identity)!.Predictions);
    }
}
