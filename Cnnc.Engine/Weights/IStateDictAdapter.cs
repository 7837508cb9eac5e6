using static TorchSharp.torch;

namespace Cnnc.Engine.Weights;

/// <summary>
/// A model whose published checkpoints differ from its own state dict in a known way, as torchvision's loaders handle
/// it: GoogLeNet's files hold the auxiliary heads that torchvision drops after loading; MNASNet's version-1 files have
/// another stem. <see cref="WeightsLoader"/> passes the file's state dict through <see cref="Adapt"/> before it
/// compares keys and shapes, so everything else (strictness, all-or-nothing) stays as it is.
/// </summary>
public interface IStateDictAdapter
{
    /// <summary>
    /// The state dict to load in place of <paramref name="stateDict"/>: the same tensors, with exactly the keys the
    /// architecture's published files have and the model does not removed; or an
    /// <see cref="InvalidOperationException"/> naming what the file is, when it cannot be loaded into this model.
    /// </summary>
    /// <param name="stateDict">The file's tensors by key (after any prefix was stripped).</param>
    /// <param name="source">The file, for messages.</param>
    IReadOnlyDictionary<string, Tensor> Adapt(IReadOnlyDictionary<string, Tensor> stateDict, string source);
}
