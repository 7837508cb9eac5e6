using Cnnc.Engine.Data;
using static TorchSharp.torch;

namespace Cnnc.Engine.Evaluation;

/// <summary>
/// An <see cref="IImageDataset"/> preprocessed for a model: what evaluation reads. Its identity combines the dataset's
/// fingerprint with the preprocessing, so results under another transform are never confused.
/// </summary>
/// <remarks>
/// Image files (<see cref="IImageFileDataset"/>) are decoded and preprocessed on all cores
/// (<see cref="DecodeParallelism"/>), each straight into its row of the batch, through the exact 8-bit path of
/// <see cref="Data.Preprocessing.ApplyInto"/>; <see cref="Evaluator"/> loads the next batch while the model runs.
/// </remarks>
public sealed class DatasetEvaluationSource : IEvaluationSource
{
    private readonly bool _idxFastPath;

    /// <summary>Wraps <paramref name="dataset"/> with the transform the model expects.</summary>
    public DatasetEvaluationSource(IImageDataset dataset, Preprocessing preprocessing)
    {
        Dataset = dataset;
        Preprocessing = preprocessing;
        Identity = new DatasetIdentity(dataset.Name, DatasetIdentity.FingerprintOf(dataset.Fingerprint, preprocessing.Key),
            dataset.Count, dataset.Hierarchy.ClassNames);
        _idxFastPath = dataset is IdxDataset idx &&
                       preprocessing.OutputShape(1, idx.Height, idx.Width) == (1, idx.Height, idx.Width);
    }

    /// <summary>The dataset.</summary>
    public IImageDataset Dataset { get; }

    /// <summary>The transform applied to every image.</summary>
    public Preprocessing Preprocessing { get; }

    /// <summary>Images decoded at once. Default: <see cref="Environment.ProcessorCount"/>.</summary>
    public int DecodeParallelism { get; init; } = Environment.ProcessorCount;

    /// <inheritdoc />
    public DatasetIdentity Identity { get; }

    /// <inheritdoc />
    public EvaluationBatch LoadBatch(int start, int count)
    {
        var labels = Enumerable.Range(start, count).Select(i => (long)Dataset.Label(i)).ToArray();
        if (_idxFastPath)
        {
            // Whole IDX batches at once: the geometry is the identity, only normalisation remains.
            using var raw = ((IdxDataset)Dataset).LoadBatch(start, count);
            return new EvaluationBatch(Preprocessing.Normalize(raw), Enumerable.Range(start, count).ToArray(), labels,
                Array.Empty<ItemError>());
        }
        if (Dataset is IImageFileDataset files) return LoadFiles(files, start, count, labels);
        var inputs = new List<Tensor>();
        var indices = new List<int>();
        var errors = new List<ItemError>();
        try
        {
            for (var i = start; i < start + count; i++)
            {
                if (!Dataset.TryLoad(i, out var image, out var error))
                {
                    errors.Add(new ItemError(i, Dataset.Describe(i), error));
                    continue;
                }
                using (image)
                {
                    try { inputs.Add(Preprocessing.Apply(image)); indices.Add(i); }
                    catch (ArgumentException e) { errors.Add(new ItemError(i, Dataset.Describe(i), e.Message)); }
                }
            }
            var batch = inputs.Count == 0 ? empty(0) : stack(inputs);
            return new EvaluationBatch(batch, indices.ToArray(), labels, errors);
        }
        finally
        {
            foreach (var t in inputs) t.Dispose();
        }
    }

    private EvaluationBatch LoadFiles(IImageFileDataset files, int start, int count, long[] labels)
    {
        if (Preprocessing.CenterCrop is null && Preprocessing.ResizeExact is null)
            throw new ArgumentException($"Preprocessing {Preprocessing.Key} has no crop or exact resize: images of different sizes cannot form a batch.");
        var (c, h, w) = Preprocessing.OutputShape(files.Channels, 1, 1); // the crop (or exact size) fixes h and w
        var size = c * h * w;
        var values = new float[(long)count * size];
        var errors = new ItemError?[count];
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, DecodeParallelism) }, i =>
        {
            var index = start + i;
            try
            {
                Preprocessing.ApplyInto(files.LoadImage(index), values.AsSpan(i * size, size));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
            {
                errors[i] = new ItemError(index, files.Describe(index), e.Message);
            }
        });
        var readable = Enumerable.Range(0, count).Where(i => errors[i] is null).ToArray();
        if (readable.Length < count)
        {
            // Close the gaps left by unreadable items.
            var packed = new float[(long)readable.Length * size];
            for (var r = 0; r < readable.Length; r++) values.AsSpan(readable[r] * size, size).CopyTo(packed.AsSpan(r * size, size));
            values = packed;
        }
        var batch = readable.Length == 0 ? empty(0) : tensor(values, new long[] { readable.Length, c, h, w });
        return new EvaluationBatch(batch, readable.Select(i => start + i).ToArray(), labels, errors.OfType<ItemError>().ToList());
    }
}
