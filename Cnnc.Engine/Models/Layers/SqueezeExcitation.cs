// After torchvision 0.14's torchvision/ops/misc.py (BSD-3-Clause, the PyTorch vision authors).

using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Cnnc.Engine.Models.Layers;

/// <summary>
/// torchvision's <c>SqueezeExcitation</c> (Hu et al., "Squeeze-and-Excitation Networks", arXiv 1709.01507):
/// global average pool (<c>avgpool</c>), 1×1 convolution <c>fc1</c> to the squeeze width, <c>activation</c>,
/// 1×1 convolution <c>fc2</c> back, <c>scale_activation</c>, and the input multiplied by that per-channel scale.
/// Module names are torchvision's, so its state dicts load unchanged.
/// </summary>
public sealed class SqueezeExcitation : nn.Module<Tensor, Tensor>
{
    private readonly AdaptiveAvgPool2d avgpool;
    private readonly Conv2d fc1;
    private readonly Conv2d fc2;
    private readonly nn.Module<Tensor, Tensor> activation;
    private readonly nn.Module<Tensor, Tensor> scale_activation;

    /// <summary>Builds the block.</summary>
    /// <param name="inputChannels">Channels of the input (and output).</param>
    /// <param name="squeezeChannels">Width of the bottleneck.</param>
    /// <param name="activation">δ of the paper; default ReLU.</param>
    /// <param name="scaleActivation">σ of the paper; default sigmoid (MobileNet V3: hard sigmoid).</param>
    public SqueezeExcitation(long inputChannels, long squeezeChannels,
        Func<nn.Module<Tensor, Tensor>>? activation = null, Func<nn.Module<Tensor, Tensor>>? scaleActivation = null)
        : base("SqueezeExcitation")
    {
        avgpool = nn.AdaptiveAvgPool2d(1);
        fc1 = nn.Conv2d(inputChannels, squeezeChannels, 1);
        fc2 = nn.Conv2d(squeezeChannels, inputChannels, 1);
        this.activation = activation?.Invoke() ?? nn.ReLU();
        scale_activation = scaleActivation?.Invoke() ?? nn.Sigmoid();
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var scale = scale_activation.call(fc2.call(activation.call(fc1.call(avgpool.call(input)))));
        return scope.MoveToOuter(scale * input);
    }
}
