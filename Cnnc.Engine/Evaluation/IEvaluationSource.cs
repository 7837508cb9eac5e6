using static TorchSharp.torch;

namespace Cnnc.Engine.Evaluation;

/// <summary>One item that could not be read.</summary>
/// <param name="Index">Index in the dataset.</param>
/// <param name="Item">File name or description.</param>
/// <param name="Reason">Why it could not be read.</param>
public sealed record ItemError(int Index, string Item, string Reason);

/// <summary>A preprocessed batch: model inputs for the readable items, and the errors of the others.</summary>
/// <param name="Inputs">[B, C, H, W] float32 model inputs for the readable items, in index order.</param>
/// <param name="Indices">Dataset indices of the rows of <see cref="Inputs"/>.</param>
/// <param name="Labels">Labels of all requested items (also of unreadable ones).</param>
/// <param name="Errors">Items that could not be read.</param>
public sealed record EvaluationBatch(Tensor Inputs, int[] Indices, long[] Labels, IReadOnlyList<ItemError> Errors) : IDisposable
{
    public void Dispose() => Inputs.Dispose();
}

/// <summary>Data as evaluation needs it: labelled, preprocessed for the model, readable in batches.</summary>
public interface IEvaluationSource
{
    /// <summary>Identity of the data (name, fingerprint, count, classes).</summary>
    DatasetIdentity Identity { get; }

    /// <summary>Loads items [start, start + count) preprocessed for the model. Unreadable items are reported, not thrown.</summary>
    EvaluationBatch LoadBatch(int start, int count);
}
