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
        var model = Seeded.Parameters(nn.Sequential(("flatten", nn.Flatten()), ("fc", nn.Linear(2 * 3 * 3, Classes.Length))), seed: 7);
        var inputs = Seeded.Randn(8, count, 2, 3, 3);
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
        using var other = Seeded.Parameters(nn.Sequential(("flatten", nn.Flatten()), ("fc", nn.Linear(18, Classes.Length))), seed: 11);
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

    /// <summary>The arrays and errors of a complete entry (meta.json records when and how fast), as bytes.</summary>
    private static Dictionary<string, byte[]> Files(StoreEntry entry) =>
        Directory.GetFiles(entry.Directory).Where(f => Path.GetFileName(f) is not ("meta.json" or ".complete.lock"))
            .ToDictionary(f => Path.GetFileName(f)!, File.ReadAllBytes);

    [Fact]
    public void AShardCountThatChangesBetweenSubmissionsResumesWithoutRecomputingAndMatchesOneRun()
    {
        var (model, source) = Setup(count: 100); // 7 chunks of 16
        var whole = Evaluator.Evaluate(model, Toy, source, new PredictionsStore(_root + "-whole"), Options())!;
        var store = new PredictionsStore(_root);
        Assert.Null(Evaluator.Evaluate(model, Toy, source, store, Options(new Shard(1, 4)))); // chunks 0, 4
        Assert.Null(Evaluator.Evaluate(model, Toy, source, store, Options(new Shard(3, 4)))); // chunks 2, 6
        var done = new List<EvaluationProgress>();
        StoreEntry? merged = null;
        for (var k = 1; k <= 2; k++)
        {
            EvaluationProgress? last = null;
            merged = Evaluator.Evaluate(model, Toy, source, store, Options(new Shard(k, 2)), new SynchronousProgress<EvaluationProgress>(p => last = p));
            done.Add(last!);
        }
        Assert.NotNull(merged);
        // Shard 1/2 owns chunks 0, 2, 4, 6: all stored, so it evaluated nothing; 2/2 evaluated 1, 3, 5 only.
        Assert.Null(done[0]);
        Assert.Equal(48, done[1].Total);
        Assert.Equal(0, done[1].Resumed);
        var expected = Files(whole);
        var actual = Files(merged!);
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, bytes) in expected) Assert.True(bytes.AsSpan().SequenceEqual(actual[name]), $"{name} differs");
        Directory.Delete(_root + "-whole", true);
    }

    [Fact]
    public async Task TwoWritersOfTheSameEntryAtOnceBothSucceedAndLeaveOneProcessesBytes()
    {
        var (reference, source) = Setup(count: 300);
        var whole = Evaluator.Evaluate(reference, Toy, source, new PredictionsStore(_root + "-whole"), Options())!;
        var models = new[] { Setup(count: 1).Model, Setup(count: 1).Model }; // same seed: same weights, one per thread
        var store = new PredictionsStore(_root);
        var entries = await Task.WhenAll(models.Select((m, i) => Task.Run(() =>
            Evaluator.Evaluate(m, Toy, source, store, Options(i == 0 ? Shard.All : new Shard(1, 2))))));
        Assert.NotNull(entries[0]); // the whole run always ends complete; the half may have found it complete
        Assert.False(Directory.Exists(Path.Combine(entries[0]!.Directory, "parts")));
        var expected = Files(whole);
        var actual = Files(store.TryGet(Toy, source.Identity)!);
        foreach (var (name, bytes) in expected) Assert.True(bytes.AsSpan().SequenceEqual(actual[name]), $"{name} differs");
        Directory.Delete(_root + "-whole", true);
    }

    [Fact]
    public void OnlyOneOfManyConcurrentCreatorsOfALayoutWins()
    {
        var path = Path.Combine(_root, "layout.json");
        Directory.CreateDirectory(_root);
        var won = new bool[16];
        Parallel.For(0, won.Length, i => won[i] = Cnnc.Engine.IO.AtomicFile.CreateNew(path, $"writer {i}"));
        var winner = Assert.Single(Enumerable.Range(0, won.Length), i => won[i]);
        Assert.Equal($"writer {winner}", File.ReadAllText(path));
        Assert.Empty(Directory.GetFiles(_root, "*.tmp"));
    }

    [Fact]
    public void StaleTemporaryFilesAreJudgedByTheHostThatWroteThem()
    {
        Directory.CreateDirectory(_root);
        var host = Cnnc.Engine.IO.AtomicFile.Host;
        string Temp(string name)
        {
            var path = Path.Combine(_root, name);
            File.WriteAllText(path, "partial");
            return path;
        }
        var deadHere = Temp($".chunk-000001.npz.@{host}.{int.MaxValue - 1}.0123456789abcdef.tmp");
        var liveHere = Temp($".chunk-000002.npz.@{host}.{Environment.ProcessId}.0123456789abcdef.tmp");
        var legacyDead = Temp($".chunk-000003.npz.{int.MaxValue - 1}.0123456789abcdef.tmp");
        var freshElsewhere = Temp($".chunk-000004.npz.@othernode.{int.MaxValue - 1}.0123456789abcdef.tmp"); // pid means nothing here
        var oldElsewhere = Temp($".chunk-000005.npz.@othernode.{Environment.ProcessId}.0123456789abcdef.tmp");
        File.SetLastWriteTimeUtc(oldElsewhere, DateTime.UtcNow - Cnnc.Engine.IO.AtomicFile.ForeignTemporaryFileAge - TimeSpan.FromMinutes(1));
        Assert.Equal(3, Cnnc.Engine.IO.AtomicFile.DeleteStaleTemporaryFiles(_root));
        Assert.False(File.Exists(deadHere));
        Assert.True(File.Exists(liveHere));
        Assert.False(File.Exists(legacyDead));
        Assert.True(File.Exists(freshElsewhere));
        Assert.False(File.Exists(oldElsewhere));
    }

    [Fact]
    public void AnEntryBegunOnAnotherKindOfDeviceIsAClearErrorNotAMixture()
    {
        var (model, source) = Setup();
        var store = new PredictionsStore(_root);
        Assert.Null(Evaluator.Evaluate(model, Toy, source, store, Options(new Shard(1, 2))));
        // What a GPU task of the same study would have recorded.
        var layout = Path.Combine(store.PartsDirectory(Toy, source.Identity), "layout.json");
        File.WriteAllText(layout, File.ReadAllText(layout).Replace("\"cpu\"", "\"cuda\""));
        var error = Assert.Throws<InvalidDataException>(() => Evaluator.Evaluate(model, Toy, source, store, Options(new Shard(2, 2))));
        Assert.Contains("is being computed on cuda", error.Message);
        Assert.Contains("this run is on cpu: one entry never mixes devices", error.Message);
        // Shard 2/2 wrote nothing: the parts hold shard 1/2's chunks 0 and 2 only.
        Assert.Equal(new[] { "chunk-000000.npz", "chunk-000002.npz" },
            Directory.GetFiles(store.PartsDirectory(Toy, source.Identity), "chunk-*.npz").Select(Path.GetFileName).Order());
        Assert.Null(store.TryGet(Toy, source.Identity));
    }
}
