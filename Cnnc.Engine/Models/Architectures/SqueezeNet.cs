// Translated from torchvision 0.14's torchvision/models/squeezenet.py (BSD-3-Clause, the PyTorch vision authors).

using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Cnnc.Engine.Models.Architectures;

/// <summary>
/// SqueezeNet (Iandola et al., "SqueezeNet: AlexNet-level accuracy with 50x fewer parameters and &lt;0.5MB model size",
/// arXiv 1602.07360) in its versions 1.0 (the paper's) and 1.1 (from the SqueezeNet repository: 2.4× less computation),
/// as torchvision 0.14's <c>squeezenet1_0</c> and <c>squeezenet1_1</c> build them: <c>features.0</c> …
/// <c>features.12</c> (conv, ReLU, max pools and eight Fire modules; the pools sit at 2, 6, 11 in 1.0 and 2, 5, 8 in
/// 1.1) and a convolutional classifier <c>classifier.0</c> … <c>classifier.3</c> (dropout 0.5, 1x1 conv to the
/// classes, ReLU, global average pool). Parameter names are torchvision's, so its state dicts load unchanged.
/// </summary>
/// <remarks>
/// <para>Scaling: <see cref="ArchitectureOptions.Width"/> scales the stem's channels and every Fire module's squeeze
/// and expand widths; <see cref="ArchitectureOptions.InputChannels"/> sets <c>features.0</c>'s input channels and
/// <see cref="ArchitectureOptions.NumClasses"/> <c>classifier.1</c>'s outputs.</para>
/// <para>Small input (<see cref="ArchitectureOptions.IsSmallInput"/>): <c>features.0</c> is a 3x3 convolution with
/// stride 1 and padding 1 (torchvision: 7x7 for 1.0 or 3x3 for 1.1, stride 2, no padding), and the first max pool
/// <c>features.2</c> is an identity; the two other pools remain (28 → 28, 14, 7: <c>features.12</c> is 7x7).</para>
/// <para>Default explanation layer: <c>features.12</c>, the last Fire module, in both versions.</para>
/// </remarks>
public sealed class SqueezeNet : nn.Module<Tensor, Tensor>, IClassifierHead
{
    private readonly Sequential features;
    private readonly Sequential classifier;

    /// <summary>Builds SqueezeNet 1.0 or 1.1.</summary>
    /// <param name="version">"1_0" or "1_1", as torchvision's <c>SqueezeNet(version=…)</c>.</param>
    /// <param name="options">Scale and input configuration; <see cref="ArchitectureOptions.ImageNet"/> is torchvision's.</param>
    /// <param name="dropout">Dropout probability before the final convolution (torchvision: 0.5).</param>
    public SqueezeNet(string version, ArchitectureOptions options, double dropout = 0.5) : base("SqueezeNet" + version)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (version is not ("1_0" or "1_1"))
            throw new ArgumentException($"Unsupported SqueezeNet version {version}: 1_0 or 1_1 expected");
        var s = options.Scale;
        Fire MakeFire(int inplanes, int squeeze, int expand) => new(inplanes, s(squeeze, 4), s(expand, 4), s(expand, 4));
        nn.Module<Tensor, Tensor> MaxPool() => nn.MaxPool2d(kernel_size: 3, stride: 2, ceil_mode: true);

        var small = options.IsSmallInput;
        var v10 = version == "1_0";
        var stemChannels = s(v10 ? 96 : 64, 4);
        nn.Module<Tensor, Tensor> stem = small
            ? nn.Conv2d(options.InputChannels, stemChannels, kernel_size: 3, stride: 1, padding: 1)
            : nn.Conv2d(options.InputChannels, stemChannels, kernel_size: v10 ? 7 : 3, stride: 2);
        var layers = new List<nn.Module<Tensor, Tensor>> { stem, nn.ReLU(inplace: true), small ? nn.Identity() : MaxPool() };
        // (squeeze, expand) of the eight Fire modules, and after which of them a max pool follows.
        (int Squeeze, int Expand)[] fires = [(16, 64), (16, 64), (32, 128), (32, 128), (48, 192), (48, 192), (64, 256), (64, 256)];
        int[] poolsAfter = v10 ? [2, 6] : [1, 3];
        var channels = stemChannels;
        for (var i = 0; i < fires.Length; i++)
        {
            var fire = MakeFire(channels, fires[i].Squeeze, fires[i].Expand);
            layers.Add(fire);
            channels = fire.OutputChannels;
            if (poolsAfter.Contains(i)) layers.Add(MaxPool());
        }
        features = nn.Sequential(layers);

        var finalConv = nn.Conv2d(channels, options.NumClasses, kernel_size: 1);
        classifier = nn.Sequential(
            nn.Dropout(dropout),
            finalConv,
            nn.ReLU(inplace: true),
            nn.AdaptiveAvgPool2d([1, 1]));
        RegisterComponents();

        // torchvision's init: Kaiming-uniform convolutions, N(0, 0.01) for the final one, zero biases.
        using var _ = no_grad();
        foreach (var (_, m) in named_modules())
        {
            if (m is not Conv2d conv) continue;
            if (ReferenceEquals(conv, finalConv)) nn.init.normal_(conv.weight, 0.0, 0.01);
            else nn.init.kaiming_uniform_(conv.weight);
            if (conv.bias is not null) nn.init.zeros_(conv.bias);
        }
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var f = features.call(ChannelsLast.Prepare(this, input));
        return scope.MoveToOuter(Head(f));
    }

    /// <inheritdoc/>
    public string HeadInputLayer => "features.12";

    /// <inheritdoc/>
    public Tensor Head(Tensor layerOutput)
    {
        using var c = classifier.call(layerOutput);
        return c.flatten(1);
    }

    /// <summary>torchvision's <c>Fire</c>: 1x1 squeeze, then concatenated 1x1 and 3x3 expands, each with ReLU.</summary>
    private sealed class Fire : nn.Module<Tensor, Tensor>
    {
        private readonly Conv2d squeeze;
        private readonly ReLU squeeze_activation;
        private readonly Conv2d expand1x1;
        private readonly ReLU expand1x1_activation;
        private readonly Conv2d expand3x3;
        private readonly ReLU expand3x3_activation;

        public Fire(int inplanes, int squeezePlanes, int expand1x1Planes, int expand3x3Planes) : base("Fire")
        {
            squeeze = nn.Conv2d(inplanes, squeezePlanes, kernel_size: 1);
            squeeze_activation = nn.ReLU(inplace: true);
            expand1x1 = nn.Conv2d(squeezePlanes, expand1x1Planes, kernel_size: 1);
            expand1x1_activation = nn.ReLU(inplace: true);
            expand3x3 = nn.Conv2d(squeezePlanes, expand3x3Planes, kernel_size: 3, padding: 1);
            expand3x3_activation = nn.ReLU(inplace: true);
            OutputChannels = expand1x1Planes + expand3x3Planes;
            RegisterComponents();
        }

        public int OutputChannels { get; }

        public override Tensor forward(Tensor x)
        {
            using var sq = squeeze.call(x);
            using var sqa = squeeze_activation.call(sq);
            using var e1 = expand1x1.call(sqa);
            using var e1a = expand1x1_activation.call(e1);
            using var e3 = expand3x3.call(sqa);
            using var e3a = expand3x3_activation.call(e3);
            return cat([e1a, e3a], 1);
        }
    }
}
