// Translated from torchvision 0.14's torchvision/models/swin_transformer.py (BSD-3-Clause, the PyTorch vision authors).

using Cnnc.Engine.Models.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Cnnc.Engine.Models.Architectures;

/// <summary>
/// Swin Transformer (Liu et al., "Swin Transformer: Hierarchical Vision Transformer using Shifted Windows", arXiv
/// 2103.14030) and Swin Transformer V2 (Liu et al., "Swin Transformer V2: Scaling Up Capacity and Resolution", arXiv
/// 2111.09883), as torchvision 0.14's <c>swin_t/s/b</c> and <c>swin_v2_t/s/b</c> build them. <c>features</c>: the patch
/// embedding (<c>features.0</c>: a 4×4 stride-4 convolution, <see cref="Permute"/> to N×h×w×C, LayerNorm), then four
/// stages of <see cref="Block"/>s (<c>features.1</c>, <c>.3</c>, <c>.5</c>, <c>.7</c>) with a
/// <see cref="PatchMerging"/> between them (<c>features.2</c>, <c>.4</c>, <c>.6</c>); then <c>norm</c>,
/// <c>permute</c> (to N×C×h×w), <c>avgpool</c>, <c>flatten</c> and <c>head</c>. Every stage keeps torchvision's
/// N×h×w×C layout (<see cref="IActivationLayout"/>). State-dict keys, shapes (the <c>relative_position_index</c>
/// buffer, V2's <c>relative_coords_table</c> buffer included) and initialisation are torchvision's: linear weights
/// truncated N(0, 0.02) with zero bias, the relative position bias table truncated N(0, 0.02), V2's logit scale log 10,
/// LayerNorm 1 / 0, the patch convolution PyTorch's default.
/// </summary>
/// <remarks>
/// <para>Default explanation layer: the last stage, <c>features.7</c> (N×7×7×C at 224 px, N×8×8×C for V2 at 256).</para>
/// <para>Scaling: <see cref="ArchitectureOptions.Width"/> scales the embedding width, rounded to a multiple of the first
/// stage's head count (so every head keeps a whole width); <c>features.0.0</c> takes
/// <see cref="ArchitectureOptions.InputChannels"/>, <c>head</c> gives <see cref="ArchitectureOptions.NumClasses"/>.
/// Small input (<see cref="ArchitectureOptions.IsSmallInput"/>): the patch convolution keeps its 4×4 kernel but has
/// stride 2 and padding 1 (28 px gives 14×14 tokens, 2×2 at <c>features.7</c>); keys and shapes are unchanged.</para>
/// <para>Any input of at least 4×4 pixels runs, as in torchvision: feature maps are padded to window multiples and
/// patch merging pads odd sides; smaller images, or anything but N×C×H×W, are an <see cref="ArgumentException"/>.</para>
/// <para>Dropout and stochastic depth are inactive in eval mode; the window attention is written out as torchvision's
/// <c>shifted_window_attention</c> (functional linear layers on <c>qkv</c> and <c>proj</c>, so their MACs are counted
/// by <see cref="ShiftedWindowAttention"/> itself through <see cref="IMacCounted"/>).</para>
/// </remarks>
public sealed class SwinTransformer : nn.Module<Tensor, Tensor>, IActivationLayout
{
    /// <summary>Side of the smallest image the patch embedding takes.</summary>
    public const int MinimumInputSize = 4;

    private readonly Sequential features;
    private readonly LayerNorm norm;
    private readonly Permute permute;
    private readonly AdaptiveAvgPool2d avgpool;
    private readonly Flatten flatten;
    private readonly Linear head;

    /// <summary>One member of the family (torchvision's builder arguments).</summary>
    /// <param name="Name">torchvision name, e.g. "swin_t".</param>
    /// <param name="EmbedDim">Width of the first stage.</param>
    /// <param name="Depths">Blocks per stage.</param>
    /// <param name="NumHeads">Attention heads per stage.</param>
    /// <param name="WindowSize">Side of the attention window (7; V2: 8).</param>
    /// <param name="StochasticDepthProb">Largest stochastic depth probability (the last block's).</param>
    /// <param name="V2">Swin V2: post-norm blocks, cosine attention with a continuous position bias, PatchMergingV2.</param>
    public sealed record Configuration(string Name, int EmbedDim, IReadOnlyList<int> Depths, IReadOnlyList<int> NumHeads, int WindowSize,
        double StochasticDepthProb, bool V2);

    /// <summary>swin_t.</summary>
    public static Configuration T { get; } = new("swin_t", 96, [2, 2, 6, 2], [3, 6, 12, 24], 7, 0.2, false);

    /// <summary>swin_s.</summary>
    public static Configuration S { get; } = new("swin_s", 96, [2, 2, 18, 2], [3, 6, 12, 24], 7, 0.3, false);

    /// <summary>swin_b.</summary>
    public static Configuration B { get; } = new("swin_b", 128, [2, 2, 18, 2], [4, 8, 16, 32], 7, 0.5, false);

    /// <summary>swin_v2_t.</summary>
    public static Configuration V2T { get; } = new("swin_v2_t", 96, [2, 2, 6, 2], [3, 6, 12, 24], 8, 0.2, true);

    /// <summary>swin_v2_s.</summary>
    public static Configuration V2S { get; } = new("swin_v2_s", 96, [2, 2, 18, 2], [3, 6, 12, 24], 8, 0.3, true);

    /// <summary>swin_v2_b.</summary>
    public static Configuration V2B { get; } = new("swin_v2_b", 128, [2, 2, 18, 2], [4, 8, 16, 32], 8, 0.5, true);

    /// <summary>Builds a Swin Transformer.</summary>
    /// <param name="config">The member.</param>
    /// <param name="options">Classes, input channels and size, width multiplier.</param>
    public SwinTransformer(Configuration config, ArchitectureOptions options) : base(config?.Name ?? "swin")
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(options);
        if (config.Depths.Count == 0 || config.Depths.Count != config.NumHeads.Count)
            throw new ArgumentException($"{config.Name}: one head count per stage is needed (got {config.Depths.Count} stages, {config.NumHeads.Count} head counts).");
        Config = config;
        var heads0 = config.NumHeads[0];
        var embed = heads0 * Math.Max(1, (int)Math.Round(config.EmbedDim * options.Width / heads0));
        var small = options.IsSmallInput;

        var layers = new List<nn.Module<Tensor, Tensor>>
        {
            nn.Sequential(
                nn.Conv2d(options.InputChannels, embed, kernel_size: 4, stride: small ? 2 : 4, padding: small ? 1 : 0),
                new Permute(0, 2, 3, 1),
                nn.LayerNorm(embed, eps: 1e-5)),
        };
        var totalBlocks = config.Depths.Sum();
        var blockId = 0;
        for (var stage = 0; stage < config.Depths.Count; stage++)
        {
            var dim = embed << stage;
            var blocks = new List<nn.Module<Tensor, Tensor>>();
            for (var i = 0; i < config.Depths[stage]; i++)
            {
                // torchvision's linear rule; one block only: its probability is 0 (torchvision would divide by zero).
                var sdProb = totalBlocks > 1 ? config.StochasticDepthProb * blockId / (totalBlocks - 1) : 0.0;
                blocks.Add(new Block(dim, config.NumHeads[stage], config.WindowSize, i % 2 == 0 ? 0 : config.WindowSize / 2,
                    sdProb, config.V2));
                blockId++;
            }
            layers.Add(nn.Sequential(blocks));
            if (stage < config.Depths.Count - 1) layers.Add(new PatchMerging(dim, config.V2));
        }
        features = nn.Sequential(layers);
        NumFeatures = embed << (config.Depths.Count - 1);
        norm = nn.LayerNorm(NumFeatures, eps: 1e-5);
        permute = new Permute(0, 3, 1, 2);
        avgpool = nn.AdaptiveAvgPool2d(1);
        flatten = nn.Flatten(1);
        head = nn.Linear(NumFeatures, options.NumClasses);
        RegisterComponents();

        using var _ = no_grad();
        foreach (var (_, m) in named_modules())
        {
            if (m is not Linear linear) continue;
            TruncatedNormal.Fill(linear.weight, std: 0.02);
            if (linear.bias is not null) nn.init.zeros_(linear.bias);
        }
    }

    /// <summary>torchvision's swin_t.</summary>
    public static SwinTransformer SwinT(ArchitectureOptions options) => new(T, options);

    /// <summary>torchvision's swin_s.</summary>
    public static SwinTransformer SwinS(ArchitectureOptions options) => new(S, options);

    /// <summary>torchvision's swin_b.</summary>
    public static SwinTransformer SwinB(ArchitectureOptions options) => new(B, options);

    /// <summary>torchvision's swin_v2_t.</summary>
    public static SwinTransformer SwinV2T(ArchitectureOptions options) => new(V2T, options);

    /// <summary>torchvision's swin_v2_s.</summary>
    public static SwinTransformer SwinV2S(ArchitectureOptions options) => new(V2S, options);

    /// <summary>torchvision's swin_v2_b.</summary>
    public static SwinTransformer SwinV2B(ArchitectureOptions options) => new(V2B, options);

    /// <summary>The member this model is.</summary>
    public Configuration Config { get; }

    /// <summary>Width of the last stage (the head's input).</summary>
    public int NumFeatures { get; }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        InputSizeCheck.AtLeast(input, MinimumInputSize, Config.Name);
        using var scope = NewDisposeScope();
        var x = features.call(ChannelsLast.Prepare(this, input));
        x = flatten.call(avgpool.call(permute.call(norm.call(x))));
        return scope.MoveToOuter(head.call(x));
    }

    /// <summary>
    /// Channels-last (N×h×w×C) for everything the patch embedding's permutation and the stages give: <c>features</c>
    /// and its descendants except the patch convolution <c>features.0.0</c> (and V2's <c>cpb_mlp</c>, whose output is
    /// a table, not an image), and <c>norm</c>; channels-first for the rest.
    /// </summary>
    public ActivationLayout LayoutOf(string modulePath)
    {
        ArgumentNullException.ThrowIfNull(modulePath);
        if (modulePath == "norm") return ActivationLayout.ChannelsLast;
        if (modulePath is "features" || (modulePath.StartsWith("features.", StringComparison.Ordinal)
                                         && modulePath != "features.0.0" && !modulePath.Contains(".cpb_mlp", StringComparison.Ordinal)))
            return ActivationLayout.ChannelsLast;
        return ActivationLayout.ChannelsFirst;
    }

    /// <summary>
    /// torchvision's <c>SwinTransformerBlock</c> (pre-norm: x + attn(norm1(x)), x + mlp(norm2(x))) and
    /// <c>SwinTransformerBlockV2</c> (post-norm: x + norm1(attn(x)), x + norm2(mlp(x))); the MLP is 4× wide with GELU.
    /// </summary>
    public sealed class Block : nn.Module<Tensor, Tensor>
    {
        private readonly LayerNorm norm1;
        private readonly ShiftedWindowAttention attn;
        private readonly StochasticDepth stochastic_depth;
        private readonly LayerNorm norm2;
        private readonly Sequential mlp;
        private readonly bool postNorm;

        /// <summary>Builds the block.</summary>
        public Block(int dim, int numHeads, int windowSize, int shiftSize, double stochasticDepthProb, bool v2) : base(v2 ? "SwinTransformerBlockV2" : "SwinTransformerBlock")
        {
            norm1 = nn.LayerNorm(dim, eps: 1e-5);
            attn = new ShiftedWindowAttention(dim, windowSize, shiftSize, numHeads, v2);
            stochastic_depth = new StochasticDepth(stochasticDepthProb, perRow: true);
            norm2 = nn.LayerNorm(dim, eps: 1e-5);
            mlp = Mlp.Create(dim, [4L * dim, dim]);
            postNorm = v2;
            RegisterComponents();
        }

        /// <inheritdoc/>
        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            var x = postNorm
                ? input + stochastic_depth.call(norm1.call(attn.call(input)))
                : input + stochastic_depth.call(attn.call(norm1.call(input)));
            x = postNorm
                ? x + stochastic_depth.call(norm2.call(mlp.call(x)))
                : x + stochastic_depth.call(mlp.call(norm2.call(x)));
            return scope.MoveToOuter(x);
        }
    }

    /// <summary>
    /// torchvision's <c>PatchMerging</c> (pad odd sides, concatenate each 2×2 neighbourhood to 4C, LayerNorm over 4C,
    /// linear to 2C) and <c>PatchMergingV2</c> (the linear first, LayerNorm over 2C).
    /// </summary>
    public sealed class PatchMerging : nn.Module<Tensor, Tensor>
    {
        private readonly Linear reduction;
        private readonly LayerNorm norm;
        private readonly bool normAfter;

        /// <summary>Builds the layer for an input of <paramref name="dim"/> channels.</summary>
        public PatchMerging(int dim, bool v2) : base(v2 ? "PatchMergingV2" : "PatchMerging")
        {
            reduction = nn.Linear(4L * dim, 2L * dim, hasBias: false);
            norm = nn.LayerNorm(v2 ? 2L * dim : 4L * dim, eps: 1e-5);
            normAfter = v2;
            RegisterComponents();
        }

        /// <inheritdoc/>
        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            var h = input.shape[^3];
            var w = input.shape[^2];
            var x = nn.functional.pad(input, [0, 0, 0, w % 2, 0, h % 2]);
            var x0 = x[TensorIndex.Ellipsis, TensorIndex.Slice(0, null, 2), TensorIndex.Slice(0, null, 2), TensorIndex.Colon];
            var x1 = x[TensorIndex.Ellipsis, TensorIndex.Slice(1, null, 2), TensorIndex.Slice(0, null, 2), TensorIndex.Colon];
            var x2 = x[TensorIndex.Ellipsis, TensorIndex.Slice(0, null, 2), TensorIndex.Slice(1, null, 2), TensorIndex.Colon];
            var x3 = x[TensorIndex.Ellipsis, TensorIndex.Slice(1, null, 2), TensorIndex.Slice(1, null, 2), TensorIndex.Colon];
            x = cat([x0, x1, x2, x3], -1);
            x = normAfter ? norm.call(reduction.call(x)) : reduction.call(norm.call(x));
            return scope.MoveToOuter(x);
        }
    }

    /// <summary>
    /// torchvision's <c>ShiftedWindowAttention</c> and <c>ShiftedWindowAttentionV2</c> with its
    /// <c>shifted_window_attention</c>: the N×H×W×C input is padded at the bottom and right to window multiples,
    /// cyclically shifted by −shift (no shift where one window covers the padded side), cut into windows; multi-head
    /// attention inside each window with a relative position bias, and on shifted windows the −100 mask between tokens
    /// of different regions; then windows are put back, shifted back and the padding cut off. V1: scaled dot product,
    /// bias from the learned table <c>relative_position_bias_table</c>. V2: cosine attention times
    /// exp(min(<c>logit_scale</c>, log 100)), bias 16·sigmoid(<c>cpb_mlp</c>(<c>relative_coords_table</c>)), and the
    /// key bias held at zero.
    /// </summary>
    public sealed class ShiftedWindowAttention : nn.Module<Tensor, Tensor>, IMacCounted
    {
        private readonly Linear qkv;
        private readonly Linear proj;
        private readonly Parameter? relative_position_bias_table;
        private readonly Parameter? logit_scale;
        private readonly Sequential? cpb_mlp;
        private readonly Tensor? relative_coords_table;
        private readonly Tensor relative_position_index;
        private readonly long windowSize;
        private readonly long shiftSize;
        private readonly long numHeads;

        /// <summary>Builds the attention of one block.</summary>
        public ShiftedWindowAttention(long dim, long windowSize, long shiftSize, long numHeads, bool v2)
            : base(v2 ? "ShiftedWindowAttentionV2" : "ShiftedWindowAttention")
        {
            if (dim % numHeads != 0) throw new ArgumentException($"Width {dim} is not a multiple of the {numHeads} heads.");
            this.windowSize = windowSize;
            this.shiftSize = shiftSize;
            this.numHeads = numHeads;
            qkv = nn.Linear(dim, dim * 3);
            proj = nn.Linear(dim, dim);
            var side = 2 * windowSize - 1;
            if (v2)
            {
                logit_scale = new Parameter(log(10 * ones(numHeads, 1, 1)));
                cpb_mlp = nn.Sequential(nn.Linear(2, 512), nn.ReLU(), nn.Linear(512, numHeads, hasBias: false));
                relative_coords_table = RelativeCoordsTable(windowSize);
            }
            else
            {
                relative_position_bias_table = new Parameter(zeros(side * side, numHeads));
                TruncatedNormal.Fill(relative_position_bias_table, std: 0.02);
            }
            relative_position_index = RelativePositionIndex(windowSize);
            RegisterComponents();
        }

        /// <summary>
        /// Index into the (2w−1)² bias table of every pair of tokens of a w×w window (torchvision's
        /// <c>define_relative_position_index</c>), flattened: w⁴ values.
        /// </summary>
        public static Tensor RelativePositionIndex(long windowSize)
        {
            using var scope = NewDisposeScope();
            var coords = arange(windowSize);
            var grid = stack(meshgrid([coords, coords], indexing: "ij")).flatten(1); // 2, w²
            var relative = (grid[TensorIndex.Colon, TensorIndex.Colon, TensorIndex.None] -
                            grid[TensorIndex.Colon, TensorIndex.None, TensorIndex.Colon]).permute(1, 2, 0).contiguous();
            var rows = (relative.select(2, 0) + (windowSize - 1)) * (2 * windowSize - 1);
            var cols = relative.select(2, 1) + (windowSize - 1);
            return scope.MoveToOuter((rows + cols).flatten());
        }

        /// <summary>
        /// V2's log-spaced relative coordinates, 1×(2w−1)×(2w−1)×2 (torchvision's
        /// <c>define_relative_position_bias_table</c> of <c>ShiftedWindowAttentionV2</c>).
        /// </summary>
        public static Tensor RelativeCoordsTable(long windowSize)
        {
            using var scope = NewDisposeScope();
            // Computed on the CPU (libtorch has no meta kernel for abs), then moved to the default device.
            var coords = arange(-(windowSize - 1), windowSize, dtype: ScalarType.Float32, device: CPU);
            var table = stack(meshgrid([coords, coords], indexing: "ij")).permute(1, 2, 0).contiguous().unsqueeze(0);
            table = table / (windowSize - 1) * 8; // normalise to [-8, 8]
            table = table.sign() * (table.abs() + 1.0).log2() / 3.0;
            return scope.MoveToOuter(table.to(get_default_device()));
        }

        /// <summary>The bias added to every window's attention logits: 1×heads×w²×w².</summary>
        private Tensor RelativePositionBias()
        {
            var n = windowSize * windowSize;
            var table = cpb_mlp is not null
                ? cpb_mlp.call(relative_coords_table!).view(-1, numHeads)
                : relative_position_bias_table!;
            var bias = table.index_select(0, relative_position_index).view(n, n, -1).permute(2, 0, 1).contiguous().unsqueeze(0);
            return cpb_mlp is not null ? 16 * bias.sigmoid() : bias;
        }

        /// <summary>The window grid of an H×W input: padded sides and the shift actually used.</summary>
        private (long PadH, long PadW, long ShiftH, long ShiftW) Geometry(long h, long w)
        {
            var padH = h + (windowSize - h % windowSize) % windowSize;
            var padW = w + (windowSize - w % windowSize) % windowSize;
            // A window as large as the (padded) map needs no shift.
            return (padH, padW, windowSize >= padH ? 0 : shiftSize, windowSize >= padW ? 0 : shiftSize);
        }

        /// <inheritdoc/>
        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            long b = input.shape[0], h = input.shape[1], w = input.shape[2], c = input.shape[3];
            var (padH, padW, shiftH, shiftW) = Geometry(h, w);
            var x = nn.functional.pad(input, [0, 0, 0, padW - w, 0, padH - h]);
            var shifted = shiftH + shiftW > 0;
            if (shifted) x = x.roll(new[] { -shiftH, -shiftW }, new long[] { 1, 2 });

            long rowsOfWindows = padH / windowSize, colsOfWindows = padW / windowSize;
            var numWindows = rowsOfWindows * colsOfWindows;
            var n = windowSize * windowSize;
            x = x.reshape(b, rowsOfWindows, windowSize, colsOfWindows, windowSize, c).permute(0, 1, 3, 2, 4, 5).reshape(b * numWindows, n, c);

            Tensor? qkvBias = qkv.bias;
            if (logit_scale is not null && qkvBias is not null)
            {
                // torchvision zeroes a clone's key third in place; TorchSharp's zero_ on a view has no derivative, so
                // the same tensor is put together instead.
                var length = qkvBias.numel() / 3;
                qkvBias = cat([qkvBias.narrow(0, 0, length), zeros(length, dtype: qkvBias.dtype, device: qkvBias.device),
                    qkvBias.narrow(0, 2 * length, length)], 0);
            }
            var qkvOut = nn.functional.linear(x, qkv.weight!, qkvBias)
                .reshape(x.shape[0], x.shape[1], 3, numHeads, c / numHeads).permute(2, 0, 3, 1, 4);
            Tensor q = qkvOut[0], k = qkvOut[1], v = qkvOut[2];
            Tensor attention;
            if (logit_scale is not null)
            {
                attention = nn.functional.normalize(q, dim: -1).matmul(nn.functional.normalize(k, dim: -1).transpose(-2, -1));
                attention = attention * logit_scale.clamp_max(Math.Log(100.0)).exp();
            }
            else
            {
                q = q * Math.Pow(c / numHeads, -0.5);
                attention = q.matmul(k.transpose(-2, -1));
            }
            attention = attention + RelativePositionBias();

            if (shifted)
            {
                var mask = AttentionMask(padH, padW, shiftH, shiftW, x.dtype, x.device);
                attention = attention.view(x.shape[0] / numWindows, numWindows, numHeads, n, n);
                attention = attention + mask.unsqueeze(1).unsqueeze(0);
                attention = attention.view(-1, numHeads, n, n);
            }
            attention = nn.functional.softmax(attention, -1);

            x = attention.matmul(v).transpose(1, 2).reshape(x.shape[0], n, c);
            x = nn.functional.linear(x, proj.weight!, proj.bias);

            x = x.reshape(b, rowsOfWindows, colsOfWindows, windowSize, windowSize, c).permute(0, 1, 3, 2, 4, 5).reshape(b, padH, padW, c);
            if (shifted) x = x.roll(new[] { shiftH, shiftW }, new long[] { 1, 2 });
            x = x[TensorIndex.Colon, TensorIndex.Slice(0, h), TensorIndex.Slice(0, w), TensorIndex.Colon].contiguous();
            return scope.MoveToOuter(x);
        }

        /// <summary>
        /// torchvision's mask of the shifted windows, windows×w²×w²: 0 between tokens of the same region of the
        /// shifted map, −100 otherwise (regions: the slices [0, −w), [−w, −shift), [−shift, end) of each side).
        /// </summary>
        private Tensor AttentionMask(long padH, long padW, long shiftH, long shiftW, ScalarType dtype, Device device)
        {
            using var scope = NewDisposeScope();
            var regions = zeros(new long[] { padH, padW }, dtype: dtype, device: device);
            // Python's slices (0, -w), (-w, -shift), (-shift, None): with shift 0, "-0" is 0, so the last one is the
            // whole side and the middle one empty, exactly as torchvision gets them.
            (long Start, long End)[] Slices(long side, long shift) =>
                [(0, PythonIndex(side, -windowSize)), (PythonIndex(side, -windowSize), PythonIndex(side, -shift)),
                 (PythonIndex(side, -shift), side)];
            var count = 0;
            foreach (var (h0, h1) in Slices(padH, shiftH))
                foreach (var (w0, w1) in Slices(padW, shiftW))
                {
                    if (h1 > h0 && w1 > w0)
                        regions[TensorIndex.Slice(h0, h1), TensorIndex.Slice(w0, w1)].fill_(count);
                    count++;
                }
            var numWindows = padH / windowSize * (padW / windowSize);
            var windows = regions.view(padH / windowSize, windowSize, padW / windowSize, windowSize).permute(0, 2, 1, 3)
                .reshape(numWindows, windowSize * windowSize);
            var difference = windows.unsqueeze(1) - windows.unsqueeze(2);
            return scope.MoveToOuter(difference.masked_fill(difference != 0, -100.0).masked_fill(difference == 0, 0.0));
        }

        private static long PythonIndex(long side, long index) => Math.Clamp(index < 0 ? side + index : index, 0, side);

        /// <summary>
        /// Per image: <c>qkv</c> and <c>proj</c> on every padded window (3C² + C² per token), query·key and
        /// attention·value (2·w²·C per token); the mask, softmax and V2's position MLP (a Linear, hooked) are not here.
        /// </summary>
        public long OwnMacs(Tensor input, Tensor output)
        {
            ArgumentNullException.ThrowIfNull(input);
            long h = input.shape[1], w = input.shape[2], c = input.shape[3];
            var (padH, padW, _, _) = Geometry(h, w);
            var tokens = padH * padW;
            return tokens * (4 * c * c + 2 * windowSize * windowSize * c);
        }
    }
}
