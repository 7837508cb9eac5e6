using System.Globalization;
using Cnnc.Tests.Shared;
using Microsoft.Playwright;

namespace Cnnc.Interactive.Tests;

/// <summary>
/// The compare and inspect fragments in Debian's Chromium (Playwright; pages from file://, every other request aborted):
/// column sorting, search, "sort by this CIH" and the view-E charts.
/// </summary>
[Collection("study")]
public sealed class CompareInspectBrowserTests(StudyFixture study)
{

    private static Task<string[]> Order(IPage page, string attribute) =>
        page.EvalOnSelectorAllAsync<string[]>("table.cnnc-sortable tbody tr", $"rows => rows.map(r => r.getAttribute('{attribute}'))");

    private static Task<string[]> Visible(IPage page, string attribute) =>
        page.EvalOnSelectorAllAsync<string[]>("table.cnnc-sortable tbody tr",
            $"rows => rows.filter(r => r.style.display !== 'none').map(r => r.getAttribute('{attribute}'))");

    private static ILocator Header(IPage page, string text) =>
        page.Locator("table.cnnc-sortable thead th").Filter(new LocatorFilterOptions { HasTextRegex = new System.Text.RegularExpressions.Regex("^" + text) });

    [Fact]
    public async Task Compare_table_sorts_by_any_column_searches_and_draws_view_E()
    {
        var comparison = study.Session.Compare(new() { Class = "c3-dress", Threshold = 0.3 }); // tiny-resnet18 favours c3-dress: values differ
        await using var chromium = await OfflineChromium.OpenHtml(BrowserTests.Page(comparison.ToHtml()), "compare", 1280, 1400);
        var page = chromium.Page;
        {
            await page.WaitForSelectorAsync(".cnnc-compare[data-cnnc-table='1']");
            var models = comparison.Rows.Select(r => r.Model).ToList();
            Assert.Equal(models, await Order(page, "data-model"));

            // ROI size: ascending, then descending on a second click (stable: ties keep the previous order).
            await Header(page, "ROI size").ClickAsync();
            var ascending = comparison.Rows.OrderBy(r => r.RoiSize).Select(r => r.Model).ToList();
            Assert.NotEqual(models, ascending); // the data make the click visible
            Assert.Equal(ascending, await Order(page, "data-model"));
            Assert.Equal("ascending", await Header(page, "ROI size").GetAttributeAsync("aria-sort"));
            await Header(page, "ROI size").ClickAsync();
            Assert.Equal(comparison.Rows.OrderBy(r => r.RoiSize).OrderByDescending(r => r.RoiSize).Select(r => r.Model).ToList(),
                await Order(page, "data-model"));

            // Every column sorts: the true-class confidence, the model name, the heatmap (by mean saliency).
            var current = (await Order(page, "data-model")).ToList();
            await Header(page, "confidence").ClickAsync();
            var byConfidence = current.Select(comparison.Row).OrderBy(r => r.TrueClassConfidence).Select(r => r.Model).ToList();
            Assert.NotEqual(current, byConfidence);
            Assert.Equal(byConfidence, await Order(page, "data-model"));
            current = (await Order(page, "data-model")).ToList();
            await Header(page, "model").ClickAsync();
            Assert.Equal(current.OrderBy(m => m.ToLowerInvariant(), StringComparer.Ordinal).ToList(), await Order(page, "data-model"));
            current = (await Order(page, "data-model")).ToList();
            await Header(page, "gradcam").ClickAsync();
            Assert.Equal(current.Select(comparison.Row).OrderBy(r => r.MeanSaliency).Select(r => r.Model).ToList(), await Order(page, "data-model"));

            // Search filters the rows (all words must match) and counts them.
            await page.Locator("input.cnnc-search").FillAsync("squeeze");
            Assert.Equal(new[] { "tiny-squeezenet" }, await Visible(page, "data-model"));
            Assert.Equal("1 of 3 rows", await page.Locator(".cnnc-count").TextContentAsync());
            await page.Locator("input.cnnc-search").FillAsync("tiny resnet");
            Assert.Equal(new[] { "tiny-resnet18" }, await Visible(page, "data-model"));
            await page.Locator("input.cnnc-search").FillAsync("");
            Assert.Equal(3, (await Visible(page, "data-model")).Length);

            // View E: the similarity heatmap and the accuracy scatter draw (plotly.js inlined, offline).
            await page.WaitForSelectorAsync(".cnnc-compare[data-cnnc-mounted='1']");
            Assert.Equal(1, await page.Locator("[data-chart='similarity'] .heatmaplayer image").CountAsync());
            Assert.Equal(comparison.Rows.Count * 2, await page.Locator("[data-chart='accuracy'] .scatterlayer path.point").CountAsync());
            // The images load (data URIs decode in the browser).
            var widths = await page.EvalOnSelectorAllAsync<int[]>("img.cnnc-pic", "imgs => imgs.map(i => i.naturalWidth)");
            Assert.All(widths, w => Assert.True(w > 0));

            var shots = Path.Combine(AppContext.BaseDirectory, "screenshots");
            Directory.CreateDirectory(shots);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, "compare.png"), FullPage = true });
            Assert.Empty(chromium.Problems);
        }
    }

    [Fact]
    public async Task Inspect_rows_sort_by_cih_distance_to_the_clicked_row()
    {
        var inspection = study.Session.Inspect(new() { Model = "tiny-resnet18", Classes = new[] { "c1-trouser", "c4-coat" }, Method = "gradcam", Threshold = 0.3 });
        await using var chromium = await OfflineChromium.OpenHtml(BrowserTests.Page(inspection.ToHtml()), "inspect", 1280, 1400);
        var page = chromium.Page;
        {
            await page.WaitForSelectorAsync(".cnnc-inspect[data-cnnc-table='1']");
            string Key(int index) => index.ToString(CultureInfo.InvariantCulture);
            Assert.Equal(inspection.Rows.Select(r => Key(r.Index)), await Order(page, "data-index"));

            foreach (var reference in new[] { inspection.Rows[3].Index, inspection.Rows[12].Index })
            {
                var expected = inspection.SortByCih(reference);
                Assert.NotEqual(await Order(page, "data-index"), expected.Rows.Select(r => Key(r.Index)).ToArray());
                await page.Locator($"button.cnnc-cih-sort[data-index='{reference}']").ClickAsync();
                Assert.Equal(expected.Rows.Select(r => Key(r.Index)), await Order(page, "data-index"));
                Assert.Equal(Key(reference), await page.Locator(".cnnc-inspect").GetAttributeAsync("data-cnnc-cih-ref"));
                var shownDistances = await page.EvalOnSelectorAllAsync<string[]>("table.cnnc-sortable tbody tr td:last-child", "cells => cells.map(c => c.textContent)");
                Assert.Equal(expected.Rows.Select(r => r.CihDistance.ToString("0.0000", CultureInfo.InvariantCulture)), shownDistances);
                Assert.Equal(1, await page.Locator("tr.cnnc-cih-ref").CountAsync());
            }

            // Headers still sort (here: confidence, descending on the second click).
            await Header(page, "confidence").ClickAsync();
            await Header(page, "confidence").ClickAsync();
            var shown = await Order(page, "data-index");
            var confidences = shown.Select(k => inspection.Row(int.Parse(k, CultureInfo.InvariantCulture)).Confidence).ToList();
            Assert.Equal(confidences.OrderByDescending(c => c), confidences);

            // Search by label.
            await page.Locator("input.cnnc-search").FillAsync("c4-coat");
            var coats = inspection.Rows.Where(r => r.Label == "c4-coat" || r.Prediction == "c4-coat").Select(r => Key(r.Index)).Order().ToList();
            Assert.Equal(coats, (await Visible(page, "data-index")).Order().ToList());

            await page.WaitForSelectorAsync(".cnnc-inspect[data-cnnc-mounted='1']");
            Assert.Equal(2, await page.Locator("[data-chart='accuracy'] .scatterlayer path.point").CountAsync());
            var shots = Path.Combine(AppContext.BaseDirectory, "screenshots");
            Directory.CreateDirectory(shots);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, "inspect.png"), FullPage = true });
            Assert.Empty(chromium.Problems);
        }
    }
}
