// Translated from torchvision 0.14's torchvision/models/convnext.py (BSD-3-Clause, the PyTorch vision authors).

using Cnnc.Engine.Models.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Cnnc.Engine.Models.Architectures;

/// <summary>
/// ConvNeXt (Liu et al., "A ConvNet for the 2020s", arXiv 2201.03545) as torchvision 0.14's <c>convnext_tiny</c>,
/// <c>_small</c>, <c>_base</c> and <c>_large</c> build it: <c>features</c> = a 4×4 stride-4 patchify stem
/// (<c>features.0</c>: convolution with bias, <see cref="LayerNorm2d"/>), four stages of <see cref="CNBlock"/>s
/// (<c>features.1</c>, <c>.3</c>, <c>.5</c>, <c>.7</c>) with a LayerNorm2d + 2×2 stride-2 convolution downsampling
/// between them (<c>features.2</c>, <c>.4</c>, <c>.6</c>); global average pooling (<c>avgpool</c>) and
/// <c>classifier</c> (LayerNorm2d, flatten, linear). Every LayerNorm has eps 1e-6. Initialisation is torchvision's:
/// convolutions and linear layers truncated N(0, 0.02²) in [−2, 2] with zero bias, LayerNorms 1 / 0, layer scale 1e-6.
/// Stochastic depth grows linearly from 0 to the builder's probability over the blocks (training only).
/// </summary>
/// <remarks>
/// <para>Default explanation layer: the last stage, <c>features.7</c> (7×7 at 224 px).</para>
/// <para>Scaling: <see cref="ArchitectureOptions.Width"/> scales the four stage widths
/// (<see cref="ArchitectureOptions.Scale"/>); <c>features.0.0</c> takes <see cref="ArchitectureOptions.InputChannels"/>,
/// <c>classifier.2</c> gives <see cref="ArchitectureOptions.NumClasses"/>. Small input
/// (<see cref="ArchitectureOptions.IsSmallInput"/>): the 4×4 stem uses stride 1 (its kernel, hence its weights, stay
/// 4×4): total stride 8, 28 px gives 3×3 at the default layer.</para>
/// <para>Input size: the stem and the three downsamplings must leave at least one pixel: 32 px at least (torchvision's
/// <c>min_size</c>), 11 px with the small-input stem; smaller is an <see cref="ArgumentException"/> at build (for
/// <see cref="ArchitectureOptions.InputSize"/>) and at forward.</para>
/// <para>Unlike torchvision, the residual addition is not in place.</para>
/// </remarks>
public sealed class ConvNeXt : nn.Module<Tensor, Tensor>, IClassifierHead
{
    /// <summary>eps of every LayerNorm in ConvNeXt.</summary>
    public const double LayerNormEps = 1e-6;

    private readonly Sequential features;
    private readonly AdaptiveAvgPool2d avgpool;
    private readonly Sequential classifier;

    /// <summary>One stage (torchvision's <c>CNBlockConfig</c>).</summary>
    /// <param name="Input">Width of the stage's blocks.</param>
    /// <param name="Output">Width after the downsampling that follows; null for the last stage.</param>
    /// <param name="Layers">Blocks in the stage.</param>
    public sealed record StageConfig(int Input, int? Output, int Layers);

    /// <summary>Builds a ConvNeXt.</summary>
    /// <param name="name">Module name, e.g. "convnext_tiny".</param>
    /// <param name="stages">The stage table (before width scaling).</param>
    /// <param name="stochasticDepthProbability">Drop probability of the last block (training only).</param>
    /// <param name="options">Classes, input channels and size, width.</param>
    /// <param name="layerScale">Initial layer scale (torchvision: 1e-6).</param>
    public ConvNeXt(string name, IReadOnlyList<StageConfig> stages, double stochasticDepthProbability,
        ArchitectureOptions options, double layerScale = 1e-6) : base(name)
    {
        ArgumentNullException.ThrowIfNull(stages);
        ArgumentNullException.ThrowIfNull(options);
        if (stages.Count == 0) throw new ArgumentException("The block_setting should not be empty");
        var small = options.IsSmallInput;
        MinimumInputSize = small ? 11 : 32;
        if (options.InputSize < MinimumInputSize)
            throw new ArgumentException($"{name} needs images of at least {MinimumInputSize}×{MinimumInputSize} pixels " +
                                        $"(got InputSize {options.InputSize}).");
        int Width(int c) => options.Scale(c);

        var first = Width(stages[0].Input);
        var layers = new List<nn.Module<Tensor, Tensor>>
        {
            nn.Sequential(
                nn.Conv2d(options.InputChannels, first, kernel_size: 4, stride: small ? 1 : 4, padding: 0L, bias: true),
                new LayerNorm2d(first, LayerNormEps)),
        };
        var totalBlocks = stages.Sum(s => s.Layers);
        var blockId = 0;
        foreach (var stage in stages)
        {
            var width = Width(stage.Input);
            var blocks = new List<nn.Module<Tensor, Tensor>>();
            for (var i = 0; i < stage.Layers; i++)
            {
                // torchvision divides by (total − 1.0): a one-block network gets NaN, as there.
                blocks.Add(new CNBlock(width, layerScale, stochasticDepthProbability * blockId / (totalBlocks - 1.0)));
                blockId++;
            }
            layers.Add(nn.Sequential(blocks));
            if (stage.Output is { } output)
                layers.Add(nn.Sequential(new LayerNorm2d(width, LayerNormEps), nn.Conv2d(width, Width(output), kernel_size: 2, stride: 2)));
        }
        features = nn.Sequential(layers);
        HeadInputLayer = $"features.{layers.Count - 1}";
        avgpool = nn.AdaptiveAvgPool2d(1);
        var last = Width(stages[^1].Output ?? stages[^1].Input);
        classifier = nn.Sequential(new LayerNorm2d(last, LayerNormEps), nn.Flatten(1), nn.Linear(last, options.NumClasses));
        RegisterComponents();

        using var _ = no_grad();
        foreach (var (_, m) in named_modules())
        {
            switch (m)
            {
                case Conv2d conv:
                    TruncatedNormal.Fill(conv.weight, std: 0.02);
                    if (conv.bias is not null) nn.init.zeros_(conv.bias);
                    break;
                case Linear linear:
                    TruncatedNormal.Fill(linear.weight, std: 0.02);
                    if (linear.bias is not null) nn.init.zeros_(linear.bias);
                    break;
            }
        }
    }

    /// <summary>Smallest input side this model takes (32, or 11 with the small-input stem).</summary>
    public int MinimumInputSize { get; }

    /// <summary>convnext_tiny's stages.</summary>
    public static IReadOnlyList<StageConfig> Tiny { get; } = [new(96, 192, 3), new(192, 384, 3), new(384, 768, 9), new(768, null, 3)];

    /// <summary>convnext_small's stages.</summary>
    public static IReadOnlyList<StageConfig> Small { get; } = [new(96, 192, 3), new(192, 384, 3), new(384, 768, 27), new(768, null, 3)];

    /// <summary>convnext_base's stages.</summary>
    public static IReadOnlyList<StageConfig> Base { get; } = [new(128, 256, 3), new(256, 512, 3), new(512, 1024, 27), new(1024, null, 3)];

    /// <summary>convnext_large's stages.</summary>
    public static IReadOnlyList<StageConfig> Large { get; } = [new(192, 384, 3), new(384, 768, 3), new(768, 1536, 27), new(1536, null, 3)];

    /// <summary>torchvision's convnext_tiny (stochastic depth 0.1).</summary>
    public static ConvNeXt ConvNeXtTiny(ArchitectureOptions options) => new("convnext_tiny", Tiny, 0.1, options);

    /// <summary>torchvision's convnext_small (stochastic depth 0.4).</summary>
    public static ConvNeXt ConvNeXtSmall(ArchitectureOptions options) => new("convnext_small", Small, 0.4, options);

    /// <summary>torchvision's convnext_base (stochastic depth 0.5).</summary>
    public static ConvNeXt ConvNeXtBase(ArchitectureOptions options) => new("convnext_base", Base, 0.5, options);

    /// <summary>torchvision's convnext_large (stochastic depth 0.5).</summary>
    public static ConvNeXt ConvNeXtLarge(ArchitectureOptions options) => new("convnext_large", Large, 0.5, options);

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        InputSizeCheck.AtLeast(input, MinimumInputSize, GetName());
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
        var x = avgpool.call(layerOutput);
        return scope.MoveToOuter(classifier.call(x));
    }

    /// <summary>
    /// torchvision's <c>CNBlock</c>: <c>block</c> = 7×7 depthwise convolution (with bias), <see cref="Permute"/> to
    /// N×H×W×C, LayerNorm (eps 1e-6), linear to 4× the width, GELU, linear back, permute to N×C×H×W; scaled per channel
    /// by <c>layer_scale</c> (C×1×1), passed through <see cref="StochasticDepth"/> ("row") and added to the input.
    /// </summary>
    public sealed class CNBlock : nn.Module<Tensor, Tensor>
    {
        private readonly Sequential block;
        private readonly Parameter layer_scale;
        private readonly StochasticDepth stochastic_depth;

        /// <summary>Builds the block.</summary>
        /// <param name="dim">Width.</param>
        /// <param name="layerScale">Initial value of every layer-scale entry.</param>
        /// <param name="stochasticDepthProbability">Probability of dropping the branch in training.</param>
        public CNBlock(int dim, double layerScale, double stochasticDepthProbability) : base("CNBlock")
        {
            block = nn.Sequential(
                nn.Conv2d(dim, dim, kernel_size: 7, padding: 3, groups: dim, bias: true),
                new Permute(0, 2, 3, 1),
                nn.LayerNorm(dim, eps: LayerNormEps),
                nn.Linear(dim, 4 * dim),
                nn.GELU(),
                nn.Linear(4 * dim, dim),
                new Permute(0, 3, 1, 2));
            layer_scale = new Parameter(ones(dim, 1, 1) * layerScale);
            stochastic_depth = new StochasticDepth(stochasticDepthProbability);
            RegisterComponents();
        }

        /// <inheritdoc/>
        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            var result = stochastic_depth.call(layer_scale * block.call(input));
            return scope.MoveToOuter(result + input);
        }
    }
}
