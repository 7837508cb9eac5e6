using Cnnc.Engine.Evaluation;
using Cnnc.Engine.Explain;
using Cnnc.Engine.Runtime;
using Cnnc.Engine.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Tests.Evaluation;

public sealed class ExplanationStoreTests : IDisposable
{
    private static readonly string[] Classes = { "a", "b", "c", "d" };
    private static readonly ModelIdentity Toy = new("toy-conv", "conv", new string('e', 64));
    private readonly string _root = Path.Combine(Path.GetTempPath(), "cnnc-explanations-" + Guid.NewGuid().ToString("N"));

    public ExplanationStoreTests() => TorchRuntime.Initialize();

    public void Dispose()
    {
        foreach (var dir in new[] { _root, _root + "-one", _root + "-other" })
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }

    /// <summary>A small CNN with a hookable conv layer; always the same weights (one instance per thread).</summary>
    private static nn.Module<Tensor, Tensor> Model() =>
        Seeded.Parameters(nn.Sequential(("conv", nn.Conv2d(2, 6, 3, padding: 1)), ("relu", nn.ReLU()), ("pool", nn.AdaptiveAvgPool2d(1)),
            ("flatten", nn.Flatten()), ("fc", nn.Linear(6, Classes.Length))), seed: 3);

    private static TensorEvaluationSource Source(Func<int, string?>? unreadable = null)
    {
        var inputs = Seeded.Randn(5, 60, 2, 8, 8);
        var labels = Enumerable.Range(0, 60).Select(i => (long)(i * 7 % Classes.Length)).ToArray();
        return new TensorEvaluationSource("toy", inputs, labels, Classes, unreadable);
    }

    private static ExplanationRequest Request(TensorEvaluationSource source, ExplanationTarget target = ExplanationTarget.Label) =>
        new("gradcam", "conv", target, ExplanationSelection.Range(5, 55, source.Identity.Count));

    private static ExplanationPrecomputeOptions Options(Shard? shard = null) =>
        new() { BatchSize = 4, ChunkSize = 8, Device = CPU, Shard = shard ?? Shard.All };

    /// <summary>Every file of a complete entry except meta.json (which records when and how fast), as bytes.</summary>
    private static Dictionary<string, byte[]> Files(string directory) =>
        Directory.GetFiles(directory).Where(f => Path.GetFileName(f) != "meta.json" && !Path.GetFileName(f).StartsWith('.'))
            .ToDictionary(f => Path.GetFileName(f)!, File.ReadAllBytes);

    [Fact]
    public void StoredExplanationsAreWhatTheExplainerComputesAndUnreadableImagesAreReported()
    {
        var source = Source(i => i == 9 ? "truncated PNG" : null);
        using var model = Model();
        var request = Request(source);
        var store = new ExplanationStore(_root);
        var entry = ExplanationPrecompute.Run(model, Toy, source, store, request, Options());
        Assert.NotNull(entry);
        Assert.Equal(Enumerable.Range(5, 50).ToArray(), entry!.Indices);
        Assert.Equal(49, entry.Meta.ReadableCount);
        Assert.Equal("gradcam", entry.Meta.Method);
        Assert.Equal(ExplanationTarget.Label, entry.Meta.Target);
        Assert.Equal(9, Assert.Single(entry.Errors).Index);
        Assert.Null(entry.Get(9));
        Assert.Equal(-1, entry.Targets[entry.RowOf(9)]);
        Assert.Null(entry.Get(4)); // outside the selection
        Assert.Equal(-1, entry.RowOf(55));
        Assert.False(Directory.Exists(Path.Combine(entry.Directory, "parts")));

        // The reference: the explainer on each image alone, for the image's own class.
        var explainer = ExplainerCatalog.Create("gradcam");
        foreach (var image in new[] { 5, 12, 30, 54 })
        {
            using var batch = source.LoadBatch(image, 1);
            var expected = explainer.Explain(model, batch.Inputs, (int)batch.Labels[0], "conv");
            var stored = entry.Get(image)!;
            Assert.Equal((int)batch.Labels[0], stored.TargetClass);
            Assert.Equal(expected.PredictedClass, stored.PredictedClass);
            Assert.Equal(expected.Score, stored.Score, 1e-5);
            Assert.Equal(expected.Probability, stored.Probability, 1e-6);
            Assert.Equal((expected.Map.Height, expected.Map.Width), (stored.Map.Height, stored.Map.Width));
            Assert.Equal((expected.Raw.Height, expected.Raw.Width), (stored.Raw.Height, stored.Raw.Width));
            // Batched (4 images) against alone: equal up to float rounding.
            for (var p = 0; p < expected.Map.Length; p++) Assert.Equal(expected.Map.Data[p], stored.Map.Data[p], 1e-5);
            for (var p = 0; p < expected.Raw.Length; p++) Assert.Equal(expected.Raw.Data[p], stored.Raw.Data[p], 1e-5);
        }

        // The store finds it by method, layer, image and class; another class or method is not there.
        var label12 = entry.Targets[entry.RowOf(12)];
        Assert.NotNull(store.Find(Toy, source.Identity, "Grad-CAM", "conv", 12, label12));
        Assert.Null(store.Find(Toy, source.Identity, "gradcam", "conv", 12, (label12 + 1) % Classes.Length));
        Assert.Null(store.Find(Toy, source.Identity, "scorecam", null, 12));
    }

    [Fact]
    public void KilledShardedAndReshardedRunsStoreExactlyWhatOneProcessStores()
    {
        var source = Source();
        var request = Request(source);
        using (var model = Model())
            Assert.NotNull(ExplanationPrecompute.Run(model, Toy, source, new ExplanationStore(_root + "-one"), request, Options()));

        var store = new ExplanationStore(_root);
        using var cancel = new CancellationTokenSource();
        var progress = new SynchronousProgress<ExplanationProgress>(p => { if (p.Done >= 12) cancel.Cancel(); });
        using (var model = Model())
            Assert.ThrowsAny<OperationCanceledException>(() =>
                ExplanationPrecompute.Run(model, Toy, source, store, request, Options(new Shard(1, 4)), progress, cancel.Token));
        using (var model = Model())
            Assert.Null(ExplanationPrecompute.Run(model, Toy, source, store, request, Options(new Shard(2, 4))));
        // The shard count changes between submissions: 3 shards finish what 4 began, recomputing nothing stored.
        var resumed = 0;
        ExplanationEntry? entry = null;
        for (var k = 1; k <= 3; k++)
            using (var model = Model())
                entry = ExplanationPrecompute.Run(model, Toy, source, store, request, Options(new Shard(k, 3)),
                    new SynchronousProgress<ExplanationProgress>(p => resumed = k == 1 ? p.Resumed : resumed));
        Assert.NotNull(entry);
        Assert.True(resumed > 0, "the first of the 3 shards should have found chunks of the 4-shard run");
        var one = Files(new ExplanationStore(_root + "-one").TryGet(Toy, source.Identity, request)!.Directory);
        var sharded = Files(entry!.Directory);
        Assert.Equal(one.Keys.Order(), sharded.Keys.Order());
        foreach (var (name, bytes) in one) Assert.True(bytes.AsSpan().SequenceEqual(sharded[name]), $"{name} differs");
    }

    [Fact]
    public async Task TwoWritersOfOneEntryAtOnceCompleteItOnceWithOneProcessesBytes()
    {
        var source = Source();
        var request = Request(source, ExplanationTarget.Predicted);
        using (var model = Model())
            ExplanationPrecompute.Run(model, Toy, source, new ExplanationStore(_root + "-one"), request, Options());
        var models = new[] { Model(), Model() };
        var store = new ExplanationStore(_root);
        var entries = await Task.WhenAll(models.Select(m => Task.Run(() =>
            ExplanationPrecompute.Run(m, Toy, source, store, request, Options()))));
        foreach (var m in models) m.Dispose();
        Assert.All(entries, Assert.NotNull);
        Assert.Equal(entries[0]!.Directory, entries[1]!.Directory);
        Assert.False(Directory.Exists(Path.Combine(entries[0]!.Directory, "parts")));
        var one = Files(new ExplanationStore(_root + "-one").TryGet(Toy, source.Identity, request)!.Directory);
        var both = Files(entries[0]!.Directory);
        foreach (var (name, bytes) in one) Assert.True(bytes.AsSpan().SequenceEqual(both[name]), $"{name} differs");
        Assert.Equal(entries[0]!.Predictions, entries[0]!.Targets); // target rule "predicted"
    }

    [Fact]
    public void AChunkOfAnotherLayoutIsAClearErrorAtTheMergeAndNeverAnEntry()
    {
        var source = Source();
        var request = Request(source);
        var store = new ExplanationStore(_root);
        using var model = Model();
        Assert.Null(ExplanationPrecompute.Run(model, Toy, source, store, request, Options(new Shard(1, 2))));
        // A chunk that holds 5 rows where the layout says 8 (e.g. copied in from an entry cut another way).
        var other = new ExplanationStore(_root + "-other");
        ExplanationPrecompute.Run(model, Toy, source, other, request, Options() with { ChunkSize = 5, Shard = new Shard(2, 2) });
        var chunks = store.Chunks(Toy, source.Identity, request);
        File.Copy(other.Chunks(Toy, source.Identity, request).ChunkPath(1), chunks.ChunkPath(1));
        var error = Assert.Throws<InvalidDataException>(() =>
            ExplanationPrecompute.Run(model, Toy, source, store, request, Options(new Shard(2, 2))));
        Assert.Contains("chunk-000001.npz", error.Message);
        Assert.Contains("expected 8 rows", error.Message);
        Assert.Contains("Delete that chunk and rerun", error.Message);
        Assert.Null(store.TryGet(Toy, source.Identity, request));
        Assert.False(File.Exists(chunks.MetaPath));
    }

    [Fact]
    public void PythonReadsAnExplanationEntryWithNumpyAlone()
    {
        var source = Source();
        using var model = Model();
        var entry = ExplanationPrecompute.Run(model, Toy, source, new ExplanationStore(_root), Request(source), Options())!;
        var script = Path.Combine(_root, "read.py");
        File.WriteAllText(script, """
            import json, sys, numpy as np
            d = sys.argv[1]
            meta = json.load(open(d + "/meta.json"))
            idx = np.load(d + "/indices.npy"); maps = np.load(d + "/maps.npy", mmap_mode="r"); raw = np.load(d + "/raw.npy")
            t = np.load(d + "/targets.npy"); ok = np.load(d + "/readable.npy")
            assert maps.dtype == np.float32 and maps.shape == (meta["count"], 8, 8) and raw.shape[0] == meta["count"]
            assert idx.dtype == np.int64 and (np.diff(idx) > 0).all() and ok.all()
            assert maps.min() >= 0 and maps.max() <= 1
            row = int(np.searchsorted(idx, 30))
            print(meta["target"], meta["selection"], int(idx[0]), int(t[row]), repr(float(maps[row].sum())))
            """);
        var output = PyTorchFixtures.Run(script, $"\"{entry.Directory}\"").Trim().Split(' ');
        Assert.Equal("label", output[0]);
        Assert.Equal("images-5-55", output[1]);
        Assert.Equal("5", output[2]);
        var stored = entry.Get(30)!;
        Assert.Equal(stored.TargetClass.ToString(), output[3]);
        Assert.Equal(stored.Map.Data.Sum(v => (double)v), double.Parse(output[4], System.Globalization.CultureInfo.InvariantCulture), 4);
    }

    [Fact]
    public void SelectionsParseAndBadOnesSayWhatIsAccepted()
    {
        Assert.Equal(new[] { 3, 4, 5 }, ExplanationSelection.Range(3, 6, 10).Indices);
        Assert.Equal("images-3-6", ExplanationSelection.Range(3, 6, 10).Name);
        Assert.Equal(10, ExplanationSelection.All(10).Indices.Count);
        var error = Assert.Throws<ArgumentException>(() => ExplanationSelection.Range(6, 6, 10));
        Assert.Equal("Image range 6:6 is not a non-empty part of 0:10 (START:END, END exclusive).", error.Message);
        Assert.Throws<ArgumentException>(() => ExplanationSelection.Range(0, 11, 10));
        Assert.Equal("gradcam@layer4-label-all",
            new ExplanationRequest("gradcam", "layer4", ExplanationTarget.Label, ExplanationSelection.All(3)).Key);
        Assert.Equal("rise-predicted-images-0-2",
            new ExplanationRequest("rise", null, ExplanationTarget.Predicted, ExplanationSelection.Range(0, 2, 3)).Key);
    }
}
