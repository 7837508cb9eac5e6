using Cnnc.Engine.Runtime;
using Cnnc.Engine.Zoo;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Cnnc.Engine.Tests.Zoo;

public sealed class ZooTrainerTests
{
    public ZooTrainerTests() => TorchRuntime.Initialize();

    [Theory]
    [InlineData(null, 0.01)] // MobileNet V3's own (torchvision's)
    [InlineData(0.1, 0.1)]
    public void ARecipesBatchNormMomentumReplacesTheArchitecturesForTraining(double? recipeMomentum, double expected)
    {
        using var scope = NewDisposeScope();
        var recipe = ZooCatalog.Recipe("mobilenet_v3_large") with
        {
            TrainImages = 16, BatchSize = 16, Epochs = 1, BatchNormMomentum = recipeMomentum,
        };
        manual_seed(1);
        using var model = ZooTrainer.Train(recipe, rand(16, 1, 28, 28), randint(10, 16));
        var norms = model.modules().OfType<BatchNorm2d>().ToList();
        Assert.Equal(46, norms.Count);
        Assert.All(norms, n => Assert.Equal(expected, n.momentum!.Value, 12));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.5)]
    public void AMomentumOutsideZeroToOneIsAnError(double momentum)
    {
        var recipe = ZooCatalog.Recipe("mobilenet_v3_large") with { BatchNormMomentum = momentum };
        var error = Assert.Throws<ArgumentException>(() => recipe.Validate());
        Assert.Equal($"BatchNormMomentum must be in (0, 1] (got {momentum}).", error.Message);
    }
}
