using Cnnc.Engine.Evaluation;
using Cnnc.Engine.IO;
using Cnnc.Engine.Studies;
using static TorchSharp.torch;

namespace Cnnc.Interactive.Tests;

/// <summary>
/// Explanations precomputed into the store (what <c>cnnc explanations precompute</c> and the cluster array write) are
/// what compare and inspect show: read, not recomputed. Proved by overwriting the stored maps with a map no explainer
/// gives (left half 1, right half 0, so ROI = 0.5 at threshold 0.5) and finding it in the views.
/// </summary>
[Collection("study")]
public sealed class StoredExplanationsTests : IDisposable
{
    private const string Model = "tiny-resnet18";
    private const string ClassName = "c6-shirt";
    private readonly StudyFixture _fixture;
    private readonly string _store = Path.Combine(Path.GetTempPath(), "cnnc-stored-explanations-" + Guid.NewGuid().ToString("N")[..8]);

    public StoredExplanationsTests(StudyFixture fixture) => _fixture = fixture;

    public void Dispose()
    {
        try { Directory.Delete(_store, recursive: true); } catch (IOException) { }
    }

    private Study NewStudy()
    {
        var study = new Study().UseStore(_store).UseData("folder:" + _fixture.DataDir).UseHierarchy(_fixture.HierarchyPath);
        study.AddModel("resnet18", _fixture.WeightsPaths[Model], _fixture.Options, name: Model);
        study.Evaluate(batchSize: 32);
        return study;
    }

    /// <summary>Precomputes Grad-CAM of the class's images for their labels, then replaces every stored map.</summary>
    private static int[] PrecomputeAndReplaceMaps(Study study)
    {
        var model = study.Models.Single();
        var classIndex = study.Dataset.Classes.ToList().IndexOf(ClassName);
        using var loaded = model.Reference.Load(CPU);
        var request = ExplanationRequest.Resolve(loaded.Module, "gradcam", null, ExplanationTarget.Label,
            ExplanationSelection.OfClass(study.Dataset, classIndex));
        var entry = ExplanationPrecompute.Run(loaded.Module, model.Identity, study.SourceFor(model), new ExplanationStore(study.Store.Root), request)!;
        Assert.Equal("layer4", entry.Meta.Layer);
        using var maps = Npy.Read(Path.Combine(entry.Directory, "maps.npy"));
        using var replaced = zeros_like(maps);
        replaced[.., .., ..14] = 1f;
        Npy.Write(Path.Combine(entry.Directory, "maps.npy"), replaced);
        return entry.Indices;
    }

    [Fact]
    public void Inspect_shows_the_stored_maps()
    {
        var computed = NewStudy().Inspect(new InspectOptions { Model = Model, Classes = new[] { ClassName }, Method = "gradcam",
            Target = ExplainTarget.Label, Threshold = 0.5 });
        Assert.Contains(computed.Rows, r => Math.Abs(r.RoiSize - 0.5) > 1e-9); // what an explainer gives is not the planted map

        var study = NewStudy();
        var images = PrecomputeAndReplaceMaps(study);
        var inspection = study.Inspect(new InspectOptions { Model = Model, Classes = new[] { ClassName }, Method = "gradcam",
            Target = ExplainTarget.Label, Threshold = 0.5 });
        Assert.NotEmpty(inspection.Rows);
        Assert.All(inspection.Rows, r =>
        {
            Assert.Contains(r.Index, images);
            Assert.Equal(0.5, r.RoiSize, 9);
        });
    }

    [Fact]
    public void Compare_shows_the_stored_map_and_computes_what_is_not_stored()
    {
        var study = NewStudy();
        var images = PrecomputeAndReplaceMaps(study);
        var label = study.Compare(new CompareOptions { Class = ClassName, Image = images[1], Method = "gradcam", Target = ExplainTarget.Label, Threshold = 0.5 });
        Assert.Equal(0.5, label.Row(Model).RoiSize, 9);

        // Layer-CAM was not precomputed: computed as ever.
        var other = study.Compare(new CompareOptions { Class = ClassName, Image = images[1], Method = "layercam", Target = ExplainTarget.Label, Threshold = 0.5 });
        Assert.NotEqual(0.5, other.Row(Model).RoiSize, 9);
    }
}
