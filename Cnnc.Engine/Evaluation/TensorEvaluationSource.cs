using System.Security.Cryptography;
using static TorchSharp.torch;

namespace Cnnc.Engine.Evaluation;

/// <summary>An evaluation source over tensors already preprocessed for the model ([M, C, H, W] float32).</summary>
public sealed class TensorEvaluationSource : IEvaluationSource
{
    private readonly Tensor _inputs;
    private readonly long[] _labels;
    private readonly Func<int, string?>? _unreadable;

    /// <param name="name">Dataset name.</param>
    /// <param name="inputs">[M, C, H, W] float32 inputs (kept, not copied).</param>
    /// <param name="labels">M labels.</param>
    /// <param name="classes">Class names in label order.</param>
    /// <param name="unreadable">Optional: returns a reason for items to report as unreadable (for tests and replays).</param>
    public TensorEvaluationSource(string name, Tensor inputs, long[] labels, IReadOnlyList<string> classes, Func<int, string?>? unreadable = null)
    {
        if (inputs.shape[0] != labels.Length) throw new ArgumentException($"{inputs.shape[0]} inputs but {labels.Length} labels.");
        _inputs = inputs;
        _labels = labels;
        _unreadable = unreadable;
        using var cpu = inputs.cpu().contiguous();
        var hash = Convert.ToHexString(SHA256.HashData(cpu.bytes)).ToLowerInvariant();
        Identity = new DatasetIdentity(name, DatasetIdentity.FingerprintOf(hash, string.Join(",", labels), string.Join("\n", classes)),
            labels.Length, classes);
    }

    /// <inheritdoc />
    public DatasetIdentity Identity { get; }

    /// <inheritdoc />
    public EvaluationBatch LoadBatch(int start, int count)
    {
        var indices = new List<int>();
        var errors = new List<ItemError>();
        for (var i = start; i < start + count; i++)
        {
            if (_unreadable?.Invoke(i) is { } reason) errors.Add(new ItemError(i, $"item[{i}]", reason));
            else indices.Add(i);
        }
        using var index = tensor(indices.Select(i => (long)i).ToArray());
        var inputs = indices.Count == 0 ? empty(0) : _inputs.index_select(0, index);
        return new EvaluationBatch(inputs, indices.ToArray(), _labels[start..(start + count)], errors);
    }
}
