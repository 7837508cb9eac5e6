using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Explain;

/// <summary>
/// RISE, randomised input sampling (Petsiuk et al., BMVC 2018, <see href="https://arxiv.org/abs/1806.07421"/>),
/// model-agnostic: saliency = Σ_i P(c | x ∘ M_i) M_i / (N · p) over N random masks M_i.
/// </summary>
/// <remarks>
/// Masks as in the authors' code: a <see cref="GridSize"/>² grid of Bernoulli(<see cref="Probability"/>) cells,
/// bilinearly upsampled (<c>align_corners=false</c>) to (s + 1) · ⌈H/s⌉ × (s + 1) · ⌈W/s⌉ and cropped to H × W at a
/// random shift in [0, ⌈H/s⌉) × [0, ⌈W/s⌉). P is the softmax probability of the target class. Defaults: N = 4000,
/// s = 7, p = 0.5 (the paper's ResNet-50 settings). The masks are drawn once per call from a generator seeded with
/// <see cref="Seed"/> (grids first, then shifts), so they do not depend on the batch size and every image of a batch
/// sees the same masks. The raw map is the saliency itself, at input resolution.
/// </remarks>
public sealed class Rise : Explainer
{
    /// <inheritdoc/>
    public override string Name => "rise";

    /// <inheritdoc/>
    public override bool UsesLayer => false;

    /// <summary>Number of masks N. Default 4000.</summary>
    public int Masks { get; init; } = 4000;

    /// <summary>Grid cells per side s. Default 7.</summary>
    public int GridSize { get; init; } = 7;

    /// <summary>Probability p that a cell is kept. Default 0.5.</summary>
    public double Probability { get; init; } = 0.5;

    /// <summary>Seed of the masks. Default 0.</summary>
    public ulong Seed { get; init; }

    /// <summary>Masked images per forward pass. Default 32.</summary>
    public int BatchSize { get; init; } = 32;

    /// <inheritdoc/>
    protected override Tensor Compute(ExplainContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (Masks < 1 || GridSize < 1 || !(Probability > 0 && Probability <= 1))
            throw new ArgumentException("RISE needs Masks ≥ 1, GridSize ≥ 1 and 0 < Probability ≤ 1.");
        var targets = context.Targets;
        var input = context.Input;
        var (n, height, width) = (input.shape[0], input.shape[2], input.shape[3]);
        var (cellH, cellW) = ((height + GridSize - 1) / GridSize, (width + GridSize - 1) / GridSize);
        using var mode = inference_mode();
        using var generator = new Generator(Seed);
        var grids = (rand(new long[] { Masks, 1, GridSize, GridSize }, generator: generator) < Probability).to(input.dtype).to(input.device);
        var shiftY = randint(cellH, new long[] { Masks }, generator: generator).data<long>().ToArray();
        var shiftX = randint(cellW, new long[] { Masks }, generator: generator).data<long>().ToArray();
        var saliency = zeros(n, height, width, dtype: ScalarType.Float32, device: input.device);
        long done = 0, total = (long)Masks * n;
        foreach (var (start, length) in Chunks(Masks, BatchSize))
        {
            using var scope = NewDisposeScope();
            var up = nn.functional.interpolate(grids.narrow(0, start, length), new[] { (GridSize + 1) * cellH, (GridSize + 1) * cellW },
                mode: InterpolationMode.Bilinear, align_corners: false);
            var masks = stack(Enumerable.Range(0, (int)length).Select(j =>
                up[j, 0].narrow(0, shiftY[start + j], height).narrow(1, shiftX[start + j], width))); // length×H×W
            for (var i = 0; i < n; i++)
            {
                var logits = context.Model.call(input[i].unsqueeze(0) * masks.unsqueeze(1));
                var p = nn.functional.softmax(logits.to(ScalarType.Float32), 1).index_select(1, targets[i].unsqueeze(0)).view(length, 1, 1);
                saliency[i].add_((p * masks.to(ScalarType.Float32)).sum(0, keepdim: false)); // not sum(0): 0 converts to ScalarType.Byte
                done += length;
            }
            context.Report(done, total);
        }
        return saliency / (Masks * Probability);
    }
}
