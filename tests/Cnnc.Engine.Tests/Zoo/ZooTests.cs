using Cnnc.Engine.Data;
using Cnnc.Engine.Evaluation;
using Cnnc.Engine.Models;
using Cnnc.Engine.Runtime;
using Cnnc.Engine.Weights;
using Cnnc.Engine.Zoo;
using static TorchSharp.torch;

namespace Cnnc.Engine.Tests.Zoo;

public sealed class ZooTests
{
    public ZooTests() => TorchRuntime.Initialize();

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var recipe in ZooCatalog.Recipes) data.Add(recipe.Name);
        return data;
    }

    // The paper's 13 architectures (VAC-CNN's model list); the zoo has them all, and more families beside them.
    private static readonly string[] PaperArchitectures =
    {
        "alexnet", "mobilenet_v2", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "densenet121",
        "densenet161", "densenet169", "densenet201", "squeezenet1_1", "shufflenet_v2_x0_5",
    };

    [Fact]
    public void EveryRecipeShipsWithItsCardAndThePapersArchitecturesAreAllThere()
    {
        Assert.Equal(ZooCatalog.Recipes.Select(r => r.Name), ZooCatalog.Cards.Select(c => c.Name));
        Assert.All(ZooCatalog.Cards, c => Assert.Contains(c.Architecture, ArchitectureCatalog.Names));
        Assert.Empty(PaperArchitectures.Except(ZooCatalog.Cards.Select(c => c.Architecture)));
        Assert.All(ZooCatalog.Cards, c => Assert.Equal(10000, c.TestCount));
    }

    /// <summary>Test images the reproduction check evaluates: a tenth of the test set keeps the 21 models cheap in CI.</summary>
    private const int CheckedImages = 1000;

    [Fact]
    public void EveryCardRecordsAPredictionPerTestImageAndTheyGiveItsTestAccuracy()
    {
        var labels = IdxDataset.FashionMnist(DatasetSplit.Test).Labels().ToArray();
        Assert.All(ZooCatalog.Cards, card =>
        {
            var recorded = card.RecordedPredictions();
            Assert.Equal(labels.Length, recorded.Length);
            Assert.Equal(card.TestCorrect, recorded.Zip(labels).Count(p => p.First == p.Second));
        });
    }

    // Every prediction of the committed weights on the first 1,000 test images equals the card's: the weights, the
    // architecture and the evaluation path are what the card measured. All 10,000 ('cnnc zoo verify'): not in CI.
    [Theory]
    [MemberData(nameof(Names))]
    public void CommittedWeightsReproduceTheCardsPredictions(string name)
    {
        var card = ZooCatalog.Card(name);
        var path = ZooCatalog.WeightsPath(name);
        Assert.Equal(card.WeightsSha256, WeightsFile.Sha256(path));

        using var loaded = ModelReference.Zoo(name).Load(CPU);
        Assert.Equal(card.Parameters, loaded.Complexity.Parameters);
        Assert.Equal(card.Macs, loaded.Complexity.Macs);

        var test = ZooTestSet.Predict(loaded, CheckedImages);
        var recorded = card.RecordedPredictions()[..CheckedImages];
        var differing = Enumerable.Range(0, CheckedImages).Where(i => test.Predicted[i] != recorded[i]).ToList();
        Assert.True(differing.Count == 0,
            $"{name}: {differing.Count} of the first {CheckedImages} predictions differ from the card's (images {string.Join(", ", differing.Take(10))})");
    }

    [Fact]
    public void AChangedWeightChangesThePredictionsTheCheckCompares()
    {
        // The check above can fail: the same model with one convolution's weights perturbed predicts differently.
        using var loaded = ModelReference.Zoo("resnet18").Load(CPU);
        using (no_grad()) loaded.Module.named_parameters().First(p => p.name == "conv1.weight").parameter.mul_(-1);
        var test = ZooTestSet.Predict(loaded, CheckedImages);
        var recorded = ZooCatalog.Card("resnet18").RecordedPredictions()[..CheckedImages];
        Assert.True(test.Predicted.Zip(recorded).Count(p => p.First != p.Second) > 50);
    }

    [Fact]
    public void AccuraciesSpreadLikeRealModelFamilies()
    {
        // Trained models, far above chance (10%): every recipe reaches 76-91% on the test set, spread like a model
        // family's (README, "Model zoo").
        var accuracies = ZooCatalog.Cards.Select(c => c.TestAccuracy).ToList();
        Assert.All(accuracies, a => Assert.InRange(a, 0.75, 0.95));
        Assert.True(accuracies.Max() - accuracies.Min() >= 0.05, "the zoo's accuracies should spread, not all be equal");
    }

    [Fact]
    public void TheEmbeddedWeightsStayWithinTheZoosSixtyMegabytes()
    {
        // Issue 13's budget for the committed zoo: the weights embedded in Cnnc.Engine.dll, all models together.
        var assembly = typeof(ZooCatalog).Assembly;
        var bytes = ZooCatalog.Cards.Sum(card =>
        {
            using var stream = assembly.GetManifestResourceStream("Cnnc.Zoo." + card.WeightsFile)!;
            return stream.Length;
        });
        Assert.InRange(bytes, 40_000_000, 60_000_000);
        Assert.True(ZooCatalog.Cards.Count >= 20, $"the zoo should have about 20 models (has {ZooCatalog.Cards.Count})");
    }

    [Fact]
    public void EveryCardRecordsTheRecipeItWasTrainedWith()
    {
        // The catalogue's recipe and the shipped card's must agree: `cnnc zoo train` must reproduce the shipped model.
        foreach (var recipe in ZooCatalog.Recipes)
            Assert.Equal(recipe, ZooCatalog.Card(recipe.Name).Recipe);
    }

    [Fact]
    public void UnknownZooModelListsTheAvailableOnes()
    {
        var error = Assert.Throws<ArgumentException>(() => ZooCatalog.Card("vgg16"));
        Assert.StartsWith("Unknown zoo model 'vgg16'. Available: alexnet, mobilenet_v2, resnet18", error.Message);
    }
}
