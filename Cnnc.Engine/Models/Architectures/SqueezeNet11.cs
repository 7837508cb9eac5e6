// Translated from torchvision 0.14's torchvision/models/squeezenet.py (BSD-3-Clause, the PyTorch vision authors).

using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Cnnc.Engine.Models.Architectures;

/// <summary>
/// SqueezeNet 1.1 (Iandola et al.; the 1.1 variant from the SqueezeNet repository), as torchvision 0.14's
/// <c>squeezenet1_1</c> builds it: <c>features.0</c> … <c>features.12</c> (conv, ReLU, max pool and eight Fire
/// modules) and a convolutional classifier <c>classifier.0</c> … <c>classifier.3</c> (dropout 0.5, 1x1 conv to the
/// classes, ReLU, global average pool). Parameter names are torchvision's, so its state dicts load unchanged.
/// </summary>
/// <remarks>
/// <para>Scaling: <see cref="ArchitectureOptions.Width"/> scales the stem's channels and every Fire module's squeeze
/// and expand widths; <see cref="ArchitectureOptions.InputChannels"/> sets <c>features.0</c>'s input channels and
/// <see cref="ArchitectureOptions.NumClasses"/> <c>classifier.1</c>'s outputs.</para>
/// <para>Small input (<see cref="ArchitectureOptions.IsSmallInput"/>): <c>features.0</c> is a 3x3 convolution with
/// stride 1 and padding 1 (torchvision: stride 2, no padding), and the first max pool <c>features.2</c> is an
/// identity; the pools <c>features.5</c> and <c>features.8</c> remain (28 → 28, 14, 7: <c>features.12</c> is 7x7).</para>
/// </remarks>
public sealed class SqueezeNet11 : nn.Module<Tensor, Tensor>, IClassifierHead
{
    private readonly Sequential features;
    private readonly Sequential classifier;

    /// <summary>Builds SqueezeNet 1.1.</summary>
    /// <param name="options">Scale and input configuration; <see cref="ArchitectureOptions.ImageNet"/> is torchvision's.</param>
    /// <param name="dropout">Dropout probability before the final convolution (torchvision: 0.5).</param>
    public SqueezeNet11(ArchitectureOptions options, double dropout = 0.5) : base("SqueezeNet11")
    {
        ArgumentNullException.ThrowIfNull(options);
        var s = options.Scale;
        var stemChannels = s(64, 4);
        Fire MakeFire(int inplanes, int squeeze, int expand) => new(inplanes, s(squeeze, 4), s(expand, 4), s(expand, 4));

        var small = options.IsSmallInput;
        var f3 = MakeFire(stemChannels, 16, 64);
        var f4 = MakeFire(f3.OutputChannels, 16, 64);
        var f6 = MakeFire(f4.OutputChannels, 32, 128);
        var f7 = MakeFire(f6.OutputChannels, 32, 128);
        var f9 = MakeFire(f7.OutputChannels, 48, 192);
        var f10 = MakeFire(f9.OutputChannels, 48, 192);
        var f11 = MakeFire(f10.OutputChannels, 64, 256);
        var f12 = MakeFire(f11.OutputChannels, 64, 256);
        features = nn.Sequential(
            small
                ? nn.Conv2d(options.InputChannels, stemChannels, kernel_size: 3, stride: 1, padding: 1)
                : nn.Conv2d(options.InputChannels, stemChannels, kernel_size: 3, stride: 2),
            nn.ReLU(inplace: true),
            small ? nn.Identity() : nn.MaxPool2d(kernel_size: 3, stride: 2, ceil_mode: true),
            f3,
            f4,
            nn.MaxPool2d(kernel_size: 3, stride: 2, ceil_mode: true),
            f6,
            f7,
            nn.MaxPool2d(kernel_size: 3, stride: 2, ceil_mode: true),
            f9,
            f10,
            f11,
            f12);

        var finalConv = nn.Conv2d(f12.OutputChannels, options.NumClasses, kernel_size: 1);
        classifier = nn.Sequential(
            nn.Dropout(dropout),
            finalConv,
            nn.ReLU(inplace: true),
            nn.AdaptiveAvgPool2d([1, 1]));
        RegisterComponents();

        // torchvision's init: Kaiming-uniform convolutions, N(0, 0.01) for the final one, zero biases.
        using var _ = no_grad();
        foreach (var (_, m) in named_modules())
        {
            if (m is not Conv2d conv) continue;
            if (ReferenceEquals(conv, finalConv)) nn.init.normal_(conv.weight, 0.0, 0.01);
            else nn.init.kaiming_uniform_(conv.weight);
            if (conv.bias is not null) nn.init.zeros_(conv.bias);
        }
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var f = features.call(ChannelsLast.Prepare(this, input));
        return scope.MoveToOuter(Head(f));
    }

    /// <inheritdoc/>
    public string HeadInputLayer => "features.12";

    /// <inheritdoc/>
    public Tensor Head(Tensor layerOutput)
    {
        using var c = classifier.call(layerOutput);
        return c.flatten(1);
    }

    /// <summary>torchvision's <c>Fire</c>: 1x1 squeeze, then concatenated 1x1 and 3x3 expands, each with ReLU.</summary>
    private sealed class Fire : nn.Module<Tensor, Tensor>
    {
        private readonly Conv2d squeeze;
        private readonly ReLU squeeze_activation;
        private readonly Conv2d expand1x1;
        private readonly ReLU expand1x1_activation;
        private readonly Conv2d expand3x3;
        private readonly ReLU expand3x3_activation;

        public Fire(int inplanes, int squeezePlanes, int expand1x1Planes, int expand3x3Planes) : base("Fire")
        {
            squeeze = nn.Conv2d(inplanes, squeezePlanes, kernel_size: 1);
            squeeze_activation = nn.ReLU(inplace: true);
            expand1x1 = nn.Conv2d(squeezePlanes, expand1x1Planes, kernel_size: 1);
            expand1x1_activation = nn.ReLU(inplace: true);
            expand3x3 = nn.Conv2d(squeezePlanes, expand3x3Planes, kernel_size: 3, padding: 1);
            expand3x3_activation = nn.ReLU(inplace: true);
            OutputChannels = expand1x1Planes + expand3x3Planes;
            RegisterComponents();
        }

        public int OutputChannels { get; }

        public override Tensor forward(Tensor x)
        {
            using var sq = squeeze.call(x);
            using var sqa = squeeze_activation.call(sq);
            using var e1 = expand1x1.call(sqa);
            using var e1a = expand1x1_activation.call(e1);
            using var e3 = expand3x3.call(sqa);
            using var e3a = expand3x3_activation.call(e3);
            return cat([e1a, e3a], 1);
        }
    }
}
