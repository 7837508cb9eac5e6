using Cnnc.Engine.Models;
using Cnnc.Engine.Runtime;
using Cnnc.Engine.Studies;
using Cnnc.Engine.Tests.Support;

namespace Cnnc.Engine.Tests.Studies;

/// <summary>The one rule for the build options of weights added to a study (what <c>#!cnnc add</c> uses).</summary>
public sealed class StudyBuildOptionsTests
{
    public StudyBuildOptionsTests() => TorchRuntime.Initialize();

    [Fact]
    public void OnFashionMnistTheDatasetGivesTenClassesOfOneChannelAt28Pixels()
    {
        using var study = new Study();
        Assert.Equal(new ArchitectureOptions { NumClasses = 10, InputChannels = 1, InputSize = 28 }, study.BuildOptions());
        Assert.Equal(new ArchitectureOptions { NumClasses = 10, InputChannels = 1, InputSize = 28, Width = 0.25 },
            study.BuildOptions(width: 0.25));
        Assert.Equal(new ArchitectureOptions { NumClasses = 4, InputChannels = 3, InputSize = 64 },
            study.BuildOptions(numClasses: 4, inputChannels: 3, inputSize: 64));
    }

    [Fact]
    public void OnAnImageNetLikeDatasetNothingGivenIsNoneSoPublishedFilesKeepTheirCrop()
    {
        var val = Path.Combine(PhotographFixtures.Directory, "imagenet-val", "val");
        using var study = new Study().UseData($"imagenet-val:{val}");
        Assert.Equal(1000, study.Dataset.Classes.Count);
        Assert.Null(study.BuildOptions());
        Assert.Equal(new ArchitectureOptions { NumClasses = 1000, InputChannels = 3, InputSize = 224, Width = 0.5 },
            study.BuildOptions(width: 0.5));
    }

    [Fact]
    public void AnImpossibleValueIsTheOptionsOwnError()
    {
        using var study = new Study();
        var error = Assert.Throws<ArgumentException>(() => study.BuildOptions(width: 5));
        Assert.Equal("Width must be in (0, 4] (got 5).", error.Message);
    }
}
