using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Cnnc.Engine.Analysis;
using Cnnc.Engine.Explain;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Events;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

using static Cnnc.Interactive.Tests.NotebookHost;

namespace Cnnc.Interactive.Tests;

/// <summary>
/// Views B (distribution graph) and D (explanation examples) of <c>#!cnnc overview</c>, through the magic command and
/// the C# twin, checked against the engine's own results on the fixture's store.
/// </summary>
[Collection("study")]
public sealed class OverviewViewsTests(StudyFixture study) : IDisposable
{
    private readonly CompositeKernel _kernel = NewKernel();

    public void Dispose() => _kernel.Dispose();

    private Task<IReadOnlyList<KernelEvent>> Submit(string code) => _kernel.Submit(code);

    private async Task<string> Overview(string options)
    {
        await new CnncKernelExtension().OnLoadAsync(_kernel);
        var events = await Submit("#!cnnc overview " + options);
        Assert.Equal("", Failure(events));
        return DisplayedHtml(events);
    }

    private static JsonObject Payload(string html) =>
        JsonNode.Parse(Regex.Match(html, "<script type=\"application/json\" class=\"cnnc-data\">(.*?)</script>", RegexOptions.Singleline)
            .Groups[1].Value)!.AsObject();

    /// <summary>The D figures: method, image bytes, caption.</summary>
    private static List<(string Model, string Method, byte[] Png, string Caption)> Figures(string html) =>
        Regex.Matches(html, "<div class=\"cnnc-d-model\" data-model=\"([^\"]+)\"(.*?)</div></div>", RegexOptions.Singleline)
            .SelectMany(block => Regex.Matches(block.Groups[2].Value,
                    "<figure class=\"cnnc-explanation\" data-method=\"([^\"]+)\"[^>]*><img [^>]*src=\"data:image/png;base64,([^\"]+)\"><figcaption>(.*?)</figcaption>")
                .Select(f => (WebUtility.HtmlDecode(block.Groups[1].Value), WebUtility.HtmlDecode(f.Groups[1].Value),
                    Convert.FromBase64String(f.Groups[2].Value), f.Groups[3].Value)))
            .ToList();

    [Fact]
    public async Task B_has_one_point_per_class_in_the_trace_and_colour_of_its_root()
    {
        Notebook.Study = study.NewSession();
        var html = await Overview("--pin tiny-resnet18 --explain none");
        var payload = Payload(html);
        var b = payload["figures"]!["b"]!;
        var traces = b["data"]!.AsArray();
        var hierarchy = study.Session.Hierarchy;
        Assert.Equal(hierarchy.Roots, traces.Select(t => (string)t!["name"]!));
        Assert.Equal(hierarchy.Roots.Select((_, r) => OverviewCharts.RootColor(r)), traces.Select(t => (string)t!["marker"]!["color"]!));
        Assert.Equal(3, hierarchy.RootCount);
        Assert.Equal(3, traces.Select(t => (string)t!["marker"]!["color"]!).Distinct().Count());

        var graph = study.NewSession().DistributionGraph("tiny-resnet18");
        var seen = new List<int>();
        foreach (var (trace, r) in traces.Select((t, r) => (t!, r)))
        {
            var classes = trace["customdata"]!.AsArray().Select(c => (int)c!).ToList();
            Assert.All(classes, c => Assert.Equal(r, hierarchy.RootOf(c)));
            Assert.Equal(classes.Select(c => Math.Round(graph.Points[c].X, 4)), trace["x"]!.AsArray().Select(x => (double)x!));
            Assert.Equal(classes.Select(c => Math.Round(graph.Points[c].Y, 4)), trace["y"]!.AsArray().Select(y => (double)y!));
            seen.AddRange(classes);
        }
        Assert.Equal(Enumerable.Range(0, 10), seen.Order()); // every class once
        Assert.Contains("Distribution graph of tiny-resnet18", (string)b["layout"]!["title"]!["text"]!);

        // Every model's coordinates travel with the page (the pin switches them there); the models differ.
        var xs = payload["distribution"]!["x"]!.AsArray();
        Assert.Equal(3, xs.Count);
        Assert.All(xs, x => Assert.Equal(10, x!.AsArray().Count));
        Assert.NotEqual(xs[0]!.ToJsonString(), xs[1]!.ToJsonString());
        Assert.Equal(graph.Points.Select(p => Math.Round(p.X, 4)), xs[1]!.AsArray().Select(x => (double)x!));

        // Nothing of D was computed.
        Assert.DoesNotContain("<figure class=\"cnnc-explanation\"", html);
        Assert.Contains("data-scope=\"none\"", html);
    }

    [Fact]
    public void B_is_seeded_and_kept_in_the_session()
    {
        var session = study.NewSession();
        var first = session.DistributionGraph("tiny-alexnet");
        Assert.Same(first, session.DistributionGraph("tiny-alexnet"));
        Assert.Same(first, session.Overview(new() { Explain = ExplainScope.None }).DistributionGraphOf("tiny-alexnet"));
        // A new session on the same store computes the same picture.
        var again = study.NewSession().DistributionGraph("tiny-alexnet");
        Assert.NotSame(first, again);
        Assert.Equal(first.Points.Select(p => (p.X, p.Y)), again.Points.Select(p => (p.X, p.Y)));
        // And it is the engine's graph of the stored evaluation, with the session's roots.
        var entry = session.EntryOf(session.Model("tiny-alexnet"))!;
        var direct = DistributionGraph.Compute(entry, session.Hierarchy);
        Assert.Equal(direct.Points, first.Points);
        Assert.Equal(session.Hierarchy.Roots, first.Roots);
    }

    [Fact]
    public async Task D_shows_one_png_per_method_for_the_pinned_model_on_the_first_image_of_the_marked_class()
    {
        Notebook.Study = study.NewSession();
        var html = await Overview("--pin tiny-alexnet --class c7-sneaker --methods gradcam,gradcam++,scorecam");
        var figures = Figures(html);
        Assert.Equal(new[] { "gradcam", "gradcam++", "scorecam" }, figures.Select(f => f.Method));
        Assert.All(figures, f => Assert.Equal("tiny-alexnet", f.Model));

        var session = study.NewSession();
        var item = Enumerable.Range(0, session.Dataset.Count).First(i => session.Dataset.Label(i) == 7);
        Assert.Contains($"image #{item} (", html);
        foreach (var (_, method, png, caption) in figures)
        {
            using var image = Image.Load<Rgb24>(png);
            Assert.Equal((28 * 4, 28 * 4), (image.Width, image.Height)); // 28×28 input, drawn 4× larger
            Assert.Contains("c7-sneaker: score ", caption);
            Assert.Matches(@"\d+\.\d (ms|s)", caption);
        }

        // The picture is the engine's: the same explanation drawn by ExplainerExamples directly.
        using var loaded = session.Model("tiny-alexnet").Reference.Load();
        using var raw = session.Dataset.Load(item);
        using var display = loaded.Reference.Preprocessing.Geometry(raw);
        var direct = ExplainerExamples.Explain(loaded, display, 7, "gradcam++");
        Assert.Equal(direct.Png!.Bytes, figures[1].Png);
        Assert.Contains($"score {direct.Explanation!.Score.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)}", figures[1].Caption);

        // Pinned scope: the page says whose explanations these are and how to get another model's.
        Assert.Contains("data-scope=\"pinned\"", html);
        Assert.Contains("Computed in the kernel for <b>tiny-alexnet</b>", html);
        Assert.Contains("#!cnnc overview --pin MODEL", html);
    }

    [Fact]
    public async Task D_defaults_to_the_fast_paper_methods_and_explain_all_covers_every_model()
    {
        Notebook.Study = study.NewSession();
        var pinned = Figures(await Overview("--image 3"));
        Assert.Equal(StudyDefaults.Explainers, pinned.Select(f => f.Method));
        Assert.Equal(new[] { "gradcam", "gradcam++", "smoothgradcam++", "scorecam" }, StudyDefaults.Explainers);

        var html = DisplayedHtml(await Submit("#!cnnc overview --explain all --methods gradcam,eigencam --image 3"));
        var figures = Figures(html);
        Assert.Equal(StudyFixture.ModelSpecs.SelectMany(m => new[] { (m.Name, "gradcam"), (m.Name, "eigencam") }),
            figures.Select(f => (f.Model, f.Method)));
        Assert.Contains("data-scope=\"all\"", html);
        Assert.Contains("image #3 (", html);
        // Only the pinned model's block is visible at first.
        Assert.Single(Regex.Matches(html, "<div class=\"cnnc-d-model\" data-model=\"[^\"]+\">"));
        Assert.Contains("<div class=\"cnnc-d-model\" data-model=\"tiny-alexnet\">", html);

        // A second overview reuses the explanations computed for the first (the session keeps them).
        var again = await Submit("#!cnnc overview --explain all --methods gradcam,eigencam --image 3");
        Assert.Equal(6, Regex.Matches(DisplayedHtml(again), @"\(cached\)").Count);
    }

    [Theory]
    [InlineData("#!cnnc overview --methods gradcam,sharpcam", "#!cnnc overview: Unknown explanation method 'sharpcam'. Known: gradcam, gradcam++, smoothgradcam++, scorecam, bbmp, xgradcam, layercam, eigencam, ablationcam, rise.")]
    [InlineData("#!cnnc overview --explain everything", "#!cnnc overview: Unknown --explain 'everything': use pinned, all or none.")]
    [InlineData("#!cnnc overview --image 80", "#!cnnc overview: Image 80 is not an item of data: use 0 to 79.")]
    [InlineData("#!cnnc overview --image -2", "#!cnnc overview: --image must be a dataset item index, 0 or more (got '-2').")]
    public async Task Bad_view_options_fail_with_one_line(string code, string expected)
    {
        await new CnncKernelExtension().OnLoadAsync(_kernel);
        Notebook.Study = study.NewSession();
        Assert.Equal(expected, Failure(await Submit(code)));
    }

    [Fact]
    public async Task The_csharp_twin_returns_the_engine_graph_and_examples_that_display_as_views()
    {
        await new CnncKernelExtension().OnLoadAsync(_kernel);
        PlotlyJs.ResetNotebook();
        Notebook.Study = study.NewSession();
        var events = await Submit($"#r \"{typeof(Notebook).Assembly.Location}\"\n#r \"{typeof(Study).Assembly.Location}\"\n" +
                                  "var g = Cnnc.Interactive.Notebook.Study.DistributionGraph(\"tiny-squeezenet\");\ng.Points.Count");
        Assert.Empty(events.OfType<CommandFailed>());
        Assert.Equal(10, events.OfType<ReturnValueProduced>().Single().Value);
        var shown = DisplayedHtml(await Submit("g"));
        Assert.Contains("cnnc-distribution", shown);
        Assert.Contains("Distribution graph of tiny-squeezenet", shown);
        Assert.Contains(PlotlyJs.Marker, shown);
        var b = Payload(shown)["figures"]!["b"]!["data"]!.AsArray();
        Assert.Equal(10, b.Sum(t => t!["x"]!.AsArray().Count));

        var examples = DisplayedHtml(await Submit(
            "Cnnc.Interactive.Notebook.Study.Explanations(new() { Model = \"tiny-resnet18\", Class = \"c3-dress\", Methods = new[] { \"gradcam\", \"layercam\" } })"));
        Assert.Equal(new[] { "gradcam", "layercam" }, Figures(examples).Select(f => f.Method));
        Assert.Contains("class <b>c3-dress</b>", examples);
    }
}
