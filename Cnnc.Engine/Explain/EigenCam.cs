using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Explain;

/// <summary>
/// Eigen-CAM (Muhammad &amp; Yeasin, IJCNN 2020, <see href="https://arxiv.org/abs/2008.00299"/>), as pytorch-grad-cam
/// computes it: M = the activation as an (h·w) × K matrix with each column's mean removed; v = the first right singular
/// vector of M; raw = M v reshaped to h × w. Class-agnostic: the target only labels the result.
/// </summary>
/// <remarks>
/// The sign of a singular vector is arbitrary (pytorch-grad-cam leaves it to LAPACK). We pin it: v is flipped when
/// the projection correlates negatively with the channel-mean activation map, Σ_ij (M v)_ij · mean_k A_kij &lt; 0.
/// </remarks>
public sealed class EigenCam : Explainer
{
    /// <inheritdoc/>
    public override string Name => "eigencam";

    /// <inheritdoc/>
    protected override Tensor Compute(ExplainContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var (_, activations) = context.ForwardCapture(context.Input);
        context.RequireMaps(activations);
        using var mode = inference_mode();
        var (n, k, h, w) = (activations.shape[0], activations.shape[1], activations.shape[2], activations.shape[3]);
        var maps = new List<Tensor>();
        for (var i = 0; i < n; i++)
        {
            using var scope = NewDisposeScope();
            var a = activations[i].to(ScalarType.Float64).reshape(k, h * w).t();
            var centred = a - a.mean(new long[] { 0 }, keepdim: true);
            var (_, _, vh) = linalg.svd(centred, fullMatrices: false);
            var projection = centred.matmul(vh[0]);
            if ((projection * a.mean(new long[] { 1 })).sum().item<double>() < 0) projection = -projection;
            maps.Add(projection.reshape(1, h, w).to(activations.dtype).MoveToOuterDisposeScope());
        }
        return cat(maps, 0);
    }
}
