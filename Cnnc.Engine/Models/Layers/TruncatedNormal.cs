using static TorchSharp.torch;

namespace Cnnc.Engine.Models.Layers;

/// <summary>
/// PyTorch's <c>nn.init.trunc_normal_</c>, written out: TorchSharp 0.107's <c>init.trunc_normal_</c> left linear
/// weights at (nearly) zero here (GoogLeNet's <c>fc</c>: standard deviation 0 instead of 0.01). Same algorithm as
/// PyTorch's <c>_no_grad_trunc_normal_</c> (inverse CDF of a uniform draw), so it also runs on the meta device.
/// </summary>
public static class TruncatedNormal
{
    /// <summary>Fills <paramref name="tensor"/> with N(mean, std²) truncated to [a, b] (absolute bounds, as PyTorch's).</summary>
    public static Tensor Fill(Tensor tensor, double mean = 0.0, double std = 1.0, double a = -2.0, double b = 2.0)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (!(std > 0) || !(a < b)) throw new ArgumentException($"trunc_normal_ needs std > 0 and a < b (got std {std}, a {a}, b {b}).");
        var low = NormalCdf((a - mean) / std);
        var high = NormalCdf((b - mean) / std);
        using var _ = no_grad();
        tensor.uniform_(2 * low - 1, 2 * high - 1);
        tensor.erfinv_();
        tensor.mul_(std * Math.Sqrt(2.0));
        tensor.add_(mean);
        tensor.clamp_(a, b);
        return tensor;
    }

    private static double NormalCdf(double x) => (1.0 + Erf(x / Math.Sqrt(2.0))) / 2.0;

    /// <summary>erf by Abramowitz &amp; Stegun 7.1.26 (absolute error below 1.5e-7): only the bounds of the draw use it.</summary>
    private static double Erf(double x)
    {
        var sign = Math.Sign(x);
        x = Math.Abs(x);
        var t = 1.0 / (1.0 + 0.3275911 * x);
        var y = 1.0 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.Exp(-x * x);
        return sign * y;
    }
}
