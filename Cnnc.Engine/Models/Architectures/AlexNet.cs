using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Cnnc.Engine.Models.Architectures;

/// <summary>
/// AlexNet (Krizhevsky et al., 2012) as torchvision 0.14 builds it (the one-GPU "one weird trick" variant): the same
/// module tree and state-dict keys — <c>features</c> (Sequential 0–12: five convolutions with ReLUs, max-pools at 2, 5
/// and 12), <c>avgpool</c> (adaptive, 6×6), <c>classifier</c> (Sequential 0–6: dropout, linear, ReLU, dropout, linear,
/// ReLU, linear) — and torchvision's initialisation, which is PyTorch's default layer init (Kaiming-uniform with
/// a = √5, uniform biases).
/// </summary>
/// <remarks>
/// <para>Scaling: every convolution's channels and the classifier's two hidden widths (4096) are
/// <see cref="ArchitectureOptions.Scale"/>d by <see cref="ArchitectureOptions.Width"/>; <c>features.0</c> takes
/// <see cref="ArchitectureOptions.InputChannels"/>, <c>classifier.6</c> gives <see cref="ArchitectureOptions.NumClasses"/>.</para>
/// <para>Small-input adaptation (<see cref="ArchitectureOptions.IsSmallInput"/>, input below 64 pixels): <c>features.0</c>
/// becomes a 5×5 convolution with stride 1 and padding 2 (instead of 11×11, stride 4, padding 2), and the last max-pool
/// <c>features.12</c> becomes an <see cref="TorchSharp.Modules.Identity"/>; the indices (and so the state-dict keys)
/// are unchanged. A 28×28 input gives a 6×6 map at <c>features.11</c> (the last ReLU), which is exactly the 6×6 that
/// <c>avgpool</c> and <c>classifier.1</c> expect, as at ImageNet scale.</para>
/// <para>Unlike torchvision, the ReLUs are not in place, so a forward hook's captured output is never overwritten later
/// in the pass. Submodules are always invoked through <c>call</c>, so forward hooks fire.</para>
/// </remarks>
public sealed class AlexNet : Module<Tensor, Tensor>, IClassifierHead
{
    private readonly TorchSharp.Modules.Sequential features;
    private readonly Module<Tensor, Tensor> avgpool;
    private readonly TorchSharp.Modules.Sequential classifier;

    /// <summary>Builds AlexNet; <see cref="ArchitectureOptions.ImageNet"/> gives torchvision's <c>alexnet()</c>.</summary>
    /// <param name="options">Classes, input channels and size, width.</param>
    /// <param name="dropout">Dropout probability in the classifier (torchvision's default 0.5).</param>
    public AlexNet(ArchitectureOptions options, double dropout = 0.5) : base("AlexNet")
    {
        ArgumentNullException.ThrowIfNull(options);
        int c1 = options.Scale(64), c2 = options.Scale(192), c3 = options.Scale(384), c4 = options.Scale(256),
            c5 = options.Scale(256), hidden = options.Scale(4096);
        var small = options.IsSmallInput;

        features = Sequential(
            small
                ? Conv2d(options.InputChannels, c1, kernel_size: 5, stride: 1, padding: 2)
                : Conv2d(options.InputChannels, c1, kernel_size: 11, stride: 4, padding: 2),
            ReLU(),
            MaxPool2d(kernel_size: 3, stride: 2),
            Conv2d(c1, c2, kernel_size: 5, padding: 2),
            ReLU(),
            MaxPool2d(kernel_size: 3, stride: 2),
            Conv2d(c2, c3, kernel_size: 3, padding: 1),
            ReLU(),
            Conv2d(c3, c4, kernel_size: 3, padding: 1),
            ReLU(),
            Conv2d(c4, c5, kernel_size: 3, padding: 1),
            ReLU(),
            small ? Identity() : MaxPool2d(kernel_size: 3, stride: 2));
        avgpool = AdaptiveAvgPool2d(new long[] { 6, 6 });
        classifier = Sequential(
            Dropout(dropout),
            Linear(c5 * 6 * 6, hidden),
            ReLU(),
            Dropout(dropout),
            Linear(hidden, hidden),
            ReLU(),
            Linear(hidden, options.NumClasses));

        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = features.call(ChannelsLast.Prepare(this, input));
        x = avgpool.call(x).flatten(1);
        return scope.MoveToOuter(classifier.call(x));
    }

    /// <inheritdoc/>
    public string HeadInputLayer => "features.11";

    /// <inheritdoc/>
    /// <remarks>forward runs <c>features</c> as one module (so hooks on it fire); this is its last step plus the rest.</remarks>
    public Tensor Head(Tensor layerOutput)
    {
        using var scope = NewDisposeScope();
        var last = (Module<Tensor, Tensor>)features.children().Last(); // features.12: max pool (identity for small input)
        var x = avgpool.call(last.call(layerOutput)).flatten(1);
        return scope.MoveToOuter(classifier.call(x));
    }
}
