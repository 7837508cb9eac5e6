// Translated from torchvision 0.14's torchvision/models/mobilenetv3.py (BSD-3-Clause, the PyTorch vision authors).

using Cnnc.Engine.Models.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Cnnc.Engine.Models.Architectures;

/// <summary>
/// MobileNet V3 (Howard et al., "Searching for MobileNetV3", arXiv 1905.02244), large and small, as torchvision 0.14's
/// <c>mobilenet_v3_large</c> and <c>mobilenet_v3_small</c> build them: <c>features</c> (a 3×3 stride-2
/// <see cref="Conv2dNormActivation"/> stem with hard-swish, the <see cref="InvertedResidual"/> blocks — some with
/// <see cref="SqueezeExcitation"/> and hard-sigmoid gating, ReLU or hard-swish — and a 1×1 conv-BN-hard-swish to six
/// times the last block's width), global average pooling (<c>avgpool</c>) and <c>classifier</c> (linear, hard-swish,
/// dropout 0.2, linear). BatchNorm has eps 0.001 and momentum 0.01. State-dict keys and initialisation are
/// torchvision's (Kaiming-normal fan-out convolutions with zero bias, BatchNorm 1 / 0, linear N(0, 0.01), zero bias).
/// </summary>
/// <remarks>
/// <para>Default explanation layer: the last 1×1 convolution block, <c>features.16</c> (large) or <c>features.12</c>
/// (small): 7×7 at 224 px.</para>
/// <para>Scaling: <see cref="ArchitectureOptions.Width"/> is torchvision's <c>width_mult</c> (every width
/// <c>_make_divisible(c · width, 8)</c>, the classifier's hidden width too); <c>features.0.0</c> takes
/// <see cref="ArchitectureOptions.InputChannels"/>, <c>classifier.3</c> gives <see cref="ArchitectureOptions.NumClasses"/>.
/// Small input (<see cref="ArchitectureOptions.IsSmallInput"/>): the stem and the first stride-2 block use stride 1
/// (total stride 8: 28 px gives 4×4 at the default layer); strides carry no parameters, so keys and shapes are
/// unchanged.</para>
/// <para>Unlike torchvision, activations and the residual addition are not in place.</para>
/// </remarks>
public sealed class MobileNetV3 : nn.Module<Tensor, Tensor>, IClassifierHead
{
    /// <summary>BatchNorm of MobileNet V3: eps 0.001, momentum 0.01.</summary>
    public static readonly BatchNormSettings Norm = new(Eps: 0.001, Momentum: 0.01);

    private readonly Sequential features;
    private readonly AdaptiveAvgPool2d avgpool;
    private readonly Sequential classifier;

    /// <summary>One block of the table in the paper (torchvision's <c>InvertedResidualConfig</c>, before width scaling).</summary>
    /// <param name="Input">Input channels.</param>
    /// <param name="Kernel">Depthwise kernel side.</param>
    /// <param name="Expanded">Expanded (hidden) channels.</param>
    /// <param name="Output">Output channels.</param>
    /// <param name="SqueezeExcite">Whether the block has squeeze-and-excitation.</param>
    /// <param name="HardSwish">Hard-swish (true) or ReLU (false).</param>
    /// <param name="Stride">Depthwise stride.</param>
    public sealed record BlockConfig(int Input, int Kernel, int Expanded, int Output, bool SqueezeExcite, bool HardSwish, int Stride);

    /// <summary>mobilenet_v3_large's blocks.</summary>
    public static IReadOnlyList<BlockConfig> Large { get; } =
    [
        new(16, 3, 16, 16, false, false, 1),
        new(16, 3, 64, 24, false, false, 2), // C1
        new(24, 3, 72, 24, false, false, 1),
        new(24, 5, 72, 40, true, false, 2), // C2
        new(40, 5, 120, 40, true, false, 1),
        new(40, 5, 120, 40, true, false, 1),
        new(40, 3, 240, 80, false, true, 2), // C3
        new(80, 3, 200, 80, false, true, 1),
        new(80, 3, 184, 80, false, true, 1),
        new(80, 3, 184, 80, false, true, 1),
        new(80, 3, 480, 112, true, true, 1),
        new(112, 3, 672, 112, true, true, 1),
        new(112, 5, 672, 160, true, true, 2), // C4
        new(160, 5, 960, 160, true, true, 1),
        new(160, 5, 960, 160, true, true, 1),
    ];

    /// <summary>mobilenet_v3_small's blocks.</summary>
    public static IReadOnlyList<BlockConfig> Small { get; } =
    [
        new(16, 3, 16, 16, true, false, 2), // C1
        new(16, 3, 72, 24, false, false, 2), // C2
        new(24, 3, 88, 24, false, false, 1),
        new(24, 5, 96, 40, true, true, 2), // C3
        new(40, 5, 240, 40, true, true, 1),
        new(40, 5, 240, 40, true, true, 1),
        new(40, 5, 120, 48, true, true, 1),
        new(48, 5, 144, 48, true, true, 1),
        new(48, 5, 288, 96, true, true, 2), // C4
        new(96, 5, 576, 96, true, true, 1),
        new(96, 5, 576, 96, true, true, 1),
    ];

    /// <summary>Builds a MobileNet V3.</summary>
    /// <param name="name">Module name ("mobilenet_v3_large" or "mobilenet_v3_small").</param>
    /// <param name="blocks">The block table (<see cref="Large"/> or <see cref="Small"/>).</param>
    /// <param name="lastChannel">Hidden width of the classifier before width scaling (1280 large, 1024 small).</param>
    /// <param name="options">Classes, input channels and size, width multiplier.</param>
    /// <param name="dropout">Dropout in the classifier (torchvision: 0.2).</param>
    public MobileNetV3(string name, IReadOnlyList<BlockConfig> blocks, int lastChannel, ArchitectureOptions options,
        double dropout = 0.2) : base(name)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        ArgumentNullException.ThrowIfNull(options);
        if (blocks.Count == 0) throw new ArgumentException("The inverted_residual_setting should not be empty");
        int Adjust(int c) => MobileNetV2.MakeDivisible(c * options.Width, 8);
        var small = options.IsSmallInput;

        var layers = new List<nn.Module<Tensor, Tensor>>
        {
            Conv2dNormActivation.Create(options.InputChannels, Adjust(blocks[0].Input), kernelSize: 3, stride: small ? 1 : 2,
                norm: Norm, activation: Conv2dNormActivation.Hardswish),
        };
        var firstDownsampling = true;
        foreach (var b in blocks)
        {
            var stride = b.Stride;
            if (small && stride == 2 && firstDownsampling)
            {
                stride = 1;
                firstDownsampling = false;
            }
            layers.Add(new InvertedResidual(Adjust(b.Input), b.Kernel, Adjust(b.Expanded), Adjust(b.Output), b.SqueezeExcite,
                b.HardSwish, stride));
        }
        var lastConvInput = Adjust(blocks[^1].Output);
        var lastConvOutput = 6 * lastConvInput;
        layers.Add(Conv2dNormActivation.Create(lastConvInput, lastConvOutput, kernelSize: 1, norm: Norm,
            activation: Conv2dNormActivation.Hardswish));
        features = nn.Sequential(layers);
        HeadInputLayer = $"features.{layers.Count - 1}";
        avgpool = nn.AdaptiveAvgPool2d(1);
        var hidden = Adjust(lastChannel);
        classifier = nn.Sequential(
            nn.Linear(lastConvOutput, hidden),
            nn.Hardswish(),
            nn.Dropout(dropout),
            nn.Linear(hidden, options.NumClasses));
        RegisterComponents();

        using var _ = no_grad();
        foreach (var (_, m) in named_modules())
        {
            switch (m)
            {
                case Conv2d conv:
                    nn.init.kaiming_normal_(conv.weight, mode: nn.init.FanInOut.FanOut);
                    if (conv.bias is not null) nn.init.zeros_(conv.bias);
                    break;
                case BatchNorm2d bn:
                    nn.init.ones_(bn.weight);
                    nn.init.zeros_(bn.bias);
                    break;
                case Linear linear:
                    nn.init.normal_(linear.weight, 0, 0.01);
                    if (linear.bias is not null) nn.init.zeros_(linear.bias);
                    break;
            }
        }
    }

    /// <summary>torchvision's mobilenet_v3_large.</summary>
    public static MobileNetV3 MobileNetV3Large(ArchitectureOptions options) => new("mobilenet_v3_large", Large, 1280, options);

    /// <summary>torchvision's mobilenet_v3_small.</summary>
    public static MobileNetV3 MobileNetV3Small(ArchitectureOptions options) => new("mobilenet_v3_small", Small, 1024, options);

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = features.call(ChannelsLast.Prepare(this, input));
        return scope.MoveToOuter(Head(x));
    }

    /// <inheritdoc/>
    public string HeadInputLayer { get; }

    /// <inheritdoc/>
    public Tensor Head(Tensor layerOutput)
    {
        using var scope = NewDisposeScope();
        var x = avgpool.call(layerOutput).flatten(1);
        return scope.MoveToOuter(classifier.call(x));
    }

    /// <summary>
    /// torchvision's MobileNet V3 <c>InvertedResidual</c>: <c>block</c> = an optional 1×1 expansion (when the expanded
    /// width differs from the input's), the k×k depthwise convolution, an optional <see cref="SqueezeExcitation"/>
    /// (squeeze width <c>_make_divisible(expanded / 4, 8)</c>, hard-sigmoid gate) and a linear 1×1 projection; the
    /// input is added back when the stride is 1 and the widths match.
    /// </summary>
    public sealed class InvertedResidual : nn.Module<Tensor, Tensor>
    {
        private readonly Sequential block;
        private readonly bool useResConnect;

        /// <summary>Builds the block from scaled widths.</summary>
        public InvertedResidual(int input, int kernel, int expanded, int output, bool squeezeExcite, bool hardSwish, int stride)
            : base("InvertedResidual")
        {
            if (stride is not (1 or 2)) throw new ArgumentException("illegal stride value");
            useResConnect = stride == 1 && input == output;
            Func<nn.Module<Tensor, Tensor>> activation = hardSwish ? Conv2dNormActivation.Hardswish : Conv2dNormActivation.ReLU;
            var layers = new List<nn.Module<Tensor, Tensor>>();
            if (expanded != input)
                layers.Add(Conv2dNormActivation.Create(input, expanded, kernelSize: 1, norm: Norm, activation: activation));
            layers.Add(Conv2dNormActivation.Create(expanded, expanded, kernelSize: kernel, stride: stride, groups: expanded,
                norm: Norm, activation: activation));
            if (squeezeExcite)
                layers.Add(new SqueezeExcitation(expanded, MobileNetV2.MakeDivisible(expanded / 4, 8), scaleActivation: () => nn.Hardsigmoid()));
            layers.Add(Conv2dNormActivation.Create(expanded, output, kernelSize: 1, norm: Norm, activation: null));
            block = nn.Sequential(layers);
            RegisterComponents();
        }

        /// <inheritdoc/>
        public override Tensor forward(Tensor input)
        {
            if (!useResConnect) return block.call(input);
            using var scope = NewDisposeScope();
            return scope.MoveToOuter(block.call(input) + input);
        }
    }
}
