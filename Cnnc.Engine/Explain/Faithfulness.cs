using Cnnc.Engine.Analysis;
using Cnnc.Engine.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Explain;

/// <summary>Settings of <see cref="Faithfulness"/>.</summary>
public sealed record FaithfulnessOptions
{
    /// <summary>Steps of the deletion and insertion curves; each curve has Steps + 1 points. Default 100.</summary>
    public int Steps { get; init; } = 100;

    /// <summary>Images per forward pass. Default 32.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Gaussian blur kernel of the insertion start image. Default 11.</summary>
    public int BlurKernel { get; init; } = 11;

    /// <summary>Gaussian blur σ of the insertion start image. Default 5.</summary>
    public double BlurSigma { get; init; } = 5;
}

/// <summary>One image's faithfulness scores (probabilities are the target class's softmax).</summary>
/// <param name="TargetClass">The class explained.</param>
/// <param name="DeletionAuc">Area under the deletion curve (lower is better).</param>
/// <param name="InsertionAuc">Area under the insertion curve (higher is better).</param>
/// <param name="Probability">Y: probability on the image.</param>
/// <param name="MaskedProbability">O: probability on the image multiplied by the map.</param>
/// <param name="Drop">max(0, Y − O) / Y.</param>
/// <param name="Increase">O &gt; Y.</param>
/// <param name="DeletionCurve">Probability after deleting 0, 1/Steps, …, all of the pixels, most salient first.</param>
/// <param name="InsertionCurve">Probability after inserting 0, 1/Steps, …, all of the pixels into the blurred image.</param>
public sealed record FaithfulnessScore(
    int TargetClass, double DeletionAuc, double InsertionAuc, float Probability, float MaskedProbability, double Drop,
    bool Increase, IReadOnlyList<float> DeletionCurve, IReadOnlyList<float> InsertionCurve);

/// <summary>Averages over an image set.</summary>
/// <param name="Images">Number of images.</param>
/// <param name="DeletionAuc">Mean deletion AUC.</param>
/// <param name="InsertionAuc">Mean insertion AUC.</param>
/// <param name="AverageDrop">100 · mean Drop (percent; lower is better).</param>
/// <param name="IncreaseInConfidence">100 · fraction of images with O &gt; Y (percent; higher is better).</param>
public sealed record FaithfulnessSummary(int Images, double DeletionAuc, double InsertionAuc, double AverageDrop, double IncreaseInConfidence);

/// <summary>
/// Faithfulness of saliency maps (the paper's future work), for any method × model × image set:
/// <list type="bullet">
/// <item>Deletion and insertion AUC (Petsiuk et al., RISE, 2018): pixels ranked by saliency (ties by position);
/// deletion sets the first k pixels (all channels) to 0 in model-input space — the dataset mean colour for normalised
/// inputs, as the RISE code does with normalised tensors; insertion starts from a Gaussian blur (kernel 11, σ 5) of the
/// image and puts back the first k original pixels; k = round(t · H·W / Steps), t = 0…Steps. AUC = trapezoidal area
/// with the x axis scaled to [0, 1].</item>
/// <item>Average drop and increase in confidence (Chattopadhay et al., Grad-CAM++, 2018): O = the probability on
/// x ∘ map (the [0, 1] map multiplied into every channel of the model input), Y = the probability on x.</item>
/// </list>
/// </summary>
public static class Faithfulness
{
    /// <summary>Scores the maps of <paramref name="explanations"/> (their targets) on <paramref name="images"/>.</summary>
    public static IReadOnlyList<FaithfulnessScore> Evaluate(nn.Module<Tensor, Tensor> model, Tensor images,
        IReadOnlyList<Explanation> explanations, FaithfulnessOptions? options = null, IProgress<ExplainProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(explanations);
        return Evaluate(model, images, explanations.Select(e => e.Map).ToList(), explanations.Select(e => e.TargetClass).ToList(),
            options, progress, cancellationToken);
    }

    /// <summary>Explains <paramref name="images"/> with <paramref name="explainer"/>, then scores the maps.</summary>
    public static IReadOnlyList<FaithfulnessScore> Evaluate(Explainer explainer, nn.Module<Tensor, Tensor> model, Tensor images,
        IReadOnlyList<int>? targets = null, string? layer = null, FaithfulnessOptions? options = null,
        IProgress<ExplainProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(explainer);
        var explanations = explainer.ExplainBatch(model, images, targets, layer, progress, cancellationToken);
        return Evaluate(model, images, explanations, options, progress, cancellationToken);
    }

    /// <summary>Scores one map per image (each H×W, the input's size) for the given targets.</summary>
    public static IReadOnlyList<FaithfulnessScore> Evaluate(nn.Module<Tensor, Tensor> model, Tensor images,
        IReadOnlyList<Map2D> maps, IReadOnlyList<int> targets, FaithfulnessOptions? options = null,
        IProgress<ExplainProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(maps);
        ArgumentNullException.ThrowIfNull(targets);
        TorchRuntime.Initialize();
        options ??= new FaithfulnessOptions();
        if (options.Steps < 1 || options.BatchSize < 1) throw new ArgumentException("Steps and BatchSize must be at least 1.");
        if (images.dim() != 4) throw new ArgumentException($"Images must be N×C×H×W (got [{string.Join("x", images.shape)}]).");
        var (n, height, width) = ((int)images.shape[0], images.shape[2], images.shape[3]);
        if (maps.Count != n || targets.Count != n) throw new ArgumentException($"{n} images need {n} maps and {n} targets.");
        foreach (var map in maps)
            if (map.Height != height || map.Width != width)
                throw new ArgumentException($"Maps must be {height}x{width}, the input size (got {map.Height}x{map.Width}).");

        var wasTraining = model.training;
        var results = new FaithfulnessScore[n];
        long done = 0, total = (long)n * (2 * (options.Steps + 1) + 2);
        try
        {
            model.eval();
            using var mode = inference_mode();
            for (var i = 0; i < n; i++)
            {
                using var scope = NewDisposeScope();
                var image = images[i].unsqueeze(0);
                var target = targets[i];
                using var mapTensor = maps[i].ToTensor();
                var map = mapTensor.to(image.dtype).to(image.device);
                var pixels = height * width;
                var order = map.flatten().sort(dim: 0, descending: true, stable: true).Indices;
                var rank = empty_like(order).index_put_(arange(pixels, device: order.device), order).view(1, 1, height, width);
                var blurred = Bbmp.GaussianBlur(image, options.BlurKernel, options.BlurSigma);

                var yx = Probabilities(model, cat(new[] { image, image * map.view(1, 1, height, width) }, 0), target);
                done += 2;
                var deletion = Curve(model, image, zeros_like(image), rank, pixels, target, options, ref done, total, progress, cancellationToken);
                var insertion = Curve(model, blurred, image, rank, pixels, target, options, ref done, total, progress, cancellationToken);
                var (y, o) = (yx[0], yx[1]);
                results[i] = new FaithfulnessScore(target, Auc(deletion), Auc(insertion), y, o,
                    y > 0 ? Math.Max(0, y - o) / y : 0, o > y, deletion, insertion);
            }
        }
        finally
        {
            if (wasTraining) model.train();
        }
        return results;
    }

    /// <summary>Averages scores over images; the percentages follow Chattopadhay et al.</summary>
    public static FaithfulnessSummary Summarize(IReadOnlyList<FaithfulnessScore> scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        if (scores.Count == 0) return new FaithfulnessSummary(0, double.NaN, double.NaN, double.NaN, double.NaN);
        return new FaithfulnessSummary(scores.Count, scores.Average(s => s.DeletionAuc), scores.Average(s => s.InsertionAuc),
            100 * scores.Average(s => s.Drop), 100.0 * scores.Count(s => s.Increase) / scores.Count);
    }

    /// <summary>Trapezoidal area under a curve sampled at Steps + 1 equally spaced points of [0, 1].</summary>
    public static double Auc(IReadOnlyList<float> curve)
    {
        ArgumentNullException.ThrowIfNull(curve);
        if (curve.Count < 2) throw new ArgumentException("A curve needs at least two points.");
        var sum = curve.Sum(v => (double)v) - (curve[0] + curve[^1]) / 2.0;
        return sum / (curve.Count - 1);
    }

    /// <summary>
    /// Probabilities as pixels move from <paramref name="start"/> to <paramref name="finish"/> in rank order: at step t
    /// the pixels of rank &lt; round(t · pixels / steps) come from <paramref name="finish"/>.
    /// </summary>
    private static float[] Curve(nn.Module<Tensor, Tensor> model, Tensor start, Tensor finish, Tensor rank, long pixels,
        int target, FaithfulnessOptions options, ref long done, long total, IProgress<ExplainProgress>? progress,
        CancellationToken cancellationToken)
    {
        var curve = new List<float>(options.Steps + 1);
        for (long first = 0; first <= options.Steps; first += options.BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var count = Math.Min(options.BatchSize, options.Steps + 1 - first);
            var k = tensor(Enumerable.Range(0, (int)count)
                .Select(j => (long)Math.Round((double)(first + j) * pixels / options.Steps, MidpointRounding.ToEven)).ToArray(),
                device: rank.device).view(count, 1, 1, 1);
            var moved = (rank < k).to(start.dtype); // count×1×H×W
            var batch = start * (1 - moved) + finish * moved;
            curve.AddRange(Probabilities(model, batch, target));
            done += count;
            progress?.Report(new ExplainProgress("faithfulness", done, total));
        }
        return curve.ToArray();
    }

    private static float[] Probabilities(nn.Module<Tensor, Tensor> model, Tensor batch, int target)
    {
        using var scope = NewDisposeScope();
        var logits = model.call(batch);
        if (target < 0 || target >= logits.shape[1])
            throw new ArgumentException($"Target class {target} is out of range: the model has {logits.shape[1]} classes.");
        return nn.functional.softmax(logits.to(ScalarType.Float32), 1)[.., target].cpu().data<float>().ToArray();
    }
}
