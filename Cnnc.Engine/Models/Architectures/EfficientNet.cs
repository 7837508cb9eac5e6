// Translated from torchvision 0.14's torchvision/models/efficientnet.py (BSD-3-Clause, the PyTorch vision authors).

using Cnnc.Engine.Models.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Cnnc.Engine.Models.Architectures;

/// <summary>
/// EfficientNet B0–B7 (Tan &amp; Le, "EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks", arXiv
/// 1905.11946) and EfficientNet V2 S / M / L (Tan &amp; Le, "EfficientNetV2: Smaller Models and Faster Training", arXiv
/// 2104.00298), as torchvision 0.14's <c>efficientnet_b0</c> … <c>efficientnet_v2_l</c> build them: <c>features</c>
/// (a 3×3 stride-2 conv-BN-SiLU stem, one Sequential per stage of <see cref="MBConv"/> or <see cref="FusedMBConv"/>
/// blocks, a 1×1 conv-BN-SiLU head), global average pooling (<c>avgpool</c>) and <c>classifier</c> (dropout, linear).
/// State-dict keys and initialisation are torchvision's (Kaiming-normal fan-out convolutions with zero bias, BatchNorm
/// 1 / 0, linear uniform ±1/√out with zero bias).
/// </summary>
/// <remarks>
/// <para>BatchNorm differs by member as in torchvision: B0–B4 PyTorch's defaults (eps 1e-5, momentum 0.1), B5–B7
/// eps 0.001 and momentum 0.01, V2 eps 0.001 and momentum 0.1. Stochastic depth (probability 0.2, growing linearly with
/// the block index) and dropout act in training only; eval mode is torchvision's exactly.</para>
/// <para>Default explanation layer: the 1×1 head convolution block, the last entry of <c>features</c>:
/// <c>features.8</c> (B0–B7, V2-M, V2-L) or <c>features.7</c> (V2-S, one stage fewer).</para>
/// <para>Scaling: <see cref="ArchitectureOptions.Width"/> multiplies torchvision's <c>width_mult</c> (B series) or
/// every stage width (V2; widths <c>_make_divisible(c · width, 8)</c>, the V2 head's 1280 too); <c>features.0.0</c>
/// takes <see cref="ArchitectureOptions.InputChannels"/>, <c>classifier.1</c> gives
/// <see cref="ArchitectureOptions.NumClasses"/>. Small input (<see cref="ArchitectureOptions.IsSmallInput"/>): the stem
/// and the first stride-2 block use stride 1 (total stride 8: 28 px gives 4×4 at the default layer); strides carry no
/// parameters, so keys and shapes are unchanged.</para>
/// <para>Input: V2 takes at least torchvision's <c>min_size</c> of 33×33 pixels (9×9 with the small-input stem, the
/// same final grid); B0–B7 take any size. Unlike torchvision, activations and the residual addition are not in
/// place.</para>
/// </remarks>
public sealed class EfficientNet : nn.Module<Tensor, Tensor>, IClassifierHead
{
    /// <summary>BatchNorm of B0–B4: PyTorch's defaults.</summary>
    public static readonly BatchNormSettings NormB0ToB4 = BatchNormSettings.Default;

    /// <summary>BatchNorm of B5–B7: eps 0.001, momentum 0.01 (the weights ported from TensorFlow).</summary>
    public static readonly BatchNormSettings NormB5ToB7 = new(Eps: 0.001, Momentum: 0.01);

    /// <summary>BatchNorm of V2: eps 0.001, momentum 0.1.</summary>
    public static readonly BatchNormSettings NormV2 = new(Eps: 0.001);

    /// <summary>torchvision's default <c>stochastic_depth_prob</c>.</summary>
    public const double StochasticDepthProbability = 0.2;

    private readonly Sequential features;
    private readonly AdaptiveAvgPool2d avgpool;
    private readonly Sequential classifier;
    private readonly int minimumInput;

    /// <summary>
    /// One stage (torchvision's <c>MBConvConfig</c> / <c>FusedMBConvConfig</c>, after width and depth scaling): the
    /// first block has <paramref name="Stride"/> and <paramref name="InputChannels"/>, the others stride 1 and
    /// <paramref name="OutChannels"/> in.
    /// </summary>
    /// <param name="Fused">FusedMBConv (true) or MBConv (false).</param>
    /// <param name="ExpandRatio">Expansion ratio of the hidden width.</param>
    /// <param name="Kernel">Kernel side (depthwise for MBConv, the fused expansion for FusedMBConv).</param>
    /// <param name="Stride">Stride of the first block.</param>
    /// <param name="InputChannels">Input channels of the first block.</param>
    /// <param name="OutChannels">Output channels of every block.</param>
    /// <param name="NumLayers">Blocks in the stage.</param>
    public sealed record StageConfig(bool Fused, double ExpandRatio, int Kernel, int Stride, int InputChannels, int OutChannels, int NumLayers);

    /// <summary>One builder's settings: stages, head width, classifier dropout and BatchNorm.</summary>
    /// <param name="Stages">The stages, scaled.</param>
    /// <param name="LastChannel">Output channels of the 1×1 head (four times the last stage's for the B series).</param>
    /// <param name="Dropout">Dropout before the linear classifier.</param>
    /// <param name="Norm">BatchNorm hyper-parameters.</param>
    /// <param name="IsV2">EfficientNet V2 (its minimum input is 33 pixels).</param>
    public sealed record Settings(IReadOnlyList<StageConfig> Stages, int LastChannel, double Dropout, BatchNormSettings Norm, bool IsV2);

    // Table 1 of the EfficientNet paper (expand ratio, kernel, stride, in, out, layers), before scaling.
    private static readonly (double E, int K, int S, int I, int O, int N)[] B0Table =
    [
        (1, 3, 1, 32, 16, 1),
        (6, 3, 2, 16, 24, 2),
        (6, 5, 2, 24, 40, 2),
        (6, 3, 2, 40, 80, 3),
        (6, 5, 1, 80, 112, 3),
        (6, 5, 2, 112, 192, 4),
        (6, 3, 1, 192, 320, 1),
    ];

    // Table 4 of the EfficientNetV2 paper as torchvision has it (fused, expand ratio, kernel, stride, in, out, layers).
    private static readonly (bool F, double E, int K, int S, int I, int O, int N)[] V2STable =
    [
        (true, 1, 3, 1, 24, 24, 2),
        (true, 4, 3, 2, 24, 48, 4),
        (true, 4, 3, 2, 48, 64, 4),
        (false, 4, 3, 2, 64, 128, 6),
        (false, 6, 3, 1, 128, 160, 9),
        (false, 6, 3, 2, 160, 256, 15),
    ];

    private static readonly (bool F, double E, int K, int S, int I, int O, int N)[] V2MTable =
    [
        (true, 1, 3, 1, 24, 24, 3),
        (true, 4, 3, 2, 24, 48, 5),
        (true, 4, 3, 2, 48, 80, 5),
        (false, 4, 3, 2, 80, 160, 7),
        (false, 6, 3, 1, 160, 176, 14),
        (false, 6, 3, 2, 176, 304, 18),
        (false, 6, 3, 1, 304, 512, 5),
    ];

    private static readonly (bool F, double E, int K, int S, int I, int O, int N)[] V2LTable =
    [
        (true, 1, 3, 1, 32, 32, 4),
        (true, 4, 3, 2, 32, 64, 7),
        (true, 4, 3, 2, 64, 96, 7),
        (false, 4, 3, 2, 96, 192, 10),
        (false, 6, 3, 1, 192, 224, 19),
        (false, 6, 3, 2, 224, 384, 25),
        (false, 6, 3, 1, 384, 640, 7),
    ];

    // B series: (width_mult, depth_mult, dropout) of torchvision's builders.
    private static readonly Dictionary<string, (double Width, double Depth, double Dropout)> BSeries = new()
    {
        ["efficientnet_b0"] = (1.0, 1.0, 0.2),
        ["efficientnet_b1"] = (1.0, 1.1, 0.2),
        ["efficientnet_b2"] = (1.1, 1.2, 0.3),
        ["efficientnet_b3"] = (1.2, 1.4, 0.3),
        ["efficientnet_b4"] = (1.4, 1.8, 0.4),
        ["efficientnet_b5"] = (1.6, 2.2, 0.4),
        ["efficientnet_b6"] = (1.8, 2.6, 0.5),
        ["efficientnet_b7"] = (2.0, 3.1, 0.5),
    };

    /// <summary>The builders of this family, in torchvision's order.</summary>
    public static IReadOnlyList<string> Builders { get; } =
        [.. BSeries.Keys, "efficientnet_v2_s", "efficientnet_v2_m", "efficientnet_v2_l"];

    /// <summary>torchvision's <c>_MBConvConfig.adjust_channels</c>: <c>_make_divisible(channels · width, 8)</c>.</summary>
    public static int AdjustChannels(double channels, double width) => MobileNetV2.MakeDivisible(channels * width, 8);

    /// <summary>
    /// The settings of builder <paramref name="name"/> (torchvision's <c>_efficientnet_conf</c> and the builder's
    /// dropout and norm layer), with every width further multiplied by <paramref name="width"/>.
    /// </summary>
    public static Settings SettingsOf(string name, double width = 1.0)
    {
        if (BSeries.TryGetValue(name, out var b))
        {
            var w = b.Width * width;
            var stages = B0Table.Select(s => new StageConfig(false, s.E, s.K, s.S, AdjustChannels(s.I, w), AdjustChannels(s.O, w),
                (int)Math.Ceiling(s.N * b.Depth))).ToList();
            var norm = name is "efficientnet_b5" or "efficientnet_b6" or "efficientnet_b7" ? NormB5ToB7 : NormB0ToB4;
            return new Settings(stages, 4 * stages[^1].OutChannels, b.Dropout, norm, IsV2: false);
        }
        var (table, dropout) = name switch
        {
            "efficientnet_v2_s" => (V2STable, 0.2),
            "efficientnet_v2_m" => (V2MTable, 0.3),
            "efficientnet_v2_l" => (V2LTable, 0.4),
            _ => throw new ArgumentException($"Unsupported model type {name}"),
        };
        var v2 = table.Select(s => new StageConfig(s.F, s.E, s.K, s.S, AdjustChannels(s.I, width), AdjustChannels(s.O, width), s.N)).ToList();
        return new Settings(v2, AdjustChannels(1280, width), dropout, NormV2, IsV2: true);
    }

    /// <summary>Builds an EfficientNet from settings.</summary>
    /// <param name="name">torchvision's builder name, used in messages.</param>
    /// <param name="settings">Stages, head width, dropout, BatchNorm (see <see cref="SettingsOf"/>).</param>
    /// <param name="options">Classes, input channels and size (widths are already in <paramref name="settings"/>).</param>
    /// <param name="stochasticDepthProbability">Largest drop probability of a block (torchvision: 0.2).</param>
    public EfficientNet(string name, Settings settings, ArchitectureOptions options,
        double stochasticDepthProbability = StochasticDepthProbability) : base("EfficientNet")
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(options);
        if (settings.Stages.Count == 0) throw new ArgumentException("The inverted_residual_setting should not be empty");
        var small = options.IsSmallInput;
        Name = name;
        // torchvision's min_size for V2 (33 × 33); the small stem divides by 8 instead of 32, so 9 px give the same grid.
        minimumInput = settings.IsV2 ? (small ? 9 : 33) : 1;
        if (options.InputSize < minimumInput)
            throw new ArgumentException($"{name} needs images of at least {minimumInput}×{minimumInput} pixels (got InputSize {options.InputSize}).");

        var norm = settings.Norm;
        var layers = new List<nn.Module<Tensor, Tensor>>
        {
            Conv2dNormActivation.Create(options.InputChannels, settings.Stages[0].InputChannels, kernelSize: 3,
                stride: small ? 1 : 2, norm: norm, activation: SiLU),
        };
        var totalBlocks = settings.Stages.Sum(s => s.NumLayers);
        var blockId = 0;
        var firstDownsampling = true;
        foreach (var s in settings.Stages)
        {
            var stage = new List<nn.Module<Tensor, Tensor>>();
            for (var i = 0; i < s.NumLayers; i++)
            {
                var input = i == 0 ? s.InputChannels : s.OutChannels;
                var stride = i == 0 ? s.Stride : 1;
                if (small && stride == 2 && firstDownsampling)
                {
                    stride = 1;
                    firstDownsampling = false;
                }
                var sdProb = stochasticDepthProbability * blockId / totalBlocks;
                stage.Add(s.Fused
                    ? new FusedMBConv(input, s.OutChannels, s.ExpandRatio, s.Kernel, stride, sdProb, norm)
                    : new MBConv(input, s.OutChannels, s.ExpandRatio, s.Kernel, stride, sdProb, norm));
                blockId++;
            }
            layers.Add(nn.Sequential(stage));
        }
        layers.Add(Conv2dNormActivation.Create(settings.Stages[^1].OutChannels, settings.LastChannel, kernelSize: 1, norm: norm,
            activation: SiLU));
        features = nn.Sequential(layers);
        HeadInputLayer = $"features.{layers.Count - 1}";
        avgpool = nn.AdaptiveAvgPool2d(1);
        classifier = nn.Sequential(nn.Dropout(settings.Dropout), nn.Linear(settings.LastChannel, options.NumClasses));
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
                    var range = 1.0 / Math.Sqrt(linear.weight.shape[0]);
                    nn.init.uniform_(linear.weight, -range, range);
                    if (linear.bias is not null) nn.init.zeros_(linear.bias);
                    break;
            }
        }
    }

    /// <summary>torchvision's builder <paramref name="name"/> (e.g. "efficientnet_b0", "efficientnet_v2_s").</summary>
    public static EfficientNet Create(string name, ArchitectureOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new EfficientNet(name, SettingsOf(name, options.Width), options);
    }

    /// <summary>torchvision's builder name this model was built as.</summary>
    public string Name { get; }

    /// <summary>The activation of every block and of the stem and head (torchvision: SiLU).</summary>
    private static nn.Module<Tensor, Tensor> SiLU() => nn.SiLU();

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        InputSizeCheck.AtLeast(input, minimumInput, Name);
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

    /// <summary>Adds the input back after stochastic depth, when the block keeps stride and width.</summary>
    private static Tensor Residual(Sequential block, StochasticDepth stochasticDepth, bool useResConnect, Tensor input)
    {
        if (!useResConnect) return block.call(input);
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(stochasticDepth.call(block.call(input)) + input);
    }

    /// <summary>
    /// torchvision's <c>MBConv</c>: <c>block</c> = an optional 1×1 expansion to <c>_make_divisible(in · ratio, 8)</c>
    /// (when that differs from the input width), the k×k depthwise convolution, <see cref="SqueezeExcitation"/>
    /// (squeeze width max(1, in / 4), SiLU, sigmoid gate) and a linear 1×1 projection; with stride 1 and equal widths
    /// the input is added back after <see cref="StochasticDepth"/> (<c>stochastic_depth</c>, mode "row").
    /// </summary>
    public sealed class MBConv : nn.Module<Tensor, Tensor>
    {
        private readonly Sequential block;
        private readonly StochasticDepth stochastic_depth;
        private readonly bool useResConnect;

        /// <summary>Builds the block from scaled widths.</summary>
        public MBConv(int input, int output, double expandRatio, int kernel, int stride, double stochasticDepthProbability,
            BatchNormSettings norm) : base("MBConv")
        {
            if (stride is not (1 or 2)) throw new ArgumentException("illegal stride value");
            useResConnect = stride == 1 && input == output;
            var expanded = AdjustChannels(input, expandRatio);
            var layers = new List<nn.Module<Tensor, Tensor>>();
            if (expanded != input)
                layers.Add(Conv2dNormActivation.Create(input, expanded, kernelSize: 1, norm: norm, activation: SiLU));
            layers.Add(Conv2dNormActivation.Create(expanded, expanded, kernelSize: kernel, stride: stride, groups: expanded,
                norm: norm, activation: SiLU));
            layers.Add(new SqueezeExcitation(expanded, Math.Max(1, input / 4), activation: SiLU));
            layers.Add(Conv2dNormActivation.Create(expanded, output, kernelSize: 1, norm: norm, activation: null));
            block = nn.Sequential(layers);
            stochastic_depth = new StochasticDepth(stochasticDepthProbability);
            RegisterComponents();
        }

        /// <inheritdoc/>
        public override Tensor forward(Tensor input) => Residual(block, stochastic_depth, useResConnect, input);
    }

    /// <summary>
    /// torchvision's <c>FusedMBConv</c> (EfficientNet V2's early stages): <c>block</c> = a k×k conv-BN-SiLU expansion
    /// and a linear 1×1 projection, or — expand ratio 1 — a single k×k conv-BN-SiLU; residual as <see cref="MBConv"/>.
    /// </summary>
    public sealed class FusedMBConv : nn.Module<Tensor, Tensor>
    {
        private readonly Sequential block;
        private readonly StochasticDepth stochastic_depth;
        private readonly bool useResConnect;

        /// <summary>Builds the block from scaled widths.</summary>
        public FusedMBConv(int input, int output, double expandRatio, int kernel, int stride, double stochasticDepthProbability,
            BatchNormSettings norm) : base("FusedMBConv")
        {
            if (stride is not (1 or 2)) throw new ArgumentException("illegal stride value");
            useResConnect = stride == 1 && input == output;
            var expanded = AdjustChannels(input, expandRatio);
            block = expanded != input
                ? nn.Sequential(
                    Conv2dNormActivation.Create(input, expanded, kernelSize: kernel, stride: stride, norm: norm, activation: SiLU),
                    Conv2dNormActivation.Create(expanded, output, kernelSize: 1, norm: norm, activation: null))
                : nn.Sequential(
                    Conv2dNormActivation.Create(input, output, kernelSize: kernel, stride: stride, norm: norm, activation: SiLU));
            stochastic_depth = new StochasticDepth(stochasticDepthProbability);
            RegisterComponents();
        }

        /// <inheritdoc/>
        public override Tensor forward(Tensor input) => Residual(block, stochastic_depth, useResConnect, input);
    }
}
