using System.Text.RegularExpressions;
using Cnnc.Engine.Analysis;
using Cnnc.Interactive.Directives;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Events;

using static Cnnc.Interactive.Tests.NotebookHost;

namespace Cnnc.Interactive.Tests;

/// <summary>
/// The extension in an in-process notebook host (<c>CompositeKernel { CSharpKernel }</c>): registration, help, errors,
/// completions, and the views of a real (small) evaluated study, through the magic commands and the C# API.
/// </summary>
[Collection("study")]
public sealed class KernelTests(StudyFixture study) : IDisposable
{
    private readonly CompositeKernel _kernel = NewKernel();

    public void Dispose() => _kernel.Dispose();

    private Task<IReadOnlyList<KernelEvent>> Submit(string code) => _kernel.Submit(code);

    private async Task Load() => await new CnncKernelExtension().OnLoadAsync(_kernel);

    [Fact]
    public async Task Loading_from_csharp_registers_the_directive_once_and_shows_the_start_card()
    {
        var dll = typeof(CnncKernelExtension).Assembly.Location;
        var load = $"#r \"{dll}\"\nawait new Cnnc.Interactive.CnncKernelExtension().OnLoadAsync(" +
                   "Microsoft.DotNet.Interactive.KernelInvocationContext.Current.HandlingKernel.RootKernel);";
        var first = await Submit(load);
        Assert.Empty(first.OfType<CommandFailed>());
        Assert.Contains("#!cnnc setup", DisplayedHtml(first));
        Assert.Contains("#!cnnc overview", DisplayedHtml(first));
        Assert.Contains("#!cnnc compare --class Shirt", DisplayedHtml(first));
        Assert.Contains("#!cnnc inspect --model resnet18", DisplayedHtml(first));

        var second = await Submit(load);
        Assert.Empty(second.OfType<CommandFailed>());
        Assert.DoesNotContain("#!cnnc setup", DisplayedHtml(second)); // no second card, no second registration
        Assert.Single(_kernel.KernelInfo.SupportedDirectives, d => d.Name == "#!cnnc");
        Assert.False(CnncDirectives.Register(_kernel));
    }

    [Fact]
    public async Task Help_lists_subcommands_and_options()
    {
        await Load();
        var root = DisplayedHtml(await Submit("#!cnnc"));
        foreach (var sub in new[] { "setup", "add", "evaluate", "overview", "models", "export" })
            Assert.Contains($"#!cnnc {sub}", root);

        var help = await Submit("#!cnnc -h");
        Assert.Contains("#!cnnc overview", DisplayedHtml(help));

        var overview = await Submit("#!cnnc overview -h");
        Assert.Empty(overview.OfType<CommandFailed>());
        var text = DisplayedHtml(overview);
        foreach (var option in new[] { "--complexity", "--pin", "--root", "--class", "--top", "--explain", "--methods", "--image", "--inline-plotly", "-h" })
            Assert.Contains(option, text);

        var add = DisplayedHtml(await Submit("#!cnnc add --help"));
        Assert.Contains("--weights", add);
        Assert.Contains("--arch", add);
    }

    [Theory]
    [InlineData("#!cnnc overview --complexity bogus", "#!cnnc overview: Unknown --complexity 'bogus': use params, macs or latency.")]
    [InlineData("#!cnnc overview --pin nosuch", "#!cnnc overview: Unknown model 'nosuch'. Models in this study: tiny-alexnet, tiny-resnet18, tiny-squeezenet.")]
    [InlineData("#!cnnc overview --root nowhere", "#!cnnc overview: Unknown root class 'nowhere'. Root classes: tops-and-bags, bottoms, footwear.")]
    [InlineData("#!cnnc overview --class c11-hat", "#!cnnc overview: 'c11-hat' is not a class of hierarchy roots. Classes: c0-tshirt, c1-trouser, c2-pullover, c3-dress, c4-coat, c5-sandal, c6-shirt, c7-sneaker, c8-bag, c9-boot.")]
    [InlineData("#!cnnc overview --top 0", "#!cnnc overview: --top must be a positive integer (got '0').")]
    [InlineData("#!cnnc evaluate --batch-size 0", "#!cnnc evaluate: --batch-size must be a positive integer (got '0').")]
    [InlineData("#!cnnc add --arch resnet18", "#!cnnc add: --weights is required: give a weights file, e.g. --weights resnet18.pth.")]
    [InlineData("#!cnnc add --weights x.pth", "#!cnnc add: Weights file 'x.pth' does not exist.")]
    [InlineData("#!cnnc add --arch resnet18 --weights /no/such/file.pth", "#!cnnc add: Weights file '/no/such/file.pth' does not exist.")]
    [InlineData("#!cnnc setup --data mnist-ish", "#!cnnc setup: Unknown dataset 'mnist-ish'. Use fashion-mnist[:test|:train] (default), folder:PATH (one sub-folder per class), imagenet-val:PATH (ILSVRC2012 validation layout).")]
    public async Task Bad_values_fail_with_one_clear_line(string code, string expected)
    {
        await Load();
        Notebook.Study = study.NewSession();
        var events = await Submit(code);
        Assert.Equal(expected, Failure(events));
        Assert.DoesNotContain("   at ", Failure(events)); // no stack trace
    }

    [Theory]
    [InlineData("#!cnnc evaluate --batch-size many", "$.batchSize")]
    [InlineData("#!cnnc overview --image first", "$.image")]
    [InlineData("#!cnnc compare --class c3-dress --threshold half", "$.threshold")]
    [InlineData("#!cnnc add --arch resnet18 --weights x.pth --width wide", "$.width")]
    public async Task A_value_that_is_not_a_number_is_refused_by_the_host_before_any_work(string code, string path)
    {
        // The commands are typed: the host binds numbers and reports the option whose value is not one.
        await Load();
        Notebook.Study = study.NewSession();
        var failure = Failure(await Submit(code));
        Assert.Contains("DNI106", failure);
        Assert.Contains(path, failure);
        Assert.DoesNotContain("   at ", failure);
    }

    [Fact]
    public async Task Unknown_architecture_and_option_are_reported()
    {
        await Load();
        Notebook.Study = study.NewSession();
        var arch = Failure(await Submit($"#!cnnc add --arch resnet7 --weights {study.WeightsPaths["tiny-resnet18"]}"));
        Assert.StartsWith("#!cnnc add: ", arch);
        Assert.Contains("resnet7", arch);
        Assert.Contains("resnet18", arch); // lists the known ones

        var events = await Submit("#!cnnc overview --colour red");
        var option = Failure(events);
        Assert.Equal("#!cnnc overview: Unknown option '--colour'. Options of #!cnnc overview: --complexity, --pin, --root, --class, --top, --explain, --methods, --image, --inline-plotly (and -h).", option);
    }

    [Fact]
    public async Task Without_models_the_commands_say_what_to_do()
    {
        await Load();
        Notebook.Study = new Study().UseStore(study.StoreDir);
        var failure = Failure(await Submit("#!cnnc overview"));
        Assert.StartsWith("#!cnnc overview: The session has no models", failure);
        Assert.Contains("#!cnnc add --arch ARCH --weights FILE", failure);
    }

    [Fact]
    public async Task Completions_offer_models_roots_and_architectures()
    {
        await Load();
        Notebook.Study = study.NewSession();
        Task<IReadOnlyList<string>> Complete(string code) => _kernel.Completions(code);
        Assert.Contains("tiny-resnet18", await Complete("#!cnnc overview --pin "));
        Assert.Contains("footwear", await Complete("#!cnnc overview --root "));
        Assert.Contains("squeezenet1_1", await Complete("#!cnnc add --arch "));
        Assert.Contains("c3-dress", await Complete("#!cnnc overview --class "));
        Assert.Contains("smoothgradcam++", await Complete("#!cnnc overview --methods "));
        Assert.Contains("all", await Complete("#!cnnc overview --explain "));
        Assert.Contains("overview", await Complete("#!cnnc "));
    }

    [Fact]
    public async Task The_whole_phase_one_runs_through_the_magic_commands()
    {
        await Load();
        PlotlyJs.ResetNotebook();
        // A store of its own, so the evaluation really runs (the fixture's store already has these models).
        var store = Path.Combine(study.Root, "store-" + Guid.NewGuid().ToString("N")[..6]);
        var setup = await Submit($"#!cnnc setup --models none --data folder:{study.DataDir} --store {store} --hierarchy {study.HierarchyPath}");
        Assert.Equal("", Failure(setup));
        foreach (var (name, arch, _, _) in StudyFixture.ModelSpecs)
        {
            var add = await Submit($"#!cnnc add --arch {arch} --weights {study.WeightsPaths[name]} --name {name} --width 0.125 --num-classes 10 --in-channels 1 --input-size 28");
            Assert.Equal("", Failure(add));
        }

        var evaluate = await Submit("#!cnnc evaluate --batch-size 16");
        Assert.Equal("", Failure(evaluate));
        Assert.Contains(evaluate.OfType<DisplayedValueUpdated>(), e =>
            e.FormattedValues.Any(v => v.MimeType == "text/html" && v.Value.Contains("Evaluated 3 models")));

        var overview = DisplayedHtml(await Submit("#!cnnc overview --complexity macs --pin tiny-squeezenet --root footwear"));
        var expected = study.Session.Overview();
        foreach (var model in expected.Models)
        {
            Assert.Contains(model.Name, overview);
            Assert.Contains($"<td>{Format.Percent(model.Accuracy.Overall)}</td>", overview);
        }
        Assert.Equal(1, Count(overview, PlotlyJs.Marker));
        Assert.Contains("data-cnnc-pinned-model=\"tiny-squeezenet\"", overview);
        Assert.Contains("data-cnnc-pinned-root=\"footwear\"", overview);
        Assert.Contains("MACs per image", overview);

        // --class marks a leaf class in A3/A4 and pins its root.
        var marked = DisplayedHtml(await Submit("#!cnnc overview --class c7-sneaker"));
        Assert.Contains("\"highlight\":7", marked);
        Assert.Contains("data-cnnc-pinned-root=\"footwear\"", marked);

        // plotly.js once per page: the next view relies on it; --inline-plotly brings it again.
        Assert.Equal(0, Count(DisplayedHtml(await Submit("#!cnnc overview")), PlotlyJs.Marker));
        Assert.Equal(1, Count(DisplayedHtml(await Submit("#!cnnc overview --inline-plotly")), PlotlyJs.Marker));

        var models = await Submit("#!cnnc models");
        Assert.Contains(Format.Percent(expected.Models[0].Accuracy.Overall), DisplayedHtml(models));
    }

    [Fact]
    public async Task Interrupting_the_kernel_stops_an_evaluation()
    {
        await Load();
        var store = Path.Combine(study.Root, "store-cancel-" + Guid.NewGuid().ToString("N")[..6]);
        var session = study.NewSession().UseStore(store);
        Notebook.Study = session;
        var shown = new TaskCompletionSource();
        using var subscription = _kernel.KernelEvents.Subscribe(new EventObserver(e =>
        {
            if (e is DisplayedValueProduced d && d.FormattedValues.Any(v => v.Value.Contains("cnnc-evaluate"))) shown.TrySetResult();
        }));
        var run = _kernel.SendAsync(new SubmitCode("#!cnnc evaluate --batch-size 1"));
        await shown.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await _kernel.SendAsync(new Cancel());
        var result = await run.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Contains("cancelled", Failure(result.Events), StringComparison.OrdinalIgnoreCase);
        // The evaluation thread stops at its next batch: not every model gets into the store.
        await Task.Delay(2000);
        Assert.NotEmpty(session.Unevaluated());
    }

    [Fact]
    public async Task The_csharp_twin_returns_engine_objects_that_display_with_the_same_formatter()
    {
        await Load();
        Notebook.Study = study.NewSession();
        var value = await _kernel.SendAsync(new SubmitCode(
            $"#r \"{typeof(Notebook).Assembly.Location}\"\n#r \"{typeof(Study).Assembly.Location}\"\n" +
            "var cnnc = Cnnc.Interactive.Notebook.Study;\nvar o = cnnc.Overview(new() { Pin = \"tiny-resnet18\" });\no.RankedClasses().Count"));
        Assert.Empty(value.Events.OfType<CommandFailed>());
        Assert.Equal(10, value.Events.OfType<ReturnValueProduced>().Single().Value);

        var shown = DisplayedHtml(await Submit("o"));
        Assert.Contains("cnnc-overview", shown);
        Assert.Contains("data-cnnc-pinned-model=\"tiny-resnet18\"", shown);

        var accuracy = await _kernel.SendAsync(new SubmitCode("o.ModelNamed(\"tiny-alexnet\").Accuracy.Overall"));
        var expected = AccuracyMetrics.Compute(study.Session.EntryOf(study.Session.Model("tiny-alexnet"))!).Overall;
        Assert.Equal(expected, (double)accuracy.Events.OfType<ReturnValueProduced>().Single().Value);
    }

    [Fact]
    public async Task Export_writes_the_tables_as_csv()
    {
        await Load();
        Notebook.Study = study.NewSession();
        var folder = Path.Combine(study.Root, "export-" + Guid.NewGuid().ToString("N")[..6]);
        Assert.Equal("", Failure(await Submit($"#!cnnc export --out {folder}")));
        var models = File.ReadAllLines(Path.Combine(folder, "overview-models.csv"));
        Assert.Equal("model,architecture,zoo,accuracy,top5,parameters,macs,latency_ms,images_per_second,readable,unreadable,latency_q1_ms,latency_q3_ms,latency_reliable,latency_caveat,published_weights,published_accuracy,accuracy_lower_95,accuracy_upper_95,ece,mce", models[0]);
        Assert.Equal(4, models.Length);
        var overview = study.Session.Overview();
        foreach (var m in overview.Models)
        {
            var row = models.Single(l => l.StartsWith(m.Name + ",")).Split(',');
            Assert.Equal(m.Accuracy.Overall, double.Parse(row[3], System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(m.Parameters, long.Parse(row[5]));
        }
        Assert.Equal(1 + 3 * 10, File.ReadAllLines(Path.Combine(folder, "overview-classes.csv")).Length);
        Assert.Equal(1 + 3 * 3, File.ReadAllLines(Path.Combine(folder, "overview-roots.csv")).Length);
        Assert.Equal(1 + 10, File.ReadAllLines(Path.Combine(folder, "overview-spotlights.csv")).Length);
    }

    private static int Count(string text, string marker) => Regex.Matches(text, Regex.Escape(marker)).Count;
}
