using System.Numerics;
using System.Text;
using Cnnc.Engine.Data;
using Cnnc.Engine.Evaluation;
using Cnnc.Engine.Studies;

namespace Cnnc.Engine.Analysis;

/// <summary>How <see cref="Bootstrap.Accuracy"/> resamples.</summary>
public sealed record BootstrapOptions
{
    /// <summary>Resamples drawn (default 1,000).</summary>
    public int Resamples { get; init; } = 1000;

    /// <summary>Seed of the resamples: the same seed gives the same intervals on any machine, forever.</summary>
    public ulong Seed { get; init; }

    /// <summary>Coverage of the percentile interval (default 0.95: the 2.5th and 97.5th percentiles).</summary>
    public double Confidence { get; init; } = 0.95;

    /// <summary>Resamples computed at once (default: all cores); the result does not depend on it.</summary>
    public int? Parallelism { get; init; }

    internal BootstrapOptions Validate()
    {
        if (Resamples < 1) throw new ArgumentOutOfRangeException(nameof(Resamples), $"At least one resample is needed, got {Resamples}.");
        if (!(Confidence > 0 && Confidence < 1)) throw new ArgumentOutOfRangeException(nameof(Confidence), $"The confidence must be in (0, 1), got {Confidence}.");
        return this;
    }
}

/// <summary>A bootstrap percentile interval of an accuracy.</summary>
/// <param name="Name">The group: "overall" or a root name.</param>
/// <param name="Images">Readable images of the group in the data (not resampled).</param>
/// <param name="Accuracy">The observed accuracy (NaN for a group without images).</param>
/// <param name="Lower">Lower percentile of the resampled accuracies.</param>
/// <param name="Upper">Upper percentile.</param>
/// <param name="Resamples">Resamples in which the group had at least one image (the others are left out).</param>
public sealed record AccuracyInterval(string Name, int Images, double Accuracy, double Lower, double Upper, int Resamples);

/// <summary>One model's bootstrap intervals.</summary>
/// <param name="Model">Model name.</param>
/// <param name="Overall">Overall accuracy.</param>
/// <param name="PerRoot">Accuracy per root class, in the hierarchy's root order.</param>
public sealed record ModelBootstrap(string Model, AccuracyInterval Overall, IReadOnlyList<AccuracyInterval> PerRoot);

/// <summary>Bootstrap intervals of several models, all computed from the same resamples (paired).</summary>
/// <param name="Models">Per model, in the order given.</param>
/// <param name="Resamples">Resamples drawn.</param>
/// <param name="Seed">Their seed.</param>
/// <param name="Confidence">Interval coverage.</param>
/// <param name="Images">Readable images resampled.</param>
public sealed record BootstrapResult(IReadOnlyList<ModelBootstrap> Models, int Resamples, ulong Seed, double Confidence, int Images)
{
    /// <summary>One row per model and group (overall first, then the roots).</summary>
    public string ToCsv()
    {
        var csv = new StringBuilder();
        Csv.Row(csv, "model", "group", "images", "accuracy", "lower", "upper", "confidence", "resamples", "seed");
        foreach (var m in Models)
            foreach (var g in m.PerRoot.Prepend(m.Overall))
                Csv.Row(csv, m.Model, g.Name, g.Images, g.Accuracy, g.Lower, g.Upper, Confidence, g.Resamples, Seed);
        return csv.ToString();
    }
}

/// <summary>
/// Bootstrap percentile intervals of accuracies. Resample b draws N readable images with replacement (N = readable
/// images), from its own generator (<see cref="ResampleIndices"/>): SplitMix64 started at
/// Mix64(seed ⊕ Mix64(b)), draws mapped to [0, N) by Lemire's unbiased multiply-and-reject. Every model is scored on
/// the same resamples. A root's accuracy in a resample is over the resample's images of that root (not stratified);
/// resamples without one are left out of its interval. Interval ends are numpy's default percentile (linear
/// interpolation between order statistics, "type 7") at (1 − confidence)/2 and (1 + confidence)/2.
/// </summary>
public static class Bootstrap
{
    /// <summary>Intervals of overall and per-root accuracy of <paramref name="entries"/> (evaluations of the same images).</summary>
    public static BootstrapResult Accuracy(IReadOnlyList<StoreEntry> entries, ClassHierarchy? hierarchy = null, BootstrapOptions? options = null)
    {
        var outcomes = PairedOutcomes.Of(entries);
        hierarchy ??= ClassHierarchy.Flat(entries[0].Meta.Dataset.Classes);
        hierarchy.EnsureMatches(entries[0].Meta.Dataset.Classes, entries[0].Meta.Dataset.Name);
        return Resample(outcomes, hierarchy, (options ?? new BootstrapOptions()).Validate());
    }

    internal static BootstrapResult Resample(PairedOutcomes outcomes, ClassHierarchy hierarchy, BootstrapOptions options)
    {
        int n = outcomes.Count, l = outcomes.Models.Count, r = hierarchy.RootCount, resamples = options.Resamples;
        // Images sorted by root, so each root is one contiguous segment of the weighted sums below.
        var rootOfImage = outcomes.Labels.Select(hierarchy.RootOf).ToArray();
        var sorted = Enumerable.Range(0, n).OrderBy(k => rootOfImage[k]).ToArray();
        var position = new int[n];
        for (var s = 0; s < n; s++) position[sorted[s]] = s;
        var segmentStart = new int[r + 1];
        foreach (var root in rootOfImage) segmentStart[root + 1]++;
        for (var root = 0; root < r; root++) segmentStart[root + 1] += segmentStart[root];
        // Correctness as −1 / 0 ints in root order: a weight AND-ed with it keeps the weight of correct images only.
        var mask = new int[l][];
        for (var m = 0; m < l; m++)
        {
            mask[m] = new int[n];
            for (var s = 0; s < n; s++) mask[m][s] = -outcomes.Correct[m][sorted[s]];
        }

        // right[b][m·r + root] and images[b][root]: the resample's correct and total images per root.
        var right = new int[resamples][];
        var images = new int[resamples][];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.Parallelism ?? Environment.ProcessorCount };
        Parallel.For(0, resamples, parallel, () => new int[n], (b, _, weight) =>
        {
            Array.Clear(weight);
            var generator = new SplitMix64(StreamSeed(options.Seed, b));
            for (var i = 0; i < n; i++) weight[position[generator.Below((uint)n)]]++;
            var total = new int[r];
            var correct = new int[l * r];
            for (var root = 0; root < r; root++)
            {
                int start = segmentStart[root], end = segmentStart[root + 1];
                total[root] = Sum(weight, start, end);
                for (var m = 0; m < l; m++) correct[m * r + root] = MaskedSum(weight, mask[m], start, end);
            }
            right[b] = correct;
            images[b] = total;
            return weight;
        }, _ => { });

        var models = new List<ModelBootstrap>(l);
        for (var m = 0; m < l; m++)
        {
            var overall = new double[resamples];
            for (var b = 0; b < resamples; b++) overall[b] = (double)right[b].Skip(m * r).Take(r).Sum() / n;
            var observed = n == 0 ? double.NaN : outcomes.Correct[m].Sum(x => (int)x) / (double)n;
            var perRoot = new List<AccuracyInterval>(r);
            for (var root = 0; root < r; root++)
            {
                var values = new List<double>(resamples);
                for (var b = 0; b < resamples; b++)
                    if (images[b][root] > 0) values.Add((double)right[b][m * r + root] / images[b][root]);
                int start = segmentStart[root], end = segmentStart[root + 1];
                var count = end - start;
                var observedRoot = count == 0 ? double.NaN : -(double)mask[m].Skip(start).Take(count).Sum() / count;
                perRoot.Add(Interval(hierarchy.Roots[root], count, observedRoot, values, options.Confidence));
            }
            models.Add(new ModelBootstrap(outcomes.Models[m],
                Interval("overall", n, observed, n == 0 ? new List<double>() : overall.ToList(), options.Confidence), perRoot));
        }
        return new BootstrapResult(models, resamples, options.Seed, options.Confidence, n);
    }

    /// <summary>
    /// The readable-image positions (0 … <paramref name="count"/> − 1, in image order) that resample
    /// <paramref name="resample"/> draws, in draw order: what <see cref="Accuracy"/> uses, for checking it elsewhere.
    /// </summary>
    public static int[] ResampleIndices(int count, int resample, ulong seed)
    {
        var generator = new SplitMix64(StreamSeed(seed, resample));
        var indices = new int[count];
        for (var i = 0; i < count; i++) indices[i] = (int)generator.Below((uint)count);
        return indices;
    }

    /// <summary>numpy's default percentile (linear interpolation, "type 7") of ascending <paramref name="sorted"/>, q in [0, 100].</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double q)
    {
        if (sorted.Count == 0) return double.NaN;
        var h = (sorted.Count - 1) * q / 100;
        var lo = (int)Math.Floor(h);
        var hi = Math.Min(lo + 1, sorted.Count - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }

    private static AccuracyInterval Interval(string name, int images, double observed, List<double> values, double confidence)
    {
        values.Sort();
        var tail = (1 - confidence) / 2 * 100;
        return new AccuracyInterval(name, images, observed, Percentile(values, tail), Percentile(values, 100 - tail), values.Count);
    }

    private static ulong StreamSeed(ulong seed, int resample) => SplitMix64.Mix(seed ^ SplitMix64.Mix((ulong)resample));

    private static int Sum(int[] values, int start, int end)
    {
        var acc = Vector<int>.Zero;
        var i = start;
        for (; i <= end - Vector<int>.Count; i += Vector<int>.Count) acc += new Vector<int>(values, i);
        var sum = Vector.Sum(acc);
        for (; i < end; i++) sum += values[i];
        return sum;
    }

    private static int MaskedSum(int[] values, int[] mask, int start, int end)
    {
        var acc = Vector<int>.Zero;
        var i = start;
        for (; i <= end - Vector<int>.Count; i += Vector<int>.Count)
            acc += Vector.BitwiseAnd(new Vector<int>(values, i), new Vector<int>(mask, i));
        var sum = Vector.Sum(acc);
        for (; i < end; i++) sum += values[i] & mask[i];
        return sum;
    }

    /// <summary>SplitMix64 (Steele, Lea and Flood 2014): a fixed, documented generator, unlike System.Random's.</summary>
    private struct SplitMix64(ulong state)
    {
        private ulong _state = state;

        public static ulong Mix(ulong z)
        {
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        public ulong Next() => Mix(_state += 0x9E3779B97F4A7C15UL);

        /// <summary>Uniform in [0, bound) from the high 32 bits of each draw (Lemire 2019, unbiased).</summary>
        public uint Below(uint bound)
        {
            var m = (Next() >> 32) * bound;
            if ((uint)m < bound)
            {
                var threshold = (uint)-bound % bound;
                while ((uint)m < threshold) m = (Next() >> 32) * bound;
            }
            return (uint)(m >> 32);
        }
    }
}
