using Cnnc.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Explain;

/// <summary>
/// What an <see cref="Explainer"/> method sees during one call: the model, the input batch, the target layer and the
/// forward passes that capture (or replace) its activation. Every forward hook is registered for one pass and removed
/// in a <c>finally</c>.
/// </summary>
public sealed class ExplainContext : IDisposable
{
    private readonly string _method;
    private readonly IReadOnlyList<int>? _requestedTargets;
    private readonly IProgress<ExplainProgress>? _progress;
    private Tensor? _logits;
    private Tensor? _targets;
    private int[]? _targetClasses;

    internal ExplainContext(string method, nn.Module<Tensor, Tensor> model, nn.Module<Tensor, Tensor>? layer, string? layerPath,
        Tensor input, IReadOnlyList<int>? targets, IProgress<ExplainProgress>? progress, CancellationToken cancellationToken)
    {
        _method = method;
        Model = model;
        Layer = layer;
        LayerPath = layerPath;
        Layout = layerPath is not null && model is IActivationLayout layouts ? layouts.LayoutOf(layerPath) : ActivationLayout.ChannelsFirst;
        Input = input;
        _requestedTargets = targets;
        _progress = progress;
        CancellationToken = cancellationToken;
    }

    /// <summary>The model, in eval mode, parameters not requiring grad.</summary>
    public nn.Module<Tensor, Tensor> Model { get; }

    /// <summary>The target layer, or null for model-agnostic methods.</summary>
    public nn.Module<Tensor, Tensor>? Layer { get; }

    /// <summary>The target layer's module path.</summary>
    public string? LayerPath { get; }

    /// <summary>
    /// How the target layer's output is laid out. Every activation this context hands out (and takes back in
    /// <see cref="ForwardReplacing"/>) is the N×C×h×w grid of it; the conversion happens inside the hooks.
    /// </summary>
    public ActivationLayout Layout { get; }

    /// <summary>The images, N×C×H×W (the caller's tensor: do not modify it).</summary>
    public Tensor Input { get; }

    /// <summary>Number of images.</summary>
    public int Count => (int)Input.shape[0];

    /// <summary>Checked between passes.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>The clean logits (N × classes), once known.</summary>
    public Tensor? Logits => _logits;

    /// <summary>The target class of each image (int64, N): requested, or predicted. Runs a forward pass if needed.</summary>
    public Tensor Targets
    {
        get
        {
            EnsureLogits();
            return _targets!;
        }
    }

    /// <summary>The target class of each image. Runs a forward pass if needed.</summary>
    public IReadOnlyList<int> TargetClasses
    {
        get
        {
            EnsureLogits();
            return _targetClasses!;
        }
    }

    /// <summary>Reports progress to the caller and throws if cancellation was requested.</summary>
    public void Report(long done, long total)
    {
        _progress?.Report(new ExplainProgress(_method, done, total));
        CancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>
    /// Forward pass with a graph from the target layer on: the layer's output is replaced by a detached copy that
    /// requires grad (a leaf), which is returned as the activation. Nothing before the layer is recorded, so
    /// <see cref="Gradient"/> stops there. Records the logits when <paramref name="input"/> is <see cref="Input"/>.
    /// </summary>
    public (Tensor Logits, Tensor Activation) ForwardWithGradient(Tensor input)
    {
        var layer = RequireLayer();
        Tensor? captured = null;
        var hook = layer.register_forward_hook((_, _, output) =>
        {
            captured?.Dispose();
            // The grid is the leaf; the layer's output is rebuilt from it, so gradients reach the grid itself.
            var leaf = ToGrid(output.detach()).requires_grad_(true);
            captured = leaf.alias().DetachFromDisposeScope(); // the caller's scopes (or Sequential) may dispose 'leaf'
            return FromGrid(leaf, output.detach());
        });
        Tensor logits;
        try
        {
            using var grad = enable_grad();
            logits = Model.call(input);
        }
        catch
        {
            captured?.Dispose();
            throw;
        }
        finally
        {
            hook.remove();
        }
        var activation = Adopt(captured);
        if (ReferenceEquals(input, Input)) SetLogits(logits);
        return (logits, activation);
    }

    /// <summary>
    /// Forward pass in inference mode that captures the target layer's output. Records the logits when
    /// <paramref name="input"/> is <see cref="Input"/>.
    /// </summary>
    public (Tensor Logits, Tensor Activation) ForwardCapture(Tensor input)
    {
        var layer = RequireLayer();
        Tensor? captured = null;
        var hook = layer.register_forward_hook((_, _, output) =>
        {
            captured?.Dispose();
            captured = ToGrid(output).alias().DetachFromDisposeScope();
            return null!;
        });
        Tensor logits;
        try
        {
            using var mode = inference_mode();
            logits = Model.call(input);
        }
        catch
        {
            captured?.Dispose();
            throw;
        }
        finally
        {
            hook.remove();
        }
        var activation = Adopt(captured);
        if (ReferenceEquals(input, Input)) SetLogits(logits);
        return (logits, activation);
    }

    /// <summary>
    /// Forward pass in inference mode in which the target layer's output is replaced by
    /// <paramref name="replacement"/>(output) (used by Ablation-CAM); both as grids (<see cref="Layout"/>).
    /// </summary>
    public Tensor ForwardReplacing(Tensor input, Func<Tensor, Tensor> replacement)
    {
        ArgumentNullException.ThrowIfNull(replacement);
        var layer = RequireLayer();
        var hook = layer.register_forward_hook((_, _, output) => FromGrid(replacement(ToGrid(output)), output));
        try
        {
            using var mode = inference_mode();
            return Model.call(input);
        }
        finally
        {
            hook.remove();
        }
    }

    /// <summary>Forward pass in inference mode, no hooks. Records the logits when <paramref name="input"/> is <see cref="Input"/>.</summary>
    public Tensor Forward(Tensor input)
    {
        Tensor logits;
        using (inference_mode()) logits = Model.call(input);
        if (ReferenceEquals(input, Input)) SetLogits(logits);
        return logits;
    }

    /// <summary>
    /// d(sum of <paramref name="scores"/>)/d<paramref name="activation"/> by <c>torch.autograd.grad</c>; as the images
    /// are independent, row i of the result is image i's gradient of its own score.
    /// </summary>
    public static Tensor Gradient(Tensor scores, Tensor activation)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(activation);
        using var total = scores.sum();
        return autograd.grad(new[] { total }, new[] { activation })[0];
    }

    /// <summary>Each row's score for its image's target: <c>logits[i, target[rowImage[i]]]</c>.</summary>
    /// <param name="logits">Rows × classes.</param>
    /// <param name="image">The image each row belongs to, or null when row i is image i.</param>
    public Tensor TargetScores(Tensor logits, int? image = null)
    {
        ArgumentNullException.ThrowIfNull(logits);
        var targets = image is null ? Targets : Targets[image.Value].expand(logits.shape[0]);
        return logits.gather(1, targets.to(logits.device).unsqueeze(1)).squeeze(1);
    }

    /// <summary>Checks that a captured activation is N×K×h×w.</summary>
    public Tensor RequireMaps(Tensor activation)
    {
        ArgumentNullException.ThrowIfNull(activation);
        if (activation.dim() != 4)
            throw new ArgumentException($"Layer '{LayerPath}' gives [{string.Join("x", activation.shape)}]; class activation maps need " +
                                        "an N×K×h×w output: choose a convolutional layer.");
        return activation;
    }

    /// <summary>The target layer's output as an N×C×h×w grid (what pytorch-grad-cam's <c>reshape_transform</c> does).</summary>
    private Tensor ToGrid(Tensor output)
    {
        switch (Layout)
        {
            case ActivationLayout.ChannelsFirst:
                return output;
            case ActivationLayout.ChannelsLast:
                RequireRank(output, 4, "N×h×w×C");
                return output.permute(0, 3, 1, 2);
            case ActivationLayout.ClassTokenThenGrid:
                RequireRank(output, 3, "N×(1+h·w)×C");
                var patches = output.shape[1] - 1;
                var side = (long)Math.Round(Math.Sqrt(patches));
                if (patches < 1 || side * side != patches)
                    throw new ArgumentException($"Layer '{LayerPath}' gives {output.shape[1]} tokens; a class token and a square grid " +
                                                "of patches were expected.");
                return output.narrow(1, 1, patches).transpose(1, 2).reshape(output.shape[0], output.shape[2], side, side);
            default:
                throw new InvalidOperationException($"Unknown activation layout {Layout}.");
        }
    }

    /// <summary>The layer output rebuilt from a grid; <paramref name="original"/> supplies what the grid drops (the class token).</summary>
    private Tensor FromGrid(Tensor grid, Tensor original)
    {
        switch (Layout)
        {
            case ActivationLayout.ChannelsFirst:
                return grid;
            case ActivationLayout.ChannelsLast:
                return grid.permute(0, 2, 3, 1);
            case ActivationLayout.ClassTokenThenGrid:
                var tokens = grid.flatten(2).transpose(1, 2);
                var classToken = original.narrow(1, 0, 1);
                if (classToken.shape[0] != tokens.shape[0]) classToken = classToken.expand(tokens.shape[0], -1, -1);
                return cat(new[] { classToken, tokens }, 1);
            default:
                throw new InvalidOperationException($"Unknown activation layout {Layout}.");
        }
    }

    private void RequireRank(Tensor output, int rank, string expected)
    {
        if (output.dim() != rank)
            throw new ArgumentException($"Layer '{LayerPath}' gives [{string.Join("x", output.shape)}]; its model declares the layout " +
                                        $"{Layout} ({expected}).");
    }

    private nn.Module<Tensor, Tensor> RequireLayer() =>
        Layer ?? throw new InvalidOperationException($"{_method} has no target layer.");

    private Tensor Adopt(Tensor? captured)
    {
        if (captured is null)
            throw new InvalidOperationException($"Layer '{LayerPath}' was not called in the forward pass (a module must call " +
                                                "its submodules with call() for hooks to fire).");
        CurrentDisposeScope?.Attach(captured);
        return captured;
    }

    private void EnsureLogits()
    {
        if (_logits is null) Forward(Input);
    }

    private void SetLogits(Tensor logits)
    {
        if (_logits is not null) return;
        if (logits.dim() != 2 || logits.shape[0] != Count)
            throw new InvalidOperationException($"The model returned [{string.Join("x", logits.shape)}]; expected {Count} rows of class scores.");
        var classes = logits.shape[1];
        _logits = logits.detach().clone().DetachFromDisposeScope();
        int[] chosen;
        if (_requestedTargets is not null)
        {
            foreach (var t in _requestedTargets)
                if (t < 0 || t >= classes) throw new ArgumentException($"Target class {t} is out of range: the model has {classes} classes.");
            chosen = _requestedTargets.ToArray();
        }
        else
        {
            using var argmax = _logits.argmax(1).cpu();
            chosen = argmax.data<long>().ToArray().Select(v => (int)v).ToArray();
        }
        _targetClasses = chosen;
        _targets = tensor(chosen.Select(v => (long)v).ToArray(), device: logits.device).DetachFromDisposeScope();
    }

    /// <summary>Frees the logits and targets.</summary>
    public void Dispose()
    {
        _logits?.Dispose();
        _targets?.Dispose();
    }
}
