// Translated from torchvision 0.14's torchvision/models/vgg.py (BSD-3-Clause, the PyTorch vision authors).

using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Cnnc.Engine.Models.Architectures;

/// <summary>
/// VGG (Simonyan &amp; Zisserman, "Very Deep Convolutional Networks for Large-Scale Image Recognition",
/// arXiv 1409.1556), configurations A (11 layers), B (13), D (16) and E (19), with or without BatchNorm, as
/// torchvision 0.14's <c>vgg11</c> … <c>vgg19_bn</c> build them: <c>features</c> (3×3 convolutions with bias, then
/// BatchNorm when <c>_bn</c>, ReLU; 2×2 max pools), <c>avgpool</c> (adaptive, 7×7) and <c>classifier</c> (linear 4096,
/// ReLU, dropout, linear 4096, ReLU, dropout, linear). State-dict keys and initialisation are torchvision's
/// (Kaiming-normal fan-out convolutions with zero bias, BatchNorm 1 / 0, linear N(0, 0.01) with zero bias).
/// </summary>
/// <remarks>
/// <para>Default explanation layer: the last ReLU of <c>features</c> (the last convolution stage, 14×14 at 224 px;
/// <c>features.19</c> for vgg11, <c>features.27</c> for vgg11_bn …), as AlexNet's <c>features.11</c>; the final max
/// pool after it is part of the head.</para>
/// <para>Scaling: <see cref="ArchitectureOptions.Width"/> scales every convolution and the two hidden widths (4096);
/// <c>features.0</c> takes <see cref="ArchitectureOptions.InputChannels"/> and the last linear layer gives
/// <see cref="ArchitectureOptions.NumClasses"/>.</para>
/// <para>Small input (<see cref="ArchitectureOptions.IsSmallInput"/>, below 64 px, as the CIFAR VGGs): the first two
/// max pools are identities (28 → 28, 28, 14, 7: the default layer is 7×7, the final pool gives 3×3) and
/// <c>avgpool</c> averages to 1×1, so <c>classifier.0</c> takes the channels only (not 7·7 of them): same keys, a
/// small classifier.</para>
/// <para>Inputs must be at least 32 px at ImageNet scale (five halvings) and 8 px with the small-input layout.
/// Unlike torchvision, the ReLUs are not in place.</para>
/// </remarks>
public sealed class VGG : nn.Module<Tensor, Tensor>, IClassifierHead
{
    private const int Pool = 0;

    private static readonly IReadOnlyDictionary<char, int[]> Configurations = new Dictionary<char, int[]>
    {
        ['A'] = [64, Pool, 128, Pool, 256, 256, Pool, 512, 512, Pool, 512, 512, Pool],
        ['B'] = [64, 64, Pool, 128, 128, Pool, 256, 256, Pool, 512, 512, Pool, 512, 512, Pool],
        ['D'] = [64, 64, Pool, 128, 128, Pool, 256, 256, 256, Pool, 512, 512, 512, Pool, 512, 512, 512, Pool],
        ['E'] = [64, 64, Pool, 128, 128, Pool, 256, 256, 256, 256, Pool, 512, 512, 512, 512, Pool, 512, 512, 512, 512, Pool],
    };

    private readonly Sequential features;
    private readonly AdaptiveAvgPool2d avgpool;
    private readonly Sequential classifier;
    private readonly nn.Module<Tensor, Tensor> finalPool;
    private readonly long minimumInput;
    private readonly string network;

    /// <summary>Builds a VGG.</summary>
    /// <param name="configuration">'A' (vgg11), 'B' (vgg13), 'D' (vgg16) or 'E' (vgg19).</param>
    /// <param name="batchNorm">True for the <c>_bn</c> variants.</param>
    /// <param name="options">Classes, input channels and size, width.</param>
    /// <param name="dropout">Dropout probability in the classifier (torchvision: 0.5).</param>
    public VGG(char configuration, bool batchNorm, ArchitectureOptions options, double dropout = 0.5)
        : base($"VGG{configuration}{(batchNorm ? "_bn" : "")}")
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!Configurations.TryGetValue(configuration, out var cfg))
            throw new ArgumentException($"VGG configuration must be A, B, D or E (got '{configuration}').", nameof(configuration));
        network = Name(configuration, batchNorm);
        var small = options.IsSmallInput;
        minimumInput = small ? 8 : 32; // five (small input: three) halvings

        var layers = new List<nn.Module<Tensor, Tensor>>();
        long inChannels = options.InputChannels;
        var pools = 0;
        foreach (var v in cfg)
        {
            if (v == Pool)
            {
                layers.Add(small && pools < 2 ? nn.Identity() : nn.MaxPool2d(kernel_size: 2, stride: 2));
                pools++;
                continue;
            }
            var channels = options.Scale(v);
            layers.Add(nn.Conv2d(inChannels, channels, kernel_size: 3, padding: 1));
            if (batchNorm) layers.Add(nn.BatchNorm2d(channels));
            layers.Add(nn.ReLU());
            inChannels = channels;
        }
        features = nn.Sequential(layers);
        finalPool = layers[^1];
        DefaultLayer = DefaultLayerOf(configuration, batchNorm);

        var grid = small ? 1 : 7;
        var hidden = options.Scale(4096);
        avgpool = nn.AdaptiveAvgPool2d(grid);
        classifier = nn.Sequential(
            nn.Linear(inChannels * grid * grid, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, options.NumClasses));
        RegisterComponents();

        using var _ = no_grad();
        foreach (var (_, m) in named_modules())
        {
            switch (m)
            {
                case Conv2d conv:
                    nn.init.kaiming_normal_(conv.weight, mode: nn.init.FanInOut.FanOut, nonlinearity: nn.init.NonlinearityType.ReLU);
                    if (conv.bias is not null) nn.init.zeros_(conv.bias);
                    break;
                case BatchNorm2d bn:
                    nn.init.ones_(bn.weight);
                    nn.init.zeros_(bn.bias);
                    break;
                case Linear linear:
                    nn.init.normal_(linear.weight, 0, 0.01);
                    if (linear.bias is not null) nn.init.zeros_(linear.bias);
                    break;
            }
        }
    }

    /// <summary>The module path of the last ReLU of <c>features</c> (the default explanation layer).</summary>
    public string DefaultLayer { get; }

    /// <summary>torchvision's builder name, e.g. "vgg16_bn".</summary>
    public static string Name(char configuration, bool batchNorm) =>
        configuration switch { 'A' => "vgg11", 'B' => "vgg13", 'D' => "vgg16", 'E' => "vgg19", _ => "vgg" } + (batchNorm ? "_bn" : "");

    /// <summary>The last ReLU of <c>features</c>: one module before the final max pool.</summary>
    public static string DefaultLayerOf(char configuration, bool batchNorm)
    {
        var cfg = Configurations[configuration];
        var modules = cfg.Sum(v => v == Pool ? 1 : batchNorm ? 3 : 2);
        return $"features.{modules - 2}";
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        InputSizeCheck.AtLeast(input, minimumInput, network);
        using var scope = NewDisposeScope();
        var x = features.call(ChannelsLast.Prepare(this, input));
        using var pooled = avgpool.call(x);
        return scope.MoveToOuter(classifier.call(pooled.flatten(1)));
    }

    /// <inheritdoc/>
    public string HeadInputLayer => DefaultLayer;

    /// <inheritdoc/>
    /// <remarks>forward runs <c>features</c> as one module (so hooks on it fire); this is its last step (the final max
    /// pool) plus the rest.</remarks>
    public Tensor Head(Tensor layerOutput)
    {
        using var scope = NewDisposeScope();
        var x = avgpool.call(finalPool.call(layerOutput)).flatten(1);
        return scope.MoveToOuter(classifier.call(x));
    }
}
