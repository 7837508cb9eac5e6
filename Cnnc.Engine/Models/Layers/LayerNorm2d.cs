// After torchvision 0.14's torchvision/models/convnext.py LayerNorm2d (BSD-3-Clause, the PyTorch vision authors).

using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Cnnc.Engine.Models.Layers;

/// <summary>
/// torchvision's <c>LayerNorm2d</c>: LayerNorm over the channels of an N×C×H×W tensor (permuted to N×H×W×C, normalised
/// over the last dimension, permuted back). Parameters <c>weight</c> (ones) and <c>bias</c> (zeros) of length C, as
/// <c>nn.LayerNorm(C)</c> has them, so torchvision's state dicts load unchanged.
/// </summary>
public sealed class LayerNorm2d : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly long[] normalizedShape;
    private readonly double eps;

    /// <summary>Builds the layer.</summary>
    /// <param name="channels">C.</param>
    /// <param name="eps">Added to the variance (ConvNeXt: 1e-6).</param>
    public LayerNorm2d(long channels, double eps = 1e-5) : base("LayerNorm2d")
    {
        normalizedShape = [channels];
        this.eps = eps;
        weight = new Parameter(ones(channels));
        bias = new Parameter(zeros(channels));
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = nn.functional.layer_norm(input.permute(0, 2, 3, 1), normalizedShape, weight, bias, eps);
        return scope.MoveToOuter(x.permute(0, 3, 1, 2));
    }
}
