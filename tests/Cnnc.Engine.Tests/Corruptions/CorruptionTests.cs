using System.Diagnostics.CodeAnalysis;
using Cnnc.Engine.Analysis;
using Cnnc.Engine.Corruptions;
using Cnnc.Engine.Data;
using Cnnc.Engine.Evaluation;
using Cnnc.Engine.Runtime;
using Cnnc.Engine.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Cnnc.Engine.Tests.Corruptions;

public sealed class CorruptionTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "cnnc-corrupt-store-" + Guid.NewGuid().ToString("N"));

    public CorruptionTests() => TorchRuntime.Initialize();

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private static DecodedImage Grey(byte value, int size = 64) =>
        new(size, size, 1, Enumerable.Repeat(value, size * size).ToArray());

    // ---- randomness --------------------------------------------------------------------------------------------------

    [Fact]
    public void Normal_uniform_and_poisson_draws_have_their_moments()
    {
        var random = new CorruptionRandom(12345);
        const int n = 400_000;
        double sum = 0, sum2 = 0, usum = 0;
        for (var i = 0; i < n; i++)
        {
            var z = random.NextNormal();
            sum += z;
            sum2 += z * z;
            var u = random.NextDouble();
            Assert.InRange(u, 0, 1 - 1e-17);
            usum += u;
        }
        Assert.InRange(sum / n, -0.006, 0.006);          // σ/√n = 0.0016
        Assert.InRange(Math.Sqrt(sum2 / n), 0.995, 1.005);
        Assert.InRange(usum / n, 0.497, 0.503);
        foreach (var lambda in new[] { 0.5, 5.0, 60.0 })
        {
            double s = 0, s2 = 0;
            const int m = 100_000;
            for (var i = 0; i < m; i++) { double k = random.NextPoisson(lambda); s += k; s2 += k * k; }
            var mean = s / m;
            var variance = s2 / m - mean * mean;
            Assert.InRange(mean, lambda - 5 * Math.Sqrt(lambda / m) - 1e-9, lambda + 5 * Math.Sqrt(lambda / m));
            Assert.InRange(variance / lambda, 0.97, 1.03);
        }
    }

    [Fact]
    public void Gaussian_noise_field_has_the_published_scale()
    {
        // Mid-grey keeps the clipping away: the change is the noise, quantised.
        var image = Grey(128, 256);
        var noisy = ImageCorruptions.Apply(image, "gaussian_noise", 3, seed: 1, index: 0);
        var d = noisy.Pixels.Select(b => (b - 128) / 255.0).ToArray();
        var mean = d.Average();
        var std = Math.Sqrt(d.Select(x => (x - mean) * (x - mean)).Average());
        Assert.InRange(std, 0.18 * 0.98, 0.18 * 1.02);
        Assert.InRange(mean, -0.0035, 0.0035 - 0.5 / 255 + 0.002); // truncation lowers the mean by ~0.5/255
    }

    [Fact]
    public void Impulse_noise_flips_the_published_share_half_salt_half_pepper()
    {
        var noisy = ImageCorruptions.Apply(Grey(100, 256), "impulse_noise", 5, seed: 3, index: 9);
        int salt = noisy.Pixels.Count(b => b == 255), pepper = noisy.Pixels.Count(b => b == 0), kept = noisy.Pixels.Count(b => b == 100);
        var n = noisy.Pixels.Length;
        Assert.Equal(n, salt + pepper + kept);
        Assert.InRange((double)(salt + pepper) / n, 0.27 - 0.006, 0.27 + 0.006);
        Assert.InRange((double)salt / (salt + pepper), 0.48, 0.52);
    }

    [Fact]
    public void Noise_depends_on_seed_corruption_severity_and_index_only()
    {
        var image = Grey(90);
        var a = ImageCorruptions.Apply(image, "shot_noise", 2, seed: 5, index: 3).Pixels;
        Assert.Equal(a, ImageCorruptions.Apply(image, "shot_noise", 2, seed: 5, index: 3).Pixels);
        Assert.NotEqual(a, ImageCorruptions.Apply(image, "shot_noise", 2, seed: 5, index: 4).Pixels);
        Assert.NotEqual(a, ImageCorruptions.Apply(image, "shot_noise", 2, seed: 6, index: 3).Pixels);
        Assert.NotEqual(CorruptionRandom.SeedFor(5, "shot_noise", 2, 3), CorruptionRandom.SeedFor(5, "shot_noise", 3, 3));
        Assert.NotEqual(CorruptionRandom.SeedFor(5, "shot_noise", 2, 3), CorruptionRandom.SeedFor(5, "gaussian_noise", 2, 3));
        // Fixed values: a change of the generator must be deliberate (and bump CorruptedDataset.AlgorithmVersion).
        Assert.Equal(0xE220A8397B1DCDAFUL, new CorruptionRandom(0).NextUInt64());
    }

    // ---- bad input ---------------------------------------------------------------------------------------------------

    [Fact]
    public void Unknown_names_list_the_valid_ones_and_severities_must_be_1_to_5()
    {
        var e = Assert.Throws<UnknownCorruptionException>(() => ImageCorruptions.Apply(Grey(1), "gaussian_nosie", 1));
        Assert.Contains("gaussian_nosie", e.Message);
        foreach (var name in ImageCorruptions.Names) Assert.Contains(name, e.Message);
        foreach (var severity in new[] { 0, 6, -1 })
        {
            var s = Assert.Throws<ArgumentOutOfRangeException>(() => ImageCorruptions.Apply(Grey(1), "contrast", severity));
            Assert.Contains("1..5", s.Message);
        }
        Assert.Throws<UnknownCorruptionException>(() => new CorruptedDataset(new SmallDataset(4), "snow", 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CorruptedDataset(new SmallDataset(4), "fog", 7));
        Assert.True(ImageCorruptions.CommonNames.Count >= 10);
        Assert.All(ImageCorruptions.CommonNames, n => Assert.Contains(n, ImageCorruptions.ImageNetC));
    }

    // ---- the store ---------------------------------------------------------------------------------------------------

    [Fact]
    public void Each_corruption_severity_and_seed_is_its_own_store_entry()
    {
        var source = new SmallDataset(40);
        string Key(string c, int s, ulong seed) =>
            new DatasetEvaluationSource(CorruptedDataset.ForModel(source, Preprocessing.FashionMnist, c, s, seed).Dataset,
                Preprocessing.FashionMnist).Identity.Key;
        var keys = new[] { Key("gaussian_noise", 1, 0), Key("gaussian_noise", 2, 0), Key("gaussian_noise", 1, 1), Key("contrast", 1, 0) };
        Assert.Equal(keys.Length, keys.Distinct().Count());
        Assert.Equal(Key("gaussian_noise", 1, 0), Key("gaussian_noise", 1, 0));
        Assert.DoesNotContain(new DatasetEvaluationSource(source, Preprocessing.FashionMnist).Identity.Key, keys);
    }

    [Fact]
    public void A_corrupted_dataset_evaluates_shards_and_resumes_through_the_store()
    {
        var source = new SmallDataset(40);
        var (dataset, preprocessing) = CorruptedDataset.ForModel(source, Preprocessing.FashionMnist, "gaussian_noise", 4, seed: 2);
        var evaluation = new DatasetEvaluationSource(dataset, preprocessing);
        Assert.Equal(preprocessing.OutputShape(1, 28, 28), (1, 28, 28));
        using var model = Seeded.Parameters(nn.Sequential(("flatten", nn.Flatten()), ("fc", nn.Linear(28 * 28, 10))), seed: 7);
        var identity = new ModelIdentity("toy", "linear", new string('b', 64));
        var store = new PredictionsStore(_root);
        EvaluationOptions Options(Shard shard) => new() { BatchSize = 8, ChunkSize = 16, MeasureLatency = false, Device = CPU, Shard = shard };
        Assert.Null(Evaluator.Evaluate(model, identity, evaluation, store, Options(new Shard(1, 2))));
        Assert.Null(store.TryGet(identity, evaluation.Identity));
        using var entry = Evaluator.Evaluate(model, identity, evaluation, store, Options(new Shard(2, 2)));
        Assert.NotNull(entry);

        // Equal to evaluating the corrupted images directly, in any order: the noise is per image.
        using var whole = new PredictionsStore(_root + "-b").GetOrEvaluateWith(model, identity,
            new DatasetEvaluationSource(new CorruptedDataset(source, "gaussian_noise", 4, 2, Preprocessing.FashionMnist), preprocessing));
        Assert.Equal(entry!.Predictions, whole.Predictions);
        Directory.Delete(_root + "-b", recursive: true);
        for (var i = 39; i >= 0; i -= 13)
            Assert.Equal(ImageCorruptions.Apply(source.LoadImage(i), "gaussian_noise", 4, 2, i).Pixels, dataset.LoadImage(i).Pixels);

        // Same (corruption, severity, seed) again: the stored entry, nothing recomputed.
        var again = new DatasetEvaluationSource(CorruptedDataset.ForModel(source, Preprocessing.FashionMnist, "gaussian_noise", 4, 2).Dataset, preprocessing);
        Assert.Equal(evaluation.Identity, again.Identity, DatasetIdentityComparer.Instance);
        using var stored = store.TryGet(identity, again.Identity);
        Assert.NotNull(stored);
        Assert.Equal(entry.Directory, stored!.Directory);
    }

    [Fact]
    public void A_study_evaluates_corruptions_resumes_them_and_reports_mce_against_alexnet()
    {
        using var study = new Cnnc.Engine.Studies.Study().UseZoo("alexnet", "resnet18").UseDataset(new SmallDataset(48)).UseStore(_root);
        var corruptions = new[] { "contrast", "gaussian_noise" };
        var severities = new[] { 1, 5 };
        var steps = new List<string>();
        var progress = new SynchronousProgress<Cnnc.Engine.Studies.StudyProgress>(p => steps.Add(p.Stage));
        var entries = study.EvaluateCorruptions(corruptions, severities, seed: 3, progress);
        Assert.Equal(8, entries.Count);
        Assert.Equal(8, entries.Select(e => e.Entry.Directory).Distinct().Count());
        Assert.Contains(steps, s => s.StartsWith("evaluating gaussian_noise-5", StringComparison.Ordinal));
        steps.Clear();
        var again = study.EvaluateCorruptions(corruptions, severities, seed: 3, progress);
        Assert.Equal(entries.Select(e => e.Entry.Directory), again.Select(e => e.Entry.Directory));
        Assert.DoesNotContain(steps, s => s.StartsWith("evaluating", StringComparison.Ordinal));
        Assert.Throws<Cnnc.Engine.Studies.StudyNotEvaluatedException>(() => study.Robustness(corruptions, "alexnet", severities, seed: 4));

        var report = study.Robustness(corruptions, "alexnet", severities, seed: 3);
        Assert.Equal("alexnet", report.Baseline);
        Assert.Equal(16 / 2, report.Accuracies.Count);
        var alexnet = report.Models.Single(m => m.Model == "alexnet");
        Assert.Equal(1.0, alexnet.MeanCorruptionError, 12);
        Assert.Null(alexnet.CleanError); // the clean data was not evaluated
        var resnet = report.Models.Single(m => m.Model == "resnet18");
        var expected = corruptions.Average(c =>
            severities.Sum(s => 1 - report.Accuracy("resnet18", c, s)) / severities.Sum(s => 1 - report.Accuracy("alexnet", c, s)));
        Assert.Equal(expected, resnet.MeanCorruptionError, 12);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => study.EvaluateCorruptions(new[] { "fog" }, new[] { 2 }, 3, null, cancelled.Token));
        Assert.Throws<UnknownCorruptionException>(() => study.EvaluateCorruptions(new[] { "frost" }));
    }

    // ---- mCE -----------------------------------------------------------------------------------------------------------

    [Fact]
    public void Mean_corruption_error_follows_the_paper_against_a_hand_computation()
    {
        // Top-1 errors per severity 1..5: baseline "alexnet" and model "net".
        var errors = new Dictionary<(string, string), double[]>
        {
            [("alexnet", "gaussian_noise")] = new[] { 0.5, 0.6, 0.7, 0.8, 0.9 },
            [("alexnet", "contrast")] = new[] { 0.4, 0.5, 0.6, 0.7, 0.8 },
            [("net", "gaussian_noise")] = new[] { 0.3, 0.35, 0.4, 0.5, 0.6 },
            [("net", "contrast")] = new[] { 0.25, 0.3, 0.4, 0.5, 0.55 },
        };
        var rows = errors.SelectMany(e => e.Value.Select((err, s) => new CorruptionAccuracy(e.Key.Item1, e.Key.Item2, s + 1, 1 - err, 1000))).ToList();
        var clean = new Dictionary<string, double> { ["alexnet"] = 1 - 0.435, ["net"] = 1 - 0.2 };
        var report = Robustness.Compute(rows, "alexnet", clean);

        // CE_gauss = (0.3+0.35+0.4+0.5+0.6)/(0.5+0.6+0.7+0.8+0.9) = 2.15/3.5; CE_contrast = 2.0/3.0.
        var net = report.Models.Single(m => m.Model == "net");
        Assert.Equal(2.15 / 3.5, net.Corruptions[0].CE, 12);
        Assert.Equal(2.0 / 3.0, net.Corruptions[1].CE, 12);
        Assert.Equal((2.15 / 3.5 + 2.0 / 3.0) / 2, net.MeanCorruptionError, 12);
        // Relative: Σ(E − 0.2) / Σ(E_base − 0.435) = (2.15 − 1.0)/(3.5 − 2.175), (2.0 − 1.0)/(3.0 − 2.175).
        Assert.Equal(1.15 / 1.325, net.Corruptions[0].RelativeCE!.Value, 12);
        Assert.Equal(1.0 / 0.825, net.Corruptions[1].RelativeCE!.Value, 12);
        Assert.Equal((1.15 / 1.325 + 1.0 / 0.825) / 2, net.RelativeMeanCorruptionError!.Value, 12);
        Assert.Equal(2.15 / 5, net.Corruptions[0].MeanError, 12);
        var baseline = report.Models.Single(m => m.Model == "alexnet");
        Assert.Equal(1.0, baseline.MeanCorruptionError, 12);
        Assert.Equal(1.0, baseline.RelativeMeanCorruptionError!.Value, 12);
        Assert.Equal(20, report.Accuracies.Count);
        Assert.Equal(new[] { 1, 2, 3, 4, 5 }, report.Severities);
        Assert.Equal(0.6, report.Accuracy("net", "contrast", 3), 12);

        // Without clean accuracies there is no relative mCE; a missing cell or baseline is an error.
        Assert.Null(Robustness.Compute(rows, "alexnet").Models[0].RelativeMeanCorruptionError);
        Assert.Throws<ArgumentException>(() => Robustness.Compute(rows.Skip(1).ToList(), "alexnet"));
        Assert.Contains("resnet", Assert.Throws<ArgumentException>(() => Robustness.Compute(rows, "resnet")).Message);
    }

    /// <summary>The first images of Fashion-MNIST's test set as a small in-memory dataset.</summary>
    private sealed class SmallDataset(int count) : IImageFileDataset
    {
        private static readonly IdxDataset Fashion = IdxDataset.FashionMnist();
        public string Name => "fashion-small";
        public int Count => count;
        public IReadOnlyList<string> Classes => Fashion.Classes;
        public ClassHierarchy Hierarchy => Fashion.Hierarchy;
        public int Channels => 1;
        public string Fingerprint => DatasetSupport.Sha256(Fashion.Fingerprint + "/first" + count);
        public int Label(int index) => Fashion.Label(index);
        public string Describe(int index) => $"small[{index}]";
        public string PathOf(int index) => Describe(index);
        public DecodedImage LoadImage(int index) => new(28, 28, 1, Fashion.Pixels(index).ToArray());
        public Tensor Load(int index) => LoadImage(index).ToTensor();
        public bool TryLoad(int index, [NotNullWhen(true)] out Tensor? image, [NotNullWhen(false)] out string? error) =>
            DatasetSupport.TryLoad(this, index, out image, out error);
    }

    private sealed class DatasetIdentityComparer : IEqualityComparer<DatasetIdentity>
    {
        public static readonly DatasetIdentityComparer Instance = new();
        public bool Equals(DatasetIdentity? x, DatasetIdentity? y) => x!.Key == y!.Key && x.Count == y.Count && x.Classes.SequenceEqual(y.Classes);
        public int GetHashCode(DatasetIdentity obj) => obj.Key.GetHashCode();
    }
}

internal static class StoreTestExtensions
{
    public static StoreEntry GetOrEvaluateWith(this PredictionsStore store, nn.Module<Tensor, Tensor> model, ModelIdentity identity, IEvaluationSource source) =>
        Evaluator.Evaluate(model, identity, source, store,
            new EvaluationOptions { BatchSize = 5, ChunkSize = 1024, MeasureLatency = false, Device = CPU })!;
}
