using Cnnc.Engine.Analysis;
using Cnnc.Engine.Studies;
using Cnnc.Tests.Shared;
using Microsoft.Playwright;

namespace Cnnc.Interactive.Tests;

/// <summary>The analysis views in Debian's Chromium (offline, file:// only): the charts draw and clicking works.</summary>
[Collection("study")]
public sealed class AnalysisBrowserTests(StudyFixture study)
{
    [Fact]
    public async Task Confusion_heatmap_draws_and_clicking_a_cell_shows_its_images_and_commands()
    {
        var view = ConfusionView.Compute(study.Session, new ConfusionOptions { Model = "tiny-alexnet" });
        // The largest off-diagonal cell (it has thumbnails).
        var cell = view.Cells.Where(c => c.Row != c.Column).OrderByDescending(c => c.Count).First();
        Assert.True(cell.Thumbnails);
        await using var chromium = await OfflineChromium.OpenHtml(BrowserTests.Page(view.ToHtml()), "confusion", 1280, 1500);
        var page = chromium.Page;
        var root = page.Locator(".cnnc-confusion");
        await page.WaitForSelectorAsync(".cnnc-confusion[data-cnnc-mounted='1']");
        Assert.True(await root.Locator("[data-chart='confusion'] .main-svg").CountAsync() > 0);
        Assert.True(await root.Locator("[data-chart='confusion'] .heatmaplayer image, [data-chart='confusion'] .hm image").CountAsync() > 0);

        // Click the cell's centre: the plot area split into equal columns and rows (rows top to bottom).
        var n = view.Table.RowLabels.Count;
        var box = await root.Locator("[data-chart='confusion'] .nsewdrag").First.BoundingBoxAsync();
        Assert.NotNull(box);
        var x = (float)(box!.X + (cell.Column + 0.5) * box.Width / view.Table.ColumnLabels.Count);
        var y = (float)(box.Y + (cell.Row + 0.5) * box.Height / n);
        await page.Mouse.MoveAsync(x, y);
        await page.Mouse.ClickAsync(x, y);
        await page.WaitForFunctionAsync($"document.querySelector('.cnnc-cell-strip').getAttribute('data-row') === '{cell.Row}'",
            null, new PageWaitForFunctionOptions { Timeout = 10000 });
        Assert.Equal(cell.Column.ToString(), await root.Locator(".cnnc-cell-strip").GetAttributeAsync("data-column"));

        var entry = study.Session.EntryOf(study.Session.Model("tiny-alexnet"))!;
        var (t, p) = (view.Confusion.ClassOrder[cell.Row], view.Confusion.ClassOrder[cell.Column]);
        var expected = Confusion.CellImages(entry, t, p).Take(8).ToList();
        var figures = root.Locator(".cnnc-cell-strip figure");
        Assert.Equal(expected.Count, await figures.CountAsync());
        Assert.Equal(expected.Select(i => i.ToString()), await figures.EvaluateAllAsync<string[]>("fs => fs.map(f => f.getAttribute('data-index'))"));
        Assert.Equal(expected.Count, await root.Locator(".cnnc-cell-strip figure img").CountAsync());
        Assert.Equal(expected.Select(i => AnalysisViews.CompareCommand(StudyFixture.ClassNames[t], i)),
            await root.Locator(".cnnc-cell-strip code.cnnc-command").AllTextContentsAsync());
        Assert.Contains($"{view.Table.RowLabels[cell.Row]} → predicted {view.Table.ColumnLabels[cell.Column]}: {cell.Count}",
            await root.Locator(".cnnc-cell-strip").TextContentAsync());

        // The scores table sorts by a column.
        await root.Locator("table.cnnc-sortable th", new() { HasText = "F1" }).ClickAsync();
        var f1 = await root.Locator("table.cnnc-sortable tbody tr td:nth-child(8)").EvaluateAllAsync<double[]>(
            "tds => tds.map(td => parseFloat(td.getAttribute('data-v')))");
        Assert.Equal(f1.Order(), f1);

        var shots = Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(shots);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, "confusion.png"), FullPage = true });
        Assert.Empty(chromium.Problems);
    }
}

/// <summary>The standalone report's analysis sections in Chromium: every chart draws, offline.</summary>
[Collection("study")]
public sealed class AnalysisReportBrowserTests(StudyFixture study)
{
    [Fact]
    public async Task Report_has_the_four_analysis_sections_and_every_chart_draws()
    {
        var report = study.Session.Report(new ReportOptions { Pin = "tiny-resnet18" });
        Assert.Equal("tiny-resnet18", report.Confusion!.Confusion.Model);
        Assert.Equal("tiny-resnet18", report.Calibration!.Pinned);
        Assert.NotNull(report.Significance);
        Assert.NotNull(report.Agreement);
        Assert.Null(study.Session.Report(new ReportOptions { Analyses = false }).Confusion);
        var html = report.ToHtml();
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(html, System.Text.RegularExpressions.Regex.Escape(PlotlyJs.Marker)));
        // The report has no kernel: its way to compare the models on an image is to make the report again.
        Assert.DoesNotContain("#!cnnc", html);
        Assert.Contains("<code class=\"cnnc-command\">cnnc report --compare-class ", html);
        await using var chromium = await OfflineChromium.OpenHtml(html, "report-analyses", 1280, 1500);
        var page = chromium.Page;
        foreach (var (view, charts) in new[]
                 {
                     ("confusion", new[] { "confusion" }), ("significance", new[] { "pvalues", "intervals" }),
                     ("calibration", new[] { "reliability" }), ("agreement", new[] { "agreement", "kappa", "modelsRight" }),
                 })
        {
            await page.WaitForSelectorAsync($".cnnc-{view}[data-cnnc-mounted='1']");
            foreach (var chart in charts)
                Assert.True(await page.Locator($".cnnc-{view} [data-chart='{chart}'] .main-svg").CountAsync() > 0, $"{view}/{chart} did not draw");
        }
        Assert.Equal(4, await page.Locator(".cnnc-calibration [data-chart='reliability'] .scatterlayer .trace").CountAsync());
        var shots = Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(shots);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, "report-analyses.png"), FullPage = true });
        Assert.Empty(chromium.Problems);
    }
}
