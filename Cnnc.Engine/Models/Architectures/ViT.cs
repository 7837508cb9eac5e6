// Translated from torchvision 0.14's torchvision/models/vision_transformer.py (BSD-3-Clause, the PyTorch vision authors).

using Cnnc.Engine.Models.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Cnnc.Engine.Models.Architectures;

/// <summary>
/// Vision Transformer (Dosovitskiy et al., "An Image is Worth 16x16 Words", arXiv 2010.11929) as torchvision 0.14's
/// <c>VisionTransformer</c> builds it for <c>vit_b_16</c>, <c>vit_b_32</c>, <c>vit_l_16</c>, <c>vit_l_32</c> and
/// <c>vit_h_14</c>: <c>conv_proj</c> (a p×p stride-p patch convolution), a learned <c>class_token</c> put before the
/// patch tokens, <c>encoder</c> (<c>pos_embedding</c> added, the <see cref="EncoderBlock"/>s
/// <c>layers.encoder_layer_{i}</c>, a final LayerNorm <c>ln</c>) and <c>heads.head</c> on the class token.
/// LayerNorm eps 1e-6 everywhere. State-dict keys, shapes and initialisation are torchvision's (truncated-normal patch
/// convolution with std √(1/fan-in), class token 0, position embedding N(0, 0.02²), attention and MLP as in
/// <see cref="SelfAttention"/> and <see cref="EncoderBlock"/>, zero head).
/// </summary>
/// <remarks>
/// <para>The image size is a build argument, as torchvision's <c>image_size</c>: <see cref="ArchitectureOptions.InputSize"/>.
/// It fixes the shape of <c>encoder.pos_embedding</c> (1 × (1 + (size/p)²) × hidden), so a model takes only that size
/// (the published weights: 224, or 384 / 512 / 518 for the SWAG end-to-end ones); a size that is not a multiple of the
/// patch is an <see cref="ArgumentException"/> at build, another size at forward too.</para>
/// <para>Default explanation layer: the tokens entering the last block's attention,
/// <c>encoder.layers.encoder_layer_{L−1}.ln_1</c> (11 for B, 23 for L, 31 for H; see <see cref="DefaultLayerOf"/> for why
/// not the block's output). Its output is N × (1 + h·w) × C, class token first
/// (<see cref="ActivationLayout.ClassTokenThenGrid"/>): the explainers drop the class token and read the h×w grid, as
/// pytorch-grad-cam's <c>reshape_transform</c> for ViT.</para>
/// <para>Scaling: <see cref="ArchitectureOptions.Width"/> scales the per-head width (hidden = heads · round(head width ·
/// Width), so heads always divide it) and the MLP width; the number of blocks and heads stays torchvision's, so names
/// do not change. <c>conv_proj</c> takes <see cref="ArchitectureOptions.InputChannels"/>, <c>heads.head</c> gives
/// <see cref="ArchitectureOptions.NumClasses"/>. Small input (<see cref="ArchitectureOptions.IsSmallInput"/>): patch 4
/// instead of 14 / 16 / 32 (28 px gives a 7×7 grid); shapes of <c>conv_proj</c> and <c>pos_embedding</c> follow.</para>
/// <para>Eval semantics are torchvision's (dropout 0, as its builders set it). Not implemented: <c>representation_size</c>
/// and <c>conv_stem_configs</c>, which no torchvision builder uses.</para>
/// </remarks>
public sealed class ViT : nn.Module<Tensor, Tensor>, IActivationLayout
{
    /// <summary>Patch size below <see cref="ArchitectureOptions.SmallInputThreshold"/> pixels.</summary>
    public const int SmallInputPatch = 4;

    private readonly Conv2d conv_proj;
    private readonly Parameter class_token;
    private readonly Encoder encoder;
    private readonly Sequential heads;

    /// <summary>One member: torchvision's builder arguments.</summary>
    /// <param name="Patch">Patch side.</param>
    /// <param name="Layers">Encoder blocks.</param>
    /// <param name="Heads">Attention heads.</param>
    /// <param name="Hidden">Token width.</param>
    /// <param name="MlpWidth">Hidden width of each block's MLP.</param>
    public sealed record Config(int Patch, int Layers, int Heads, int Hidden, int MlpWidth);

    /// <summary>vit_b_16.</summary>
    public static Config B16 { get; } = new(16, 12, 12, 768, 3072);

    /// <summary>vit_b_32.</summary>
    public static Config B32 { get; } = new(32, 12, 12, 768, 3072);

    /// <summary>vit_l_16.</summary>
    public static Config L16 { get; } = new(16, 24, 16, 1024, 4096);

    /// <summary>vit_l_32.</summary>
    public static Config L32 { get; } = new(32, 24, 16, 1024, 4096);

    /// <summary>vit_h_14.</summary>
    public static Config H14 { get; } = new(14, 32, 16, 1280, 5120);

    /// <summary>Builds a Vision Transformer.</summary>
    /// <param name="name">Module name, e.g. "vit_b_16" (used in error messages).</param>
    /// <param name="config">The member (<see cref="B16"/>, …).</param>
    /// <param name="options">Classes, input channels, image size, width multiplier.</param>
    public ViT(string name, Config config, ArchitectureOptions options) : base(name)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(options);
        PatchSize = options.IsSmallInput ? SmallInputPatch : config.Patch;
        ImageSize = options.InputSize;
        if (ImageSize % PatchSize != 0)
            throw new ArgumentException($"{name} takes images whose side is a multiple of its patch size {PatchSize} " +
                                        $"(got InputSize {ImageSize}).");
        var hidden = config.Heads * Math.Max(1, (int)Math.Round(config.Hidden / config.Heads * options.Width));
        var mlp = options.Scale(config.MlpWidth);
        HiddenDim = hidden;
        var grid = ImageSize / PatchSize;

        conv_proj = nn.Conv2d(options.InputChannels, hidden, PatchSize, stride: PatchSize);
        class_token = nn.Parameter(zeros(1, 1, hidden));
        encoder = new Encoder(1 + grid * grid, config.Layers, config.Heads, hidden, mlp);
        var head = nn.Linear(hidden, options.NumClasses);
        heads = nn.Sequential(("head", (nn.Module<Tensor, Tensor>)head));
        DefaultLayer = DefaultLayerOf(config);
        RegisterComponents();

        using var _ = no_grad();
        var fanIn = options.InputChannels * PatchSize * PatchSize;
        TruncatedNormal.Fill(conv_proj.weight, std: Math.Sqrt(1.0 / fanIn));
        nn.init.zeros_(conv_proj.bias!);
        nn.init.zeros_(head.weight);
        nn.init.zeros_(head.bias!);
    }

    /// <summary>torchvision's vit_b_16.</summary>
    public static ViT ViT_B_16(ArchitectureOptions options) => new("vit_b_16", B16, options);

    /// <summary>torchvision's vit_b_32.</summary>
    public static ViT ViT_B_32(ArchitectureOptions options) => new("vit_b_32", B32, options);

    /// <summary>torchvision's vit_l_16.</summary>
    public static ViT ViT_L_16(ArchitectureOptions options) => new("vit_l_16", L16, options);

    /// <summary>torchvision's vit_l_32.</summary>
    public static ViT ViT_L_32(ArchitectureOptions options) => new("vit_l_32", L32, options);

    /// <summary>torchvision's vit_h_14.</summary>
    public static ViT ViT_H_14(ArchitectureOptions options) => new("vit_h_14", H14, options);

    /// <summary>
    /// The default explanation layer of a member: the first LayerNorm of its last encoder block (pytorch-grad-cam's
    /// <c>blocks[-1].norm1</c>). Not the block's output: after the last block only the class token reaches the head
    /// (<c>encoder.ln</c> is per token), so the gradient on its patch tokens is exactly zero and every gradient CAM
    /// would be blank; through the last attention the patches still feed the class token.
    /// </summary>
    public static string DefaultLayerOf(Config config) => $"encoder.layers.encoder_layer_{config.Layers - 1}.ln_1";

    /// <summary>The default explanation layer (<see cref="DefaultLayerOf"/>).</summary>
    public string DefaultLayer { get; }

    /// <summary>Side of the square images the model takes (torchvision's <c>image_size</c>).</summary>
    public int ImageSize { get; }

    /// <summary>Patch side: the member's, or <see cref="SmallInputPatch"/> for small inputs.</summary>
    public int PatchSize { get; }

    /// <summary>Token width.</summary>
    public int HiddenDim { get; }

    /// <summary>Everything in <c>encoder</c> gives N × (1 + h·w) × C tokens; <c>conv_proj</c> an N×C×h×w grid.</summary>
    public ActivationLayout LayoutOf(string modulePath) =>
        modulePath == "encoder" || modulePath.StartsWith("encoder.", StringComparison.Ordinal)
            ? ActivationLayout.ClassTokenThenGrid
            : ActivationLayout.ChannelsFirst;

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        if (input.dim() != 4 || input.shape[2] != ImageSize || input.shape[3] != ImageSize)
            throw new ArgumentException($"{name} was built for {ImageSize}×{ImageSize} images (InputSize) and takes a batch " +
                                        $"N×C×{ImageSize}×{ImageSize} (got [{string.Join(", ", input.shape)}]).");
        using var scope = NewDisposeScope();
        var n = input.shape[0];
        // (n, c, h, w) -> (n, hidden, h/p · w/p) -> (n, tokens, hidden), as torchvision's _process_input.
        var x = conv_proj.call(input).reshape(n, HiddenDim, -1).permute(0, 2, 1);
        x = cat(new[] { class_token.expand(n, -1, -1), x }, 1);
        x = encoder.call(x);
        return scope.MoveToOuter(heads.call(x.select(1, 0)));
    }

    /// <summary>torchvision's <c>Encoder</c>: position embedding, dropout, the blocks, LayerNorm.</summary>
    public sealed class Encoder : nn.Module<Tensor, Tensor>
    {
        private readonly Parameter pos_embedding;
        private readonly Dropout dropout;
        private readonly Sequential layers;
        private readonly LayerNorm ln;

        /// <summary>Builds the encoder for sequences of <paramref name="seqLength"/> tokens (class token included).</summary>
        public Encoder(long seqLength, int numLayers, int numHeads, int hidden, int mlp) : base("Encoder")
        {
            pos_embedding = nn.Parameter(empty(1, seqLength, hidden));
            dropout = nn.Dropout(0.0);
            var blocks = new (string, nn.Module<Tensor, Tensor>)[numLayers];
            for (var i = 0; i < numLayers; i++) blocks[i] = ($"encoder_layer_{i}", new EncoderBlock(numHeads, hidden, mlp));
            layers = nn.Sequential(blocks);
            ln = nn.LayerNorm(hidden, eps: 1e-6);
            RegisterComponents();
            using var _ = no_grad();
            nn.init.normal_(pos_embedding, std: 0.02); // from BERT
        }

        /// <inheritdoc/>
        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            return scope.MoveToOuter(ln.call(layers.call(dropout.call(input + pos_embedding))));
        }
    }

    /// <summary>
    /// torchvision's <c>EncoderBlock</c>: x + attention(ln_1(x)), then + mlp(ln_2(·)); the MLP is Linear–GELU–Linear
    /// (<see cref="Mlp"/>, keys <c>mlp.0</c> and <c>mlp.3</c>) with Xavier-uniform weights and N(0, 1e-12) biases.
    /// </summary>
    public sealed class EncoderBlock : nn.Module<Tensor, Tensor>
    {
        private readonly LayerNorm ln_1;
        private readonly SelfAttention self_attention;
        private readonly Dropout dropout;
        private readonly LayerNorm ln_2;
        private readonly Sequential mlp;

        /// <summary>Builds the block.</summary>
        public EncoderBlock(int numHeads, int hidden, int mlpWidth) : base("EncoderBlock")
        {
            ln_1 = nn.LayerNorm(hidden, eps: 1e-6);
            self_attention = new SelfAttention(hidden, numHeads);
            dropout = nn.Dropout(0.0);
            ln_2 = nn.LayerNorm(hidden, eps: 1e-6);
            mlp = Mlp.Create(hidden, new long[] { mlpWidth, hidden });
            RegisterComponents();
            using var _ = no_grad();
            foreach (var (_, m) in mlp.named_modules())
            {
                if (m is not Linear linear) continue;
                nn.init.xavier_uniform_(linear.weight);
                nn.init.normal_(linear.bias!, std: 1e-6);
            }
        }

        /// <inheritdoc/>
        public override Tensor forward(Tensor input)
        {
            if (input.dim() != 3)
                throw new ArgumentException($"Expected (batch_size, seq_length, hidden_dim) got [{string.Join(", ", input.shape)}]");
            using var scope = NewDisposeScope();
            var x = dropout.call(self_attention.call(ln_1.call(input))) + input;
            return scope.MoveToOuter(x + mlp.call(ln_2.call(x)));
        }
    }

    /// <summary>
    /// Multi-head self-attention with <c>torch.nn.MultiheadAttention</c>'s parameters (<c>in_proj_weight</c> 3C×C,
    /// <c>in_proj_bias</c>, <c>out_proj</c>), batch first, no masks, no dropout: softmax(q kᵀ / √d) v per head. Written out
    /// because TorchSharp's MultiheadAttention is sequence-first and takes a tuple, so it neither fits a
    /// <c>Module&lt;Tensor, Tensor&gt;</c> block nor reports its matrix products to <see cref="ModelComplexity"/>.
    /// Initialisation as PyTorch's <c>_reset_parameters</c>: Xavier-uniform <c>in_proj_weight</c>, zero biases
    /// (<c>out_proj.weight</c> keeps Linear's default).
    /// </summary>
    public sealed class SelfAttention : nn.Module<Tensor, Tensor>, IMacCounted
    {
        private readonly Parameter in_proj_weight;
        private readonly Parameter in_proj_bias;
        private readonly Linear out_proj;
        private readonly int heads;

        /// <summary>Builds the attention for tokens of width <paramref name="embedDim"/>.</summary>
        public SelfAttention(int embedDim, int numHeads) : base("MultiheadAttention")
        {
            if (embedDim % numHeads != 0) throw new ArgumentException($"embed_dim {embedDim} must be divisible by num_heads {numHeads}.");
            heads = numHeads;
            in_proj_weight = nn.Parameter(empty(3 * embedDim, embedDim));
            in_proj_bias = nn.Parameter(zeros(3 * embedDim));
            out_proj = nn.Linear(embedDim, embedDim);
            RegisterComponents();
            using var _ = no_grad();
            nn.init.xavier_uniform_(in_proj_weight);
            nn.init.zeros_(out_proj.bias!);
        }

        /// <inheritdoc/>
        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            var (n, s, c) = (input.shape[0], input.shape[1], input.shape[2]);
            // N×S×3C -> 3×N×heads×S×d
            var qkv = nn.functional.linear(input, in_proj_weight, in_proj_bias)
                .reshape(n, s, 3, heads, c / heads).permute(2, 0, 3, 1, 4);
            var (q, k, v) = (qkv[0], qkv[1], qkv[2]);
            var attention = (matmul(q, k.transpose(-2, -1)) * (1.0 / Math.Sqrt(c / heads))).softmax(-1);
            var x = matmul(attention, v).transpose(1, 2).reshape(n, s, c);
            return scope.MoveToOuter(out_proj.call(x));
        }

        /// <summary>The input projection (S·C·3C) and the two attention products (S·S·C each); out_proj is a Linear.</summary>
        public long OwnMacs(Tensor input, Tensor output)
        {
            ArgumentNullException.ThrowIfNull(input);
            var (s, c) = (input.shape[1], input.shape[2]);
            return s * c * 3 * c + 2 * s * s * c;
        }
    }
}
