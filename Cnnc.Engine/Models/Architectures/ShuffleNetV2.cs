// Translated from torchvision 0.14's torchvision/models/shufflenetv2.py (BSD-3-Clause, the PyTorch vision authors).

using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Cnnc.Engine.Models.Architectures;

/// <summary>
/// ShuffleNet V2 (Ma et al., "ShuffleNet V2: Practical Guidelines for Efficient CNN Architecture Design"), as
/// torchvision 0.14 builds it: <c>conv1</c>, <c>maxpool</c>, <c>stage2</c> … <c>stage4</c> of inverted-residual units
/// with channel split and channel shuffle, <c>conv5</c> and <c>fc</c>. Parameter names are torchvision's
/// (<c>stage2.0.branch1.0.weight</c>, <c>conv5.0.weight</c>, …), so its state dicts load unchanged. Like torchvision,
/// it keeps PyTorch's default layer initialisation.
/// </summary>
/// <remarks>
/// <para>Scaling: <see cref="ArchitectureOptions.Width"/> scales every stage's output channels, rounded up to an even
/// number so each unit can split its channels in half; <see cref="ArchitectureOptions.InputChannels"/> sets
/// <c>conv1.0</c>'s input channels and <see cref="ArchitectureOptions.NumClasses"/> <c>fc</c>'s outputs.</para>
/// <para>Small input (<see cref="ArchitectureOptions.IsSmallInput"/>): <c>conv1.0</c> has stride 1 (torchvision: 2)
/// and <c>maxpool</c> is an identity, so only the three stages downsample (28 → 28, 14, 7, 4: <c>conv5</c> is
/// 4x4).</para>
/// </remarks>
public sealed class ShuffleNetV2 : nn.Module<Tensor, Tensor>, IClassifierHead, IMemoryLayoutPreference
{
    private readonly Sequential conv1;
    private readonly nn.Module<Tensor, Tensor> maxpool;
    private readonly Sequential stage2;
    private readonly Sequential stage3;
    private readonly Sequential stage4;
    private readonly Sequential conv5;
    private readonly Linear fc;

    /// <summary>Builds a ShuffleNet V2.</summary>
    /// <param name="stagesRepeats">Units in stage2, stage3 and stage4.</param>
    /// <param name="stagesOutChannels">Output channels of conv1, the three stages and conv5, before width scaling.</param>
    /// <param name="options">Scale and input configuration.</param>
    /// <param name="name">Module name.</param>
    public ShuffleNetV2(IReadOnlyList<int> stagesRepeats, IReadOnlyList<int> stagesOutChannels, ArchitectureOptions options,
        string name = "ShuffleNetV2") : base(name)
    {
        ArgumentNullException.ThrowIfNull(stagesRepeats);
        ArgumentNullException.ThrowIfNull(stagesOutChannels);
        ArgumentNullException.ThrowIfNull(options);
        if (stagesRepeats.Count != 3) throw new ArgumentException("expected stagesRepeats as a list of 3 positive ints");
        if (stagesOutChannels.Count != 5) throw new ArgumentException("expected stagesOutChannels as a list of 5 positive ints");
        // Even widths: every unit splits its channels into two halves.
        var channels = stagesOutChannels.Select(c => Even(options.Scale(c))).ToArray();

        var small = options.IsSmallInput;
        var inputChannels = channels[0];
        conv1 = nn.Sequential(
            nn.Conv2d(options.InputChannels, inputChannels, kernel_size: 3, stride: small ? 1 : 2, padding: 1, bias: false),
            nn.BatchNorm2d(inputChannels),
            nn.ReLU(inplace: true));
        maxpool = small ? nn.Identity() : nn.MaxPool2d(kernel_size: 3, stride: 2, padding: 1);

        var stages = new Sequential[3];
        for (var s = 0; s < 3; s++)
        {
            var outputChannels = channels[s + 1];
            var units = new List<nn.Module<Tensor, Tensor>> { new InvertedResidual(inputChannels, outputChannels, 2) };
            for (var i = 0; i < stagesRepeats[s] - 1; i++) units.Add(new InvertedResidual(outputChannels, outputChannels, 1));
            stages[s] = nn.Sequential(units);
            inputChannels = outputChannels;
        }
        (stage2, stage3, stage4) = (stages[0], stages[1], stages[2]);

        conv5 = nn.Sequential(
            nn.Conv2d(inputChannels, channels[4], kernel_size: 1, stride: 1, bias: false),
            nn.BatchNorm2d(channels[4]),
            nn.ReLU(inplace: true));
        fc = nn.Linear(channels[4], options.NumClasses);
        RegisterComponents();
    }

    /// <summary>ShuffleNet V2 x0.5: stages (4, 8, 4), channels (24, 48, 96, 192, 1024).</summary>
    public static ShuffleNetV2 X0_5(ArchitectureOptions options) =>
        new([4, 8, 4], [24, 48, 96, 192, 1024], options, "ShuffleNetV2_x0_5");

    /// <summary>ShuffleNet V2 x1.0: stages (4, 8, 4), channels (24, 116, 232, 464, 1024).</summary>
    public static ShuffleNetV2 X1_0(ArchitectureOptions options) =>
        new([4, 8, 4], [24, 116, 232, 464, 1024], options, "ShuffleNetV2_x1_0");

    /// <summary>ShuffleNet V2 x1.5: stages (4, 8, 4), channels (24, 176, 352, 704, 1024).</summary>
    public static ShuffleNetV2 X1_5(ArchitectureOptions options) =>
        new([4, 8, 4], [24, 176, 352, 704, 1024], options, "ShuffleNetV2_x1_5");

    /// <summary>ShuffleNet V2 x2.0: stages (4, 8, 4), channels (24, 244, 488, 976, 2048).</summary>
    public static ShuffleNetV2 X2_0(ArchitectureOptions options) =>
        new([4, 8, 4], [24, 244, 488, 976, 2048], options, "ShuffleNetV2_x2_0");

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var c1 = conv1.call(input);
        using var mp = maxpool.call(c1);
        using var s2 = stage2.call(mp);
        using var s3 = stage3.call(s2);
        using var s4 = stage4.call(s3);
        using var c5 = conv5.call(s4);
        return Head(c5);
    }

    /// <inheritdoc/>
    /// <remarks>Slower channels-last (the channel shuffle makes every unit's output NCHW again; BENCHMARKS.md, "Runtime settings").</remarks>
    public bool PrefersChannelsLast => false;

    /// <inheritdoc/>
    public string HeadInputLayer => "conv5";

    /// <inheritdoc/>
    public Tensor Head(Tensor layerOutput)
    {
        using var pooled = layerOutput.mean([2, 3]);
        return fc.call(pooled);
    }

    private static int Even(int channels) => channels % 2 == 0 ? channels : channels + 1;

    /// <summary>torchvision's <c>channel_shuffle</c>: interleaves the channels of <paramref name="groups"/> groups.</summary>
    internal static Tensor ChannelShuffle(Tensor x, int groups)
    {
        var (batch, channels, height, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3]);
        using var grouped = x.view(batch, groups, channels / groups, height, width);
        using var transposed = grouped.transpose(1, 2);
        using var contiguous = transposed.contiguous();
        return contiguous.view(batch, -1, height, width);
    }

    /// <summary>
    /// torchvision's ShuffleNet V2 <c>InvertedResidual</c> unit. Stride 1: split the channels, transform the second half
    /// (<c>branch2</c>), concatenate, shuffle; <c>branch1</c> is an empty <c>Sequential</c>. Stride 2: both branches
    /// see the whole input and each halves the resolution.
    /// </summary>
    private sealed class InvertedResidual : nn.Module<Tensor, Tensor>
    {
        private readonly Sequential branch1;
        private readonly Sequential branch2;
        private readonly int stride;

        public InvertedResidual(int inp, int oup, int stride) : base("InvertedResidual")
        {
            if (stride is < 1 or > 3) throw new ArgumentException("illegal stride value");
            this.stride = stride;
            var branchFeatures = oup / 2;
            if (stride == 1 && inp != branchFeatures << 1)
                throw new ArgumentException(
                    $"Invalid combination of stride {stride}, inp {inp} and oup {oup} values. If stride == 1 then inp should be equal to oup // 2 << 1.");

            branch1 = stride > 1
                ? nn.Sequential(
                    Depthwise(inp, stride),
                    nn.BatchNorm2d(inp),
                    nn.Conv2d(inp, branchFeatures, kernel_size: 1, stride: 1, bias: false),
                    nn.BatchNorm2d(branchFeatures),
                    nn.ReLU(inplace: true))
                : nn.Sequential();
            branch2 = nn.Sequential(
                nn.Conv2d(stride > 1 ? inp : branchFeatures, branchFeatures, kernel_size: 1, stride: 1, bias: false),
                nn.BatchNorm2d(branchFeatures),
                nn.ReLU(inplace: true),
                Depthwise(branchFeatures, stride),
                nn.BatchNorm2d(branchFeatures),
                nn.Conv2d(branchFeatures, branchFeatures, kernel_size: 1, stride: 1, bias: false),
                nn.BatchNorm2d(branchFeatures),
                nn.ReLU(inplace: true));
            RegisterComponents();
        }

        private static Conv2d Depthwise(int channels, int stride) =>
            nn.Conv2d(channels, channels, kernel_size: 3, stride: stride, padding: 1, bias: false, groups: channels);

        public override Tensor forward(Tensor x)
        {
            if (stride == 1)
            {
                var halves = x.chunk(2, 1);
                try
                {
                    using var b2 = branch2.call(halves[1]);
                    using var joined = cat([halves[0], b2], 1);
                    return ChannelShuffle(joined, 2);
                }
                finally
                {
                    foreach (var h in halves) h.Dispose();
                }
            }
            else
            {
                using var b1 = branch1.call(x);
                using var b2 = branch2.call(x);
                using var joined = cat([b1, b2], 1);
                return ChannelShuffle(joined, 2);
            }
        }
    }
}
