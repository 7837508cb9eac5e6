// Translated from torchvision 0.14's torchvision/models/densenet.py (BSD-3-Clause, the PyTorch vision authors).

using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Cnnc.Engine.Models.Architectures;

/// <summary>
/// DenseNet-BC (Huang et al., "Densely Connected Convolutional Networks"), as torchvision 0.14 builds it with
/// <c>memory_efficient=False</c> and <c>drop_rate=0</c>. Parameter and buffer names are torchvision's
/// (<c>features.conv0</c>, <c>features.denseblock1.denselayer1.norm1</c>, <c>features.transition1.conv</c>,
/// <c>features.norm5</c>, <c>classifier</c>), so its state dicts load unchanged.
/// </summary>
/// <remarks>
/// <para>Scaling: <see cref="ArchitectureOptions.Width"/> scales the growth rate and the stem's feature count;
/// <see cref="ArchitectureOptions.InputChannels"/> sets <c>features.conv0</c>'s input channels and
/// <see cref="ArchitectureOptions.NumClasses"/> the classifier's outputs.</para>
/// <para>Small input (<see cref="ArchitectureOptions.IsSmallInput"/>): <c>features.conv0</c> becomes a 3x3
/// convolution with stride 1 and padding 1, and <c>features.pool0</c> an identity, so the stem keeps the input
/// resolution; the three transitions still halve it (28 → 28, 14, 7, 3: <c>features.norm5</c> is 3x3).</para>
/// <para>The ReLU after <c>features.norm5</c> is not in place, so a forward hook on <c>features.norm5</c> keeps the
/// BatchNorm output (torchvision applies it in place; the logits are the same).</para>
/// </remarks>
public sealed class DenseNet : nn.Module<Tensor, Tensor>, IClassifierHead
{
    private readonly Sequential features;
    private readonly Linear classifier;

    /// <summary>Builds a DenseNet-BC.</summary>
    /// <param name="growthRate">Channels each dense layer adds (k in the paper), before width scaling.</param>
    /// <param name="blockConfig">Number of dense layers in each of the four blocks.</param>
    /// <param name="numInitFeatures">Channels of the stem convolution, before width scaling.</param>
    /// <param name="options">Scale and input configuration.</param>
    /// <param name="bnSize">Bottleneck factor: each layer's 1x1 convolution has <c>bnSize * growthRate</c> channels.</param>
    /// <param name="name">Module name.</param>
    public DenseNet(int growthRate, IReadOnlyList<int> blockConfig, int numInitFeatures, ArchitectureOptions options,
        int bnSize = 4, string name = "DenseNet") : base(name)
    {
        ArgumentNullException.ThrowIfNull(blockConfig);
        ArgumentNullException.ThrowIfNull(options);
        var growth = options.Scale(growthRate);
        var initFeatures = options.Scale(numInitFeatures);

        var stem = options.IsSmallInput
            ? new (string, nn.Module<Tensor, Tensor>)[]
            {
                ("conv0", nn.Conv2d(options.InputChannels, initFeatures, kernel_size: 3, stride: 1, padding: 1, bias: false)),
                ("norm0", nn.BatchNorm2d(initFeatures)),
                ("relu0", nn.ReLU(inplace: true)),
                ("pool0", nn.Identity()),
            }
            : new (string, nn.Module<Tensor, Tensor>)[]
            {
                ("conv0", nn.Conv2d(options.InputChannels, initFeatures, kernel_size: 7, stride: 2, padding: 3, bias: false)),
                ("norm0", nn.BatchNorm2d(initFeatures)),
                ("relu0", nn.ReLU(inplace: true)),
                ("pool0", nn.MaxPool2d(kernel_size: 3, stride: 2, padding: 1)),
            };
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>(stem);

        var numFeatures = initFeatures;
        for (var i = 0; i < blockConfig.Count; i++)
        {
            layers.Add(($"denseblock{i + 1}", new DenseBlock(blockConfig[i], numFeatures, bnSize, growth)));
            numFeatures += blockConfig[i] * growth;
            if (i != blockConfig.Count - 1)
            {
                layers.Add(($"transition{i + 1}", Transition(numFeatures, numFeatures / 2)));
                numFeatures /= 2;
            }
        }
        layers.Add(("norm5", nn.BatchNorm2d(numFeatures)));
        features = nn.Sequential(layers.ToArray());
        classifier = nn.Linear(numFeatures, options.NumClasses);
        RegisterComponents();

        // torchvision's "official init from torch repo".
        using var _ = no_grad();
        foreach (var (_, m) in named_modules())
        {
            switch (m)
            {
                case Conv2d conv:
                    nn.init.kaiming_normal_(conv.weight);
                    break;
                case BatchNorm2d bn:
                    nn.init.ones_(bn.weight);
                    nn.init.zeros_(bn.bias);
                    break;
                case Linear linear:
                    nn.init.zeros_(linear.bias);
                    break;
            }
        }
    }

    /// <summary>DenseNet-121: growth 32, blocks (6, 12, 24, 16), 64 initial features.</summary>
    public static DenseNet DenseNet121(ArchitectureOptions options) => new(32, [6, 12, 24, 16], 64, options, name: "DenseNet121");

    /// <summary>DenseNet-161: growth 48, blocks (6, 12, 36, 24), 96 initial features.</summary>
    public static DenseNet DenseNet161(ArchitectureOptions options) => new(48, [6, 12, 36, 24], 96, options, name: "DenseNet161");

    /// <summary>DenseNet-169: growth 32, blocks (6, 12, 32, 32), 64 initial features.</summary>
    public static DenseNet DenseNet169(ArchitectureOptions options) => new(32, [6, 12, 32, 32], 64, options, name: "DenseNet169");

    /// <summary>DenseNet-201: growth 32, blocks (6, 12, 48, 32), 64 initial features.</summary>
    public static DenseNet DenseNet201(ArchitectureOptions options) => new(32, [6, 12, 48, 32], 64, options, name: "DenseNet201");

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var f = features.call(ChannelsLast.Prepare(this, input));
        return scope.MoveToOuter(Head(f));
    }

    /// <inheritdoc/>
    public string HeadInputLayer => "features.norm5";

    /// <inheritdoc/>
    public Tensor Head(Tensor layerOutput)
    {
        using var relu = nn.functional.relu(layerOutput);
        using var pooled = nn.functional.adaptive_avg_pool2d(relu, [1, 1]);
        using var flat = pooled.flatten(1);
        return classifier.call(flat);
    }

    private static Sequential Transition(int inputFeatures, int outputFeatures) => nn.Sequential(
        ("norm", nn.BatchNorm2d(inputFeatures)),
        ("relu", nn.ReLU(inplace: true)),
        ("conv", nn.Conv2d(inputFeatures, outputFeatures, kernel_size: 1, stride: 1, bias: false)),
        ("pool", nn.AvgPool2d(kernel_size: 2, stride: 2)));

    /// <summary>
    /// torchvision's <c>_DenseLayer</c>: BN-ReLU-1x1 conv bottleneck, then BN-ReLU-3x3 conv adding
    /// <c>growthRate</c> channels. Its input is the concatenation of all earlier features of the block
    /// (torchvision concatenates inside the layer; the block does it here, with the same result).
    /// </summary>
    private sealed class DenseLayer : nn.Module<Tensor, Tensor>
    {
        private readonly BatchNorm2d norm1;
        private readonly ReLU relu1;
        private readonly Conv2d conv1;
        private readonly BatchNorm2d norm2;
        private readonly ReLU relu2;
        private readonly Conv2d conv2;

        public DenseLayer(int inputFeatures, int growthRate, int bnSize) : base("DenseLayer")
        {
            norm1 = nn.BatchNorm2d(inputFeatures);
            relu1 = nn.ReLU(inplace: true);
            conv1 = nn.Conv2d(inputFeatures, bnSize * growthRate, kernel_size: 1, stride: 1, bias: false);
            norm2 = nn.BatchNorm2d(bnSize * growthRate);
            relu2 = nn.ReLU(inplace: true);
            conv2 = nn.Conv2d(bnSize * growthRate, growthRate, kernel_size: 3, stride: 1, padding: 1, bias: false);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            using var n1 = norm1.call(input);
            using var r1 = relu1.call(n1);
            using var c1 = conv1.call(r1);
            using var n2 = norm2.call(c1);
            using var r2 = relu2.call(n2);
            return conv2.call(r2);
        }
    }

    /// <summary>torchvision's <c>_DenseBlock</c>: children <c>denselayer1</c> … <c>denselayerN</c>.</summary>
    private sealed class DenseBlock : nn.Module<Tensor, Tensor>
    {
        private readonly List<DenseLayer> layers = [];

        public DenseBlock(int numLayers, int inputFeatures, int bnSize, int growthRate) : base("DenseBlock")
        {
            for (var i = 0; i < numLayers; i++)
            {
                var layer = new DenseLayer(inputFeatures + i * growthRate, growthRate, bnSize);
                layers.Add(layer);
                register_module($"denselayer{i + 1}", layer);
            }
        }

        public override Tensor forward(Tensor input)
        {
            // The input stays the caller's; only the new features made here are disposed here.
            var collected = new List<Tensor>(layers.Count + 1) { input };
            try
            {
                foreach (var layer in layers)
                {
                    using var concatenated = cat(collected, 1);
                    collected.Add(layer.call(concatenated));
                }
                return cat(collected, 1);
            }
            finally
            {
                for (var i = 1; i < collected.Count; i++) collected[i].Dispose();
            }
        }
    }
}
