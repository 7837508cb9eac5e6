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

    [Theory]
    [MemberData(nameof(Names))]
    public void CommittedWeightsReproduceTheCardsTestAccuracyExactly(string name)
    {
        var card = ZooCatalog.Card(name);
        var path = ZooCatalog.WeightsPath(name);
        Assert.Equal(card.WeightsSha256, WeightsFile.Sha256(path));

        using var loaded = ModelReference.Zoo(name).Load(CPU);
        Assert.Equal(card.Parameters, loaded.Complexity.Parameters);
        Assert.Equal(card.Macs, loaded.Complexity.Macs);

        var store = new PredictionsStore(Path.Combine(Path.GetTempPath(), "cnnc-zoo-test-" + Guid.NewGuid().ToString("N")));
        try
        {
            var source = new DatasetEvaluationSource(IdxDataset.FashionMnist(DatasetSplit.Test), ZooCatalog.Preprocessing);
            var entry = Evaluator.Evaluate(loaded.Module, loaded.Identity, source, store,
                new EvaluationOptions { MeasureLatency = false, Device = CPU, BatchSize = 200 })!;
            var correct = entry.Predictions.Zip(entry.Labels).Count(p => p.First == p.Second);
            Assert.Equal(card.TestCorrect, correct);
        }
        finally
        {
            Directory.Delete(store.Root, recursive: true);
        }
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
