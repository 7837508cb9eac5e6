using Cnnc.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Explain;

/// <summary>
/// Ablation-CAM (Desai &amp; Ramaswamy, WACV 2020, <see href="https://openaccess.thecvf.com/content_WACV_2020/html/Desai_Ablation-CAM_Visual_Explanations_for_Deep_Convolutional_Network_via_Gradient-free_Localization_WACV_2020_paper.html"/>):
/// w_k = (S − S_k) / S, where S is the target logit and S_k the logit with channel k of the target layer set to zero;
/// raw = Σ_k w_k A_k. As in pytorch-grad-cam, S is not clamped (a negative S flips the weights' sign).
/// </summary>
/// <remarks>
/// <see cref="BatchSize"/> ablated copies per pass, in inference mode. Channels that are all zero give S_k = S
/// (w_k = 0) and are skipped. At an architecture's own head layer (<see cref="IClassifierHead"/>: the default layer of
/// every architecture of this library) only the head — pooling and classifier — runs on the ablated copies, not the
/// whole network again: the same scores at a fraction of the cost. At any other layer the ablated copies replace the
/// layer's output through a forward hook and the whole network runs.
/// </remarks>
public sealed class AblationCam : Explainer
{
    /// <inheritdoc/>
    public override string Name => "ablationcam";

    /// <summary>Ablated copies per forward pass. Default 32.</summary>
    public int BatchSize { get; init; } = 32;

    /// <inheritdoc/>
    protected override Tensor Compute(ExplainContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var (logits, activations) = context.ForwardCapture(context.Input);
        context.RequireMaps(activations);
        var k = activations.shape[1];
        var head = context.Model is IClassifierHead h && h.HeadInputLayer == context.LayerPath ? h : null;
        var maps = new List<Tensor>();
        var channelsPerImage = new List<long[]>();
        using (inference_mode())
            for (var i = 0; i < context.Count; i++)
                channelsPerImage.Add(activations[i].flatten(1).ne(0).any(1).nonzero().flatten().cpu().data<long>().ToArray());
        long done = 0, total = channelsPerImage.Sum(c => (long)c.Length);
        for (var i = 0; i < context.Count; i++)
        {
            using var scope = NewDisposeScope();
            using var mode = inference_mode();
            var image = context.Input[i].unsqueeze(0);
            var a = activations[i];
            var score = context.TargetScores(logits[i].unsqueeze(0), i).to(ScalarType.Float32);
            var ablated = score.expand(k).clone();
            var channels = channelsPerImage[i];
            foreach (var (start, length) in Chunks(channels.Length, BatchSize))
            {
                using var chunkScope = NewDisposeScope();
                var index = tensor(channels.AsSpan((int)start, (int)length).ToArray(), device: a.device);
                var keep = ones(length, k, 1, 1, dtype: a.dtype, device: a.device);
                keep.index_put_(zeros(1, dtype: a.dtype), arange(length, device: a.device), index);
                var replacement = a.unsqueeze(0) * keep;
                var batchLogits = head is not null
                    ? head.Head(replacement)
                    : context.ForwardReplacing(image.expand(length, -1, -1, -1), _ => replacement.alias());
                ablated.index_copy_(0, index, context.TargetScores(batchLogits, i).to(ScalarType.Float32));
                done += length;
                context.Report(done, total);
            }
            var weights = ((score - ablated) / score).to(a.dtype);
            maps.Add((weights.view(k, 1, 1) * a).sum(0, keepdim: true).MoveToOuterDisposeScope());
        }
        return cat(maps, 0);
    }
}
