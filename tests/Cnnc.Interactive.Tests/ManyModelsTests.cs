using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Cnnc.Engine.Studies;
using Cnnc.Tests.Shared;
using Microsoft.Playwright;

namespace Cnnc.Interactive.Tests;

/// <summary>
/// The overview of a study of 100 evaluated models (the fixture's <see cref="StudyFixture.ManyModels"/>): every model
/// is in every per-model view, the charts stay readable (colour and legend by architecture, the pinned model's line
/// standing out on the radar) and the fragment stays within a size budget; in a real browser it draws and pins.
/// </summary>
[Collection("study")]
public sealed class ManyModelsTests(StudyFixture study)
{
    /// <summary>
    /// The fragment without plotly.js, at 100 models × 10 classes: the per-model figures and data grow linearly with
    /// the models (198 kB when this budget was set); twice that fails the test.
    /// </summary>
    private const int SizeBudgetBytes = 400_000;

    private static JsonObject Payload(string html) =>
        JsonNode.Parse(Regex.Match(html, "<script type=\"application/json\" class=\"cnnc-data\">(.*?)</script>", RegexOptions.Singleline)
            .Groups[1].Value)!.AsObject();

    private static List<JsonObject> Traces(JsonObject payload, string chart) =>
        payload["figures"]![chart]!["data"]!.AsArray().Select(t => t!.AsObject()).ToList();

    [Fact]
    public void Every_model_is_in_every_per_model_view_grouped_by_architecture_within_the_size_budget()
    {
        var study100 = study.ManyModels;
        var overview = study100.Overview(new OverviewOptions { Explain = ExplainScope.None });
        Assert.Equal(StudyFixture.ManyModelCount, overview.Models.Count);
        var names = overview.Models.Select(m => m.Name).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        // The models differ (the favoured class turns with the seed): not 100 copies of one accuracy.
        Assert.True(overview.Models.Select(m => m.Accuracy.Overall).Distinct().Count() >= 3, string.Join(", ", overview.Models.Select(m => m.Accuracy.Overall).Distinct()));

        var html = overview.ToHtml(includePlotly: false);
        Assert.True(html.Length <= SizeBudgetBytes, $"overview of 100 models: {html.Length:N0} bytes, budget {SizeBudgetBytes:N0}");
        var payload = Payload(html);
        Assert.Equal(names, payload["models"]!.AsArray().Select(n => (string)n!));
        Assert.True((bool)payload["crowded"]!);

        var a1 = Traces(payload, "a1");
        var a2 = Traces(payload, "a2");
        Assert.Equal(names, a1.Select(t => (string)t["customdata"]![0]!));
        Assert.Equal(names, a2.Select(t => (string)t["customdata"]![0]!));
        foreach (var (m, i) in overview.Models.Select((m, i) => (m, i)))
        {
            Assert.Equal(m.Accuracy.Overall, (double)a1[i]["y"]![0]!, 12);
            Assert.Equal(m.Accuracy.PerRoot.Select(g => g.Accuracy), a2[i]["r"]!.AsArray().Take(m.Accuracy.PerRoot.Count).Select(r => (double)r!));
        }

        // One colour and one legend entry per architecture, named with its model count.
        var architectures = StudyFixture.ManyModelArchitectures;
        foreach (var traces in new[] { a1, a2 })
        {
            var legend = traces.Where(t => (bool)t["showlegend"]!).Select(t => (string)t["name"]!).ToList();
            Assert.Equal(architectures.Select(a => $"{a} ({StudyFixture.ManyModelCount / architectures.Length})"), legend);
            var colorByArchitecture = traces.Select((t, i) => (overview.Models[i].Architecture, Color: (string)t["marker"]!["color"]!))
                .GroupBy(p => p.Architecture).ToDictionary(g => g.Key, g => g.Select(p => p.Color).Distinct().ToList());
            Assert.All(colorByArchitecture.Values, colors => Assert.Single(colors));
            Assert.Equal(architectures.Length, colorByArchitecture.Values.Select(c => c[0]).Distinct().Count());
        }
        // The radar: the pinned model at full opacity, every other line faint.
        var pinned = names.IndexOf(overview.PinnedModel);
        Assert.Equal(1.0, (double)a2[pinned]["opacity"]!);
        Assert.All(a2.Where((_, i) => i != pinned), t => Assert.Equal(0.3, (double)t["opacity"]!));

        // The pin selector and the models table list every model.
        var options = Regex.Matches(Regex.Match(html, "<select class=\"cnnc-pin-model\">(.*?)</select>", RegexOptions.Singleline).Groups[1].Value,
            "<option value=\"\\d+\"[^>]*>([^<]*)</option>").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(names, options);
        var rows = Regex.Matches(Regex.Match(html, "<details class=\"cnnc-table\">.*?<tbody>(.*?)</tbody>", RegexOptions.Singleline).Groups[1].Value,
            "<tr><td>([^<]*)</td>").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(names, rows);
    }

    [Fact]
    public void A_study_within_the_palette_keeps_a_colour_and_a_legend_entry_per_model()
    {
        var small = study.Session.Overview(new OverviewOptions { Explain = ExplainScope.None });
        Assert.True(small.Models.Count <= 24);
        var payload = Payload(small.ToHtml(includePlotly: false));
        Assert.False((bool)payload["crowded"]!);
        Assert.Equal(small.Models.Select(m => m.Name), Traces(payload, "a1").Select(t => (string)t["name"]!));
        Assert.Equal(small.Models.Select(m => m.Name), Traces(payload, "a2").Select(t => (string)t["name"]!));
        Assert.Equal(3, Traces(payload, "a1").Select(t => (string)t["marker"]!["color"]!).Distinct().Count());
        Assert.All(Traces(payload, "a2"), t => Assert.Null(t["opacity"]));
    }

    [Fact]
    public async Task In_a_browser_100_models_draw_and_pinning_from_A1_or_the_selector_follows_the_model()
    {
        var overview = study.ManyModels.Overview(new OverviewOptions { Explain = ExplainScope.None });
        await using var chromium = await OfflineChromium.OpenHtml(BrowserTests.Page(overview.ToHtml()), "overview-100", 1280, 1500);
        var page = chromium.Page;
        var root = page.Locator(".cnnc-overview");
        await page.WaitForSelectorAsync(".cnnc-overview[data-cnnc-mounted='1']");
        foreach (var chart in OverviewView.Charts)
            Assert.True(await root.Locator($"[data-chart='{chart}'] .main-svg").CountAsync() > 0, $"chart {chart} did not draw");
        Assert.Equal(100, await root.Locator("[data-chart='a1'] .scatterlayer path.point").CountAsync());
        Assert.Equal(100, await root.Locator("[data-chart='a2'] .scatterlayer .trace").CountAsync());
        Assert.Equal(5, await root.Locator("[data-chart='a1'] .legend .traces").CountAsync());

        // Pin by the selector: the radar's pinned line turns opaque, the previously pinned one faint.
        var names = overview.Models.Select(m => m.Name).ToList();
        var target = names[37];
        Assert.NotEqual(target, overview.PinnedModel);
        await root.Locator("select.cnnc-pin-model").SelectOptionAsync("37");
        await page.WaitForFunctionAsync($"document.querySelector('.cnnc-overview').getAttribute('data-cnnc-pinned-model') === '{target}'");
        Assert.Equal("1", await Opacity(page, 37));
        Assert.Equal("0.3", await Opacity(page, names.IndexOf(overview.PinnedModel)));
        Assert.Contains(target, await root.Locator("[data-chart='a3'] .gtitle").TextContentAsync());

        // Click model 62's point in A1: its trace is named by architecture, the pin comes from customdata. Points of
        // 100 models overlap, so the model pinned is the one drawn under the pointer: 62 or one at the same place.
        var point = root.Locator("[data-chart='a1'] .scatterlayer .trace").Nth(62).Locator("path.point");
        var box = await point.BoundingBoxAsync();
        Assert.NotNull(box);
        var (x, y) = (box!.X + box.Width / 2, box.Y + box.Height / 2);
        await page.Mouse.MoveAsync(x, y);
        await page.Mouse.ClickAsync(x, y);
        await page.WaitForFunctionAsync(
            "document.querySelector('.cnnc-overview').getAttribute('data-cnnc-pinned-model') !== '" + target + "'",
            null, new PageWaitForFunctionOptions { Timeout = 10000 });
        var pinnedNow = await root.GetAttributeAsync("data-cnnc-pinned-model");
        var pinnedBox = await root.Locator("[data-chart='a1'] .scatterlayer .trace").Nth(names.IndexOf(pinnedNow!)).Locator("path.point").BoundingBoxAsync();
        Assert.NotNull(pinnedBox);
        Assert.InRange(x, pinnedBox!.X, pinnedBox.X + pinnedBox.Width);
        Assert.InRange(y, pinnedBox.Y, pinnedBox.Y + pinnedBox.Height);
        Assert.Contains(pinnedNow!, await root.Locator("[data-chart='a3'] .gtitle").TextContentAsync());

        var shots = Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(shots);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, "overview-100-models.png"), FullPage = true });
        Assert.Empty(chromium.Problems);
    }

    private static Task<string> Opacity(IPage page, int trace) =>
        page.EvaluateAsync<string>(
            $"String(document.querySelector(\".cnnc-overview [data-chart='a2']\").data[{trace}].opacity)");
}
