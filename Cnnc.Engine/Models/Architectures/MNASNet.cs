// Translated from torchvision 0.14's torchvision/models/mnasnet.py (BSD-3-Clause, the PyTorch vision authors).

using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Cnnc.Engine.Models.Architectures;

/// <summary>
/// MNASNet (Tan et al., "MnasNet: Platform-Aware Neural Architecture Search for Mobile", arXiv 1807.11626; the B1
/// variant), as torchvision 0.14's <c>mnasnet0_5</c>, <c>mnasnet0_75</c>, <c>mnasnet1_0</c> and <c>mnasnet1_3</c>
/// build it: <c>layers</c> (Sequential 0–16: a conv-BN-ReLU stem, a depthwise separable convolution, six stacks of
/// inverted residuals, a 1×1 conv-BN-ReLU to 1280 channels), a global mean, <c>classifier</c> (dropout 0.2, linear).
/// State-dict keys and initialisation are torchvision's (Kaiming-normal fan-out convolutions, BatchNorm 1 / 0 with
/// momentum 0.0003, linear Kaiming-uniform fan-out with sigmoid gain and zero bias).
/// </summary>
/// <remarks>
/// <para>Version: torchvision's MNASNet is version 2 (since torchvision 0.5 the stem scales with alpha); version-1
/// checkpoints (stem fixed at 32 and 16 channels, e.g. the old <c>mnasnet0.5_top1_67.592</c>) load into a model built
/// with <c>version: 1</c>, which is what torchvision's <c>_load_from_state_dict</c> rebuilds when it reads such a file
/// (it reads the version from the pickle's metadata; this loader recognises the stem's shapes and says so).
/// For alpha 1.0 both versions are the same network.</para>
/// <para>Default explanation layer: <c>layers.16</c>, the ReLU after the last 1×1 convolution (7×7 at 224 px).</para>
/// <para>Scaling: <see cref="ArchitectureOptions.Width"/> multiplies alpha (depths rounded to multiples of 8 as
/// torchvision's <c>_round_to_multiple_of</c>) and scales the 1280-channel head; <c>layers.0</c> takes
/// <see cref="ArchitectureOptions.InputChannels"/>, <c>classifier.1</c> gives <see cref="ArchitectureOptions.NumClasses"/>.
/// Small input (<see cref="ArchitectureOptions.IsSmallInput"/>): the stem and the first stack use stride 1 (total
/// stride 8: 28 px gives 4×4 at <c>layers.16</c>). Unlike torchvision, the ReLUs are not in place.</para>
/// </remarks>
public sealed class MNASNet : nn.Module<Tensor, Tensor>, IClassifierHead, Weights.IStateDictAdapter
{
    /// <summary>torchvision's <c>_BN_MOMENTUM</c>: 1 − 0.9997.</summary>
    public const double BatchNormMomentum = 1 - 0.9997;

    private readonly Sequential layers;
    private readonly Sequential classifier;
    private readonly int version;
    private readonly long stemChannels;

    /// <summary>Builds MNASNet.</summary>
    /// <param name="alpha">Depth multiplier (0.5, 0.75, 1.0, 1.3 for the published builders).</param>
    /// <param name="options">Classes, input channels and size, width (multiplies alpha).</param>
    /// <param name="dropout">Dropout before the classifier (torchvision: 0.2).</param>
    /// <param name="version">2 (torchvision's) or 1 (the stem of checkpoints from before torchvision 0.5).</param>
    public MNASNet(double alpha, ArchitectureOptions options, double dropout = 0.2, int version = 2) : base("MNASNet")
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!(alpha > 0)) throw new ArgumentException($"alpha should be greater than 0.0 instead of {alpha}");
        if (version is not (1 or 2)) throw new ArgumentException($"version should be 1 or 2 instead of {version}");
        this.version = version;
        var small = options.IsSmallInput;
        var depths = Depths(alpha * options.Width);
        var v1 = version == 1 && alpha * options.Width != 1.0;
        var (d0, d1) = v1 ? (32, 16) : (depths[0], depths[1]);
        stemChannels = d0;
        var head = options.Scale(1280, 8);

        BatchNorm2d Bn(long c) => nn.BatchNorm2d(c, momentum: BatchNormMomentum);
        layers = nn.Sequential(
            nn.Conv2d(options.InputChannels, d0, 3, padding: 1, stride: small ? 1 : 2, bias: false),
            Bn(d0),
            nn.ReLU(),
            nn.Conv2d(d0, d0, 3, padding: 1, stride: 1, groups: d0, bias: false),
            Bn(d0),
            nn.ReLU(),
            nn.Conv2d(d0, d1, 1, padding: 0L, stride: 1, bias: false),
            Bn(d1),
            Stack(d1, depths[2], 3, small ? 1 : 2, 3, 3),
            Stack(depths[2], depths[3], 5, 2, 3, 3),
            Stack(depths[3], depths[4], 5, 2, 6, 3),
            Stack(depths[4], depths[5], 3, 1, 6, 2),
            Stack(depths[5], depths[6], 5, 2, 6, 4),
            Stack(depths[6], depths[7], 3, 1, 6, 1),
            nn.Conv2d(depths[7], head, 1, padding: 0L, stride: 1, bias: false),
            Bn(head),
            nn.ReLU());
        classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(head, options.NumClasses));
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
                    nn.init.kaiming_uniform_(linear.weight, mode: nn.init.FanInOut.FanOut, nonlinearity: nn.init.NonlinearityType.Sigmoid);
                    if (linear.bias is not null) nn.init.zeros_(linear.bias);
                    break;
            }
        }
    }

    /// <summary>torchvision's <c>_get_depths</c>: the eight depths for a multiplier.</summary>
    public static int[] Depths(double alpha) =>
        new[] { 32, 16, 24, 40, 80, 96, 192, 320 }.Select(d => RoundToMultipleOf(d * alpha, 8)).ToArray();

    /// <summary>
    /// torchvision's <c>_round_to_multiple_of</c>: rounds up unless the value is no more than 10 % above the smaller
    /// multiple, e.g. (83, 8) → 80 but (84, 8) → 88.
    /// </summary>
    public static int RoundToMultipleOf(double value, int divisor, double roundUpBias = 0.9)
    {
        var rounded = Math.Max(divisor, (int)(value + divisor / 2.0) / divisor * divisor);
        return rounded >= roundUpBias * value ? rounded : rounded + divisor;
    }

    private static Sequential Stack(long inCh, long outCh, long kernel, long stride, long expansion, int repeats)
    {
        var blocks = new List<nn.Module<Tensor, Tensor>> { new InvertedResidual(inCh, outCh, kernel, stride, expansion) };
        for (var i = 1; i < repeats; i++) blocks.Add(new InvertedResidual(outCh, outCh, kernel, 1, expansion));
        return nn.Sequential(blocks);
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = layers.call(ChannelsLast.Prepare(this, input));
        return scope.MoveToOuter(Head(x));
    }

    /// <inheritdoc/>
    public string HeadInputLayer => "layers.16";

    /// <inheritdoc/>
    public Tensor Head(Tensor layerOutput)
    {
        using var pooled = layerOutput.mean([2, 3]);
        return classifier.call(pooled);
    }

    /// <inheritdoc/>
    /// <remarks>A version-1 checkpoint given to a version-2 model (or the reverse) is named as such.</remarks>
    public IReadOnlyDictionary<string, Tensor> Adapt(IReadOnlyDictionary<string, Tensor> stateDict, string source)
    {
        if (stateDict.TryGetValue("layers.0.weight", out var stem) && stem.dim() == 4 && stem.shape[0] != stemChannels &&
            stateDict.TryGetValue("layers.6.weight", out var pointwise) && pointwise.dim() == 4)
        {
            var fileIsV1 = stem.shape[0] == 32 && pointwise.shape[0] == 16;
            if (fileIsV1 && version == 2)
                throw new InvalidOperationException(
                    $"{source}: a version-1 MNASNet checkpoint (stem fixed at 32 and 16 channels, from before torchvision 0.5); " +
                    "build the model with MNASNet(alpha, options, version: 1) to load it.");
            if (!fileIsV1 && version == 1)
                throw new InvalidOperationException($"{source}: a version-2 MNASNet checkpoint; this model was built with version 1.");
        }
        return stateDict;
    }

    /// <summary>
    /// torchvision's MNASNet <c>_InvertedResidual</c>: <c>layers</c> = 1×1 expansion conv-BN-ReLU, k×k depthwise
    /// conv-BN-ReLU, 1×1 projection conv-BN; the input is added when the stride is 1 and the widths match.
    /// </summary>
    private sealed class InvertedResidual : nn.Module<Tensor, Tensor>
    {
        private readonly Sequential layers;
        private readonly bool applyResidual;

        public InvertedResidual(long inCh, long outCh, long kernel, long stride, long expansion) : base("_InvertedResidual")
        {
            if (stride is not (1 or 2)) throw new ArgumentException($"stride should be 1 or 2 instead of {stride}");
            if (kernel is not (3 or 5)) throw new ArgumentException($"kernel_size should be 3 or 5 instead of {kernel}");
            var mid = inCh * expansion;
            applyResidual = inCh == outCh && stride == 1;
            layers = nn.Sequential(
                nn.Conv2d(inCh, mid, 1, bias: false),
                nn.BatchNorm2d(mid, momentum: BatchNormMomentum),
                nn.ReLU(),
                nn.Conv2d(mid, mid, kernel, padding: kernel / 2, stride: stride, groups: mid, bias: false),
                nn.BatchNorm2d(mid, momentum: BatchNormMomentum),
                nn.ReLU(),
                nn.Conv2d(mid, outCh, 1, bias: false),
                nn.BatchNorm2d(outCh, momentum: BatchNormMomentum));
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            if (!applyResidual) return layers.call(input);
            using var scope = NewDisposeScope();
            return scope.MoveToOuter(layers.call(input) + input);
        }
    }
}
