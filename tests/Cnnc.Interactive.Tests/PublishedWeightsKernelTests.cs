using System.Text.Json;
using Cnnc.Engine.Studies;
using Cnnc.Engine.Tests.Support;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Events;
using static Cnnc.Interactive.Tests.NotebookHost;

namespace Cnnc.Interactive.Tests;

/// <summary>
/// <c>#!cnnc add</c> with torchvision's published weights files on an ImageNet-layout study of real photographs: no
/// --arch, each file its own preprocessing, and the notebook's predictions equal PyTorch's (torchvision's transforms()
/// and ImageFolder loader, tests/fixtures/photographs.py). The files carry random weights under published names, so
/// they are taken by name (--trust-names); by content they are the user's own, with a note.
/// </summary>
[Collection("study")] // Notebook.Study is the process's one session: never beside the other kernel tests
public sealed class PublishedWeightsKernelTests : IDisposable
{
    private readonly CompositeKernel _kernel = NewKernel();
    private readonly string _store = Path.Combine(Path.GetTempPath(), "cnnc-published-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly Study _previous = Notebook.Study;

    public void Dispose()
    {
        Notebook.Study = _previous;
        _kernel.Dispose();
        try { Directory.Delete(_store, recursive: true); } catch (IOException) { }
    }

    private static JsonElement StudyJson =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(PhotographFixtures.Directory, "study.json"))).RootElement;

    private static string PlainText(IEnumerable<KernelEvent> events) => string.Join("\n", events
        .OfType<DisplayEvent>().SelectMany(e => e.FormattedValues).Where(v => v.MimeType == "text/plain").Select(v => v.Value));

    private async Task<Study> ImageNetStudy()
    {
        await new CnncKernelExtension().OnLoadAsync(_kernel);
        var val = Path.Combine(PhotographFixtures.Directory, "imagenet-val", "val");
        return Notebook.Study = new Study().UseStore(_store).UseData($"imagenet-val:{val}");
    }

    [Fact]
    public async Task Add_takes_published_files_without_arch_and_evaluates_them_as_PyTorch_does()
    {
        var study = await ImageNetStudy();
        var models = StudyJson.GetProperty("models").EnumerateArray().ToList();
        foreach (var model in models)
        {
            var file = Path.Combine(PhotographFixtures.Directory, model.GetProperty("file").GetString()!);
            var events = await _kernel.Submit($"#!cnnc add --weights {file} --trust-names");
            Assert.Equal("", Failure(events));
            Assert.Contains($"{Path.GetFileName(file)}: torchvision's {model.GetProperty("weights").GetString()}", PlainText(events));
        }
        Assert.Equal(new[] { "resnet50:IMAGENET1K_V2", "resnet18:IMAGENET1K_V1", "densenet121:IMAGENET1K_V1" },
            study.Models.Select(m => m.Name));
        Assert.Equal(new int?[] { 232, 256, 256 }, study.Models.Select(m => m.Reference.Preprocessing.ResizeShorterSide));
        Assert.All(study.Models, m => Assert.Equal(224, m.Reference.Options.InputSize));

        var evaluate = await _kernel.Submit("#!cnnc evaluate --batch-size 4");
        Assert.Equal("", Failure(evaluate));
        for (var i = 0; i < models.Count; i++)
        {
            var entry = study.EntryOf(study.Models[i])!;
            Assert.Equal(models[i].GetProperty("predictions").EnumerateArray().Select(p => p.GetInt64()), entry.Predictions);
        }

        // The overview shows torchvision's published accuracy beside the measured one, and says the study mixes
        // preprocessings (resnet50 V2 resizes to 232, the V1 files to 256).
        var overview = await _kernel.Submit("#!cnnc overview --explain none");
        Assert.Equal("", Failure(overview));
        var html = DisplayedHtml(overview);
        Assert.Contains("<th>published acc@1</th>", html);
        Assert.Contains("<td>resnet50:IMAGENET1K_V2</td><td>resnet50</td><td>0.0%</td><td>80.9%</td>", html);
        Assert.Contains("<td>densenet121:IMAGENET1K_V1</td><td>densenet121</td><td>0.0%</td><td>74.4%</td>", html);
        Assert.Contains("⚠ mixed preprocessings: resize 232, crop 224, bilinear (resnet50:IMAGENET1K_V2); resize 256, crop 224, " +
                        "bilinear (resnet18:IMAGENET1K_V1, densenet121:IMAGENET1K_V1): the models do not see the same pixels.", html);
    }

    [Fact]
    public async Task Add_says_when_a_file_only_has_a_published_name_and_when_the_architecture_is_unknown()
    {
        await ImageNetStudy();
        var model = StudyJson.GetProperty("models")[0];
        var file = Path.Combine(PhotographFixtures.Directory, model.GetProperty("file").GetString()!);
        var hashed = await _kernel.Submit($"#!cnnc add --weights {file}");
        Assert.Equal("", Failure(hashed));
        Assert.Contains($"note: {Path.GetFileName(file)} is named like torchvision's {model.GetProperty("weights").GetString()} but is not that file",
            PlainText(hashed));

        var unnamed = Path.Combine(_store, "my-weights.pth");
        Directory.CreateDirectory(_store);
        File.Copy(file, unnamed);
        var failure = Failure(await _kernel.Submit($"#!cnnc add --weights {unnamed}"));
        Assert.StartsWith("#!cnnc add: Cannot tell the architecture of my-weights.pth: it is not one of torchvision's published weights files", failure);
        Assert.Contains("Name it (--arch).", failure);

        // Taken as the user's own weights: ImageNet's preprocessing, no published accuracy, nothing mixed.
        await _kernel.Submit("#!cnnc evaluate --batch-size 4");
        var html = DisplayedHtml(await _kernel.Submit("#!cnnc overview --explain none"));
        Assert.DoesNotContain("published acc@1", html);
        Assert.DoesNotContain("mixed preprocessings", html);
    }
}
