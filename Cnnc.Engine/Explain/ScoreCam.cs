using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Explain;

/// <summary>
/// Score-CAM (Wang et al., CVPR-W 2020, <see href="https://arxiv.org/abs/1910.01279"/>). For each channel k of the
/// target layer: M_k = min-max normalised (bilinear upsampling of A_k to the input size, <c>align_corners=false</c>);
/// s_k = S(x ∘ M_k), the target logit of the masked input; w = softmax_k(s); raw = Σ_k w_k A_k.
/// </summary>
/// <remarks>
/// <para>Baseline: the original's CIC subtracts a baseline score f(x_b) from every s_k (torch-cam subtracts the clean
/// logit). Softmax is shift-invariant, so a subtracted constant changes nothing: we do not subtract it.</para>
/// <para>Constant channels (max = min, e.g. all zero): their mask would be 0/0; as in pytorch-grad-cam and torch-cam
/// (which divide by max − min + ε) it is taken as zero, so x ∘ M_k = 0 for all of them. Instead of one pass each we
/// run that all-zero input once per image and give its score to every constant channel: the same weights as the
/// unskipped computation, in fewer passes.</para>
/// <para>Speed: the masked passes run in inference mode, the masks built per batch. With <see cref="BatchSize"/> unset,
/// the batch size is chosen by measurement: the first passes of an explanation try 8, 16, 32 and 64 masks (doing real
/// work), the size with the lowest time per mask is used for the rest, and remembered for that model and input shape. pytorch-grad-cam upsamples with <c>align_corners=true</c>; torch-cam normalises before upsampling; both
/// give slightly different masks than this definition.</para>
/// </remarks>
public sealed class ScoreCam : Explainer
{
    /// <inheritdoc/>
    public override string Name => "scorecam";

    /// <summary>Masked images per forward pass. Default null: chosen by measurement (see remarks).</summary>
    public int? BatchSize { get; init; }

    private static readonly int[] Candidates = { 8, 16, 32, 64 };

    // Best batch size per (model instance type, input shape, device), measured once per process.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> Measured = new();

    /// <inheritdoc/>
    protected override Tensor Compute(ExplainContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var (_, activations) = context.ForwardCapture(context.Input);
        context.RequireMaps(activations);
        var (n, k) = (activations.shape[0], activations.shape[1]);
        var (height, width) = (context.Input.shape[2], context.Input.shape[3]);
        var maps = new List<Tensor>();
        long done = 0, total = 0;
        var varying = new List<long[]>();
        using (inference_mode())
        {
            for (var i = 0; i < n; i++)
            {
                var flat = activations[i].flatten(1);
                var nonConstant = (flat.amax(new long[] { 1 }) > flat.amin(new long[] { 1 })).nonzero().flatten().cpu();
                varying.Add(nonConstant.data<long>().ToArray());
                total += varying[i].Length + (varying[i].Length < k ? 1 : 0);
            }
        }
        var key = $"{context.Model.GetType().FullName}|{string.Join("x", context.Input.shape.Skip(1))}|{context.Input.device}";
        var sizer = new BatchSizer(BatchSize ?? (Measured.TryGetValue(key, out var known) ? known : null));
        for (var i = 0; i < n; i++)
        {
            using var scope = NewDisposeScope();
            using var mode = inference_mode();
            var image = context.Input[i].unsqueeze(0);
            var a = activations[i];
            var scores = full(k, float.NaN, dtype: ScalarType.Float32, device: image.device);
            var channels = varying[i];
            if (channels.Length < k)
            {
                var zeroScore = context.TargetScores(context.Model.call(zeros_like(image)), i).to(ScalarType.Float32);
                scores.fill_(zeroScore.item<float>());
                context.Report(++done, total);
            }
            for (long start = 0; start < channels.Length;)
            {
                using var chunkScope = NewDisposeScope();
                var length = Math.Min(sizer.Next, channels.Length - start);
                var clock = System.Diagnostics.Stopwatch.StartNew();
                var index = tensor(channels.AsSpan((int)start, (int)length).ToArray(), device: image.device);
                var masks = nn.functional.interpolate(a.index_select(0, index).unsqueeze(1), new[] { height, width },
                    mode: InterpolationMode.Bilinear, align_corners: false);
                var flat = masks.flatten(1);
                var min = flat.amin(new long[] { 1 }, keepdim: true);
                var range = flat.amax(new long[] { 1 }, keepdim: true) - min;
                var normalised = ((flat - min) / range.where(range > 0, ones_like(range)) * (range > 0)).view(masks.shape);
                var logits = context.Model.call(image * normalised);
                scores.index_copy_(0, index, context.TargetScores(logits, i).to(ScalarType.Float32));
                if (sizer.Record(length, clock.Elapsed) is { } best) Measured[key] = best;
                start += length;
                done += length;
                context.Report(done, total);
            }
            var weights = nn.functional.softmax(scores, 0).to(a.dtype);
            maps.Add((weights.view(k, 1, 1) * a).sum(0, keepdim: true).MoveToOuterDisposeScope());
        }
        return cat(maps, 0);
    }

    /// <summary>
    /// Hands out batch sizes: a fixed one, or each candidate in turn (the first pass of each is a warm-up and the
    /// second is timed) and then the fastest per mask.
    /// </summary>
    private sealed class BatchSizer(int? fixedSize)
    {
        private readonly double[] _perMask = Candidates.Select(_ => double.NaN).ToArray();
        private int _candidate;
        private bool _warm;
        private int? _chosen = fixedSize;

        public int Next => _chosen ?? Candidates[_candidate];

        /// <summary>Records a pass; returns the chosen size once it is decided by this call.</summary>
        public int? Record(long length, TimeSpan elapsed)
        {
            if (_chosen is not null || length < Candidates[_candidate]) return null;
            if (!_warm)
            {
                _warm = true;
                return null;
            }
            _perMask[_candidate] = elapsed.TotalMilliseconds / length;
            _warm = false;
            if (++_candidate < Candidates.Length) return null;
            _chosen = Candidates[Array.IndexOf(_perMask, _perMask.Min())];
            return _chosen;
        }
    }
}
