using System.Text.RegularExpressions;
using Cnnc.Tests.Shared;
using Microsoft.Playwright;

namespace Cnnc.Interactive.Tests;

/// <summary>
/// The overview fragment in a real browser: Debian's Chromium driven by Playwright (its own browser download is never
/// used), pages loaded from file://, every other request aborted. The charts must draw and the linking must work.
/// </summary>
[Collection("study")]
public sealed class BrowserTests(StudyFixture study)
{
    internal static string Page(string body, string head = "") =>
        $"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>CNNC</title>{head}</head><body>{body}</body></html>";

    [Fact]
    public async Task Overview_draws_every_chart_and_clicking_a_model_in_A1_updates_A3()
    {
        var overview = study.Session.Overview(new() { Pin = "tiny-alexnet", Root = "tops-and-bags" });
        await using var chromium = await OfflineChromium.OpenHtml(Page(overview.ToHtml()), "overview", 1280, 1500);
        var page = chromium.Page;
        {
            var root = page.Locator(".cnnc-overview");
            await page.WaitForSelectorAsync(".cnnc-overview[data-cnnc-mounted='1']");
            foreach (var chart in new[] { "a1", "a2", "b", "a3", "a4", "range", "average" })
                Assert.True(await root.Locator($"[data-chart='{chart}'] .main-svg").CountAsync() > 0, $"chart {chart} did not draw");
            Assert.Equal(3, await root.Locator("[data-chart='a1'] .scatterlayer path.point").CountAsync());
            Assert.Equal(10, await root.Locator("[data-chart='a3'] .bars path").CountAsync());
            // Three lines and the pinned model's interval band.
            Assert.Equal(4, await root.Locator("[data-chart='a2'] .scatterlayer .trace").CountAsync());

            Assert.Equal("tiny-alexnet", await root.Locator(".cnnc-pinned-model").TextContentAsync());
            Assert.Contains("tiny-alexnet", await A3Title(page));
            // B: one point per class, the pinned model's graph; D: the pinned model's explanations.
            Assert.Equal(10, await root.Locator("[data-chart='b'] .scatterlayer path.point").CountAsync());
            Assert.Contains("tiny-alexnet", await BTitle(page));
            Assert.Equal(Expected(overview, "tiny-alexnet"), await BPoints(page));
            Assert.Equal(4, await root.Locator(".cnnc-explain figure.cnnc-explanation img").CountAsync());
            Assert.Equal("", await root.Locator(".cnnc-d-follow").TextContentAsync());

            // Click the A1 point of another model (at its position: plotly picks points from the pointer position).
            var target = "tiny-squeezenet";
            var index = overview.Models.Select(m => m.Name).ToList().IndexOf(target);
            var point = root.Locator("[data-chart='a1'] .scatterlayer .trace").Nth(index).Locator("path.point");
            var box = await point.BoundingBoxAsync();
            Assert.NotNull(box);
            await page.Mouse.MoveAsync(box!.X + box.Width / 2, box.Y + box.Height / 2);
            await page.Mouse.ClickAsync(box.X + box.Width / 2, box.Y + box.Height / 2);
            await page.WaitForFunctionAsync($"document.querySelector('.cnnc-overview').getAttribute('data-cnnc-pinned-model') === '{target}'",
                null, new PageWaitForFunctionOptions { Timeout = 10000 });

            Assert.Equal(target, await root.Locator(".cnnc-pinned-model").TextContentAsync());
            Assert.Contains(target, await A3Title(page));
            // A3 now shows the target's ranking: its first bar is the target's best class.
            // B follows the pin: the title and every point's coordinates are now the target's graph.
            await page.WaitForFunctionAsync($"document.querySelector(\".cnnc-overview [data-chart='b'] .gtitle\").textContent.indexOf('{target}') >= 0",
                null, new PageWaitForFunctionOptions { Timeout = 10000 });
            Assert.Equal(Expected(overview, target), await BPoints(page));
            Assert.NotEqual(Expected(overview, "tiny-alexnet"), Expected(overview, target));
            Assert.Equal(10, await root.Locator("[data-chart='b'] .scatterlayer path.point").CountAsync());
            // D was computed for tiny-alexnet only: it stays, and says how to get the target's.
            Assert.Contains($"#!cnnc overview --pin {target}", await root.Locator(".cnnc-d-follow").TextContentAsync());
            Assert.True(await root.Locator(".cnnc-d-model[data-model='tiny-alexnet']").IsVisibleAsync());

            var best = overview.RankedClasses(target)[0].Name;
            var firstTick = await root.Locator("[data-chart='a3'] .xtick text").First.TextContentAsync();
            Assert.Equal(best, firstTick);
            var ticks = await root.Locator("[data-chart='a3'] .xtick text").AllTextContentsAsync();
            Assert.Equal(overview.RankedClasses(target).Select(g => g.Name), ticks);

            // Pin a root: A4 shows that root's classes for the pinned model.
            await root.Locator("select.cnnc-pin-root").SelectOptionAsync("2");
            await page.WaitForFunctionAsync("document.querySelector('.cnnc-overview').getAttribute('data-cnnc-pinned-root') === 'footwear'");
            var a4Ticks = await root.Locator("[data-chart='a4'] .xtick text").AllTextContentsAsync();
            Assert.Equal(overview.RankedClassesOfRoot(target, "footwear").Select(g => g.Name), a4Ticks);

            // Pin a root by clicking its name on the radar (A2).
            var label = root.Locator("[data-chart='a2'] text[data-cnnc-root='bottoms']");
            Assert.Equal(1, await label.CountAsync());
            await label.ClickAsync();
            await page.WaitForFunctionAsync("document.querySelector('.cnnc-overview').getAttribute('data-cnnc-pinned-root') === 'bottoms'");
            Assert.Equal(overview.RankedClassesOfRoot(target, "bottoms").Select(g => g.Name),
                await root.Locator("[data-chart='a4'] .xtick text").AllTextContentsAsync());

            // Click a point of another model's line on the radar: that model (and the point's root) is pinned.
            var other = "tiny-resnet18";
            var line = root.Locator("[data-chart='a2'] .scatterlayer .trace").Nth(overview.Models.Select(m => m.Name).ToList().IndexOf(other));
            var radarPoint = await line.Locator("path.point").Nth(1).BoundingBoxAsync(); // its point on "bottoms"
            Assert.NotNull(radarPoint);
            await page.Mouse.MoveAsync(radarPoint!.X + radarPoint.Width / 2, radarPoint.Y + radarPoint.Height / 2);
            await page.Mouse.ClickAsync(radarPoint.X + radarPoint.Width / 2, radarPoint.Y + radarPoint.Height / 2);
            await page.WaitForFunctionAsync($"document.querySelector('.cnnc-overview').getAttribute('data-cnnc-pinned-model') === '{other}'",
                null, new PageWaitForFunctionOptions { Timeout = 10000 });
            Assert.Contains(other, await A3Title(page));

            var shots = Path.Combine(AppContext.BaseDirectory, "screenshots");
            Directory.CreateDirectory(shots);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, "overview.png"), FullPage = true });
            Assert.Empty(chromium.Problems);
        }
    }

    [Fact]
    public async Task Plotly_is_inlined_once_and_draws_on_require_js_pages()
    {
        // Two views on one page, the second without plotly.js (as in a notebook), and a page that has an AMD loader
        // (as Jupyter's HTML export does): the guard must still define window.Plotly and both views must draw.
        var overview = study.Session.Overview();
        var fakeRequire = "<script>window.define = function () { throw new Error('Mismatched anonymous define() module'); }; window.define.amd = {};</script>";
        var html = Page(overview.ToHtml(includePlotly: true) + overview.Pin("tiny-resnet18").ToHtml(includePlotly: false), fakeRequire);
        Assert.Single(Regex.Matches(html, Regex.Escape(PlotlyJs.Marker)));
        await using var chromium = await OfflineChromium.OpenHtml(html, "require", 1280, 1500);
        var page = chromium.Page;
        {
            await page.WaitForFunctionAsync("document.querySelectorAll(\".cnnc-overview[data-cnnc-mounted='1']\").length === 2");
            Assert.Equal(14, await page.Locator(".cnnc-overview [data-chart] .plot-container").CountAsync());
            Assert.Equal("tiny-resnet18", await page.Locator(".cnnc-overview").Nth(1).Locator(".cnnc-pinned-model").TextContentAsync());
            Assert.Empty(chromium.Problems);
        }
    }

    [Fact]
    public async Task With_every_models_explanations_D_follows_the_pin()
    {
        var overview = study.Session.Overview(new() { Pin = "tiny-alexnet", Explain = ExplainScope.All, Methods = new[] { "gradcam", "layercam" } });
        await using var chromium = await OfflineChromium.OpenHtml(Page(overview.ToHtml()), "explain-all", 1280, 1500);
        var page = chromium.Page;
        {
            var root = page.Locator(".cnnc-overview");
            await page.WaitForSelectorAsync(".cnnc-overview[data-cnnc-mounted='1']");
            Assert.Equal(3, await root.Locator(".cnnc-d-model").CountAsync());
            Assert.True(await root.Locator(".cnnc-d-model[data-model='tiny-alexnet']").IsVisibleAsync());
            Assert.False(await root.Locator(".cnnc-d-model[data-model='tiny-resnet18']").IsVisibleAsync());

            await root.Locator("select.cnnc-pin-model").SelectOptionAsync("1");
            await page.WaitForFunctionAsync("document.querySelector('.cnnc-overview').getAttribute('data-cnnc-pinned-model') === 'tiny-resnet18'");
            Assert.True(await root.Locator(".cnnc-d-model[data-model='tiny-resnet18']").IsVisibleAsync());
            Assert.False(await root.Locator(".cnnc-d-model[data-model='tiny-alexnet']").IsVisibleAsync());
            Assert.Equal(2, await root.Locator(".cnnc-d-model[data-model='tiny-resnet18'] figure.cnnc-explanation img").CountAsync());
            Assert.Equal("", await root.Locator(".cnnc-d-follow").TextContentAsync());
            Assert.Contains("tiny-resnet18", await BTitle(page));
            Assert.Equal(Expected(overview, "tiny-resnet18"), await BPoints(page));
            Assert.Empty(chromium.Problems);
        }
    }

    /// <summary>B's points as the page has them: (x, y) per trace, traces in root order.</summary>
    private static async Task<List<(double, double)>> BPoints(IPage page)
    {
        var flat = await page.EvaluateAsync<double[]>(
            "() => [].concat(...document.querySelector(\".cnnc-overview [data-chart='b']\").data.map(t => t.x.map((x, i) => [x, t.y[i]]).flat()))");
        return Enumerable.Range(0, flat.Length / 2).Select(i => (flat[2 * i], flat[2 * i + 1])).ToList();
    }

    /// <summary>A model's distribution graph from the engine, grouped as B draws it (by root, classes in order).</summary>
    private static List<(double, double)> Expected(Overview overview, string model)
    {
        var graph = overview.DistributionGraphOf(model)!;
        var h = overview.Hierarchy;
        return Enumerable.Range(0, h.RootCount)
            .SelectMany(r => Enumerable.Range(0, h.ClassCount).Where(c => h.RootOf(c) == r))
            .Select(c => (Math.Round(graph.Points[c].X, 4), Math.Round(graph.Points[c].Y, 4)))
            .ToList();
    }

    private static Task<string?> BTitle(IPage page) =>
        page.Locator(".cnnc-overview [data-chart='b'] .gtitle").First.TextContentAsync();

    private static Task<string?> A3Title(IPage page) =>
        page.Locator(".cnnc-overview [data-chart='a3'] .gtitle").First.TextContentAsync();
}
