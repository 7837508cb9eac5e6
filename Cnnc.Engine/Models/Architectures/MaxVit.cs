// Translated from torchvision 0.14's torchvision/models/maxvit.py (BSD-3-Clause, the PyTorch vision authors).

using Cnnc.Engine.Models.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Cnnc.Engine.Models.Architectures;

/// <summary>
/// MaxViT (Tu et al., "MaxViT: Multi-Axis Vision Transformer", arXiv 2204.01697) as torchvision 0.14's
/// <c>maxvit_t</c> builds it: <c>stem</c> (3×3 stride-2 conv-BN-GELU, 3×3 conv with bias), four <c>blocks</c>
/// (<see cref="MaxVitBlock"/>: <see cref="MaxVitLayer"/>s of an <see cref="MBConv"/> then window and grid
/// <see cref="PartitionAttentionLayer"/>s with relative-position attention), and <c>classifier</c> (global average
/// pool, flatten, LayerNorm, Linear, Tanh, Linear without bias). BatchNorm has eps 0.001 and momentum 0.99 (PyTorch's
/// convention, as torchvision sets it); activations are exact GELU. State-dict keys and initialisation are
/// torchvision's (convolutions and linears N(0, 0.02) with zero bias, BatchNorm 1 / 0, LayerNorm 1 / 0, relative
/// position bias tables truncated N(0, 0.02)).
/// </summary>
/// <remarks>
/// <para>Default explanation layer: the last stage, <c>blocks.3</c> (N×C×h×w, channels first; 7×7 at 224 px).</para>
/// <para>Input size: the network is built for one size. Every stage's grid (input side halved by the stem and by each
/// stage, <c>⌊(s − 1) / 2⌋ + 1</c>) must be a multiple of the partition size 7: 224 px (221–224) and 448 px work,
/// others are an <see cref="ArgumentException"/> at build, as torchvision's <c>ValueError</c>; a forward at another
/// size than the built one is an <see cref="ArgumentException"/> too (the grid attention's layout is fixed at build).</para>
/// <para>Scaling: <see cref="ArchitectureOptions.Width"/> scales the head width (32, at least 4) and the stem; each
/// stage keeps torchvision's number of heads (2, 4, 8, 16), so its width is heads × head width (64, 128, 256, 512 at
/// width 1). <c>stem.0.0</c> takes <see cref="ArchitectureOptions.InputChannels"/>, <c>classifier.5</c> gives
/// <see cref="ArchitectureOptions.NumClasses"/>. Small input (<see cref="ArchitectureOptions.IsSmallInput"/>): the
/// stem has stride 1, and each stage partitions with the largest side up to 7 that divides its grid (28 px: grids
/// 14, 7, 4, 2 with partitions 7, 7, 4, 2); names are unchanged, the relative-position tables follow the partition.</para>
/// <para>Unlike torchvision, nothing is computed in place. Submodules are invoked through <c>call</c>, so forward hooks fire.</para>
/// </remarks>
public sealed class MaxVit : nn.Module<Tensor, Tensor>, IClassifierHead
{
    /// <summary>BatchNorm of MaxViT's convolutions: eps 0.001, momentum 0.99 (torchvision's values).</summary>
    public static readonly BatchNormSettings Norm = new(Eps: 1e-3, Momentum: 0.99);

    /// <summary>torchvision's partition size (window side and grid side), 7.</summary>
    public const int PartitionSize = 7;

    private readonly Sequential stem;
    private readonly ModuleList<MaxVitBlock> blocks;
    private readonly Sequential classifier;
    private readonly int inputSize;
    private readonly string network;

    /// <summary>Builds a MaxViT.</summary>
    /// <param name="name">Module name, e.g. "maxvit_t".</param>
    /// <param name="stemChannels">Stem width before scaling (64).</param>
    /// <param name="heads">Attention heads of each stage (torchvision's block_channels / head_dim: 2, 4, 8, 16).</param>
    /// <param name="blockLayers">Layers of each stage (2, 2, 5, 2).</param>
    /// <param name="headDim">Head width before scaling (32).</param>
    /// <param name="stochasticDepthProb">Largest stochastic-depth probability (linear from 0 over all layers; 0.2).</param>
    /// <param name="options">Classes, input channels and size, width.</param>
    public MaxVit(string name, int stemChannels, IReadOnlyList<int> heads, IReadOnlyList<int> blockLayers, int headDim,
        double stochasticDepthProb, ArchitectureOptions options) : base(name)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (heads.Count != blockLayers.Count || heads.Count == 0)
            throw new ArgumentException($"MaxViT needs as many head counts as stages (got {heads.Count} and {blockLayers.Count}).");
        network = name;
        inputSize = options.InputSize;
        var small = options.IsSmallInput;
        var dim = options.Scale(headDim);
        var channels = heads.Select(h => h * dim).ToArray();
        var stemWidth = options.Scale(stemChannels);

        var stemStride = small ? 1 : 2;
        var grid = small ? options.InputSize : ConvOutput(options.InputSize);
        var grids = new List<int>();
        for (var i = 0; i < heads.Count; i++) grids.Add(grid = ConvOutput(grid));
        var partitions = grids.Select(g => small ? Enumerable.Range(1, PartitionSize).Last(p => g % p == 0) : PartitionSize).ToArray();
        if (!small && grids.Any(g => g % PartitionSize != 0))
            throw new ArgumentException(
                $"{name} cannot take {options.InputSize}×{options.InputSize} input: its stage grids would be " +
                $"{string.Join(", ", grids.Select(g => $"{g}×{g}"))}, and each must be a multiple of the partition size " +
                $"{PartitionSize}. Use 224 (or 448) pixels, or an input below {ArchitectureOptions.SmallInputThreshold} " +
                "pixels for the small-input variant.", nameof(options));

        stem = nn.Sequential(
            Conv2dNormActivation.Create(options.InputChannels, stemWidth, kernelSize: 3, stride: stemStride, norm: Norm,
                activation: () => nn.GELU()),
            Conv2dNormActivation.Create(stemWidth, stemWidth, kernelSize: 3));

        var totalLayers = blockLayers.Sum();
        var layerIndex = 0;
        var stages = new List<MaxVitBlock>();
        for (var i = 0; i < heads.Count; i++)
        {
            var probabilities = Enumerable.Range(layerIndex, blockLayers[i])
                .Select(j => totalLayers == 1 ? 0.0 : stochasticDepthProb * j / (totalLayers - 1)).ToList();
            stages.Add(new MaxVitBlock(i == 0 ? stemWidth : channels[i - 1], channels[i], dim, partitions[i], grids[i], probabilities));
            layerIndex += blockLayers[i];
        }
        blocks = nn.ModuleList(stages.ToArray());
        HeadInputLayer = $"blocks.{stages.Count - 1}";

        var last = channels[^1];
        classifier = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.LayerNorm(last),
            nn.Linear(last, last),
            nn.Tanh(),
            nn.Linear(last, options.NumClasses, hasBias: false));
        RegisterComponents();

        using var _ = no_grad();
        foreach (var (_, m) in named_modules())
        {
            switch (m)
            {
                case Conv2d conv:
                    nn.init.normal_(conv.weight, 0, 0.02);
                    if (conv.bias is not null) nn.init.zeros_(conv.bias);
                    break;
                case BatchNorm2d bn:
                    nn.init.ones_(bn.weight);
                    nn.init.zeros_(bn.bias);
                    break;
                case Linear linear:
                    nn.init.normal_(linear.weight, 0, 0.02);
                    if (linear.bias is not null) nn.init.zeros_(linear.bias);
                    break;
            }
        }
    }

    /// <summary>torchvision's maxvit_t: stem 64, stages of 2, 2, 5, 2 layers, 64 to 512 channels, heads of 32.</summary>
    public static MaxVit MaxVitT(ArchitectureOptions options) =>
        new("maxvit_t", 64, [2, 4, 8, 16], [2, 2, 5, 2], 32, 0.2, options);

    /// <summary>Side after a 3×3, stride-2, padding-1 convolution (torchvision's <c>_get_conv_output_shape</c>).</summary>
    public static int ConvOutput(int side) => (side - 1) / 2 + 1;

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        if (input.dim() != 4 || input.shape[2] != inputSize || input.shape[3] != inputSize)
            throw new ArgumentException($"{network} was built for {inputSize}×{inputSize} images, N×C×{inputSize}×{inputSize} " +
                                        $"(got [{string.Join(", ", input.shape)}]); build it with that InputSize.");
        using var scope = NewDisposeScope();
        var x = stem.call(ChannelsLast.Prepare(this, input));
        foreach (var block in blocks) x = block.call(x);
        return scope.MoveToOuter(Head(x));
    }

    /// <inheritdoc/>
    public string HeadInputLayer { get; }

    /// <inheritdoc/>
    public Tensor Head(Tensor layerOutput) => classifier.call(layerOutput);

    /// <summary>torchvision's <c>MaxVitBlock</c>: <c>layers</c>, the stage's <see cref="MaxVitLayer"/>s, the first with stride 2.</summary>
    public sealed class MaxVitBlock : nn.Module<Tensor, Tensor>
    {
        private readonly ModuleList<MaxVitLayer> layers;

        /// <summary>Builds a stage.</summary>
        /// <param name="inChannels">Input channels.</param>
        /// <param name="outChannels">Output channels.</param>
        /// <param name="headDim">Head width.</param>
        /// <param name="partitionSize">Window and grid side.</param>
        /// <param name="grid">Side of the stage's output grid.</param>
        /// <param name="stochasticDepth">Stochastic-depth probability of each layer.</param>
        public MaxVitBlock(int inChannels, int outChannels, int headDim, int partitionSize, int grid,
            IReadOnlyList<double> stochasticDepth) : base("MaxVitBlock")
        {
            layers = nn.ModuleList(stochasticDepth.Select((p, i) =>
                new MaxVitLayer(i == 0 ? inChannels : outChannels, outChannels, i == 0 ? 2 : 1, headDim, partitionSize, grid, p)).ToArray());
            RegisterComponents();
        }

        /// <inheritdoc/>
        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            var x = input;
            foreach (var layer in layers) x = layer.call(x);
            return scope.MoveToOuter(x);
        }
    }

    /// <summary>
    /// torchvision's <c>MaxVitLayer</c>: <c>layers</c> = <c>MBconv</c> (<see cref="MBConv"/>), <c>window_attention</c>
    /// and <c>grid_attention</c> (<see cref="PartitionAttentionLayer"/>), mlp ratio 4.
    /// </summary>
    public sealed class MaxVitLayer : nn.Module<Tensor, Tensor>
    {
        private readonly Sequential layers;

        /// <summary>Builds a layer.</summary>
        public MaxVitLayer(int inChannels, int outChannels, int stride, int headDim, int partitionSize, int grid,
            double stochasticDepth) : base("MaxVitLayer")
        {
            layers = nn.Sequential(
                ("MBconv", new MBConv(inChannels, outChannels, 4.0, 0.25, stride, stochasticDepth)),
                ("window_attention", new PartitionAttentionLayer(outChannels, headDim, partitionSize, false, grid, 4, stochasticDepth)),
                ("grid_attention", new PartitionAttentionLayer(outChannels, headDim, partitionSize, true, grid, 4, stochasticDepth)));
            RegisterComponents();
        }

        /// <inheritdoc/>
        public override Tensor forward(Tensor input) => layers.call(input);
    }

    /// <summary>
    /// torchvision's MaxViT <c>MBConv</c>: <c>layers</c> = <c>pre_norm</c> (BatchNorm), <c>conv_a</c> (1×1 conv-BN-GELU
    /// to 4× the output width), <c>conv_b</c> (3×3 depthwise conv-BN-GELU, the stride), <c>squeeze_excitation</c>
    /// (<see cref="SqueezeExcitation"/> with SiLU, squeeze width a quarter of the output width), <c>conv_c</c> (1×1
    /// conv with bias); added to <c>proj</c> of the input (3×3 average pool when strided, then a 1×1 conv with bias;
    /// the identity when stride and width are unchanged).
    /// </summary>
    public sealed class MBConv : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> proj;
        private readonly nn.Module<Tensor, Tensor> stochastic_depth;
        private readonly Sequential layers;

        /// <summary>Builds the block.</summary>
        public MBConv(int inChannels, int outChannels, double expansionRatio, double squeezeRatio, int stride, double stochasticDepth)
            : base("MBConv")
        {
            if (stride != 1 || inChannels != outChannels)
            {
                var conv = nn.Conv2d(inChannels, outChannels, 1, bias: true);
                proj = stride == 2 ? nn.Sequential(nn.AvgPool2d(3, stride: stride, padding: 1), conv) : nn.Sequential(conv);
            }
            else
            {
                proj = nn.Identity();
            }
            var mid = (int)(outChannels * expansionRatio);
            var squeeze = (int)(outChannels * squeezeRatio);
            stochastic_depth = new StochasticDepth(stochasticDepth);
            layers = nn.Sequential(
                ("pre_norm", nn.BatchNorm2d(inChannels, eps: Norm.Eps, momentum: Norm.Momentum)),
                ("conv_a", Conv2dNormActivation.Create(inChannels, mid, kernelSize: 1, norm: Norm, activation: () => nn.GELU())),
                ("conv_b", Conv2dNormActivation.Create(mid, mid, kernelSize: 3, stride: stride, groups: mid, norm: Norm,
                    activation: () => nn.GELU())),
                ("squeeze_excitation", new SqueezeExcitation(mid, squeeze, activation: () => nn.SiLU())),
                ("conv_c", nn.Conv2d(mid, outChannels, 1, bias: true)));
            RegisterComponents();
        }

        /// <inheritdoc/>
        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            var result = proj.call(input) + stochastic_depth.call(layers.call(input));
            return scope.MoveToOuter(result);
        }
    }

    /// <summary>
    /// torchvision's <c>PartitionAttentionLayer</c>: the N×C×H×W input cut into non-overlapping windows of
    /// partition² tokens (window type) or into partition² tokens spaced across the whole grid (grid type: windows of
    /// the number of partitions, then tokens and windows swapped); pre-norm attention (<c>attn_layer</c>: LayerNorm,
    /// <see cref="RelativePositionalMultiHeadAttention"/>, dropout) and MLP (<c>mlp_layer</c>: LayerNorm, Linear to
    /// ratio × C, GELU, Linear back, dropout — torchvision's own indices, not <see cref="Mlp"/>'s), each residual
    /// through <c>stochastic_dropout</c>; then the grid put back together.
    /// </summary>
    public sealed class PartitionAttentionLayer : nn.Module<Tensor, Tensor>
    {
        private readonly Sequential attn_layer;
        private readonly Sequential mlp_layer;
        private readonly StochasticDepth stochastic_dropout;
        private readonly bool gridType;
        private readonly long p;
        private readonly long groups;

        /// <summary>Builds the layer.</summary>
        /// <param name="channels">Channels (feature width).</param>
        /// <param name="headDim">Head width.</param>
        /// <param name="partitionSize">Window side (window type) or number of tokens per side (grid type).</param>
        /// <param name="gridType">Grid (true) or window (false) partitioning.</param>
        /// <param name="grid">Side of the input grid.</param>
        /// <param name="mlpRatio">MLP expansion.</param>
        /// <param name="stochasticDepth">Stochastic-depth probability.</param>
        public PartitionAttentionLayer(int channels, int headDim, int partitionSize, bool gridType, int grid, int mlpRatio,
            double stochasticDepth) : base("PartitionAttentionLayer")
        {
            if (grid % partitionSize != 0)
                throw new ArgumentException($"Grid size must be divisible by partition size. Got grid size of {grid} and partition size of {partitionSize}");
            this.gridType = gridType;
            var partitions = grid / partitionSize;
            p = gridType ? partitions : partitionSize;
            groups = grid / p;
            attn_layer = nn.Sequential(
                nn.LayerNorm(channels),
                new RelativePositionalMultiHeadAttention(channels, headDim, partitionSize * partitionSize),
                nn.Dropout(0.0));
            mlp_layer = nn.Sequential(
                nn.LayerNorm(channels),
                nn.Linear(channels, channels * mlpRatio),
                nn.GELU(),
                nn.Linear(channels * mlpRatio, channels),
                nn.Dropout(0.0));
            stochastic_dropout = new StochasticDepth(stochasticDepth);
            RegisterComponents();
        }

        /// <inheritdoc/>
        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            var (b, c) = (input.shape[0], input.shape[1]);
            // WindowPartition: B×C×H×W → B×(H/p · W/p)×p²×C.
            var x = input.reshape(b, c, groups, p, groups, p).permute(0, 2, 4, 3, 5, 1).reshape(b, groups * groups, p * p, c);
            if (gridType) x = x.swapaxes(-2, -3);
            x = x + stochastic_dropout.call(attn_layer.call(x));
            x = x + stochastic_dropout.call(mlp_layer.call(x));
            if (gridType) x = x.swapaxes(-2, -3);
            // WindowDepartition.
            x = x.reshape(b, groups, groups, p, p, c).permute(0, 5, 1, 3, 2, 4).reshape(b, c, groups * p, groups * p);
            return scope.MoveToOuter(x);
        }
    }

    /// <summary>
    /// torchvision's <c>RelativePositionalMultiHeadAttention</c> over B×G×P×D token groups: <c>to_qkv</c> (one
    /// Linear), softmax(q·kᵀ · D^−½ + relative position bias) · v per head (the scale uses the feature width D, not the
    /// head width, as torchvision does), then <c>merge</c>. The bias is <c>relative_position_bias_table</c>
    /// ((2s − 1)² × heads, truncated N(0, 0.02)) indexed by the <c>relative_position_index</c> buffer (P × P, s = √P).
    /// Its query-key and attention-value products are counted by <see cref="ModelComplexity"/> (<see cref="IMacCounted"/>).
    /// </summary>
    public sealed class RelativePositionalMultiHeadAttention : nn.Module<Tensor, Tensor>, IMacCounted
    {
        private readonly Linear to_qkv;
        private readonly Linear merge;
        private readonly Parameter relative_position_bias_table;
        private readonly Tensor relative_position_index;
        private readonly long heads;
        private readonly long headDim;
        private readonly long maxSeqLen;
        private readonly double scaleFactor;

        /// <summary>Builds the attention.</summary>
        /// <param name="featDim">Feature width D.</param>
        /// <param name="headDim">Head width (divides D).</param>
        /// <param name="maxSeqLen">Tokens per group P, a square.</param>
        public RelativePositionalMultiHeadAttention(int featDim, int headDim, int maxSeqLen) : base("RelativePositionalMultiHeadAttention")
        {
            if (featDim % headDim != 0) throw new ArgumentException($"feat_dim: {featDim} must be divisible by head_dim: {headDim}");
            heads = featDim / headDim;
            this.headDim = headDim;
            this.maxSeqLen = maxSeqLen;
            var size = (int)Math.Sqrt(maxSeqLen);
            to_qkv = nn.Linear(featDim, heads * headDim * 3);
            scaleFactor = Math.Pow(featDim, -0.5);
            merge = nn.Linear(heads * headDim, featDim);
            relative_position_bias_table = new Parameter(empty((2 * size - 1) * (2 * size - 1), heads, dtype: float32));
            relative_position_index = RelativePositionIndex(size);
            RegisterComponents();
            TruncatedNormal.Fill(relative_position_bias_table, std: 0.02);
        }

        /// <summary>torchvision's <c>_get_relative_position_index</c> for a size × size window: size² × size², int64.</summary>
        public static Tensor RelativePositionIndex(int size)
        {
            var n = size * size;
            var index = new long[n * n];
            for (var a = 0; a < n; a++)
            for (var b = 0; b < n; b++)
                index[a * n + b] = (a / size - b / size + size - 1) * (2 * size - 1) + (a % size - b % size + size - 1);
            return tensor(index, new long[] { n, n }, dtype: int64);
        }

        /// <inheritdoc/>
        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            var (b, g, tokens, d) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3]);
            var qkv = to_qkv.call(input).chunk(3, dim: -1);
            Tensor Heads(Tensor t) => t.reshape(b, g, tokens, heads, headDim).permute(0, 1, 3, 2, 4);
            var q = Heads(qkv[0]);
            var k = Heads(qkv[1]) * scaleFactor;
            var v = Heads(qkv[2]);
            var bias = relative_position_bias_table.index_select(0, relative_position_index.view(-1))
                .view(maxSeqLen, maxSeqLen, -1).permute(2, 0, 1).unsqueeze(0);
            var attention = (q.matmul(k.transpose(-2, -1)) + bias).softmax(-1);
            var output = attention.matmul(v).permute(0, 1, 3, 2, 4).reshape(b, g, tokens, d);
            return scope.MoveToOuter(merge.call(output));
        }

        /// <inheritdoc/>
        public long OwnMacs(Tensor input, Tensor output)
        {
            // q·kᵀ and attention·v: G·H·P·P·head width each, per sample, i.e. G·P·P·D.
            var (g, tokens, d) = (input.shape[1], input.shape[2], heads * headDim);
            return 2 * g * tokens * tokens * d;
        }
    }
}
