// After torchvision 0.14's torchvision/ops/misc.py Permute (BSD-3-Clause, the PyTorch vision authors).

using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Models.Layers;

/// <summary>
/// torchvision's <c>Permute</c>: reorders the dimensions (ConvNeXt and Swin switch between N×C×H×W and N×H×W×C inside
/// a <c>Sequential</c>). No parameters, but it takes a slot in the Sequential's numbering, as in torchvision.
/// </summary>
public sealed class Permute : nn.Module<Tensor, Tensor>
{
    private readonly long[] dims;

    /// <summary>Builds the layer.</summary>
    /// <param name="dims">The new order, e.g. [0, 2, 3, 1].</param>
    public Permute(params long[] dims) : base("Permute")
    {
        this.dims = dims;
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input) => input.permute(dims);
}
