using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Explain;

/// <summary>
/// Smooth Grad-CAM++ (Omeiza et al., 2019, <see href="https://arxiv.org/abs/1908.01224"/>): Grad-CAM++ with the
/// derivatives averaged over <see cref="Samples"/> noisy copies x + ε, ε ~ N(0, σ²):
/// D1 = mean_t g_t, D2 = mean_t g_t², D3 = mean_t g_t³ (g_t = ∂S/∂A on copy t);
/// α = D2 / (2 D2 + (Σ_ab A_ab) D3), w_k = Σ_ij α_ij ReLU(D1_ij), raw = Σ_k w_k A_k with A the clean image's activation.
/// </summary>
/// <remarks>
/// <para>Noise: σ = <see cref="NoiseLevel"/> × (max(x) − min(x)) per image, SmoothGrad's definition (Smilkov et al.,
/// 2017). Defaults: 25 samples (as the VAC-CNN code) and noise level 0.15 (VAC-CNN writes σ = 0.15 / (max − min),
/// which inverts SmoothGrad's rule; we follow SmoothGrad).</para>
/// <para>Seeded: the noise comes from a CPU generator seeded with <see cref="Seed"/> for each image (and is then moved
/// to the model's device), so the same call gives the same map, on the CPU and on CUDA alike, and an image gives the
/// same map alone or in a batch.</para>
/// </remarks>
public sealed class SmoothGradCamPlusPlus : Explainer
{
    /// <inheritdoc/>
    public override string Name => "smoothgradcam++";

    /// <summary>Noisy copies per image. Default 25.</summary>
    public int Samples { get; init; } = 25;

    /// <summary>Noise standard deviation as a fraction of the image's value range. Default 0.15.</summary>
    public double NoiseLevel { get; init; } = 0.15;

    /// <summary>Seed of the noise. Default 0.</summary>
    public ulong Seed { get; init; }

    /// <summary>Noisy copies per forward/backward pass. Default 25.</summary>
    public int BatchSize { get; init; } = 25;

    /// <inheritdoc/>
    protected override Tensor Compute(ExplainContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (Samples < 1) throw new ArgumentException($"Samples must be at least 1 (got {Samples}).");
        if (!(NoiseLevel >= 0)) throw new ArgumentException($"NoiseLevel must be non-negative (got {NoiseLevel}).");
        var (_, clean) = context.ForwardCapture(context.Input);
        context.RequireMaps(clean);
        var maps = new List<Tensor>();
        long done = 0, total = (long)context.Count * Samples;
        for (var i = 0; i < context.Count; i++)
        {
            using var scope = NewDisposeScope();
            var image = context.Input[i];
            var sigma = NoiseLevel * (image.max() - image.min()).item<float>();
            // A CPU generator on every device: libtorch rejects a CPU generator for CUDA tensors, and drawing on the CPU
            // gives the same noise, so the same map, on every device.
            using var generator = new Generator(Seed);
            Tensor? d1 = null, d2 = null, d3 = null;
            foreach (var (start, length) in Chunks(Samples, BatchSize))
            {
                using var chunkScope = NewDisposeScope();
                var noise = randn(new[] { length }.Concat(image.shape).ToArray(), dtype: image.dtype, generator: generator)
                    .to(image.device);
                var noisy = image.unsqueeze(0) + noise * sigma;
                var (logits, activation) = context.ForwardWithGradient(noisy);
                var g = ExplainContext.Gradient(context.TargetScores(logits, i), activation);
                using (no_grad())
                {
                    var s1 = g.sum(0, keepdim: false); // never sum(0): the literal 0 binds to sum(ScalarType.Byte)
                    var s2 = g.square().sum(0, keepdim: false);
                    var s3 = g.pow(3).sum(0, keepdim: false);
                    d1 = d1 is null ? s1.MoveToOuterDisposeScope() : d1.add_(s1);
                    d2 = d2 is null ? s2.MoveToOuterDisposeScope() : d2.add_(s2);
                    d3 = d3 is null ? s3.MoveToOuterDisposeScope() : d3.add_(s3);
                }
                done += length;
                context.Report(done, total);
            }
            using (no_grad())
            {
                var a = clean[i].unsqueeze(0);
                var weights = GradCamPlusPlus.Weights(a, (d1! / Samples).unsqueeze(0), (d2! / Samples).unsqueeze(0),
                    (d3! / Samples).unsqueeze(0), 0);
                maps.Add(GradientCam.WeightedMap(weights, a).MoveToOuterDisposeScope());
            }
        }
        return cat(maps, 0);
    }
}
