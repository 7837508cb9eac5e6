using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Cnnc.Engine.Analysis;
using Cnnc.Engine.Evaluation;
using Microsoft.DotNet.Interactive;
using Cnnc.Tests.Shared;

using static Cnnc.Interactive.Tests.NotebookHost;

namespace Cnnc.Interactive.Tests;

/// <summary>
/// Issue 20 as rendered: unreliable latency marked (⚠ + reason) in the table and A1's hover, A1 on latency with the
/// quartiles as error bars, <c>#!cnnc latency</c> replacing the stored figure, every chart title below the mode bar,
/// <c>#!cnnc add</c> showing the model and the count, the most accurate model pinned by default, and the report's
/// texts speaking of the report.
/// </summary>
[Collection("study")]
public sealed class LatencyAndChartsTests(StudyFixture study) : IDisposable
{
    private readonly CompositeKernel _kernel = NewKernel();
    private readonly string _store = Path.Combine(Path.GetTempPath(), "cnnc-latency-store-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        _kernel.Dispose();
        if (Directory.Exists(_store)) Directory.Delete(_store, recursive: true);
    }

    private static JsonObject Payload(string html) =>
        JsonNode.Parse(Regex.Match(html, "<script type=\"application/json\" class=\"cnnc-data\">(.*?)</script>", RegexOptions.Singleline)
            .Groups[1].Value)!.AsObject();

    /// <summary>A session on a copy of the fixture's store (these tests rewrite timings; the others must not see it).</summary>
    private Study CopiedSession()
    {
        foreach (var file in Directory.EnumerateFiles(study.StoreDir, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(_store, Path.GetRelativePath(study.StoreDir, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        return study.NewSession().UseStore(_store);
    }

    private static readonly InferenceTiming Clean = new(1.5, 2000, 32, "cpu")
    {
        Batch1LowerQuartileMs = 1.4, Batch1UpperQuartileMs = 1.7, Reliable = true, MeasuredBy = InferenceTiming.MeasuredByLatency,
    };

    private static readonly InferenceTiming Loaded = new(12, 300, 32, "cpu")
    {
        Batch1LowerQuartileMs = 9, Batch1UpperQuartileMs = 20, Reliable = false,
        UnreliableReason = "machine under load: 7 other runnable tasks on 2 cores", MeasuredBy = InferenceTiming.MeasuredByEvaluation,
    };

    [Fact]
    public void Unreliable_latency_is_marked_in_the_table_and_the_hover_and_A1_can_plot_latency_with_quartile_bars()
    {
        using (var writer = CopiedSession())
        {
            Assert.True(writer.Store.ReplaceTiming(writer.Model("tiny-alexnet").Identity, writer.SourceFor(writer.Model("tiny-alexnet")).Identity, Clean));
            Assert.True(writer.Store.ReplaceTiming(writer.Model("tiny-resnet18").Identity, writer.SourceFor(writer.Model("tiny-resnet18")).Identity, Loaded));
        }
        using var session = study.NewSession().UseStore(_store);
        var overview = session.Overview(new() { Complexity = ComplexityMeasure.Latency, Explain = ExplainScope.None });
        var html = overview.ToHtml(includePlotly: false);

        Assert.Contains("<td>1.50 ms</td>", html);
        Assert.Contains("<span class=\"cnnc-unreliable\" title=\"unreliable: machine under load: 7 other runnable tasks on 2 cores\">⚠ 12.00 ms</span>", html);
        Assert.DoesNotContain("<td>12.00 ms</td>", html);

        var a1 = Payload(html)["figures"]!["a1"]!;
        var traces = a1["data"]!.AsArray().Select(t => t!.AsObject()).ToDictionary(t => (string)t["name"]!);
        var loaded = traces["tiny-resnet18"];
        Assert.Equal(12.0, (double)loaded["x"]![0]!);
        Assert.Equal(20.0 - 12.0, (double)loaded["error_x"]!["array"]![0]!, 9);
        Assert.Equal(12.0 - 9.0, (double)loaded["error_x"]!["arrayminus"]![0]!, 9);
        Assert.Equal("circle-open", (string)loaded["marker"]!["symbol"]!);
        var hover = (string)loaded["text"]![0]!;
        Assert.Contains("⚠ latency 12.00 ms (batch 1, quartiles 9.00–20.00 ms)", hover);
        Assert.Contains("⚠ unreliable: machine under load: 7 other runnable tasks on 2 cores", hover);

        var clean = traces["tiny-alexnet"];
        Assert.Equal(1.5, (double)clean["x"]![0]!);
        Assert.Null(clean["marker"]!["symbol"]);
        Assert.DoesNotContain("⚠", (string)clean["text"]![0]!);
        Assert.Contains("Batch-1 latency", (string)a1["layout"]!["xaxis"]!["title"]!["text"]!);
        Assert.Equal("log", (string)a1["layout"]!["xaxis"]!["type"]!);

        // A figure from before this change (no conditions recorded) is not presented as clean either.
        var squeezenet = overview.ModelNamed("tiny-squeezenet");
        if (squeezenet.Timing is { Reliable: null })
            Assert.Contains("older store entry", squeezenet.LatencyCaveat);
    }

    [Fact]
    public async Task Latency_directive_re_measures_and_replaces_the_stored_figure()
    {
        var session = CopiedSession();
        Notebook.Study = session;
        await new CnncKernelExtension().OnLoadAsync(_kernel);
        var events = await _kernel.Submit("#!cnnc latency --models tiny-alexnet");
        Assert.Equal("", Failure(events));
        var html = DisplayedHtml(events);
        // A live status first (seconds per model), replaced by the measurements.
        Assert.Contains("class=\"cnnc-view cnnc-evaluate\" data-state=\"running\"", html);
        Assert.Contains("Re-measured 1 model", html);
        Assert.Contains("tiny-alexnet", html);
        Assert.DoesNotContain("tiny-resnet18", html);

        var model = session.Model("tiny-alexnet");
        var stored = session.Store.TryGet(model.Identity, session.SourceFor(model).Identity)!.Meta.Timing!;
        Assert.Equal(InferenceTiming.MeasuredByLatency, stored.MeasuredBy);
        Assert.NotNull(stored.Reliable);
        Assert.Equal(stored.Reliable == false, html.Contains("⚠"));
        // The session's own entry has the new figure too (no stale number in the next overview).
        Assert.Equal(stored, session.EntryOf(model)!.Meta.Timing);

        var bad = Failure(await _kernel.Submit("#!cnnc latency --models nosuch"));
        Assert.StartsWith("#!cnnc latency: Unknown model 'nosuch'.", bad);
    }

    [Fact]
    public void Every_chart_title_sits_below_the_mode_bar_inside_the_top_margin()
    {
        var overview = study.Session.Overview(new() { Explain = ExplainScope.None });
        var figures = Payload(overview.ToHtml(includePlotly: false))["figures"]!.AsObject();
        var comparison = study.Session.Compare(new() { Class = "c3-dress", Method = "gradcam" });
        var compareFigures = new[] { ExplainCharts.Similarity(comparison), ExplainCharts.Accuracy(comparison) }
            .Select(f => f["layout"]!["title"]!).ToList();
        var titles = figures.Select(f => (f.Key, Title: f.Value!["layout"]!["title"]!, Margin: f.Value["layout"]!["margin"]!))
            .ToList();
        Assert.Equal(OverviewView.Charts.Order(), figures.Select(f => f.Key).Order());
        foreach (var (key, title, margin) in titles)
        {
            Assert.Equal("container", (string)title["yref"]!);
            Assert.Equal(1.0, (double)title["y"]!);
            Assert.Equal("top", (string)title["yanchor"]!);
            var pad = (int)title["pad"]!["t"]!;
            Assert.True(pad >= 30, $"{key}: the title starts {pad} px from the top, inside the mode bar's band");
            Assert.True((int)margin["t"]! >= pad + (int)title["font"]!["size"]! + 8, $"{key}: the top margin does not hold the title below the mode bar");
            Assert.Equal("left", (string)title["xanchor"]!);
        }
        Assert.NotEmpty(compareFigures);
        foreach (var title in compareFigures)
        {
            Assert.Equal("container", (string)title["yref"]!);
            Assert.True((int)title["pad"]!["t"]! >= 30);
        }
    }

    [Fact]
    public async Task Add_shows_the_added_model_and_the_count_not_the_session_table()
    {
        var session = study.NewSession();
        Notebook.Study = session;
        await new CnncKernelExtension().OnLoadAsync(_kernel);
        var events = await _kernel.Submit(
            $"#!cnnc add --arch resnet18 --weights {study.WeightsPaths["tiny-resnet18"]} --name again --width 0.125 --num-classes 10 --in-channels 1 --input-size 28");
        Assert.Equal("", Failure(events));
        var html = DisplayedHtml(events);
        Assert.Contains("<b>Added again</b> (resnet18", html);
        Assert.Contains("4 models in the session", html);
        Assert.Contains("data-count=\"4\"", html);
        Assert.DoesNotContain("<table", html);
        Assert.DoesNotContain("tiny-alexnet", html);
        Assert.Equal(4, session.Models.Count);
    }

    [Fact]
    public void The_default_pin_is_the_most_accurate_model()
    {
        // The fixture's models are all equally (in)accurate; in a copy of the store, the last listed predicts every label.
        using (var writer = CopiedSession())
        {
            var last = writer.EntryOf(writer.Models[^1])!.Directory;
            File.Copy(Path.Combine(last, "labels.npy"), Path.Combine(last, "predictions.npy"), overwrite: true);
        }
        using var session = study.NewSession().UseStore(_store);
        var accuracies = session.Models.Select(m => (m.Name, AccuracyMetrics.Compute(session.EntryOf(m)!).Overall)).ToList();
        var best = accuracies.OrderByDescending(a => a.Overall).First().Name;
        Assert.Equal(session.Models[^1].Name, best);
        Assert.True(accuracies[0].Overall < accuracies[^1].Overall);
        var overview = session.Overview(new() { Explain = ExplainScope.None });
        Assert.Equal(best, overview.PinnedModel);
        Assert.Contains($"data-cnnc-pinned-model=\"{best}\"", overview.ToHtml(includePlotly: false));
    }

    [Fact]
    public void The_report_speaks_of_the_report_not_of_notebook_commands()
    {
        var html = study.Session.Report(new ReportOptions
        {
            Pin = "tiny-alexnet", CompareClass = "c3-dress", CompareMethod = "gradcam",
            InspectModel = "tiny-alexnet", InspectClasses = new[] { "c3-dress" }, InspectMethod = "gradcam",
        }).ToHtml();
        Assert.DoesNotContain("#!cnnc", html);
        Assert.Contains("<h2>Study</h2>", html);
        Assert.DoesNotContain("<h2>Session</h2>", html);
        Assert.Contains("when this report was made", html);
        Assert.Contains("cnnc report --pin", html);
        // The notebook's own view keeps its commands.
        Assert.Contains("#!cnnc overview --pin MODEL", study.Session.Overview(new() { Pin = "tiny-alexnet" }).ToHtml(false));
    }

    [Fact]
    public async Task In_chromium_no_title_box_overlaps_the_mode_bar()
    {
        var overview = study.Session.Overview(new() { Pin = "tiny-alexnet", Explain = ExplainScope.None });
        var page = $"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>CNNC</title></head><body>{overview.ToHtml()}</body></html>";
        // Narrow: two columns of 440 px charts, where long titles reach the mode bar's corner.
        await using var chromium = await OfflineChromium.OpenHtml(page, "titles", 900, 2400);
        await chromium.Page.WaitForSelectorAsync(".cnnc-overview[data-cnnc-mounted='1']");
        foreach (var chart in OverviewView.Charts)
        {
            var root = chromium.Page.Locator($"[data-chart='{chart}']");
            await root.HoverAsync();
            var title = await root.Locator(".gtitle").BoundingBoxAsync();
            var bar = await root.Locator(".modebar").BoundingBoxAsync();
            Assert.NotNull(title);
            Assert.NotNull(bar);
            var overlaps = title!.X < bar!.X + bar.Width && bar.X < title.X + title.Width &&
                           title.Y < bar.Y + bar.Height && bar.Y < title.Y + title.Height;
            Assert.False(overlaps, $"{chart}: title [{title.X:F0},{title.Y:F0} {title.Width:F0}×{title.Height:F0}] overlaps the mode bar " +
                                   $"[{bar.X:F0},{bar.Y:F0} {bar.Width:F0}×{bar.Height:F0}]");
        }
        Assert.Empty(chromium.Problems);
    }

    [Theory]
    [InlineData(13)]
    [InlineData(100)]
    public async Task At_many_models_no_title_is_covered_or_cut_off(int count)
    {
        // count models from the fixture's weights under new names; their entries are copies (the same predictions).
        using var session = CopiedSession().ClearModels();
        var dataset = session.Dataset;
        for (var i = 0; i < count; i++)
        {
            var (name, arch, _, _) = StudyFixture.ModelSpecs[i % StudyFixture.ModelSpecs.Length];
            var model = session.AddModel(arch, study.WeightsPaths[name], study.Options, name: $"{name}-copy-{i:000}");
            var from = study.Session.EntryOf(study.Session.Model(name))!.Directory;
            var to = session.Store.EntryDirectory(model.Identity, session.SourceFor(model).Identity);
            Directory.CreateDirectory(to);
            foreach (var file in Directory.EnumerateFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
        }
        var overview = session.Overview(new() { Explain = ExplainScope.None });
        Assert.Equal(count, overview.Models.Count);
        var page = $"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>CNNC</title></head><body>{overview.ToHtml()}</body></html>";
        await using var chromium = await OfflineChromium.OpenHtml(page, $"titles-{count}", 1280, 2400);
        await chromium.Page.WaitForSelectorAsync(".cnnc-overview[data-cnnc-mounted='1']");
        var shots = Path.Combine(Path.GetTempPath(), "cnnc-screenshots");
        Directory.CreateDirectory(shots);
        await chromium.Page.ScreenshotAsync(new() { Path = Path.Combine(shots, $"overview-{count}-models.png"), FullPage = true });
        foreach (var chart in OverviewView.Charts)
        {
            var root = chromium.Page.Locator($"[data-chart='{chart}']");
            await root.HoverAsync();
            var box = (await root.BoundingBoxAsync())!;
            var title = (await root.Locator(".gtitle").BoundingBoxAsync())!;
            var bar = (await root.Locator(".modebar").BoundingBoxAsync())!;
            var overlaps = title.X < bar.X + bar.Width && bar.X < title.X + title.Width && title.Y < bar.Y + bar.Height && bar.Y < title.Y + title.Height;
            Assert.False(overlaps, $"{count} models, {chart}: the mode bar covers the title");
            Assert.True(title.X >= box.X && title.X + title.Width <= box.X + box.Width + 0.5 && title.Y >= box.Y,
                $"{count} models, {chart}: title [{title.X:F0}+{title.Width:F0}] cut off by the chart [{box.X:F0}+{box.Width:F0}]");
        }
        // A2's root names sit around the radar: none may run under the legend.
        var a2 = chromium.Page.Locator("[data-chart='a2']");
        var legend = (await a2.Locator(".legend").BoundingBoxAsync())!;
        var labels = a2.Locator(".angularaxistick text");
        Assert.True(await labels.CountAsync() > 0);
        for (var i = 0; i < await labels.CountAsync(); i++)
        {
            var label = (await labels.Nth(i).BoundingBoxAsync())!;
            Assert.True(label.X + label.Width <= legend.X, $"{count} models: A2's label '{await labels.Nth(i).TextContentAsync()}' runs under the legend");
        }
        Assert.Empty(chromium.Problems);
    }
}
