using Cnnc.Engine.Data;
using static TorchSharp.torch;

namespace Cnnc.Engine.Evaluation;

/// <summary>
/// An <see cref="IImageDataset"/> preprocessed for a model: what evaluation reads. Its identity combines the dataset's
/// fingerprint with the preprocessing, so results under another transform are never confused.
/// </summary>
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
}
