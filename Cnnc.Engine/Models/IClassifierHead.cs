using static TorchSharp.torch;

namespace Cnnc.Engine.Models;

/// <summary>
/// An architecture that can run the part of itself after its last convolutional block (its default explanation layer)
/// on its own: pooling and classifier. Explainers that replace that layer's output many times (Ablation-CAM) then run
/// only this head instead of the whole network.
/// </summary>
public interface IClassifierHead
{
    /// <summary>Module path of the layer whose output <see cref="Head"/> takes (the default explanation layer).</summary>
    string HeadInputLayer { get; }

    /// <summary>
    /// The logits the network gives when <see cref="HeadInputLayer"/> outputs <paramref name="layerOutput"/>: exactly
    /// the rest of <c>forward</c> (which is written as this head applied to the layer's output).
    /// </summary>
    Tensor Head(Tensor layerOutput);
}
