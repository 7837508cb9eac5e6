// Translated from torchvision 0.14's torchvision/models/googlenet.py (BSD-3-Clause, the PyTorch vision authors).

using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Cnnc.Engine.Models.Architectures;

/// <summary>
/// GoogLeNet (Inception v1; Szegedy et al., "Going Deeper with Convolutions", arXiv 1409.4842), as torchvision 0.14's
/// <c>googlenet(weights=…)</c> leaves it: <c>conv1</c> … <c>conv3</c> (<see cref="BasicConv2d"/>: conv without bias,
/// BatchNorm eps 0.001, ReLU), max pools, the nine <see cref="Inception"/> modules <c>inception3a</c> …
/// <c>inception5b</c>, global average pooling, dropout 0.2 and <c>fc</c>. Like torchvision's, the "5×5" branch uses a
/// 3×3 convolution (torchvision keeps that quirk so its weights load).
/// </summary>
/// <remarks>
/// <para>Published-weights semantics: the input is re-normalised by the network itself (<c>transform_input</c>: the
/// published weights expect ImageNet-normalised input and undo it to the [−1, 1] range of the original Caffe model),
/// and there are no auxiliary heads — torchvision drops <c>aux1</c> / <c>aux2</c> after loading the published file,
/// whose 20 aux keys this model accepts and ignores when loading (<see cref="Weights.IStateDictAdapter"/>).</para>
/// <para>Default explanation layer: <c>inception5b</c> (7×7 at 224 px). Initialisation as torchvision's
/// (<c>trunc_normal_(std 0.01, a −2, b 2)</c> for convolution and linear weights, BatchNorm 1 / 0). Width scales every
/// branch; <see cref="ArchitectureOptions.InputChannels"/> other than 3 turns <c>transform_input</c> off (it is
/// defined for RGB). Inputs must be at least 15 px (torchvision's <c>min_size</c>); there is no small-input stem
/// (28 px gives a 1×1 <c>inception5b</c>). Unlike torchvision, the ReLUs are not in place.</para>
/// </remarks>
public sealed class GoogLeNet : nn.Module<Tensor, Tensor>, IClassifierHead, Weights.IStateDictAdapter
{
    /// <summary>Smallest input side (torchvision's <c>min_size</c>).</summary>
    public const int MinimumInputSize = 15;

    private readonly BasicConv2d conv1;
    private readonly MaxPool2d maxpool1;
    private readonly BasicConv2d conv2;
    private readonly BasicConv2d conv3;
    private readonly MaxPool2d maxpool2;
    private readonly Inception inception3a;
    private readonly Inception inception3b;
    private readonly MaxPool2d maxpool3;
    private readonly Inception inception4a;
    private readonly Inception inception4b;
    private readonly Inception inception4c;
    private readonly Inception inception4d;
    private readonly Inception inception4e;
    private readonly MaxPool2d maxpool4;
    private readonly Inception inception5a;
    private readonly Inception inception5b;
    private readonly AdaptiveAvgPool2d avgpool;
    private readonly Dropout dropout;
    private readonly Linear fc;

    /// <summary>Builds GoogLeNet.</summary>
    /// <param name="options">Classes, input channels and size, width.</param>
    /// <param name="transformInput">torchvision's <c>transform_input</c>; default: on for 3 input channels (as the
    /// builder sets it for the published weights).</param>
    /// <param name="dropoutProbability">Dropout before <c>fc</c> (torchvision: 0.2).</param>
    public GoogLeNet(ArchitectureOptions options, bool? transformInput = null, double dropoutProbability = 0.2) : base("GoogLeNet")
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.InputSize < MinimumInputSize)
            throw new ArgumentException($"googlenet needs images of at least {MinimumInputSize}×{MinimumInputSize} pixels (got InputSize {options.InputSize}).");
        TransformInput = transformInput ?? options.InputChannels == 3;
        if (TransformInput && options.InputChannels != 3)
            throw new ArgumentException($"transform_input is defined for 3 input channels (got {options.InputChannels}).");
        var s = options.Scale;
        conv1 = new BasicConv2d(options.InputChannels, s(64), 7, stride: 2, padding: 3);
        maxpool1 = nn.MaxPool2d(3, stride: 2, ceil_mode: true);
        conv2 = new BasicConv2d(s(64), s(64), 1);
        conv3 = new BasicConv2d(s(64), s(192), 3, padding: 1);
        maxpool2 = nn.MaxPool2d(3, stride: 2, ceil_mode: true);
        Inception Block(long input, int c1, int c3r, int c3, int c5r, int c5, int pool) =>
            new(input, s(c1), s(c3r), s(c3), s(c5r), s(c5), s(pool));
        inception3a = Block(s(192), 64, 96, 128, 16, 32, 32);
        inception3b = Block(inception3a.OutputChannels, 128, 128, 192, 32, 96, 64);
        maxpool3 = nn.MaxPool2d(3, stride: 2, ceil_mode: true);
        inception4a = Block(inception3b.OutputChannels, 192, 96, 208, 16, 48, 64);
        inception4b = Block(inception4a.OutputChannels, 160, 112, 224, 24, 64, 64);
        inception4c = Block(inception4b.OutputChannels, 128, 128, 256, 24, 64, 64);
        inception4d = Block(inception4c.OutputChannels, 112, 144, 288, 32, 64, 64);
        inception4e = Block(inception4d.OutputChannels, 256, 160, 320, 32, 128, 128);
        maxpool4 = nn.MaxPool2d(2, stride: 2, ceil_mode: true);
        inception5a = Block(inception4e.OutputChannels, 256, 160, 320, 32, 128, 128);
        inception5b = Block(inception5a.OutputChannels, 384, 192, 384, 48, 128, 128);
        avgpool = nn.AdaptiveAvgPool2d(1);
        dropout = nn.Dropout(dropoutProbability);
        fc = nn.Linear(inception5b.OutputChannels, options.NumClasses);
        RegisterComponents();

        using var _ = no_grad();
        foreach (var (_, m) in named_modules())
        {
            switch (m)
            {
                case Conv2d conv:
                    Layers.TruncatedNormal.Fill(conv.weight, mean: 0.0, std: 0.01, a: -2, b: 2);
                    break;
                case Linear linear:
                    Layers.TruncatedNormal.Fill(linear.weight, mean: 0.0, std: 0.01, a: -2, b: 2);
                    break;
                case BatchNorm2d bn:
                    nn.init.ones_(bn.weight);
                    nn.init.zeros_(bn.bias);
                    break;
            }
        }
    }

    /// <summary>Whether the network re-normalises its input (torchvision's <c>transform_input</c>).</summary>
    public bool TransformInput { get; }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        InputSizeCheck.AtLeast(input, MinimumInputSize, "googlenet");
        using var scope = NewDisposeScope();
        var x = TransformInput ? TransformImageNetInput(input) : input;
        x = ChannelsLast.Prepare(this, x);
        x = maxpool1.call(conv1.call(x));
        x = maxpool2.call(conv3.call(conv2.call(x)));
        x = maxpool3.call(inception3b.call(inception3a.call(x)));
        x = inception4a.call(x);
        x = inception4b.call(x);
        x = inception4c.call(x);
        x = inception4d.call(x);
        x = maxpool4.call(inception4e.call(x));
        x = inception5b.call(inception5a.call(x));
        return scope.MoveToOuter(Head(x));
    }

    /// <summary>
    /// torchvision's <c>_transform_input</c> (GoogLeNet and Inception v3): maps ImageNet-normalised RGB,
    /// <c>(x − mean) / std</c>, to <c>(x − 0.5) / 0.5</c>, channel by channel.
    /// </summary>
    internal static Tensor TransformImageNetInput(Tensor x)
    {
        using var scope = NewDisposeScope();
        double[] mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225];
        var channels = Enumerable.Range(0, 3)
            .Select(c => x[TensorIndex.Colon, TensorIndex.Single(c)].unsqueeze(1) * (std[c] / 0.5) + (mean[c] - 0.5) / 0.5)
            .ToArray();
        return scope.MoveToOuter(cat(channels, 1));
    }

    /// <inheritdoc/>
    public string HeadInputLayer => "inception5b";

    /// <inheritdoc/>
    public Tensor Head(Tensor layerOutput)
    {
        using var scope = NewDisposeScope();
        var x = avgpool.call(layerOutput).flatten(1);
        return scope.MoveToOuter(fc.call(dropout.call(x)));
    }

    /// <summary>The keys of the auxiliary heads in torchvision's published GoogLeNet file (dropped after loading).</summary>
    public static IReadOnlySet<string> AuxiliaryKeys { get; } = new[] { "aux1", "aux2" }
        .SelectMany(aux => new[]
        {
            "conv.conv.weight", "conv.bn.weight", "conv.bn.bias", "conv.bn.running_mean", "conv.bn.running_var",
            "conv.bn.num_batches_tracked", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias",
        }.Select(k => $"{aux}.{k}"))
        .ToHashSet(StringComparer.Ordinal);

    /// <inheritdoc/>
    /// <remarks>Drops exactly <see cref="AuxiliaryKeys"/>, as torchvision's builder does after loading.</remarks>
    public IReadOnlyDictionary<string, Tensor> Adapt(IReadOnlyDictionary<string, Tensor> stateDict, string source) =>
        stateDict.Keys.Any(AuxiliaryKeys.Contains)
            ? stateDict.Where(kv => !AuxiliaryKeys.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal)
            : stateDict;

    /// <summary>torchvision's <c>BasicConv2d</c> (GoogLeNet and Inception v3): <c>conv</c> (no bias), <c>bn</c> (eps 0.001), ReLU.</summary>
    public sealed class BasicConv2d : nn.Module<Tensor, Tensor>
    {
        private readonly Conv2d conv;
        private readonly BatchNorm2d bn;

        /// <summary>Builds the block with a square kernel.</summary>
        public BasicConv2d(long inChannels, long outChannels, long kernelSize, long stride = 1, long padding = 0)
            : this(inChannels, outChannels, (kernelSize, kernelSize), (stride, stride), (padding, padding))
        {
        }

        /// <summary>Builds the block with a rectangular kernel (Inception v3's 1×7, 7×1, 1×3, 3×1).</summary>
        public BasicConv2d(long inChannels, long outChannels, (long, long) kernelSize, (long, long) stride, (long, long) padding)
            : base("BasicConv2d")
        {
            conv = nn.Conv2d(inChannels, outChannels, kernelSize, stride: stride, padding: padding, bias: false);
            bn = nn.BatchNorm2d(outChannels, eps: 0.001);
            OutputChannels = outChannels;
            RegisterComponents();
        }

        /// <summary>Output channels.</summary>
        public long OutputChannels { get; }

        /// <inheritdoc/>
        public override Tensor forward(Tensor input)
        {
            using var c = conv.call(input);
            using var b = bn.call(c);
            return nn.functional.relu(b);
        }
    }

    /// <summary>
    /// torchvision's GoogLeNet <c>Inception</c> module: <c>branch1</c> (1×1), <c>branch2</c> (1×1 then 3×3),
    /// <c>branch3</c> (1×1 then 3×3, the paper's 5×5), <c>branch4</c> (3×3 max pool then 1×1), concatenated.
    /// </summary>
    public sealed class Inception : nn.Module<Tensor, Tensor>
    {
        private readonly BasicConv2d branch1;
        private readonly Sequential branch2;
        private readonly Sequential branch3;
        private readonly Sequential branch4;

        /// <summary>Builds the module (torchvision's argument order).</summary>
        public Inception(long inChannels, long ch1x1, long ch3x3red, long ch3x3, long ch5x5red, long ch5x5, long poolProj)
            : base("Inception")
        {
            branch1 = new BasicConv2d(inChannels, ch1x1, 1);
            branch2 = nn.Sequential(new BasicConv2d(inChannels, ch3x3red, 1), new BasicConv2d(ch3x3red, ch3x3, 3, padding: 1));
            branch3 = nn.Sequential(new BasicConv2d(inChannels, ch5x5red, 1), new BasicConv2d(ch5x5red, ch5x5, 3, padding: 1));
            branch4 = nn.Sequential(nn.MaxPool2d(3, stride: 1, padding: 1, ceil_mode: true), new BasicConv2d(inChannels, poolProj, 1));
            OutputChannels = ch1x1 + ch3x3 + ch5x5 + poolProj;
            RegisterComponents();
        }

        /// <summary>Output channels (the four branches concatenated).</summary>
        public long OutputChannels { get; }

        /// <inheritdoc/>
        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            return scope.MoveToOuter(cat([branch1.call(input), branch2.call(input), branch3.call(input), branch4.call(input)], 1));
        }
    }
}
