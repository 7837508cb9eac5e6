// After torchvision 0.14's torchvision/ops/misc.py (BSD-3-Clause, the PyTorch vision authors).

using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Cnnc.Engine.Models.Layers;

/// <summary>
/// torchvision's <c>Conv2dNormActivation</c>: a <see cref="Sequential"/> of a convolution (<c>0</c>), an optional
/// BatchNorm (<c>1</c>) and an optional activation (next index), so state-dict keys are torchvision's
/// (<c>…0.weight</c>, <c>…1.running_mean</c>). Padding is <c>(kernel − 1) / 2 · dilation</c>; the convolution has a
/// bias only when there is no normalisation. Activations are not in place (a hook's captured output stays intact).
/// </summary>
public static class Conv2dNormActivation
{
    /// <summary>Builds the block.</summary>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="outChannels">Output channels.</param>
    /// <param name="kernelSize">Square kernel side. Default 3.</param>
    /// <param name="stride">Stride. Default 1.</param>
    /// <param name="groups">Convolution groups (input channels for depthwise). Default 1.</param>
    /// <param name="norm">BatchNorm settings; null for no normalisation (the convolution then has a bias).</param>
    /// <param name="activation">Activation module factory (e.g. <see cref="ReLU"/>, <see cref="Hardswish"/>); null for none.</param>
    /// <param name="dilation">Dilation. Default 1.</param>
    public static Sequential Create(long inChannels, long outChannels, long kernelSize = 3, long stride = 1, long groups = 1,
        BatchNormSettings? norm = null, Func<nn.Module<Tensor, Tensor>>? activation = null, long dilation = 1)
    {
        var layers = new List<nn.Module<Tensor, Tensor>>
        {
            nn.Conv2d(inChannels, outChannels, kernel_size: kernelSize, stride: stride,
                padding: (kernelSize - 1) / 2 * dilation, dilation: dilation, groups: groups, bias: norm is null),
        };
        if (norm is not null) layers.Add(nn.BatchNorm2d(outChannels, eps: norm.Eps, momentum: norm.Momentum));
        if (activation is not null) layers.Add(activation());
        return nn.Sequential(layers);
    }

    /// <summary>ReLU, torchvision's default activation.</summary>
    public static nn.Module<Tensor, Tensor> ReLU() => nn.ReLU();

    /// <summary>Hardswish (MobileNet V3).</summary>
    public static nn.Module<Tensor, Tensor> Hardswish() => nn.Hardswish();
}

/// <summary>BatchNorm hyper-parameters of a block (PyTorch's defaults: eps 1e-5, momentum 0.1).</summary>
/// <param name="Eps">Added to the variance.</param>
/// <param name="Momentum">Running-statistics momentum.</param>
public sealed record BatchNormSettings(double Eps = 1e-5, double Momentum = 0.1)
{
    /// <summary>PyTorch's defaults.</summary>
    public static BatchNormSettings Default { get; } = new();
}
