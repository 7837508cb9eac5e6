using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Explain;

/// <summary>
/// Base of the CAMs that need one forward and one backward pass: A = the target layer's activation (N×K×h×w),
/// g = dS/dA with S the target class's logit (pre-softmax score), raw map = <see cref="Combine"/>(A, g).
/// </summary>
public abstract class GradientCam : Explainer
{
    /// <inheritdoc/>
    protected sealed override Tensor Compute(ExplainContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var (logits, activation) = context.ForwardWithGradient(context.Input);
        context.RequireMaps(activation);
        var gradient = ExplainContext.Gradient(context.TargetScores(logits), activation);
        using var _ = no_grad();
        return Combine(activation.detach(), gradient);
    }

    /// <summary>The raw maps (N×h×w) from activations and gradients (both N×K×h×w).</summary>
    protected abstract Tensor Combine(Tensor activations, Tensor gradients);

    /// <summary>Σ_k w_k A_k for channel weights N×K.</summary>
    protected static Tensor Weighted(Tensor weights, Tensor activations) => WeightedMap(weights, activations);

    internal static Tensor WeightedMap(Tensor weights, Tensor activations) =>
        (weights.view(weights.shape[0], weights.shape[1], 1, 1) * activations).sum(1);
}

/// <summary>
/// Grad-CAM (Selvaraju et al., ICCV 2017, <see href="https://arxiv.org/abs/1610.02391"/>):
/// w_k = (1/hw) Σ_ij ∂S/∂A_kij, raw = Σ_k w_k A_k (ReLU'd afterwards).
/// </summary>
public sealed class GradCam : GradientCam
{
    /// <inheritdoc/>
    public override string Name => "gradcam";

    /// <inheritdoc/>
    protected override Tensor Combine(Tensor activations, Tensor gradients) =>
        Weighted(gradients.mean(new long[] { 2, 3 }), activations);
}

/// <summary>
/// Grad-CAM++ (Chattopadhay et al., WACV 2018, <see href="https://arxiv.org/abs/1710.11063"/>), the paper's Eq. 19 as
/// pytorch-grad-cam computes it. With g = ∂S/∂A for channel k:
/// α_ij = g_ij² / (2 g_ij² + (Σ_ab A_ab) g_ij³), α_ij = 0 where g_ij = 0 (or the denominator is 0);
/// w_k = Σ_ij α_ij ReLU(g_ij); raw = Σ_k w_k A_k.
/// </summary>
/// <remarks>
/// <para>Exponential output: Eq. 19 assumes the class score is Y = exp(S), so that the second and third derivatives of
/// Y are exp(S)·g² and exp(S)·g³; the exp(S) factors cancel in α, and in w they scale every channel of one image alike,
/// which the min-max normalisation removes. So g is taken of the logit S and no higher-order autograd is needed.</para>
/// <para>Differences from other implementations: torch-cam and the VAC-CNN code put Σ_ab(A_ab g_ab³) in the
/// denominator, which is not Eq. 19. pytorch-grad-cam adds 1e-6 to the denominator; <see cref="Epsilon"/> (default 0,
/// the formula as written) reproduces it when set to 1e-6 — it matters when gradients are small (|g| ≲ 1e-3).</para>
/// </remarks>
public sealed class GradCamPlusPlus : GradientCam
{
    /// <inheritdoc/>
    public override string Name => "gradcam++";

    /// <summary>Added to α's denominator. Default 0; 1e-6 reproduces pytorch-grad-cam.</summary>
    public double Epsilon { get; init; }

    /// <inheritdoc/>
    protected override Tensor Combine(Tensor activations, Tensor gradients) =>
        Weighted(Weights(activations, gradients, gradients.square(), gradients.pow(3), Epsilon), activations);

    /// <summary>w_k = Σ_ij α_ij ReLU(g1) with α = g2 / (2 g2 + (Σ A) g3 + ε), 0 where g2 = 0 or the denominator is 0.</summary>
    internal static Tensor Weights(Tensor activations, Tensor g1, Tensor g2, Tensor g3, double epsilon)
    {
        var sumA = activations.sum(new long[] { 2, 3 }, keepdim: true);
        var denominator = 2 * g2 + sumA * g3 + epsilon;
        var valid = (g2 != 0).logical_and(denominator != 0);
        var alpha = (g2 / denominator.where(valid, ones_like(denominator))) * valid;
        return (alpha * g1.relu()).sum(new long[] { 2, 3 });
    }
}

/// <summary>
/// XGrad-CAM (Fu et al., BMVC 2020, <see href="https://arxiv.org/abs/2008.02312"/>):
/// w_k = Σ_ij (A_kij / Σ_ab A_kab) ∂S/∂A_kij, w_k = 0 where Σ_ab A_kab = 0; raw = Σ_k w_k A_k.
/// (pytorch-grad-cam adds 1e-7 to the sum instead.)
/// </summary>
public sealed class XGradCam : GradientCam
{
    /// <inheritdoc/>
    public override string Name => "xgradcam";

    /// <inheritdoc/>
    protected override Tensor Combine(Tensor activations, Tensor gradients)
    {
        var sum = activations.sum(new long[] { 2, 3 });
        var nonzero = sum != 0;
        var weights = (gradients * activations).sum(new long[] { 2, 3 }) / sum.where(nonzero, ones_like(sum)) * nonzero;
        return Weighted(weights, activations);
    }
}

/// <summary>
/// LayerCAM (Jiang et al., IEEE TIP 2021, <see href="https://doi.org/10.1109/TIP.2021.3089943"/>):
/// raw_ij = Σ_k ReLU(∂S/∂A_kij) A_kij (element-wise weights), ReLU'd afterwards.
/// </summary>
public sealed class LayerCam : GradientCam
{
    /// <inheritdoc/>
    public override string Name => "layercam";

    /// <inheritdoc/>
    protected override Tensor Combine(Tensor activations, Tensor gradients) => (gradients.relu() * activations).sum(1);
}
