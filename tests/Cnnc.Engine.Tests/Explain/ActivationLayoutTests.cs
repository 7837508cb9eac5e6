using Cnnc.Engine.Explain;
using Cnnc.Engine.Models;
using Cnnc.Engine.Runtime;
using Cnnc.Engine.Tests.Support;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Cnnc.Engine.Tests.Explain;

/// <summary>
/// Layers whose output is a token sequence (ViT) or channels-last (Swin) are explained on the grid they hold: a layer
/// that only rearranges a convolutional output gives, for every method, exactly the maps of that convolutional output
/// (the rearrangement adds nothing, and the class token depends on nothing before it).
/// </summary>
public sealed class ActivationLayoutTests
{
    public ActivationLayoutTests() => TorchRuntime.Initialize();

    public static IEnumerable<object[]> LayerMethods() =>
        ExplainerCatalog.Names.Where(m => ExplainerCatalog.Create(m).UsesLayer).Select(m => new object[] { m });

    [Theory]
    [MemberData(nameof(LayerMethods))]
    public void ClassTokenThenGridIsExplainedAsTheGridItHolds(string method) =>
        AssertSameMaps(new TokenNet(channelsLast: false), method, "tokens");

    [Theory]
    [MemberData(nameof(LayerMethods))]
    public void ChannelsLastIsExplainedAsTheGridItHolds(string method) =>
        AssertSameMaps(new TokenNet(channelsLast: true), method, "tokens");

    [Fact]
    public void ALayoutThatDoesNotFitTheOutputIsOneClearError()
    {
        using var scope = NewDisposeScope();
        using var model = new TokenNet(channelsLast: false) { Declared = ActivationLayout.ChannelsLast };
        var error = Assert.Throws<ArgumentException>(() => new GradCam().Explain(model, randn(3, 12, 12), layer: "tokens"));
        Assert.Equal("Layer 'tokens' gives [1x37x16]; its model declares the layout ChannelsLast (N×h×w×C).", error.Message);
    }

    [Fact]
    public void TokensThatAreNotAClassTokenAndASquareGridAreOneClearError()
    {
        using var scope = NewDisposeScope();
        using var model = new TokenNet(channelsLast: false);
        var error = Assert.Throws<ArgumentException>(() => new GradCam().Explain(model, randn(3, 12, 16), layer: "tokens"));
        Assert.Equal("Layer 'tokens' gives 49 tokens; a class token and a square grid of patches were expected.", error.Message);
    }

    private static void AssertSameMaps(TokenNet model, string method, string tokenLayer)
    {
        using var scope = NewDisposeScope();
        // Weights and images from private generators: libtorch's global one is shared with the test classes running
        // beside this one, and an unseeded draw could give a model whose Grad-CAM is all zero (ReLU of a negative sum).
        Seeded.Parameters(model, seed: 11, scale: 0.3);
        model.eval();
        using var images = Seeded.Randn(12, 2, 3, 12, 12);
        var explainer = FastExplainers.Create(method);
        var onTokens = explainer.ExplainBatch(model, images, layer: tokenLayer);
        var onGrid = explainer.ExplainBatch(model, images, layer: "features");
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(onGrid[i].TargetClass, onTokens[i].TargetClass);
            Assert.Equal((onGrid[i].Raw.Height, onGrid[i].Raw.Width), (onTokens[i].Raw.Height, onTokens[i].Raw.Width));
            Assert.Equal(6, onTokens[i].Raw.Height);
            var rawScale = Math.Max(1e-6, onGrid[i].Raw.Data.Max(Math.Abs));
            var rawDiff = onGrid[i].Raw.Data.Zip(onTokens[i].Raw.Data, (a, b) => Math.Abs(a - b)).Max();
            Assert.True(rawDiff <= 1e-4 * rawScale, $"{method} image {i}: raw maps differ by {rawDiff} (scale {rawScale})");
            var mapDiff = onGrid[i].Map.Data.Zip(onTokens[i].Map.Data, (a, b) => Math.Abs(a - b)).Max();
            Assert.True(mapDiff <= 1e-4, $"{method} image {i}: maps differ by {mapDiff}");
            Assert.True(onTokens[i].Map.Data.Max() > 0, $"{method} image {i}: empty map");
        }
    }

    /// <summary>
    /// conv features (N×16×6×6 on 12 px) → <c>tokens</c>: the same values as N×(1+36)×16 with a learned class token, or
    /// as N×6×6×16 → a per-token linear mix with a residual → a head that reads the class token and the patches.
    /// </summary>
    private sealed class TokenNet : nn.Module<Tensor, Tensor>, IActivationLayout
    {
        private readonly Sequential features;
        private readonly Rearrange tokens;
        private readonly Linear mix;
        private readonly Linear fc;

        public TokenNet(bool channelsLast) : base(nameof(TokenNet))
        {
            features = nn.Sequential(nn.Conv2d(3, 8, 3, padding: 1), nn.ReLU(), nn.Conv2d(8, 16, 3, stride: 2, padding: 1), nn.ReLU());
            tokens = new Rearrange(channelsLast);
            mix = nn.Linear(16, 16);
            fc = nn.Linear(16, 5);
            Declared = channelsLast ? ActivationLayout.ChannelsLast : ActivationLayout.ClassTokenThenGrid;
            RegisterComponents();
        }

        public ActivationLayout Declared { get; init; }

        public ActivationLayout LayoutOf(string modulePath) => modulePath == "tokens" ? Declared : ActivationLayout.ChannelsFirst;

        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            var t = tokens.call(features.call(input));
            var x = t + nn.functional.relu(mix.call(t));
            Tensor pooled;
            if (tokens.ChannelsLast) pooled = x.mean(new long[] { 1, 2 });
            else pooled = x.narrow(1, 1, x.shape[1] - 1).mean(new long[] { 1 }) + 0.5 * x.select(1, 0);
            return scope.MoveToOuter(fc.call(pooled));
        }
    }

    private sealed class Rearrange : nn.Module<Tensor, Tensor>
    {
        private readonly Parameter class_token;

        public Rearrange(bool channelsLast) : base(nameof(Rearrange))
        {
            ChannelsLast = channelsLast;
            class_token = nn.Parameter(randn(1, 1, 16));
            RegisterComponents();
        }

        public bool ChannelsLast { get; }

        public override Tensor forward(Tensor grid)
        {
            if (ChannelsLast) return grid.permute(0, 2, 3, 1);
            using var scope = NewDisposeScope();
            var patches = grid.flatten(2).transpose(1, 2);
            return scope.MoveToOuter(cat(new[] { class_token.expand(grid.shape[0], -1, -1), patches }, 1));
        }
    }
}
