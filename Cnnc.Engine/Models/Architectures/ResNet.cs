using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Cnnc.Engine.Models.Architectures;

/// <summary>
/// ResNet (He et al., 2016) as torchvision 0.14 builds it: the same module tree, the same state-dict keys
/// (<c>conv1</c>, <c>bn1</c>, <c>layer1</c>…<c>layer4</c> of <see cref="BasicBlock"/> or <see cref="Bottleneck"/>
/// blocks, <c>fc</c>) and the same weight initialisation (Kaiming-normal, fan-out, ReLU gain for convolutions; BatchNorm
/// weight 1, bias 0; default <c>Linear</c> init for <c>fc</c>). With <c>groups</c> and <c>width_per_group</c> it is
/// also torchvision's ResNeXt (Xie et al., "Aggregated Residual Transformations for Deep Neural Networks",
/// arXiv 1611.05431: grouped 3×3 convolutions in the bottleneck) and Wide ResNet (Zagoruyko &amp; Komodakis,
/// arXiv 1605.07146, as torchvision defines it: bottlenecks twice as wide, outputs unchanged).
/// </summary>
/// <remarks>
/// <para>Scaling: every channel count (stem, the four stages, hence <c>fc</c>'s input) is
/// <see cref="ArchitectureOptions.Scale"/>d by <see cref="ArchitectureOptions.Width"/>; <c>conv1</c> takes
/// <see cref="ArchitectureOptions.InputChannels"/> and <c>fc</c> gives <see cref="ArchitectureOptions.NumClasses"/>.</para>
/// <para>Small-input adaptation (<see cref="ArchitectureOptions.IsSmallInput"/>, input below 64 pixels): <c>conv1</c>
/// becomes a 3×3 convolution with stride 1 and padding 1 (instead of 7×7, stride 2, padding 3) and <c>maxpool</c> becomes
/// an <see cref="TorchSharp.Modules.Identity"/> (no parameters, so the state-dict keys are unchanged), as in the usual
/// CIFAR ResNets. The total stride drops from 32 to 8: a 28×28 input gives a 4×4 <c>layer4</c> output.</para>
/// <para>Unlike torchvision, activations are not computed in place, so a forward hook's captured output is never
/// overwritten later in the pass. Submodules are always invoked through <c>call</c>, so forward hooks fire.</para>
/// </remarks>
public sealed class ResNet : Module<Tensor, Tensor>, IClassifierHead
{
    private readonly Module<Tensor, Tensor> conv1;
    private readonly Module<Tensor, Tensor> bn1;
    private readonly Module<Tensor, Tensor> relu;
    private readonly Module<Tensor, Tensor> maxpool;
    private readonly TorchSharp.Modules.Sequential layer1;
    private readonly TorchSharp.Modules.Sequential layer2;
    private readonly TorchSharp.Modules.Sequential layer3;
    private readonly TorchSharp.Modules.Sequential layer4;
    private readonly Module<Tensor, Tensor> avgpool;
    private readonly Module<Tensor, Tensor> fc;

    private readonly int groups;
    private readonly int widthPerGroup;
    private int inPlanes;

    /// <summary>Builds a ResNet from a block kind and the number of blocks per stage.</summary>
    /// <param name="name">Module name, e.g. "resnet18".</param>
    /// <param name="bottleneck">True for <see cref="Bottleneck"/> blocks (expansion 4), false for <see cref="BasicBlock"/>.</param>
    /// <param name="layers">Blocks in <c>layer1</c>…<c>layer4</c>.</param>
    /// <param name="options">Classes, input channels and size, width.</param>
    /// <param name="groups">Groups of the bottleneck's 3×3 convolution (ResNeXt's cardinality). Default 1.</param>
    /// <param name="widthPerGroup">torchvision's <c>width_per_group</c>: the bottleneck is
    /// <c>planes · widthPerGroup / 64 · groups</c> wide. Default 64.</param>
    public ResNet(string name, bool bottleneck, IReadOnlyList<int> layers, ArchitectureOptions options, int groups = 1,
        int widthPerGroup = 64) : base(name)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (layers.Count != 4) throw new ArgumentException($"ResNet needs 4 stage lengths (got {layers.Count}).", nameof(layers));
        if (!bottleneck && (groups != 1 || widthPerGroup != 64))
            throw new ArgumentException("BasicBlock only supports groups=1 and base_width=64");
        if (groups < 1 || widthPerGroup < 1) throw new ArgumentException($"groups and widthPerGroup must be positive (got {groups}, {widthPerGroup}).");
        this.groups = groups;
        this.widthPerGroup = widthPerGroup;
        var expansion = bottleneck ? Bottleneck.Expansion : BasicBlock.Expansion;

        inPlanes = options.Scale(64);
        conv1 = options.IsSmallInput
            ? Conv2d(options.InputChannels, inPlanes, kernel_size: 3, stride: 1, padding: 1, bias: false)
            : Conv2d(options.InputChannels, inPlanes, kernel_size: 7, stride: 2, padding: 3, bias: false);
        bn1 = BatchNorm2d(inPlanes);
        relu = ReLU();
        maxpool = options.IsSmallInput ? Identity() : MaxPool2d(kernel_size: 3, stride: 2, padding: 1);
        layer1 = MakeLayer(bottleneck, options.Scale(64), layers[0], 1);
        layer2 = MakeLayer(bottleneck, options.Scale(128), layers[1], 2);
        layer3 = MakeLayer(bottleneck, options.Scale(256), layers[2], 2);
        layer4 = MakeLayer(bottleneck, options.Scale(512), layers[3], 2);
        avgpool = AdaptiveAvgPool2d(new long[] { 1, 1 });
        fc = Linear(options.Scale(512) * expansion, options.NumClasses);

        RegisterComponents();

        using (no_grad())
        {
            foreach (var (_, m) in named_modules())
            {
                switch (m)
                {
                    case TorchSharp.Modules.Conv2d conv:
                        init.kaiming_normal_(conv.weight, mode: init.FanInOut.FanOut, nonlinearity: init.NonlinearityType.ReLU);
                        break;
                    case TorchSharp.Modules.BatchNorm2d bn:
                        init.ones_(bn.weight);
                        init.zeros_(bn.bias);
                        break;
                }
            }
        }
    }

    private TorchSharp.Modules.Sequential MakeLayer(bool bottleneck, int planes, int blocks, int stride)
    {
        var expansion = bottleneck ? Bottleneck.Expansion : BasicBlock.Expansion;
        TorchSharp.Modules.Sequential? downsample = null;
        if (stride != 1 || inPlanes != planes * expansion)
            downsample = Sequential(
                Conv2d(inPlanes, planes * expansion, kernel_size: 1, stride: stride, bias: false),
                BatchNorm2d(planes * expansion));

        var modules = new List<Module<Tensor, Tensor>>
        {
            bottleneck
                ? new Bottleneck(inPlanes, planes, stride, downsample, groups, widthPerGroup)
                : new BasicBlock(inPlanes, planes, stride, downsample),
        };
        inPlanes = planes * expansion;
        for (var i = 1; i < blocks; i++)
            modules.Add(bottleneck ? new Bottleneck(inPlanes, planes, 1, null, groups, widthPerGroup) : new BasicBlock(inPlanes, planes, 1, null));
        return Sequential(modules.ToArray());
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = maxpool.call(relu.call(bn1.call(conv1.call(ChannelsLast.Prepare(this, input)))));
        x = layer1.call(x);
        x = layer2.call(x);
        x = layer3.call(x);
        x = layer4.call(x);
        return scope.MoveToOuter(Head(x));
    }

    /// <inheritdoc/>
    public string HeadInputLayer => "layer4";

    /// <inheritdoc/>
    public Tensor Head(Tensor layerOutput)
    {
        using var pooled = avgpool.call(layerOutput);
        using var flat = pooled.flatten(1);
        return fc.call(flat);
    }

    /// <summary>torchvision's resnet18: basic blocks [2, 2, 2, 2].</summary>
    public static ResNet ResNet18(ArchitectureOptions options) => new("resnet18", false, new[] { 2, 2, 2, 2 }, options);

    /// <summary>torchvision's resnet34: basic blocks [3, 4, 6, 3].</summary>
    public static ResNet ResNet34(ArchitectureOptions options) => new("resnet34", false, new[] { 3, 4, 6, 3 }, options);

    /// <summary>torchvision's resnet50: bottleneck blocks [3, 4, 6, 3].</summary>
    public static ResNet ResNet50(ArchitectureOptions options) => new("resnet50", true, new[] { 3, 4, 6, 3 }, options);

    /// <summary>torchvision's resnet101: bottleneck blocks [3, 4, 23, 3].</summary>
    public static ResNet ResNet101(ArchitectureOptions options) => new("resnet101", true, new[] { 3, 4, 23, 3 }, options);

    /// <summary>torchvision's resnet152: bottleneck blocks [3, 8, 36, 3].</summary>
    public static ResNet ResNet152(ArchitectureOptions options) => new("resnet152", true, new[] { 3, 8, 36, 3 }, options);

    /// <summary>torchvision's resnext50_32x4d: resnet50's stages, 32 groups of width 4.</summary>
    public static ResNet ResNeXt50_32x4d(ArchitectureOptions options) => new("resnext50_32x4d", true, new[] { 3, 4, 6, 3 }, options, 32, 4);

    /// <summary>torchvision's resnext101_32x8d: resnet101's stages, 32 groups of width 8.</summary>
    public static ResNet ResNeXt101_32x8d(ArchitectureOptions options) => new("resnext101_32x8d", true, new[] { 3, 4, 23, 3 }, options, 32, 8);

    /// <summary>torchvision's resnext101_64x4d: resnet101's stages, 64 groups of width 4.</summary>
    public static ResNet ResNeXt101_64x4d(ArchitectureOptions options) => new("resnext101_64x4d", true, new[] { 3, 4, 23, 3 }, options, 64, 4);

    /// <summary>torchvision's wide_resnet50_2: resnet50 with bottlenecks twice as wide (width_per_group 128).</summary>
    public static ResNet WideResNet50_2(ArchitectureOptions options) => new("wide_resnet50_2", true, new[] { 3, 4, 6, 3 }, options, 1, 128);

    /// <summary>torchvision's wide_resnet101_2: resnet101 with bottlenecks twice as wide (width_per_group 128).</summary>
    public static ResNet WideResNet101_2(ArchitectureOptions options) => new("wide_resnet101_2", true, new[] { 3, 4, 23, 3 }, options, 1, 128);

    /// <summary>
    /// torchvision's <c>BasicBlock</c>: two 3×3 convolutions with BatchNorm (<c>conv1</c>, <c>bn1</c>, <c>conv2</c>,
    /// <c>bn2</c>), a shared <c>relu</c>, and an optional <c>downsample</c> shortcut (1×1 convolution + BatchNorm).
    /// </summary>
    public sealed class BasicBlock : Module<Tensor, Tensor>
    {
        /// <summary>Output channels per <c>planes</c>: 1.</summary>
        public const int Expansion = 1;

        private readonly Module<Tensor, Tensor> conv1;
        private readonly Module<Tensor, Tensor> bn1;
        private readonly Module<Tensor, Tensor> relu;
        private readonly Module<Tensor, Tensor> conv2;
        private readonly Module<Tensor, Tensor> bn2;
        private readonly Module<Tensor, Tensor>? downsample;

        /// <summary>Builds the block.</summary>
        /// <param name="inPlanes">Input channels.</param>
        /// <param name="planes">Output channels.</param>
        /// <param name="stride">Stride of the first convolution (and of the shortcut).</param>
        /// <param name="downsample">Shortcut projection, or null for the identity.</param>
        public BasicBlock(int inPlanes, int planes, int stride, Module<Tensor, Tensor>? downsample) : base("BasicBlock")
        {
            conv1 = Conv2d(inPlanes, planes, kernel_size: 3, stride: stride, padding: 1, bias: false);
            bn1 = BatchNorm2d(planes);
            relu = ReLU();
            conv2 = Conv2d(planes, planes, kernel_size: 3, stride: 1, padding: 1, bias: false);
            bn2 = BatchNorm2d(planes);
            this.downsample = downsample;
            RegisterComponents();
        }

        /// <inheritdoc/>
        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            var x = relu.call(bn1.call(conv1.call(input)));
            x = bn2.call(conv2.call(x));
            var identity = downsample is null ? input : downsample.call(input);
            return scope.MoveToOuter(relu.call(x + identity));
        }
    }

    /// <summary>
    /// torchvision's <c>Bottleneck</c> (ResNet v1.5, stride on the 3×3 convolution): 1×1, 3×3 and 1×1 convolutions with
    /// BatchNorm (<c>conv1</c>…<c>conv3</c>, <c>bn1</c>…<c>bn3</c>), a shared <c>relu</c>, an optional <c>downsample</c>.
    /// The inner width is <c>planes · widthPerGroup / 64 · groups</c> and the 3×3 convolution is grouped (ResNeXt).
    /// </summary>
    public sealed class Bottleneck : Module<Tensor, Tensor>
    {
        /// <summary>Output channels per <c>planes</c>: 4.</summary>
        public const int Expansion = 4;

        private readonly Module<Tensor, Tensor> conv1;
        private readonly Module<Tensor, Tensor> bn1;
        private readonly Module<Tensor, Tensor> conv2;
        private readonly Module<Tensor, Tensor> bn2;
        private readonly Module<Tensor, Tensor> conv3;
        private readonly Module<Tensor, Tensor> bn3;
        private readonly Module<Tensor, Tensor> relu;
        private readonly Module<Tensor, Tensor>? downsample;

        /// <summary>Builds the block.</summary>
        /// <param name="inPlanes">Input channels.</param>
        /// <param name="planes">Inner width; the output has <c>4 * planes</c> channels.</param>
        /// <param name="stride">Stride of the 3×3 convolution (and of the shortcut).</param>
        /// <param name="downsample">Shortcut projection, or null for the identity.</param>
        /// <param name="groups">Groups of the 3×3 convolution.</param>
        /// <param name="widthPerGroup">torchvision's <c>base_width</c>.</param>
        public Bottleneck(int inPlanes, int planes, int stride, Module<Tensor, Tensor>? downsample, int groups = 1,
            int widthPerGroup = 64) : base("Bottleneck")
        {
            var width = (int)(planes * (widthPerGroup / 64.0)) * groups;
            if (width < 1) throw new ArgumentException($"Bottleneck width {planes}·{widthPerGroup}/64·{groups} is below one channel.");
            conv1 = Conv2d(inPlanes, width, kernel_size: 1, bias: false);
            bn1 = BatchNorm2d(width);
            conv2 = Conv2d(width, width, kernel_size: 3, stride: stride, padding: 1, groups: groups, bias: false);
            bn2 = BatchNorm2d(width);
            conv3 = Conv2d(width, planes * Expansion, kernel_size: 1, bias: false);
            bn3 = BatchNorm2d(planes * Expansion);
            relu = ReLU();
            this.downsample = downsample;
            RegisterComponents();
        }

        /// <inheritdoc/>
        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            var x = relu.call(bn1.call(conv1.call(input)));
            x = relu.call(bn2.call(conv2.call(x)));
            x = bn3.call(conv3.call(x));
            var identity = downsample is null ? input : downsample.call(input);
            return scope.MoveToOuter(relu.call(x + identity));
        }
    }
}
