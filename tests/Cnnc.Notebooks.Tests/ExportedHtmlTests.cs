using System.Text.Json.Nodes;
using Cnnc.Tests.Shared;
using Microsoft.Playwright;

namespace Cnnc.Notebooks.Tests;

/// <summary>
/// The executed notebooks' HTML exports (<c>nbconvert --to html</c>) in headless Chromium: Debian's /usr/bin/chromium
/// driven by Playwright (its own browser download is never used), a fresh profile, the page opened from file://.
/// Every request that is not file:// is aborted, loopback included — an executed Jupyter notebook embeds the kernel's
/// bootstrap script, which probes the kernel's HTTP API on 127.0.0.1 and on the machine's own external address (the
/// pages must not reach whatever kernel happens to listen there), and the export links require.js and MathJax on a CDN.
/// Each page is opened twice: offline as exported (require.js missing), and with the CDN's require.js answered
/// locally from Debian's libjs-requirejs (the page as it is where the CDN is reachable: plotly.js must cope with an
/// AMD loader). Every chart must draw, and clicking a model in A1 must change A3.
/// </summary>
[Collection("notebooks")]
public sealed class ExportedHtmlTests(NotebookRuns runs)
{
    public const string LocalRequireJs = "/usr/share/javascript/requirejs/require.min.js";

    public static TheoryData<string, string, bool> PageCases()
    {
        var data = new TheoryData<string, string, bool>();
        foreach (var host in NotebookRuns.Hosts)
            foreach (var notebook in Repo.Notebooks)
                foreach (var requireJs in new[] { false, true }) data.Add(host, notebook, requireJs);
        return data;
    }

    public static TheoryData<string, string> OverviewCases => Repo.HostsAndOverviewNotebooks();

    private async Task<OfflineChromium> Open(string host, string notebook, bool requireJs)
    {
        var html = runs.Html(host, notebook);
        Assert.True(File.Exists(html), $"no HTML export of {notebook} from {host} ({html}). Run log:\n{runs.Log}");
        // With requireJs, the CDN's require.js is answered from Debian's libjs-requirejs (the page as it is online).
        return await OfflineChromium.OpenFile(html, 1280, 1500, async route =>
        {
            if (!requireJs || !route.Request.Url.EndsWith("/require.min.js", StringComparison.Ordinal)) return false;
            await route.FulfillAsync(new RouteFulfillOptions { Status = 200, ContentType = "text/javascript", Path = LocalRequireJs });
            return true;
        }, new PageGotoOptions { WaitUntil = WaitUntilState.Load, Timeout = 60000 });
    }

    [Theory]
    [MemberData(nameof(PageCases))]
    public async Task Exported_page_draws_every_chart(string host, string notebook, bool requireJs)
    {
        await using var opened = await Open(host, notebook, requireJs);
        var page = opened.Page;
        if (requireJs)
            Assert.True(await page.EvaluateAsync<bool>("typeof window.define === 'function' && !!window.define.amd"), "require.js did not load");

        var views = page.Locator(".cnnc-view");
        var viewCount = await views.CountAsync();
        if (Repo.HasOverview(notebook)) Assert.True(viewCount > 0, $"{host} / {notebook}: no CNNC view in the page");
        var charts = page.Locator(".cnnc-view [data-chart]");
        var chartCount = await charts.CountAsync();
        if (chartCount > 0)
        {
            await page.WaitForFunctionAsync("window.Plotly !== undefined", null, new PageWaitForFunctionOptions { Timeout = 30000 });
            await page.WaitForFunctionAsync("[...document.querySelectorAll('.cnnc-view [data-chart]')].every(c => c.querySelector('.main-svg'))",
                null, new PageWaitForFunctionOptions { Timeout = 60000 });
        }
        for (var i = 0; i < chartCount; i++)
        {
            var chart = charts.Nth(i);
            var name = await chart.GetAttributeAsync("data-chart");
            Assert.True(await chart.Locator(".main-svg").CountAsync() > 0, $"{host} / {notebook}: chart {name} ({i}) has no SVG");
            // Marks: scatter points (A1, A2's radar, the accuracy scatters of compare and inspect), bars (A3, A4, E),
            // the cells of a heatmap (compare's similarity matrix: plotly draws them as one <image> in the heatmap layer).
            var marks = await chart.Locator(".scatterlayer path.point, .barlayer .bars path, .heatmaplayer image").CountAsync();
            Assert.True(marks > 0, $"{host} / {notebook}: chart {name} ({i}) drew no points, bars or heatmap cells");
            if (name == "similarity")
                Assert.True(await chart.Locator(".heatmaplayer image").CountAsync() > 0, $"{host} / {notebook}: the similarity matrix ({i}) drew no heatmap");
        }
        // Compare and inspect views: their table has rows, and every picture in them (strip, heatmaps, CIH) decoded.
        var explainViews = page.Locator(".cnnc-compare, .cnnc-inspect");
        for (var i = 0; i < await explainViews.CountAsync(); i++)
        {
            var view = explainViews.Nth(i);
            var kind = await view.GetAttributeAsync("class");
            Assert.True(await view.Locator("table.cnnc-sortable tbody tr").CountAsync() > 0, $"{host} / {notebook}: view {i} ({kind}) has an empty table");
            var pictures = await view.Locator("img").EvaluateAllAsync<int[]>("imgs => imgs.map(i => i.complete && i.naturalWidth > 0 ? 1 : 0)");
            Assert.True(pictures.Length > 0, $"{host} / {notebook}: view {i} ({kind}) shows no picture");
            Assert.True(pictures.All(p => p == 1), $"{host} / {notebook}: view {i} ({kind}): {pictures.Count(p => p == 0)} of {pictures.Length} pictures did not decode");
        }
        // Every overview is mounted, and plotly.js came from the page itself (it is inlined, never fetched).
        foreach (var view in await page.Locator(".cnnc-overview").AllAsync())
            Assert.Equal("1", await view.GetAttributeAsync("data-cnnc-mounted"));
        Assert.DoesNotContain(opened.Blocked, u => u.Contains("plot.ly", StringComparison.OrdinalIgnoreCase) || u.Contains("plotly", StringComparison.OrdinalIgnoreCase));
        Assert.True(opened.Errors.Count == 0, $"{host} / {notebook}: page errors:\n{string.Join("\n", opened.Errors)}");
    }

    [Theory]
    [MemberData(nameof(OverviewCases))]
    public async Task Clicking_a_model_in_A1_changes_the_pinned_model_bars(string host, string notebook)
    {
        await using var opened = await Open(host, notebook, requireJs: false);
        var page = opened.Page;
        var root = page.Locator(".cnnc-overview").First;
        await page.WaitForFunctionAsync("document.querySelector('.cnnc-overview') && document.querySelector('.cnnc-overview').getAttribute('data-cnnc-mounted') === '1'",
            null, new PageWaitForFunctionOptions { Timeout = 60000 });
        var payload = JsonNode.Parse((await root.Locator("script.cnnc-data").TextContentAsync())!)!;
        var models = payload["models"]!.AsArray().Select(m => (string)m!).ToList();
        Assert.True(models.Count >= 2, "the overview needs two models to switch between");
        var pinned = await root.GetAttributeAsync("data-cnnc-pinned-model");
        var target = models.First(m => m != pinned);

        var before = await A3Bars(root);
        Assert.Contains(pinned!, await A3Title(root));
        var point = root.Locator("[data-chart='a1'] .scatterlayer .trace").Nth(models.IndexOf(target)).Locator("path.point");
        await root.Locator("[data-chart='a1']").ScrollIntoViewIfNeededAsync();
        var box = await point.BoundingBoxAsync();
        Assert.NotNull(box);
        // Plotly picks points from the pointer position: move there, then click.
        await page.Mouse.MoveAsync(box!.X + box.Width / 2, box.Y + box.Height / 2);
        await page.Mouse.ClickAsync(box.X + box.Width / 2, box.Y + box.Height / 2);
        await page.WaitForFunctionAsync($"document.querySelector('.cnnc-overview').getAttribute('data-cnnc-pinned-model') === {System.Text.Json.JsonSerializer.Serialize(target)}",
            null, new PageWaitForFunctionOptions { Timeout = 10000 });

        Assert.Equal(target, await root.Locator(".cnnc-pinned-model").TextContentAsync());
        Assert.Contains(target, await A3Title(root));
        var after = await A3Bars(root);
        Assert.NotEqual(before, after);
        // A3 now ranks the target's classes: its bars are the target's per-class accuracies, best first.
        var classes = payload["classes"]!.AsArray().Select(c => (string)c!).ToList();
        var expectedOrder = payload["ranking"]!.AsArray()[models.IndexOf(target)]!.AsArray().Select(c => classes[(int)c!]).ToList();
        Assert.Equal(expectedOrder, await root.Locator("[data-chart='a3'] .xtick text").AllTextContentsAsync());

        var shots = Path.Combine(runs.Out, host);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, notebook + ".png"), FullPage = true });
        Assert.True(opened.Errors.Count == 0, $"{host} / {notebook}: page errors:\n{string.Join("\n", opened.Errors)}");
    }

    /// <summary>The A3 bars' shapes (their SVG paths): they change when another model's accuracies are drawn.</summary>
    private static async Task<List<string>> A3Bars(ILocator root) =>
        (await root.Locator("[data-chart='a3'] .barlayer .bars path").EvaluateAllAsync<string[]>("ps => ps.map(p => p.getAttribute('d'))")).ToList();

    private static async Task<string> A3Title(ILocator root) =>
        await root.Locator("[data-chart='a3'] .gtitle").First.TextContentAsync() ?? "";
}
