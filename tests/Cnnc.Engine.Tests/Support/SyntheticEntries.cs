using System.Security.Cryptography;
using System.Text;
using Cnnc.Engine.Evaluation;
using static TorchSharp.torch;

namespace Cnnc.Engine.Tests.Support;

/// <summary>
/// Complete store entries written from given arrays through the store's own chunk writer (no model runs), for the
/// analyses that read predictions. Seeded from private generators, never libtorch's shared one.
/// </summary>
internal static class SyntheticEntries
{
    public static DatasetIdentity Dataset(string name, int count, int classes) =>
        new(name, new string('d', 64), count, Enumerable.Range(0, classes).Select(c => $"c{c}").ToArray());

    /// <summary>Writes an entry with exactly these arrays (unreadable rows should be 0 with prediction −1).</summary>
    public static StoreEntry Write(string root, string model, DatasetIdentity dataset, float[] probabilities, long[] predictions,
        long[] labels, bool[] readable)
    {
        var store = new PredictionsStore(root);
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(model))).ToLowerInvariant();
        var identity = new ModelIdentity(model, "synthetic", hash);
        store.EnsureLayout(identity, dataset, Math.Max(1, labels.Length), CPU);
        using var p = tensor(probabilities, new long[] { labels.Length, dataset.Classes.Count });
        var errors = Enumerable.Range(0, labels.Length).Where(i => !readable[i]).Select(i => new ItemError(i, $"image-{i}", "unreadable")).ToList();
        if (!store.WriteChunk(identity, dataset, 0, p, predictions, labels, readable, errors))
            throw new InvalidOperationException("The entry exists already.");
        return store.TryComplete(identity, dataset) ?? throw new InvalidOperationException("The entry did not complete.");
    }

    /// <summary>
    /// A model that is right more often as <paramref name="skill"/> grows: softmax of N(0, 1) logits plus
    /// <paramref name="skill"/> on the true class; prediction = argmax; unreadable rows 0 with prediction −1.
    /// </summary>
    public static StoreEntry Model(string root, string model, DatasetIdentity dataset, long[] labels, bool[] readable, ulong seed,
        double skill, Func<int, long, long>? overridePrediction = null)
    {
        int n = labels.Length, c = dataset.Classes.Count;
        using var scope = NewDisposeScope();
        var logits = Seeded.Randn(seed, n, c) + nn.functional.one_hot(tensor(labels), c).to(ScalarType.Float32) * skill;
        var p = nn.functional.softmax(logits, 1) * tensor(readable).unsqueeze(1).to(ScalarType.Float32);
        var probabilities = p.contiguous().data<float>().ToArray();
        var argmax = p.argmax(1).data<long>().ToArray();
        var predictions = Enumerable.Range(0, n).Select(i => !readable[i] ? -1 : overridePrediction?.Invoke(i, argmax[i]) ?? argmax[i]).ToArray();
        return Write(root, model, dataset, probabilities, predictions, labels, readable);
    }
}
