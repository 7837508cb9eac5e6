// After torchvision 0.14's torchvision/ops/stochastic_depth.py (BSD-3-Clause, the PyTorch vision authors).

using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Models.Layers;

/// <summary>
/// torchvision's <c>StochasticDepth</c> (Huang et al., "Deep Networks with Stochastic Depth", arXiv 1603.09382): in
/// training, drops the whole residual branch per sample ("row") or per batch with probability <c>p</c> and scales the
/// survivors by 1 / (1 − p); in eval mode the identity. No parameters. Used by EfficientNet, ConvNeXt, Swin and MaxViT.
/// </summary>
public sealed class StochasticDepth : nn.Module<Tensor, Tensor>
{
    /// <summary>Builds the layer.</summary>
    /// <param name="probability">Probability of dropping the branch, in [0, 1].</param>
    /// <param name="perRow">True for torchvision's mode "row" (one draw per sample), false for "batch".</param>
    public StochasticDepth(double probability, bool perRow = true) : base("StochasticDepth")
    {
        if (probability is < 0 or > 1) throw new ArgumentException($"Drop probability must be in [0, 1] (got {probability}).");
        Probability = probability;
        PerRow = perRow;
        RegisterComponents();
    }

    /// <summary>Probability of dropping the branch.</summary>
    public double Probability { get; }

    /// <summary>One draw per sample (true) or per batch.</summary>
    public bool PerRow { get; }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        if (!training || Probability == 0) return input.alias();
        using var scope = NewDisposeScope();
        var survival = 1.0 - Probability;
        var shape = PerRow ? new long[] { input.shape[0] }.Concat(Enumerable.Repeat(1L, (int)input.dim() - 1)).ToArray()
                           : Enumerable.Repeat(1L, (int)input.dim()).ToArray();
        var noise = empty(shape, dtype: input.dtype, device: input.device).bernoulli_(survival);
        if (survival > 0) noise.div_(survival);
        return scope.MoveToOuter(input * noise);
    }
}
