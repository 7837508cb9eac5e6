using Cnnc.Engine.Evaluation;

namespace Cnnc.Engine.Analysis;

/// <summary>
/// Several models' outcomes on the same images, compacted to the readable ones: per model a correctness byte and the
/// prediction of every readable image. Shared by the paired analyses (significance, bootstrap, agreement), which need
/// the same images for every model and nothing of the confidence matrix.
/// </summary>
internal sealed class PairedOutcomes
{
    private PairedOutcomes(IReadOnlyList<string> models, int[] images, int[] labels, byte[][] correct, int[][] predictions, int classCount)
    {
        Models = models;
        Images = images;
        Labels = labels;
        Correct = correct;
        Predictions = predictions;
        ClassCount = classCount;
    }

    /// <summary>Model names, in the order given.</summary>
    public IReadOnlyList<string> Models { get; }

    /// <summary>Entry index of each readable image (ascending): position k of the arrays below is image Images[k].</summary>
    public int[] Images { get; }

    /// <summary>Label of each readable image.</summary>
    public int[] Labels { get; }

    /// <summary>Correct[m][k] = 1 when model m predicts readable image k correctly, else 0.</summary>
    public byte[][] Correct { get; }

    /// <summary>Predictions[m][k]: model m's class for readable image k.</summary>
    public int[][] Predictions { get; }

    /// <summary>Classes of the dataset.</summary>
    public int ClassCount { get; }

    /// <summary>Readable images.</summary>
    public int Count => Images.Length;

    /// <summary>
    /// The outcomes of <paramref name="entries"/>, which must be evaluations of the same images: the same classes, the
    /// same labels and the same readable images (an <see cref="ArgumentException"/> names the first difference).
    /// </summary>
    public static PairedOutcomes Of(IReadOnlyList<StoreEntry> entries)
    {
        if (entries.Count == 0) throw new ArgumentException("At least one model is needed.", nameof(entries));
        var first = entries[0];
        var classes = first.Meta.Dataset.Classes;
        foreach (var other in entries.Skip(1)) CheckSameImages(first, other);
        var images = Enumerable.Range(0, first.Labels.Length).Where(i => first.Readable[i]).ToArray();
        var labels = new int[images.Length];
        var correct = new byte[entries.Count][];
        var predictions = new int[entries.Count][];
        for (var k = 0; k < images.Length; k++) labels[k] = Confusion.LabelAndPrediction(first, images[k]).Label;
        for (var m = 0; m < entries.Count; m++)
        {
            correct[m] = new byte[images.Length];
            predictions[m] = new int[images.Length];
            for (var k = 0; k < images.Length; k++)
            {
                var predicted = Confusion.LabelAndPrediction(entries[m], images[k]).Predicted;
                predictions[m][k] = predicted;
                correct[m][k] = predicted == labels[k] ? (byte)1 : (byte)0;
            }
        }
        return new PairedOutcomes(entries.Select(e => e.Meta.Model.Name).ToArray(), images, labels, correct, predictions, classes.Count);
    }

    private static void CheckSameImages(StoreEntry a, StoreEntry b)
    {
        string Pair() => $"{a.Meta.Model.Name} (on {a.Meta.Dataset.Name}) and {b.Meta.Model.Name} (on {b.Meta.Dataset.Name})";
        if (!a.Meta.Dataset.Classes.SequenceEqual(b.Meta.Dataset.Classes, StringComparer.Ordinal))
            throw new ArgumentException($"{Pair()} were evaluated on different classes: a paired comparison needs the same dataset.");
        if (a.Labels.Length != b.Labels.Length)
            throw new ArgumentException($"{Pair()} were evaluated on {a.Labels.Length} and {b.Labels.Length} images: a paired comparison needs the same images.");
        for (var i = 0; i < a.Labels.Length; i++)
        {
            if (a.Labels[i] != b.Labels[i])
                throw new ArgumentException($"{Pair()} disagree on the label of image {i} ({a.Labels[i]} vs {b.Labels[i]}): a paired comparison needs the same images.");
            if (a.Readable[i] != b.Readable[i])
                throw new ArgumentException($"Image {i} is readable for {(a.Readable[i] ? a : b).Meta.Model.Name} but not for {(a.Readable[i] ? b : a).Meta.Model.Name}: a paired comparison needs the same readable images.");
        }
    }
}
