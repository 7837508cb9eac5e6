using Cnnc.Engine.Analysis;

namespace Cnnc.Engine.Tests.Evaluation;

public sealed class ClassSpotlightsTests
{
    private static ModelAccuracy Model(string name, params (int Correct, int Total)[] perClass) =>
        new(name, 0, 0, perClass.Select((p, i) => new GroupAccuracy($"c{i}", p.Correct, p.Total)).ToList(),
            Array.Empty<GroupAccuracy>(), perClass.Sum(p => p.Total), 0);

    [Fact]
    public void RangeAndMeanPickDivergentAgreedEasyAndHardClasses()
    {
        var models = new[]
        {
            Model("m1", (10, 10), (5, 10), (1, 10)),
            Model("m2", (9, 10), (10, 10), (2, 10)),
            Model("m3", (10, 10), (0, 10), (1, 10)),
        };
        var spotlights = ClassSpotlights.From(models);
        Assert.Equal(1.0, spotlights.Classes[1].Range, 12);       // 0.0 .. 1.0
        Assert.Equal(0.5, spotlights.Classes[1].Mean, 12);
        Assert.Equal("c1", spotlights.MostDivergent(1)[0].ClassName);
        Assert.Equal("c0", spotlights.MostAgreed(1)[0].ClassName); // range 0.1, c2 also 0.1: ties keep label order
        Assert.Equal("c0", spotlights.Easiest(1)[0].ClassName);
        Assert.Equal("c2", spotlights.Hardest(1)[0].ClassName);
    }

    [Fact]
    public void EmptyClassHasNaNAccuracyAndIsLeftOut()
    {
        var spotlights = ClassSpotlights.From(new[] { Model("m", (1, 2), (0, 0)) });
        Assert.True(double.IsNaN(spotlights.Classes[1].Mean));
        Assert.Single(spotlights.Hardest(5));
    }
}
