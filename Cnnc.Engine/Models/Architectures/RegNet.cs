// Translated from torchvision 0.14's torchvision/models/regnet.py (BSD-3-Clause, the PyTorch vision authors).

using Cnnc.Engine.Models.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Cnnc.Engine.Models.Architectures;

/// <summary>
/// RegNet (Radosavovic et al., "Designing Network Design Spaces", arXiv 2003.13678), X and Y, as torchvision 0.14
/// builds its fifteen <c>regnet_x_*</c> / <c>regnet_y_*</c> models: <c>stem</c> (3×3 stride-2 conv-BN-ReLU to 32
/// channels), <c>trunk_output</c> with four stages <c>block1</c>…<c>block4</c> of <see cref="ResBottleneckBlock"/>s
/// (named <c>block{stage}-{i}</c>, as torchvision names them), global average pooling (<c>avgpool</c>) and <c>fc</c>.
/// Stage depths, widths and group widths come from the quantised linear width rule (<see cref="BlockParams"/>); Y
/// models add a <see cref="SqueezeExcitation"/> (ratio 0.25 of the block's input width) to every block. BatchNorm eps
/// 1e-5, momentum 0.1. Initialisation is torchvision's: convolutions N(0, 2 / (k²·out)), BatchNorm 1 / 0, <c>fc</c>
/// N(0, 0.01) with zero bias.
/// </summary>
/// <remarks>
/// <para>Default explanation layer: the last stage, <c>trunk_output.block4</c> (7×7 at 224 px).</para>
/// <para>Scaling: <see cref="ArchitectureOptions.Width"/> multiplies the stem width and the four stage widths before
/// torchvision's width/group compatibility step (each <c>_make_divisible(w · width, 8)</c>; group widths stay, capped
/// at the bottleneck width as torchvision caps them); <c>stem.0</c> takes <see cref="ArchitectureOptions.InputChannels"/>,
/// <c>fc</c> gives <see cref="ArchitectureOptions.NumClasses"/>. Small input (<see cref="ArchitectureOptions.IsSmallInput"/>):
/// the stem and the first stage use stride 1 (total stride 8: 28 px gives 4×4 at the default layer); strides carry no
/// parameters, so keys and shapes are unchanged. Any input of at least 1×1 pixel runs (torchvision's <c>min_size</c>).</para>
/// <para>Unlike torchvision, activations and the residual addition are not in place.</para>
/// </remarks>
public sealed class RegNet : nn.Module<Tensor, Tensor>, IClassifierHead
{
    private readonly Sequential stem;
    private readonly Sequential trunk_output;
    private readonly AdaptiveAvgPool2d avgpool;
    private readonly Linear fc;

    /// <summary>
    /// Per-stage settings: what torchvision's <c>BlockParams.from_init_params</c> computes from the RegNet parameters.
    /// </summary>
    /// <param name="Depths">Blocks per stage.</param>
    /// <param name="Widths">Output width per stage.</param>
    /// <param name="GroupWidths">Channels per group of the 3×3 convolution, per stage.</param>
    /// <param name="BottleneckMultiplier">Bottleneck width / output width (1 for every torchvision model).</param>
    /// <param name="SeRatio">Squeeze-excitation width / block input width; null for RegNet X.</param>
    public sealed record BlockParams(IReadOnlyList<int> Depths, IReadOnlyList<int> Widths, IReadOnlyList<int> GroupWidths,
        double BottleneckMultiplier, double? SeRatio)
    {
        /// <summary>
        /// torchvision's <c>from_init_params</c>: block widths <c>w_0 + i · w_a</c> (i &lt; depth) are quantised in log
        /// space with base <c>w_m</c> and to multiples of 8; runs of equal width form the stages; then widths and group
        /// widths are made compatible. <paramref name="width"/> (our scaling, 1 = torchvision's) multiplies the stage
        /// widths before that last step.
        /// </summary>
        public static BlockParams FromInitParams(int depth, int w0, double wa, double wm, int groupWidth,
            double bottleneckMultiplier = 1.0, double? seRatio = null, double width = 1.0)
        {
            const int quant = 8;
            if (wa < 0 || w0 <= 0 || wm <= 1 || w0 % 8 != 0) throw new ArgumentException("Invalid RegNet settings");
            // Math.Round rounds half to even, as torch.round does (regnet_x_1_6gf has an exact 22.5).
            var blockWidths = Enumerable.Range(0, depth).Select(i =>
            {
                var capacity = Math.Round(Math.Log((i * wa + w0) / w0) / Math.Log(wm));
                return (int)(Math.Round(w0 * Math.Pow(wm, capacity) / quant) * quant);
            }).ToList();
            var stageWidths = new List<int>();
            var stageDepths = new List<int>();
            for (var i = 0; i < depth; i++)
            {
                if (i == 0 || blockWidths[i] != blockWidths[i - 1])
                {
                    stageWidths.Add(blockWidths[i]);
                    stageDepths.Add(0);
                }
                stageDepths[^1]++;
            }
            if (width != 1.0) stageWidths = stageWidths.Select(w => MobileNetV2.MakeDivisible(w * width, quant)).ToList();

            // _adjust_widths_groups_compatibilty: the bottleneck width becomes a multiple of the group width.
            var bottlenecks = stageWidths.Select(w => (int)(w * bottleneckMultiplier)).ToList();
            var groupWidths = bottlenecks.Select(b => Math.Min(groupWidth, b)).ToList();
            var adjusted = bottlenecks.Select((b, s) => (int)(MobileNetV2.MakeDivisible(b, groupWidths[s]) / bottleneckMultiplier)).ToList();
            return new BlockParams(stageDepths, adjusted, groupWidths, bottleneckMultiplier, seRatio);
        }
    }

    /// <summary>Builds a RegNet.</summary>
    /// <param name="name">Module name, e.g. "regnet_y_400mf".</param>
    /// <param name="blockParams">Per-stage settings (<see cref="BlockParams.FromInitParams"/>).</param>
    /// <param name="options">Classes, input channels and size (width is already in <paramref name="blockParams"/>).</param>
    public RegNet(string name, BlockParams blockParams, ArchitectureOptions options) : base(name)
    {
        ArgumentNullException.ThrowIfNull(blockParams);
        ArgumentNullException.ThrowIfNull(options);
        var small = options.IsSmallInput;
        var stemWidth = MobileNetV2.MakeDivisible(32 * options.Width, 8);
        stem = Conv2dNormActivation.Create(options.InputChannels, stemWidth, kernelSize: 3, stride: small ? 1 : 2,
            norm: BatchNormSettings.Default, activation: Conv2dNormActivation.ReLU);

        var current = stemWidth;
        var stages = new List<(string, nn.Module<Tensor, Tensor>)>();
        for (var s = 0; s < blockParams.Widths.Count; s++)
        {
            var stride = small && s == 0 ? 1 : 2;
            var blocks = new List<(string, nn.Module<Tensor, Tensor>)>();
            for (var i = 0; i < blockParams.Depths[s]; i++)
            {
                blocks.Add(($"block{s + 1}-{i}", new ResBottleneckBlock(i == 0 ? current : blockParams.Widths[s],
                    blockParams.Widths[s], i == 0 ? stride : 1, blockParams.GroupWidths[s], blockParams.BottleneckMultiplier,
                    blockParams.SeRatio)));
            }
            stages.Add(($"block{s + 1}", nn.Sequential(blocks.ToArray())));
            current = blockParams.Widths[s];
        }
        trunk_output = nn.Sequential(stages.ToArray());
        HeadInputLayer = $"trunk_output.block{blockParams.Widths.Count}";
        avgpool = nn.AdaptiveAvgPool2d(1);
        fc = nn.Linear(current, options.NumClasses);
        RegisterComponents();

        using var _ = no_grad();
        foreach (var (_, m) in named_modules())
        {
            switch (m)
            {
                case Conv2d conv:
                    var fanOut = conv.kernel_size[0] * conv.kernel_size[1] * conv.out_channels;
                    nn.init.normal_(conv.weight, 0.0, Math.Sqrt(2.0 / fanOut));
                    break;
                case BatchNorm2d bn:
                    nn.init.ones_(bn.weight);
                    nn.init.zeros_(bn.bias);
                    break;
                case Linear linear:
                    nn.init.normal_(linear.weight, 0.0, 0.01);
                    nn.init.zeros_(linear.bias);
                    break;
            }
        }
    }

    /// <summary>A torchvision RegNet by its builder's parameters.</summary>
    private static RegNet Build(string name, int depth, int w0, double wa, double wm, int groupWidth, bool y,
        ArchitectureOptions options) =>
        new(name, BlockParams.FromInitParams(depth, w0, wa, wm, groupWidth, seRatio: y ? 0.25 : null, width: options.Width), options);

    /// <summary>torchvision's regnet_y_400mf.</summary>
    public static RegNet RegNetY400MF(ArchitectureOptions o) => Build("regnet_y_400mf", 16, 48, 27.89, 2.09, 8, true, o);

    /// <summary>torchvision's regnet_y_800mf.</summary>
    public static RegNet RegNetY800MF(ArchitectureOptions o) => Build("regnet_y_800mf", 14, 56, 38.84, 2.4, 16, true, o);

    /// <summary>torchvision's regnet_y_1_6gf.</summary>
    public static RegNet RegNetY1_6GF(ArchitectureOptions o) => Build("regnet_y_1_6gf", 27, 48, 20.71, 2.65, 24, true, o);

    /// <summary>torchvision's regnet_y_3_2gf.</summary>
    public static RegNet RegNetY3_2GF(ArchitectureOptions o) => Build("regnet_y_3_2gf", 21, 80, 42.63, 2.66, 24, true, o);

    /// <summary>torchvision's regnet_y_8gf.</summary>
    public static RegNet RegNetY8GF(ArchitectureOptions o) => Build("regnet_y_8gf", 17, 192, 76.82, 2.19, 56, true, o);

    /// <summary>torchvision's regnet_y_16gf.</summary>
    public static RegNet RegNetY16GF(ArchitectureOptions o) => Build("regnet_y_16gf", 18, 200, 106.23, 2.48, 112, true, o);

    /// <summary>torchvision's regnet_y_32gf.</summary>
    public static RegNet RegNetY32GF(ArchitectureOptions o) => Build("regnet_y_32gf", 20, 232, 115.89, 2.53, 232, true, o);

    /// <summary>torchvision's regnet_y_128gf.</summary>
    public static RegNet RegNetY128GF(ArchitectureOptions o) => Build("regnet_y_128gf", 27, 456, 160.83, 2.52, 264, true, o);

    /// <summary>torchvision's regnet_x_400mf.</summary>
    public static RegNet RegNetX400MF(ArchitectureOptions o) => Build("regnet_x_400mf", 22, 24, 24.48, 2.54, 16, false, o);

    /// <summary>torchvision's regnet_x_800mf.</summary>
    public static RegNet RegNetX800MF(ArchitectureOptions o) => Build("regnet_x_800mf", 16, 56, 35.73, 2.28, 16, false, o);

    /// <summary>torchvision's regnet_x_1_6gf.</summary>
    public static RegNet RegNetX1_6GF(ArchitectureOptions o) => Build("regnet_x_1_6gf", 18, 80, 34.01, 2.25, 24, false, o);

    /// <summary>torchvision's regnet_x_3_2gf.</summary>
    public static RegNet RegNetX3_2GF(ArchitectureOptions o) => Build("regnet_x_3_2gf", 25, 88, 26.31, 2.25, 48, false, o);

    /// <summary>torchvision's regnet_x_8gf.</summary>
    public static RegNet RegNetX8GF(ArchitectureOptions o) => Build("regnet_x_8gf", 23, 80, 49.56, 2.88, 120, false, o);

    /// <summary>torchvision's regnet_x_16gf.</summary>
    public static RegNet RegNetX16GF(ArchitectureOptions o) => Build("regnet_x_16gf", 22, 216, 55.59, 2.1, 128, false, o);

    /// <summary>torchvision's regnet_x_32gf.</summary>
    public static RegNet RegNetX32GF(ArchitectureOptions o) => Build("regnet_x_32gf", 23, 320, 69.86, 2.0, 168, false, o);

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        InputSizeCheck.AtLeast(input, 1, GetName());
        using var scope = NewDisposeScope();
        var x = trunk_output.call(stem.call(ChannelsLast.Prepare(this, input)));
        return scope.MoveToOuter(Head(x));
    }

    /// <inheritdoc/>
    public string HeadInputLayer { get; }

    /// <inheritdoc/>
    public Tensor Head(Tensor layerOutput)
    {
        using var scope = NewDisposeScope();
        var x = avgpool.call(layerOutput).flatten(1);
        return scope.MoveToOuter(fc.call(x));
    }

    /// <summary>
    /// torchvision's <c>ResBottleneckBlock</c>: <c>f</c> = 1×1 conv-BN-ReLU (<c>a</c>) to the bottleneck width, 3×3
    /// grouped conv-BN-ReLU (<c>b</c>, the stride, bottleneck / group width groups), for RegNet Y a
    /// <see cref="SqueezeExcitation"/> (<c>se</c>, squeeze width <c>round(ratio · input width)</c>), 1×1 conv-BN
    /// (<c>c</c>); plus the input, through a 1×1 conv-BN projection (<c>proj</c>) when width or stride change; then ReLU.
    /// </summary>
    public sealed class ResBottleneckBlock : nn.Module<Tensor, Tensor>
    {
        private readonly Sequential? proj;
        private readonly Sequential f;
        private readonly nn.Module<Tensor, Tensor> activation;

        /// <summary>Builds the block.</summary>
        public ResBottleneckBlock(int widthIn, int widthOut, int stride, int groupWidth, double bottleneckMultiplier,
            double? seRatio) : base("ResBottleneckBlock")
        {
            if (widthIn != widthOut || stride != 1)
                proj = Conv2dNormActivation.Create(widthIn, widthOut, kernelSize: 1, stride: stride, norm: BatchNormSettings.Default);
            var bottleneck = (int)Math.Round(widthOut * bottleneckMultiplier);
            var groups = bottleneck / groupWidth;
            var layers = new List<(string, nn.Module<Tensor, Tensor>)>
            {
                ("a", Conv2dNormActivation.Create(widthIn, bottleneck, kernelSize: 1, norm: BatchNormSettings.Default,
                    activation: Conv2dNormActivation.ReLU)),
                ("b", Conv2dNormActivation.Create(bottleneck, bottleneck, kernelSize: 3, stride: stride, groups: groups,
                    norm: BatchNormSettings.Default, activation: Conv2dNormActivation.ReLU)),
            };
            if (seRatio is > 0)
                layers.Add(("se", new SqueezeExcitation(bottleneck, (int)Math.Round(seRatio.Value * widthIn))));
            layers.Add(("c", Conv2dNormActivation.Create(bottleneck, widthOut, kernelSize: 1, norm: BatchNormSettings.Default)));
            f = nn.Sequential(layers.ToArray());
            activation = nn.ReLU();
            RegisterComponents();
        }

        /// <inheritdoc/>
        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            var shortcut = proj is null ? input : proj.call(input);
            return scope.MoveToOuter(activation.call(shortcut + f.call(input)));
        }
    }
}
