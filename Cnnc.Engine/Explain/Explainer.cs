using Cnnc.Engine.Analysis;
using Cnnc.Engine.Models;
using Cnnc.Engine.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Explain;

/// <summary>
/// Base of every explainer. It owns what the methods share: the target layer, the activation capture (a forward hook
/// through <c>call()</c>, always removed again), gradients of the target score with respect to the captured activation
/// only (<c>torch.autograd.grad</c>; parameters never get gradients), the default target (the predicted class), and the
/// post-processing (ReLU, bilinear upsampling to the input size, min-max normalisation). A method overrides
/// <see cref="Compute"/> and nothing else.
/// </summary>
/// <remarks>
/// <para>During a call the model is put in eval mode and every parameter's <c>requires_grad</c> is set to false; both
/// are restored afterwards, also after an exception or cancellation. So the backward pass of the gradient methods starts
/// at the target score and stops at the target layer: the captured activation is detached and made a leaf that requires
/// grad, and the forward pass before it builds no graph.</para>
/// <para>Batches: the explanation of image i does not depend on the other images (eval mode; random methods use the
/// same seeded stream for every image), so explaining N images in one call equals explaining each alone up to
/// floating-point rounding.</para>
/// <para>Explainers are stateless apart from their settings and may be reused; one call at a time per model.</para>
/// </remarks>
public abstract class Explainer
{
    /// <summary>Canonical name, e.g. "gradcam" (see <see cref="ExplainerCatalog"/>).</summary>
    public abstract string Name { get; }

    /// <summary>True when the method reads a target layer (all CAMs); false for model-agnostic ones (RISE, BBMP).</summary>
    public virtual bool UsesLayer => true;

    /// <summary>Whether the raw map is ReLU'd before upsampling and normalisation. True for every built-in method.</summary>
    protected virtual bool ApplyRelu => true;

    /// <summary>Computes the raw maps, N × h × w, for <see cref="ExplainContext.Input"/>.</summary>
    /// <remarks>
    /// Runs inside a dispose scope owned by the base class: tensors need no manual disposal. The method must obtain the
    /// clean logits through <see cref="ExplainContext.ForwardWithGradient"/>, <see cref="ExplainContext.ForwardCapture"/>
    /// (either records them when given <see cref="ExplainContext.Input"/>) or read <see cref="ExplainContext.Targets"/>,
    /// which runs a plain forward pass when needed.
    /// </remarks>
    protected abstract Tensor Compute(ExplainContext context);

    /// <summary>Explains one image (C×H×W or 1×C×H×W, preprocessed as the model expects).</summary>
    /// <param name="model">The model; its mode and parameters' <c>requires_grad</c> are restored afterwards.</param>
    /// <param name="image">The preprocessed image; not modified.</param>
    /// <param name="target">Class to explain; default the predicted class.</param>
    /// <param name="layer">Target layer module path; default the architecture's (<see cref="DefaultLayer"/>).</param>
    /// <param name="progress">Progress of the slow methods (passes or iterations done).</param>
    /// <param name="cancellationToken">Checked between passes.</param>
    public Explanation Explain(nn.Module<Tensor, Tensor> model, Tensor image, int? target = null, string? layer = null,
        IProgress<ExplainProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        TorchRuntime.Initialize();
        if (image.dim() == 3)
        {
            using var batch = image.unsqueeze(0);
            return ExplainBatch(model, batch, target is null ? null : new[] { target.Value }, layer, progress, cancellationToken)[0];
        }
        if (image.dim() != 4 || image.shape[0] != 1)
            throw new ArgumentException($"Explain takes one image, C×H×W or 1×C×H×W (got [{string.Join("x", image.shape)}]); use ExplainBatch for more.");
        return ExplainBatch(model, image, target is null ? null : new[] { target.Value }, layer, progress, cancellationToken)[0];
    }

    /// <summary>Explains one image with a loaded model (default layer: its architecture's).</summary>
    public Explanation Explain(LoadedModel model, Tensor image, int? target = null, string? layer = null,
        IProgress<ExplainProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Explain(model.Module, image, target, layer ?? DefaultLayerOf(model), progress, cancellationToken);
    }

    /// <summary>Explains N images with a loaded model (default layer: its architecture's).</summary>
    public IReadOnlyList<Explanation> ExplainBatch(LoadedModel model, Tensor images, IReadOnlyList<int>? targets = null,
        string? layer = null, IProgress<ExplainProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        return ExplainBatch(model.Module, images, targets, layer ?? DefaultLayerOf(model), progress, cancellationToken);
    }

    /// <summary>
    /// Explains N images (N×C×H×W, preprocessed) for N targets (default: each image's predicted class). Result i equals
    /// explaining image i alone.
    /// </summary>
    public IReadOnlyList<Explanation> ExplainBatch(nn.Module<Tensor, Tensor> model, Tensor images,
        IReadOnlyList<int>? targets = null, string? layer = null, IProgress<ExplainProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        TorchRuntime.Initialize();
        if (images.dim() != 4 || !images.is_floating_point())
            throw new ArgumentException($"Images must be a floating-point N×C×H×W tensor (got {images.dtype} [{string.Join("x", images.shape)}]).");
        var count = (int)images.shape[0];
        if (count == 0) return Array.Empty<Explanation>();
        if (targets is not null && targets.Count != count)
            throw new ArgumentException($"{count} images need {count} targets (got {targets.Count}).");
        cancellationToken.ThrowIfCancellationRequested();

        string? layerPath = null;
        nn.Module<Tensor, Tensor>? layerModule = null;
        if (UsesLayer)
        {
            layerPath = layer ?? DefaultLayer(model);
            layerModule = ModulePaths.Find(model, layerPath) as nn.Module<Tensor, Tensor>
                ?? throw new ArgumentException($"Layer '{layerPath}' is not a single-tensor module and cannot be hooked.");
        }

        var wasTraining = model.training;
        var parameters = model.parameters().ToList();
        var requiresGrad = parameters.Select(p => p.requires_grad).ToArray();
        using var scope = NewDisposeScope();
        using var context = new ExplainContext(Name, model, layerModule, layerPath, images, targets, progress, cancellationToken);
        try
        {
            model.eval();
            foreach (var p in parameters) p.requires_grad = false;

            var raw = Compute(context);
            cancellationToken.ThrowIfCancellationRequested();
            using var _ = no_grad();
            raw = raw.detach().to(ScalarType.Float32);
            if (raw.dim() != 3 || raw.shape[0] != count)
                throw new InvalidOperationException($"{Name} produced maps of shape [{string.Join("x", raw.shape)}], expected {count}×h×w.");
            var targetClasses = context.TargetClasses;
            var maps = Postprocess(raw, ApplyRelu, images.shape[2], images.shape[3]);
            var logits = context.Logits!.to(ScalarType.Float32);
            var probabilities = nn.functional.softmax(logits, 1).cpu();
            var predicted = logits.argmax(1).cpu().data<long>().ToArray();
            var logitsCpu = logits.cpu();
            var results = new Explanation[count];
            for (var i = 0; i < count; i++)
            {
                var t = targetClasses[i];
                results[i] = new Explanation(Name, layerPath, t, logitsCpu[i, t].item<float>(), probabilities[i, t].item<float>(),
                    (int)predicted[i], probabilities[i, predicted[i]].item<float>(),
                    Map2D.FromTensor(maps[i]), Map2D.FromTensor(raw[i]));
            }
            return results;
        }
        finally
        {
            for (var i = 0; i < parameters.Count; i++) parameters[i].requires_grad = requiresGrad[i];
            if (wasTraining) model.train();
        }
    }

    /// <summary>
    /// The post-processing every method shares: non-finite values to 0, ReLU (if asked), bilinear upsampling to
    /// <paramref name="height"/> × <paramref name="width"/> (<c>align_corners=false</c>), then per-map min-max
    /// normalisation; a map whose maximum equals its minimum becomes all zeros.
    /// </summary>
    /// <param name="raw">Maps, N×h×w.</param>
    /// <param name="relu">Apply ReLU before upsampling.</param>
    /// <param name="height">Output rows.</param>
    /// <param name="width">Output columns.</param>
    /// <returns>N×height×width maps in [0, 1].</returns>
    public static Tensor Postprocess(Tensor raw, bool relu, long height, long width)
    {
        ArgumentNullException.ThrowIfNull(raw);
        using var scope = NewDisposeScope();
        var x = raw.to(ScalarType.Float32);
        x = x.where(x.isfinite(), zeros_like(x));
        if (relu) x = x.relu();
        if (x.shape[1] != height || x.shape[2] != width)
            x = nn.functional.interpolate(x.unsqueeze(1), new[] { height, width }, mode: InterpolationMode.Bilinear,
                align_corners: false).squeeze(1);
        return MinMaxNormalize(x).MoveToOuterDisposeScope();
    }

    /// <summary>Min-max normalises each map of an N×H×W tensor to [0, 1]; maps without contrast become zeros.</summary>
    public static Tensor MinMaxNormalize(Tensor maps)
    {
        ArgumentNullException.ThrowIfNull(maps);
        using var scope = NewDisposeScope();
        var flat = maps.flatten(1);
        var min = flat.amin(new long[] { 1 }, keepdim: true);
        var range = flat.amax(new long[] { 1 }, keepdim: true) - min;
        var positive = range > 0;
        var safe = range.where(positive, ones_like(range));
        var normalised = ((flat - min) / safe).clamp(0, 1) * positive;
        return normalised.view(maps.shape).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The default target layer of a module built by <see cref="ArchitectureCatalog"/>: its
    /// <see cref="IClassifierHead.HeadInputLayer"/>, else the catalog entry its type and module paths match; for any
    /// other module, an error asking for a layer path and listing the top-level ones.
    /// </summary>
    public static string DefaultLayer(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        // Members of one family can differ (vgg11's last ReLU is features.19, vgg16's features.29): the model knows.
        if (model is IClassifierHead head) return head.HeadInputLayer;
        var typeName = model.GetType().Name;
        var paths = ModulePaths.All(model);
        // Of the family's default layers the model has, the deepest: a ViT-L (24 blocks) also has ViT-B's encoder_layer_11.
        var order = paths.Select((p, i) => (p, i)).ToDictionary(x => x.p, x => x.i);
        var match = ArchitectureCatalog.All
            .Where(a => typeName.StartsWith(a.Family, StringComparison.Ordinal) && order.ContainsKey(a.DefaultTargetLayer))
            .MaxBy(a => order[a.DefaultTargetLayer]);
        if (match is not null) return match.DefaultTargetLayer;
        throw new ArgumentException($"No default target layer is known for a {typeName}: name one. Top-level layers: " +
                                    string.Join(", ", paths.Where(p => !p.Contains('.'))) + ".");
    }

    private static string DefaultLayerOf(LoadedModel model) =>
        ArchitectureCatalog.Get(model.Reference.Architecture).DefaultTargetLayer;

    /// <summary>Splits <paramref name="total"/> items into consecutive ranges of at most <paramref name="size"/>.</summary>
    protected static IEnumerable<(long Start, long Length)> Chunks(long total, int size)
    {
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(size), "Batch size must be at least 1.");
        for (long start = 0; start < total; start += size) yield return (start, Math.Min(size, total - start));
    }
}
