// Translated from torchvision 0.14's torchvision/models/inception.py (BSD-3-Clause, the PyTorch vision authors).

using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using BasicConv2d = Cnnc.Engine.Models.Architectures.GoogLeNet.BasicConv2d;

namespace Cnnc.Engine.Models.Architectures;

/// <summary>
/// Inception v3 (Szegedy et al., "Rethinking the Inception Architecture for Computer Vision", arXiv 1512.00567), as
/// torchvision 0.14's <c>inception_v3(weights=…)</c> builds it: the stem <c>Conv2d_1a_3x3</c> … <c>Conv2d_4a_3x3</c>
/// with two max pools, <c>Mixed_5b</c> … <c>Mixed_7c</c> (Inception A, B, C, D, E blocks of <c>BasicConv2d</c>:
/// conv without bias, BatchNorm eps 0.001, ReLU), the auxiliary classifier <c>AuxLogits</c> after <c>Mixed_6e</c>,
/// global average pooling, dropout 0.5 and <c>fc</c>. State-dict keys are torchvision's, <c>AuxLogits</c> included
/// (the published file and <c>num_params</c> have it).
/// </summary>
/// <remarks>
/// <para>Published-weights semantics: <c>transform_input</c> on (see <see cref="GoogLeNet.TransformInput"/>), and
/// <c>forward</c> returns the main logits only — in eval mode exactly torchvision's output; in training mode
/// torchvision would also return the auxiliary logits, which this module does not compute (its <c>AuxLogits</c>
/// parameters are kept for loading and saving, and get no gradient).</para>
/// <para>Default explanation layer: <c>Mixed_7c</c> (8×8 at 299 px, the published crop size). Initialisation as
/// torchvision's: <c>trunc_normal_(std 0.1, a −2, b 2)</c> for convolution and linear weights (0.001 for
/// <c>AuxLogits.fc</c>), BatchNorm 1 / 0. Width scales every branch. Inputs must be at least 75 px (torchvision's
/// <c>min_size</c>); there is no small-input stem. Unlike torchvision, the ReLUs are not in place.</para>
/// </remarks>
public sealed class Inception3 : nn.Module<Tensor, Tensor>, IClassifierHead
{
    /// <summary>Smallest input side (torchvision's <c>min_size</c>).</summary>
    public const int MinimumInputSize = 75;

    private readonly BasicConv2d Conv2d_1a_3x3;
    private readonly BasicConv2d Conv2d_2a_3x3;
    private readonly BasicConv2d Conv2d_2b_3x3;
    private readonly MaxPool2d maxpool1;
    private readonly BasicConv2d Conv2d_3b_1x1;
    private readonly BasicConv2d Conv2d_4a_3x3;
    private readonly MaxPool2d maxpool2;
    private readonly InceptionA Mixed_5b;
    private readonly InceptionA Mixed_5c;
    private readonly InceptionA Mixed_5d;
    private readonly InceptionB Mixed_6a;
    private readonly InceptionC Mixed_6b;
    private readonly InceptionC Mixed_6c;
    private readonly InceptionC Mixed_6d;
    private readonly InceptionC Mixed_6e;
    private readonly InceptionAux AuxLogits;
    private readonly InceptionD Mixed_7a;
    private readonly InceptionE Mixed_7b;
    private readonly InceptionE Mixed_7c;
    private readonly AdaptiveAvgPool2d avgpool;
    private readonly Dropout dropout;
    private readonly Linear fc;

    /// <summary>Builds Inception v3.</summary>
    /// <param name="options">Classes, input channels and size, width.</param>
    /// <param name="transformInput">torchvision's <c>transform_input</c>; default: on for 3 input channels.</param>
    /// <param name="dropoutProbability">Dropout before <c>fc</c> (torchvision: 0.5).</param>
    public Inception3(ArchitectureOptions options, bool? transformInput = null, double dropoutProbability = 0.5) : base("Inception3")
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.InputSize < MinimumInputSize)
            throw new ArgumentException($"inception_v3 needs images of at least {MinimumInputSize}×{MinimumInputSize} pixels (got InputSize {options.InputSize}).");
        TransformInput = transformInput ?? options.InputChannels == 3;
        if (TransformInput && options.InputChannels != 3)
            throw new ArgumentException($"transform_input is defined for 3 input channels (got {options.InputChannels}).");
        Func<int, int> s = c => options.Scale(c);
        Conv2d_1a_3x3 = new BasicConv2d(options.InputChannels, s(32), 3, stride: 2);
        Conv2d_2a_3x3 = new BasicConv2d(s(32), s(32), 3);
        Conv2d_2b_3x3 = new BasicConv2d(s(32), s(64), 3, padding: 1);
        maxpool1 = nn.MaxPool2d(3, stride: 2);
        Conv2d_3b_1x1 = new BasicConv2d(s(64), s(80), 1);
        Conv2d_4a_3x3 = new BasicConv2d(s(80), s(192), 3);
        maxpool2 = nn.MaxPool2d(3, stride: 2);
        Mixed_5b = new InceptionA(s(192), s(32), s);
        Mixed_5c = new InceptionA(Mixed_5b.OutputChannels, s(64), s);
        Mixed_5d = new InceptionA(Mixed_5c.OutputChannels, s(64), s);
        Mixed_6a = new InceptionB(Mixed_5d.OutputChannels, s);
        Mixed_6b = new InceptionC(Mixed_6a.OutputChannels, s(128), s);
        Mixed_6c = new InceptionC(Mixed_6b.OutputChannels, s(160), s);
        Mixed_6d = new InceptionC(Mixed_6c.OutputChannels, s(160), s);
        Mixed_6e = new InceptionC(Mixed_6d.OutputChannels, s(192), s);
        AuxLogits = new InceptionAux(Mixed_6e.OutputChannels, options.NumClasses, s);
        Mixed_7a = new InceptionD(Mixed_6e.OutputChannels, s);
        Mixed_7b = new InceptionE(Mixed_7a.OutputChannels, s);
        Mixed_7c = new InceptionE(Mixed_7b.OutputChannels, s);
        avgpool = nn.AdaptiveAvgPool2d(1);
        dropout = nn.Dropout(dropoutProbability);
        fc = nn.Linear(Mixed_7c.OutputChannels, options.NumClasses);
        RegisterComponents();

        using var _ = no_grad();
        foreach (var (name, m) in named_modules())
        {
            switch (m)
            {
                case Conv2d conv:
                    Layers.TruncatedNormal.Fill(conv.weight, mean: 0.0, std: 0.1, a: -2, b: 2);
                    break;
                case Linear linear:
                    Layers.TruncatedNormal.Fill(linear.weight, mean: 0.0, std: name == "AuxLogits.fc" ? 0.001 : 0.1, a: -2, b: 2);
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
        InputSizeCheck.AtLeast(input, MinimumInputSize, "inception_v3");
        using var scope = NewDisposeScope();
        var x = TransformInput ? GoogLeNet.TransformImageNetInput(input) : input;
        x = ChannelsLast.Prepare(this, x);
        x = maxpool1.call(Conv2d_2b_3x3.call(Conv2d_2a_3x3.call(Conv2d_1a_3x3.call(x))));
        x = maxpool2.call(Conv2d_4a_3x3.call(Conv2d_3b_1x1.call(x)));
        x = Mixed_5d.call(Mixed_5c.call(Mixed_5b.call(x)));
        x = Mixed_6a.call(x);
        x = Mixed_6e.call(Mixed_6d.call(Mixed_6c.call(Mixed_6b.call(x))));
        x = Mixed_7c.call(Mixed_7b.call(Mixed_7a.call(x)));
        return scope.MoveToOuter(Head(x));
    }

    /// <inheritdoc/>
    public string HeadInputLayer => "Mixed_7c";

    /// <inheritdoc/>
    public Tensor Head(Tensor layerOutput)
    {
        using var scope = NewDisposeScope();
        var x = dropout.call(avgpool.call(layerOutput)).flatten(1);
        return scope.MoveToOuter(fc.call(x));
    }

    private static Tensor AvgPool3x3(Tensor x) => nn.functional.avg_pool2d(x, kernel_size: 3, stride: 1, padding: 1);

    private static Tensor MaxPool3x3Stride2(Tensor x) => nn.functional.max_pool2d(x, kernel_size: 3, stride: 2);

    private static BasicConv2d Conv(long i, long o, long kh, long kw, long ph, long pw) => new(i, o, (kh, kw), (1, 1), (ph, pw));

    /// <summary>torchvision's <c>InceptionA</c> (35×35): 1×1, 5×5, double 3×3 and pool branches.</summary>
    private sealed class InceptionA : nn.Module<Tensor, Tensor>
    {
        private readonly BasicConv2d branch1x1, branch5x5_1, branch5x5_2, branch3x3dbl_1, branch3x3dbl_2, branch3x3dbl_3, branch_pool;

        public InceptionA(long inChannels, long poolFeatures, Func<int, int> s) : base("InceptionA")
        {
            branch1x1 = new BasicConv2d(inChannels, s(64), 1);
            branch5x5_1 = new BasicConv2d(inChannels, s(48), 1);
            branch5x5_2 = new BasicConv2d(s(48), s(64), 5, padding: 2);
            branch3x3dbl_1 = new BasicConv2d(inChannels, s(64), 1);
            branch3x3dbl_2 = new BasicConv2d(s(64), s(96), 3, padding: 1);
            branch3x3dbl_3 = new BasicConv2d(s(96), s(96), 3, padding: 1);
            branch_pool = new BasicConv2d(inChannels, poolFeatures, 1);
            OutputChannels = s(64) + s(64) + s(96) + poolFeatures;
            RegisterComponents();
        }

        public long OutputChannels { get; }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var b1 = branch1x1.call(x);
            var b5 = branch5x5_2.call(branch5x5_1.call(x));
            var b3 = branch3x3dbl_3.call(branch3x3dbl_2.call(branch3x3dbl_1.call(x)));
            var bp = branch_pool.call(AvgPool3x3(x));
            return scope.MoveToOuter(cat([b1, b5, b3, bp], 1));
        }
    }

    /// <summary>torchvision's <c>InceptionB</c> (35 → 17): stride-2 3×3, double 3×3 and max-pool branches.</summary>
    private sealed class InceptionB : nn.Module<Tensor, Tensor>
    {
        private readonly BasicConv2d branch3x3, branch3x3dbl_1, branch3x3dbl_2, branch3x3dbl_3;

        public InceptionB(long inChannels, Func<int, int> s) : base("InceptionB")
        {
            branch3x3 = new BasicConv2d(inChannels, s(384), 3, stride: 2);
            branch3x3dbl_1 = new BasicConv2d(inChannels, s(64), 1);
            branch3x3dbl_2 = new BasicConv2d(s(64), s(96), 3, padding: 1);
            branch3x3dbl_3 = new BasicConv2d(s(96), s(96), 3, stride: 2);
            OutputChannels = s(384) + s(96) + inChannels;
            RegisterComponents();
        }

        public long OutputChannels { get; }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var b3 = branch3x3.call(x);
            var bd = branch3x3dbl_3.call(branch3x3dbl_2.call(branch3x3dbl_1.call(x)));
            return scope.MoveToOuter(cat([b3, bd, MaxPool3x3Stride2(x)], 1));
        }
    }

    /// <summary>torchvision's <c>InceptionC</c> (17×17): 1×1, factorised 7×7, double factorised 7×7 and pool branches.</summary>
    private sealed class InceptionC : nn.Module<Tensor, Tensor>
    {
        private readonly BasicConv2d branch1x1, branch7x7_1, branch7x7_2, branch7x7_3;
        private readonly BasicConv2d branch7x7dbl_1, branch7x7dbl_2, branch7x7dbl_3, branch7x7dbl_4, branch7x7dbl_5, branch_pool;

        public InceptionC(long inChannels, long c7, Func<int, int> s) : base("InceptionC")
        {
            branch1x1 = new BasicConv2d(inChannels, s(192), 1);
            branch7x7_1 = new BasicConv2d(inChannels, c7, 1);
            branch7x7_2 = Conv(c7, c7, 1, 7, 0, 3);
            branch7x7_3 = Conv(c7, s(192), 7, 1, 3, 0);
            branch7x7dbl_1 = new BasicConv2d(inChannels, c7, 1);
            branch7x7dbl_2 = Conv(c7, c7, 7, 1, 3, 0);
            branch7x7dbl_3 = Conv(c7, c7, 1, 7, 0, 3);
            branch7x7dbl_4 = Conv(c7, c7, 7, 1, 3, 0);
            branch7x7dbl_5 = Conv(c7, s(192), 1, 7, 0, 3);
            branch_pool = new BasicConv2d(inChannels, s(192), 1);
            OutputChannels = 4 * s(192);
            RegisterComponents();
        }

        public long OutputChannels { get; }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var b1 = branch1x1.call(x);
            var b7 = branch7x7_3.call(branch7x7_2.call(branch7x7_1.call(x)));
            var bd = branch7x7dbl_5.call(branch7x7dbl_4.call(branch7x7dbl_3.call(branch7x7dbl_2.call(branch7x7dbl_1.call(x)))));
            var bp = branch_pool.call(AvgPool3x3(x));
            return scope.MoveToOuter(cat([b1, b7, bd, bp], 1));
        }
    }

    /// <summary>torchvision's <c>InceptionD</c> (17 → 8): stride-2 3×3, factorised 7×7 then stride-2 3×3, max-pool branches.</summary>
    private sealed class InceptionD : nn.Module<Tensor, Tensor>
    {
        private readonly BasicConv2d branch3x3_1, branch3x3_2, branch7x7x3_1, branch7x7x3_2, branch7x7x3_3, branch7x7x3_4;

        public InceptionD(long inChannels, Func<int, int> s) : base("InceptionD")
        {
            branch3x3_1 = new BasicConv2d(inChannels, s(192), 1);
            branch3x3_2 = new BasicConv2d(s(192), s(320), 3, stride: 2);
            branch7x7x3_1 = new BasicConv2d(inChannels, s(192), 1);
            branch7x7x3_2 = Conv(s(192), s(192), 1, 7, 0, 3);
            branch7x7x3_3 = Conv(s(192), s(192), 7, 1, 3, 0);
            branch7x7x3_4 = new BasicConv2d(s(192), s(192), 3, stride: 2);
            OutputChannels = s(320) + s(192) + inChannels;
            RegisterComponents();
        }

        public long OutputChannels { get; }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var b3 = branch3x3_2.call(branch3x3_1.call(x));
            var b7 = branch7x7x3_4.call(branch7x7x3_3.call(branch7x7x3_2.call(branch7x7x3_1.call(x))));
            return scope.MoveToOuter(cat([b3, b7, MaxPool3x3Stride2(x)], 1));
        }
    }

    /// <summary>torchvision's <c>InceptionE</c> (8×8): 1×1, split 3×3, double split 3×3 and pool branches.</summary>
    private sealed class InceptionE : nn.Module<Tensor, Tensor>
    {
        private readonly BasicConv2d branch1x1, branch3x3_1, branch3x3_2a, branch3x3_2b;
        private readonly BasicConv2d branch3x3dbl_1, branch3x3dbl_2, branch3x3dbl_3a, branch3x3dbl_3b, branch_pool;

        public InceptionE(long inChannels, Func<int, int> s) : base("InceptionE")
        {
            branch1x1 = new BasicConv2d(inChannels, s(320), 1);
            branch3x3_1 = new BasicConv2d(inChannels, s(384), 1);
            branch3x3_2a = Conv(s(384), s(384), 1, 3, 0, 1);
            branch3x3_2b = Conv(s(384), s(384), 3, 1, 1, 0);
            branch3x3dbl_1 = new BasicConv2d(inChannels, s(448), 1);
            branch3x3dbl_2 = new BasicConv2d(s(448), s(384), 3, padding: 1);
            branch3x3dbl_3a = Conv(s(384), s(384), 1, 3, 0, 1);
            branch3x3dbl_3b = Conv(s(384), s(384), 3, 1, 1, 0);
            branch_pool = new BasicConv2d(inChannels, s(192), 1);
            OutputChannels = s(320) + 4 * s(384) + s(192);
            RegisterComponents();
        }

        public long OutputChannels { get; }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var b1 = branch1x1.call(x);
            var t = branch3x3_1.call(x);
            var b3 = cat([branch3x3_2a.call(t), branch3x3_2b.call(t)], 1);
            var d = branch3x3dbl_2.call(branch3x3dbl_1.call(x));
            var bd = cat([branch3x3dbl_3a.call(d), branch3x3dbl_3b.call(d)], 1);
            var bp = branch_pool.call(AvgPool3x3(x));
            return scope.MoveToOuter(cat([b1, b3, bd, bp], 1));
        }
    }

    /// <summary>torchvision's <c>InceptionAux</c>: 5×5 average pool (stride 3), <c>conv0</c> 1×1, <c>conv1</c> 5×5, pool, <c>fc</c>.</summary>
    private sealed class InceptionAux : nn.Module<Tensor, Tensor>
    {
        private readonly BasicConv2d conv0, conv1;
        private readonly Linear fc;

        public InceptionAux(long inChannels, long numClasses, Func<int, int> s) : base("InceptionAux")
        {
            conv0 = new BasicConv2d(inChannels, s(128), 1);
            conv1 = new BasicConv2d(s(128), s(768), 5);
            fc = nn.Linear(s(768), numClasses);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var y = conv1.call(conv0.call(nn.functional.avg_pool2d(x, kernel_size: 5, stride: 3)));
            y = nn.functional.adaptive_avg_pool2d(y, [1, 1]).flatten(1);
            return scope.MoveToOuter(fc.call(y));
        }
    }
}
