using Cnnc.Engine.Evaluation;
using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Analysis;

/// <summary>
/// The paper's Algorithm 1: the N×N class distance matrix of one model, from its confidence (softmax) matrix.
/// </summary>
/// <remarks>
/// For each true class c with images: D[c, j] = mean over the images of class c of (1 − p_j), for j ≠ c; D[c, c] = 0;
/// then D ← (D + Dᵀ) / 2. Computed with tensor ops (a scatter-add of probability rows by label, in float64, in chunks of
/// 4096 rows), so N = 1000 and M = 50,000 take well under a second.
/// Unreadable images (the store's <c>readable</c> flag) are left out. A class without any image has no row in the
/// paper's algorithm (numpy would give 0/0 = NaN); here its row is set to 1 (the largest possible distance) before
/// symmetrising, so the embedding places it away from everything, and it is listed in
/// <see cref="ClassDistances.EmptyClasses"/>.
/// </remarks>
public sealed class ClassDistances
{
    private ClassDistances(int classCount, double[] values, int[] imagesPerClass)
    {
        ClassCount = classCount;
        Values = values;
        ImagesPerClass = imagesPerClass;
        EmptyClasses = Enumerable.Range(0, classCount).Where(c => imagesPerClass[c] == 0).ToArray();
    }

    /// <summary>N.</summary>
    public int ClassCount { get; }

    /// <summary>The symmetric distances, row-major N×N, zero diagonal, values in [0, 1].</summary>
    public double[] Values { get; }

    /// <summary>Images counted per class (readable images only).</summary>
    public IReadOnlyList<int> ImagesPerClass { get; }

    /// <summary>Classes without images (their rows were set to 1).</summary>
    public IReadOnlyList<int> EmptyClasses { get; }

    /// <summary>The distance between classes <paramref name="i"/> and <paramref name="j"/>.</summary>
    public double this[int i, int j] => Values[i * ClassCount + j];

    /// <summary>A new float64 CPU tensor [N, N]; the caller disposes it.</summary>
    public Tensor ToTensor()
    {
        Runtime.TorchRuntime.Initialize();
        return torch.tensor(Values, new long[] { ClassCount, ClassCount });
    }

    /// <summary>Algorithm 1 over a store entry (unreadable images left out).</summary>
    public static ClassDistances Compute(StoreEntry entry) =>
        Compute(entry.Probabilities, entry.Labels, entry.Readable);

    /// <summary>
    /// Algorithm 1 over a confidence matrix <paramref name="probabilities"/> [M, N] (any float dtype) and the true
    /// label of each row; rows whose <paramref name="include"/> flag is false are left out.
    /// </summary>
    public static ClassDistances Compute(Tensor probabilities, IReadOnlyList<long> labels, IReadOnlyList<bool>? include = null)
    {
        Runtime.TorchRuntime.Initialize();
        if (probabilities.dim() != 2) throw new ArgumentException($"The confidence matrix must be [M, N], got [{string.Join(", ", probabilities.shape)}].");
        var m = (int)probabilities.shape[0];
        var n = (int)probabilities.shape[1];
        if (n == 0) throw new ArgumentException("The confidence matrix has no classes.");
        if (labels.Count != m) throw new ArgumentException($"{labels.Count} labels for {m} rows of the confidence matrix.");
        if (include is not null && include.Count != m) throw new ArgumentException($"{include.Count} include flags for {m} rows.");

        var rows = new List<long>(m);
        for (var i = 0; i < m; i++)
        {
            if (include is not null && !include[i]) continue;
            if (labels[i] < 0 || labels[i] >= n) throw new ArgumentException($"Label {labels[i]} of row {i} is outside 0..{n - 1}.");
            rows.Add(i);
        }

        using var scope = NewDisposeScope();
        var source = probabilities.detach().cpu();
        var sums = zeros(n, n, ScalarType.Float64);
        var counts = new int[n];
        const int chunk = 4096;
        var allLabels = labels as long[] ?? labels.ToArray();
        for (var start = 0; start < rows.Count; start += chunk)
        {
            using var inner = NewDisposeScope();
            var count = Math.Min(chunk, rows.Count - start);
            var index = new long[count];
            var label = new long[count];
            for (var k = 0; k < count; k++)
            {
                index[k] = rows[start + k];
                label[k] = allLabels[index[k]];
                counts[label[k]]++;
            }
            var block = rows.Count == m ? source.narrow(0, start, count) : source.index_select(0, tensor(index));
            sums.index_add_(0, tensor(label), block.to(ScalarType.Float64), 1.0);
        }
        var countTensor = tensor(counts.Select(c => (double)Math.Max(c, 1)).ToArray()).unsqueeze(1);
        var d = 1.0 - sums / countTensor; // mean of (1 - p_j) over the class's images
        var empty = counts.Select(c => c == 0).ToArray();
        if (empty.Any(e => e)) d.index_fill_(0, tensor(Enumerable.Range(0, n).Where(c => empty[c]).Select(c => (long)c).ToArray()), 1.0);
        d.diagonal().zero_();
        var symmetric = (d + d.t()) / 2.0;
        var values = symmetric.contiguous().data<double>().ToArray();
        return new ClassDistances(n, values, counts);
    }
}
