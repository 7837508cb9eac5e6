using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Cnnc.Engine.Models.Architectures;

/// <summary>
/// MobileNetV2 (Sandler et al., 2018) as torchvision 0.14 builds it: the same module tree and state-dict keys —
/// <c>features</c> (Sequential 0–18: a conv-BN-ReLU6 stem, 17 <see cref="InvertedResidual"/> blocks, a 1×1
/// conv-BN-ReLU6 to <c>last_channel</c>), global average pooling, <c>classifier</c> (Sequential: dropout 0.2,
/// linear) — and torchvision's initialisation (Kaiming-normal fan-out convolutions, zero conv biases, BatchNorm weight 1
/// and bias 0, linear weights normal(0, 0.01) and zero biases).
/// </summary>
/// <remarks>
/// <para>Scaling: <see cref="ArchitectureOptions.Width"/> is torchvision's <c>width_mult</c>: every channel count is
/// multiplied and rounded with <c>_make_divisible(c * width, 8)</c>, and <c>last_channel</c> is
/// <c>_make_divisible(1280 * max(1, width), 8)</c> (the paper keeps the last layer at 1280 for multipliers below one).
/// <c>features.0</c> takes <see cref="ArchitectureOptions.InputChannels"/>, <c>classifier.1</c> gives
/// <see cref="ArchitectureOptions.NumClasses"/>.</para>
/// <para>Small-input adaptation (<see cref="ArchitectureOptions.IsSmallInput"/>, input below 64 pixels): the stem
/// convolution <c>features.0.0</c> and the first block of the 24-channel stage (<c>features.2</c>) use stride 1
/// instead of 2, as in the common CIFAR MobileNetV2. Strides carry no parameters, so the keys and shapes are unchanged.
/// The total stride drops from 32 to 8: a 28×28 input gives a 4×4 map at <c>features.18</c>.</para>
/// <para>Unlike torchvision, the ReLU6 activations are not in place. Submodules are always invoked through
/// <c>call</c>, so forward hooks fire.</para>
/// </remarks>
public sealed class MobileNetV2 : Module<Tensor, Tensor>, IClassifierHead
{
    private readonly TorchSharp.Modules.Sequential features;
    private readonly TorchSharp.Modules.Sequential classifier;

    /// <summary>Builds MobileNetV2; <see cref="ArchitectureOptions.ImageNet"/> gives torchvision's <c>mobilenet_v2()</c>.</summary>
    /// <param name="options">Classes, input channels and size, width multiplier.</param>
    /// <param name="dropout">Dropout probability before the classifier (torchvision's default 0.2).</param>
    public MobileNetV2(ArchitectureOptions options, double dropout = 0.2) : base("MobileNetV2")
    {
        ArgumentNullException.ThrowIfNull(options);
        var width = options.Width;
        var small = options.IsSmallInput;
        int[][] settings =
        {
            // t (expansion), c (channels), n (blocks), s (stride of the first block)
            new[] { 1, 16, 1, 1 },
            new[] { 6, 24, 2, small ? 1 : 2 },
            new[] { 6, 32, 3, 2 },
            new[] { 6, 64, 4, 2 },
            new[] { 6, 96, 3, 1 },
            new[] { 6, 160, 3, 2 },
            new[] { 6, 320, 1, 1 },
        };

        var inputChannel = MakeDivisible(32 * width, 8);
        var lastChannel = MakeDivisible(1280 * Math.Max(1.0, width), 8);
        var layers = new List<Module<Tensor, Tensor>>
        {
            ConvBNReLU6(options.InputChannels, inputChannel, kernelSize: 3, stride: small ? 1 : 2, groups: 1),
        };
        foreach (var s in settings)
        {
            var outputChannel = MakeDivisible(s[1] * width, 8);
            for (var i = 0; i < s[2]; i++)
            {
                layers.Add(new InvertedResidual(inputChannel, outputChannel, i == 0 ? s[3] : 1, s[0]));
                inputChannel = outputChannel;
            }
        }
        layers.Add(ConvBNReLU6(inputChannel, lastChannel, kernelSize: 1, stride: 1, groups: 1));
        features = Sequential(layers.ToArray());
        classifier = Sequential(Dropout(dropout), Linear(lastChannel, options.NumClasses));

        RegisterComponents();

        using (no_grad())
        {
            foreach (var (_, m) in named_modules())
            {
                switch (m)
                {
                    case TorchSharp.Modules.Conv2d conv:
                        init.kaiming_normal_(conv.weight, mode: init.FanInOut.FanOut);
                        if (conv.bias is not null) init.zeros_(conv.bias);
                        break;
                    case TorchSharp.Modules.BatchNorm2d bn:
                        init.ones_(bn.weight);
                        init.zeros_(bn.bias);
                        break;
                    case TorchSharp.Modules.Linear linear:
                        init.normal_(linear.weight, 0, 0.01);
                        if (linear.bias is not null) init.zeros_(linear.bias);
                        break;
                }
            }
        }
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = features.call(ChannelsLast.Prepare(this, input));
        return scope.MoveToOuter(Head(x));
    }

    /// <inheritdoc/>
    public string HeadInputLayer => "features.18";

    /// <inheritdoc/>
    public Tensor Head(Tensor layerOutput)
    {
        using var pooled = functional.adaptive_avg_pool2d(layerOutput, new long[] { 1, 1 });
        using var flat = pooled.flatten(1);
        return classifier.call(flat);
    }

    /// <summary>
    /// torchvision's <c>_make_divisible</c>: rounds <paramref name="value"/> to the nearest multiple of
    /// <paramref name="divisor"/>, at least <paramref name="divisor"/>, and never more than 10% below the value.
    /// </summary>
    public static int MakeDivisible(double value, int divisor)
    {
        var rounded = Math.Max(divisor, (int)(value + divisor / 2.0) / divisor * divisor);
        return rounded < 0.9 * value ? rounded + divisor : rounded;
    }

    /// <summary>torchvision's <c>Conv2dNormActivation</c> with ReLU6: Sequential of a bias-free convolution ("0"),
    /// BatchNorm ("1") and ReLU6 ("2"), padding <c>(kernelSize - 1) / 2</c>.</summary>
    private static TorchSharp.Modules.Sequential ConvBNReLU6(int inChannels, int outChannels, int kernelSize, int stride, int groups) =>
        Sequential(
            Conv2d(inChannels, outChannels, kernel_size: kernelSize, stride: stride, padding: (kernelSize - 1) / 2, groups: groups, bias: false),
            BatchNorm2d(outChannels),
            ReLU6());

    /// <summary>
    /// torchvision's <c>InvertedResidual</c>: a Sequential <c>conv</c> of an optional 1×1 expansion (conv-BN-ReLU6, only
    /// when the expansion ratio is not 1), a 3×3 depthwise conv-BN-ReLU6, and a linear 1×1 projection (conv, BN); the
    /// input is added back when the stride is 1 and the channel counts match.
    /// </summary>
    public sealed class InvertedResidual : Module<Tensor, Tensor>
    {
        private readonly TorchSharp.Modules.Sequential conv;
        private readonly bool useResConnect;

        /// <summary>Builds the block.</summary>
        /// <param name="inp">Input channels.</param>
        /// <param name="oup">Output channels.</param>
        /// <param name="stride">Stride of the depthwise convolution, 1 or 2.</param>
        /// <param name="expandRatio">Expansion ratio of the hidden width.</param>
        public InvertedResidual(int inp, int oup, int stride, int expandRatio) : base("InvertedResidual")
        {
            if (stride is not (1 or 2)) throw new ArgumentException($"stride should be 1 or 2 (got {stride}).", nameof(stride));
            var hidden = (int)Math.Round((double)inp * expandRatio, MidpointRounding.ToEven);
            useResConnect = stride == 1 && inp == oup;
            var layers = new List<Module<Tensor, Tensor>>();
            if (expandRatio != 1) layers.Add(ConvBNReLU6(inp, hidden, kernelSize: 1, stride: 1, groups: 1));
            layers.Add(ConvBNReLU6(hidden, hidden, kernelSize: 3, stride: stride, groups: hidden));
            layers.Add(Conv2d(hidden, oup, kernel_size: 1, stride: 1, padding: 0L, bias: false));
            layers.Add(BatchNorm2d(oup));
            conv = Sequential(layers.ToArray());
            RegisterComponents();
        }

        /// <summary>True when the block adds its input to its output.</summary>
        public bool UsesResidual => useResConnect;

        /// <inheritdoc/>
        public override Tensor forward(Tensor input)
        {
            if (!useResConnect) return conv.call(input);
            using var scope = NewDisposeScope();
            return scope.MoveToOuter(input + conv.call(input));
        }
    }
}
