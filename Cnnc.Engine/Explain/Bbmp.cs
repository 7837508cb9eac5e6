using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Explain;

/// <summary>
/// BBMP, "meaningful perturbation" (Fong &amp; Vedaldi, ICCV 2017, <see href="https://arxiv.org/abs/1704.03296"/>):
/// learn a low-resolution mask m ∈ [0, 1] (1 keeps the pixel) minimising
/// λ₁ · mean|1 − m| + λ₂ · TV_β(m) + P(c | x ∘ M + blur(x) ∘ (1 − M)), M = bilinear upsampling of m;
/// saliency = 1 − m.
/// </summary>
/// <remarks>
/// <para>Defaults (the VAC-CNN code's, which follows the public re-implementation of Fong &amp; Vedaldi): mask
/// 28 × 28 (at most the input size), initialised to 1; 300 Adam steps (β = 0.9, 0.999, ε = 1e-8), learning rate 0.1;
/// λ₁ = 0.01 (L1), λ₂ = 0.2 (total variation) with β = 3, TV_β(m) = mean |m_{i+1,j} − m_ij|^β + mean |m_{i,j+1} − m_ij|^β;
/// P = softmax probability of the target; the mask is clamped to [0, 1] after each step.</para>
/// <para>Perturbation: Gaussian blur of the input, kernel 11, σ = 5, reflect padding (Fong &amp; Vedaldi's Gaussian
/// blur; the VAC-CNN code uses a median blur plus fresh N(0, 0.2) noise in each step). <see cref="NoiseStd"/> adds such
/// noise, seeded by <see cref="Seed"/>; default 0, so the result is deterministic. Upsampling uses
/// <c>align_corners=false</c>.</para>
/// <para>All masks of a batch are optimised together; each image's loss depends on its mask only and Adam is
/// element-wise, so the batch equals the singles. Parameters never receive gradients: only the mask does.</para>
/// </remarks>
public sealed class Bbmp : Explainer
{
    /// <inheritdoc/>
    public override string Name => "bbmp";

    /// <inheritdoc/>
    public override bool UsesLayer => false;

    /// <summary>Side of the square mask (capped at the input size). Default 28.</summary>
    public int MaskSize { get; init; } = 28;

    /// <summary>Adam steps. Default 300.</summary>
    public int Iterations { get; init; } = 300;

    /// <summary>Adam learning rate. Default 0.1.</summary>
    public double LearningRate { get; init; } = 0.1;

    /// <summary>Weight of the L1 term mean|1 − m|. Default 0.01.</summary>
    public double L1Weight { get; init; } = 0.01;

    /// <summary>Weight of the total-variation term. Default 0.2.</summary>
    public double TvWeight { get; init; } = 0.2;

    /// <summary>Exponent β of the total-variation term. Default 3.</summary>
    public double TvBeta { get; init; } = 3;

    /// <summary>Gaussian blur kernel size (odd). Default 11.</summary>
    public int BlurKernel { get; init; } = 11;

    /// <summary>Gaussian blur σ. Default 5.</summary>
    public double BlurSigma { get; init; } = 5;

    /// <summary>Standard deviation of Gaussian noise added to the perturbed input in each step. Default 0 (none).</summary>
    public double NoiseStd { get; init; }

    /// <summary>Seed of the noise. Default 0.</summary>
    public ulong Seed { get; init; }

    /// <inheritdoc/>
    protected override Tensor Compute(ExplainContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (MaskSize < 1 || Iterations < 0 || BlurKernel < 1 || BlurKernel % 2 == 0)
            throw new ArgumentException("BBMP needs MaskSize ≥ 1, Iterations ≥ 0 and an odd BlurKernel.");
        var targets = context.Targets;
        var input = context.Input;
        var (n, height, width) = (input.shape[0], input.shape[2], input.shape[3]);
        var (mh, mw) = (Math.Min(MaskSize, height), Math.Min(MaskSize, width));
        Tensor blurred;
        using (no_grad()) blurred = GaussianBlur(input, BlurKernel, BlurSigma);
        var mask = ones(n, 1, mh, mw, dtype: input.dtype, device: input.device);
        var m = zeros_like(mask);
        var v = zeros_like(mask);
        const double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
        using var generator = NoiseStd > 0 ? new Generator(Seed) : null; // on the CPU for every device, as Smooth Grad-CAM++
        for (var step = 1; step <= Iterations; step++)
        {
            using var scope = NewDisposeScope();
            Tensor gradient;
            using (enable_grad())
            {
                var leaf = mask.detach().requires_grad_(true);
                var up = nn.functional.interpolate(leaf, new[] { height, width }, mode: InterpolationMode.Bilinear, align_corners: false);
                var perturbed = input * up + blurred * (1 - up);
                if (generator is not null)
                    perturbed = perturbed + randn(perturbed.shape, dtype: perturbed.dtype, generator: generator).to(perturbed.device) * NoiseStd;
                var probabilities = nn.functional.softmax(context.Model.call(perturbed), 1);
                var p = probabilities.gather(1, targets.unsqueeze(1)).squeeze(1);
                var loss = L1Weight * (1 - leaf).abs().mean(new long[] { 1, 2, 3 })
                           + TvWeight * TotalVariation(leaf, TvBeta) + p;
                gradient = ExplainContext.Gradient(loss, leaf);
            }
            using (no_grad())
            {
                m.mul_(beta1).add_(gradient, alpha: 1 - beta1);
                v.mul_(beta2).addcmul_(gradient, gradient, value: 1 - beta2);
                var mHat = m / (1 - Math.Pow(beta1, step));
                var vHat = v / (1 - Math.Pow(beta2, step));
                mask.sub_(LearningRate * mHat / (vHat.sqrt() + eps)).clamp_(0, 1);
            }
            context.Report(step, Iterations);
        }
        return (1 - mask).squeeze(1);
    }

    /// <summary>Per image: mean |Δ_rows m|^β + mean |Δ_cols m|^β, for N×1×h×w masks.</summary>
    private static Tensor TotalVariation(Tensor mask, double beta)
    {
        var n = mask.shape[0];
        var rows = mask.shape[2] > 1 ? (mask[.., .., 1.., ..] - mask[.., .., ..^1, ..]).abs().pow(beta).view(n, -1).mean(new long[] { 1 }) : zeros(n, device: mask.device);
        var cols = mask.shape[3] > 1 ? (mask[.., .., .., 1..] - mask[.., .., .., ..^1]).abs().pow(beta).view(n, -1).mean(new long[] { 1 }) : zeros(n, device: mask.device);
        return rows + cols;
    }

    /// <summary>Depthwise Gaussian blur (separable, reflect padding; replicate where the image is too small to reflect).</summary>
    internal static Tensor GaussianBlur(Tensor images, int kernel, double sigma)
    {
        using var scope = NewDisposeScope();
        var c = images.shape[1];
        var half = kernel / 2;
        var x = arange(kernel, dtype: ScalarType.Float64) - half;
        var k1 = (-(x * x) / (2 * sigma * sigma)).exp();
        k1 = (k1 / k1.sum()).to(images.dtype).to(images.device);
        var padMode = images.shape[2] > half && images.shape[3] > half ? PaddingModes.Reflect : PaddingModes.Replicate;
        var padded = nn.functional.pad(images, new long[] { half, half, half, half }, padMode);
        var horizontal = nn.functional.conv2d(padded, k1.view(1, 1, 1, kernel).expand(c, 1, 1, kernel), groups: c);
        var vertical = nn.functional.conv2d(horizontal, k1.view(1, 1, kernel, 1).expand(c, 1, kernel, 1), groups: c);
        return vertical.MoveToOuterDisposeScope();
    }
}
