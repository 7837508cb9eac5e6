using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Cnnc.Engine.Analysis;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Events;

using static Cnnc.Interactive.Tests.NotebookHost;

namespace Cnnc.Interactive.Tests;

/// <summary>
/// The analysis directives (confusion, significance, calibration, agreement) in the in-process kernel: each renders,
/// the numbers in its HTML are the engine's records on the fixture's store, bad input is one line.
/// </summary>
[Collection("study")]
public sealed class AnalysisViewsTests(StudyFixture study) : IDisposable
{
    private readonly CompositeKernel _kernel = NewKernel();

    public void Dispose() => _kernel.Dispose();

    private async Task<IReadOnlyList<KernelEvent>> Run(string line)
    {
        Notebook.Study = study.NewSession();
        await new CnncKernelExtension().OnLoadAsync(_kernel);
        return await _kernel.Submit(line);
    }

    private async Task<string> Html(string line)
    {
        var events = await Run(line);
        Assert.Equal("", Failure(events));
        return DisplayedHtml(events);
    }

    internal static JsonObject Payload(string html) =>
        JsonNode.Parse(Regex.Match(html, "<script type=\"application/json\" class=\"cnnc-data\">(.*?)</script>", RegexOptions.Singleline)
            .Groups[1].Value)!.AsObject();

    /// <summary>The body rows of the sortable table(s): data-v of each numeric cell, else its text.</summary>
    private static List<List<string>> Rows(string html, int table = 0)
    {
        var t = Regex.Matches(html, "<table class=\"cnnc-sortable\">(.*?)</table>", RegexOptions.Singleline)[table].Groups[1].Value;
        var body = Regex.Match(t, "<tbody>(.*?)</tbody>", RegexOptions.Singleline).Groups[1].Value;
        return Regex.Matches(body, "<tr[^>]*>(.*?)</tr>", RegexOptions.Singleline).Select(r =>
            Regex.Matches(r.Groups[1].Value, "<td( data-v=\"([^\"]*)\")?[^>]*>(.*?)</td>", RegexOptions.Singleline)
                .Select(c => WebUtility.HtmlDecode(c.Groups[1].Success ? c.Groups[2].Value : c.Groups[3].Value)).ToList()).ToList();
    }

    private static double D(string s) => double.Parse(s, System.Globalization.CultureInfo.InvariantCulture);

    private string MostAccurate()
    {
        var o = study.Session.Overview(new() { Explain = Cnnc.Engine.Studies.ExplainScope.None });
        return o.PinnedModel;
    }

    [Fact]
    public async Task Confusion_shows_the_engines_matrix_by_root_and_its_per_class_scores()
    {
        var html = await Html("#!cnnc confusion");
        var model = MostAccurate();
        Assert.Contains($"data-cnnc-model=\"{model}\"", html);
        var expected = Confusion.Compute(study.Session.EntryOf(study.Session.Model(model))!, study.Session.Hierarchy);
        var byRoot = expected.ClassesByRoot();
        var payload = Payload(html);
        Assert.Equal(byRoot.RowLabels, payload["rows"]!.AsArray().Select(x => (string)x!));
        Assert.Equal(byRoot.Counts.Select(r => r.ToList()), payload["counts"]!.AsArray().Select(r => r!.AsArray().Select(x => (int)x!).ToList()));
        var trace = payload["figures"]!["confusion"]!["data"]![0]!;
        Assert.Equal("heatmap", (string)trace["type"]!);
        Assert.Equal(byRoot.Counts.Select(r => r.Select(c => (double)c).ToList()),
            trace["z"]!.AsArray().Select(r => r!.AsArray().Select(x => (double)x!).ToList()));
        // One outlined block per root, where the root's classes are.
        var shapes = payload["figures"]!["confusion"]!["layout"]!["shapes"]!.AsArray();
        Assert.Equal(expected.RootSpans.Select(s => s.Start - 0.5), shapes.Select(s => (double)s!["x0"]!));

        var rows = Rows(html);
        Assert.Equal(10, rows.Count);
        foreach (var (row, k) in rows.Select((r, k) => (r, k)))
        {
            var s = expected.PerClass[expected.ClassOrder[k]];
            Assert.Equal(s.Name, row[0]);
            Assert.Equal(s.Root, row[1]);
            Assert.Equal(s.Support, (int)D(row[2]));
            Assert.Equal(s.Predicted, (int)D(row[3]));
            Assert.Equal(s.TruePositives, (int)D(row[4]));
            Assert.Equal(s.Precision, D(row[5]));
            Assert.Equal(s.Recall, D(row[6]));
            Assert.Equal(s.F1, D(row[7]));
        }
        var macro = Regex.Match(html, "<tr class=\"cnnc-macro\">(.*?)</tr>", RegexOptions.Singleline).Groups[1].Value;
        var macroValues = Regex.Matches(macro, "data-v=\"([^\"]*)\"").Select(m => D(m.Groups[1].Value)).ToList();
        Assert.Equal(new[] { expected.MacroPrecision, expected.MacroRecall, expected.MacroF1 }, macroValues);

        // Cells: every non-empty cell listed with its first images (the engine's cell images), thumbnails capped.
        var cells = payload["cells"]!.AsObject();
        var entry = study.Session.EntryOf(study.Session.Model(model))!;
        foreach (var (key, cell) in cells)
        {
            var rc = key.Split(',').Select(int.Parse).ToArray();
            var (t, p) = (expected.ClassOrder[rc[0]], expected.ClassOrder[rc[1]]);
            var images = Confusion.CellImages(entry, t, p);
            Assert.Equal(images.Count, (int)cell!["n"]!);
            Assert.Equal(images.Take(8), cell["images"]!.AsArray().Select(i => (int)i!["i"]!));
            Assert.All(cell["images"]!.AsArray(), i =>
                Assert.Equal($"#!cnnc compare --class {StudyFixture.ClassNames[t]} --image {(int)i!["i"]!}", (string)i["command"]!));
        }
        Assert.True(cells.Count(c => (bool)c.Value!["thumbnails"]!) <= 24);
        Assert.All(cells.Where(c => (bool)c.Value!["thumbnails"]!), c => Assert.NotEqual(c.Key.Split(',')[0], c.Key.Split(',')[1]));
        Assert.Contains("data:image/png;base64,", html);
    }

    [Fact]
    public async Task Confusion_drills_down_into_a_root_normalises_and_writes_csv()
    {
        var folder = Path.Combine(study.Root, "csv-confusion-" + Guid.NewGuid().ToString("N")[..6]);
        var events = await Run($"#!cnnc confusion --model tiny-resnet18 --root footwear --normalise --csv {folder}");
        Assert.Equal("", Failure(events));
        var html = DisplayedHtml(events);
        var expected = Confusion.Compute(study.Session.EntryOf(study.Session.Model("tiny-resnet18"))!, study.Session.Hierarchy);
        var drill = expected.DrillDown("footwear");
        var payload = Payload(html);
        Assert.Equal(drill.ColumnLabels, payload["columns"]!.AsArray().Select(x => (string)x!));
        Assert.Equal(Confusion.OtherRoots, drill.ColumnLabels[^1]);
        var z = payload["figures"]!["confusion"]!["data"]![0]!["z"]!.AsArray();
        Assert.Equal(drill.RowNormalised().Select(r => r.ToList()), z.Select(r => r!.AsArray().Select(x => (double)x!).ToList()));
        Assert.Equal(drill.ToCsv(normalised: true), File.ReadAllText(Path.Combine(folder, "confusion-tiny-resnet18-root-footwear-normalised.csv")));
        Assert.Equal(expected.ScoresCsv(), File.ReadAllText(Path.Combine(folder, "confusion-tiny-resnet18-scores.csv")));
        Assert.Contains("Wrote ", string.Join("\n", events.OfType<DisplayEvent>().SelectMany(e => e.FormattedValues).Select(v => v.Value)));
    }

    [Fact]
    public void Above_the_class_limit_confusion_starts_at_the_root_matrix_with_the_images_of_each_root_cell()
    {
        var session = study.NewSession();
        var v = Cnnc.Engine.Studies.ConfusionView.Compute(session, new() { Model = "tiny-alexnet", ClassMatrixUpTo = 5 });
        Assert.Equal("roots", v.Level);
        Assert.Equal(v.Confusion.Roots, v.Table);
        var entry = session.EntryOf(session.Model("tiny-alexnet"))!;
        var h = session.Hierarchy;
        foreach (var cell in v.Cells)
        {
            var images = Confusion.RootCellImages(entry, h, h.Roots[cell.Row], h.Roots[cell.Column]);
            Assert.Equal(images.Count, cell.Count);
            Assert.Equal(images.Take(8), cell.Images.Select(i => i.Index));
            Assert.All(cell.Images, i => Assert.Equal(StudyFixture.ClassNames[(int)entry.Labels[i.Index]], i.TrueClass));
        }
        Assert.Contains("root × root", v.ToHtml(includePlotly: false));
    }

    [Fact]
    public async Task Significance_shows_the_engines_p_values_the_models_like_the_best_and_the_intervals()
    {
        var folder = Path.Combine(study.Root, "csv-significance-" + Guid.NewGuid().ToString("N")[..6]);
        var events = await Run($"#!cnnc significance --alpha 0.01 --csv {folder}");
        Assert.Equal("", Failure(events));
        var html = DisplayedHtml(events);
        var session = study.NewSession();
        var pairwise = session.Significance();
        var best = pairwise.AgainstBest(0.01, holm: true);
        var order = Enumerable.Range(0, 3).OrderByDescending(m => pairwise.Accuracy[m]).ToList();
        var payload = Payload(html);
        Assert.Equal(order, payload["order"]!.AsArray().Select(x => (int)x!));
        var heat = payload["figures"]!["pvalues"]!["data"]![0]!;
        Assert.Equal(order.Select(m => pairwise.Models[m]), heat["y"]!.AsArray().Select(x => (string)x!));
        Assert.Equal(order.Select(i => order.Select(j => pairwise.Tests[i][j].PValue).ToList()),
            heat["z"]!.AsArray().Select(r => r!.AsArray().Select(x => (double)x!).ToList()));
        var t01 = pairwise.Tests[order[0]][order[1]];
        Assert.Contains($"only A {t01.OnlyA} · only B {t01.OnlyB}", (string)heat["text"]![0]![1]!);

        var same = Regex.Match(html, "<span class=\"cnnc-same\">(.*?)</span>").Groups[1].Value;
        Assert.Equal(best.NotDistinguishable, Regex.Matches(same, "data-model=\"([^\"]+)\"").Select(m => m.Groups[1].Value));
        var rows = Rows(html);
        var intervals = session.Bootstrap();
        foreach (var (row, k) in rows.Select((r, k) => (r, k)))
        {
            var expected = best.Rows.Single(r => r.Model == pairwise.Models[order[k]]);
            var interval = intervals.Models.Single(m => m.Model == expected.Model).Overall;
            Assert.Equal(expected.Model, row[0]);
            Assert.Equal(expected.Accuracy, D(row[1]));
            Assert.Equal(interval.Lower, D(row[2]));
            Assert.Equal(interval.Upper, D(row[3]));
            if (expected.Model == best.Best) continue;
            Assert.Equal(expected.PValue, D(row[4]));
            Assert.Equal(expected.HolmPValue, D(row[5]));
            Assert.Equal(expected.Distinguishable ? "1" : "0", row[6]);
        }
        var bars = payload["figures"]!["intervals"]!["data"]![0]!;
        Assert.Equal(order.Select(m => intervals.Models[m].Overall.Accuracy), bars["y"]!.AsArray().Select(x => (double)x!));
        Assert.Equal(best.ToCsv(), File.ReadAllText(Path.Combine(folder, "significance-best.csv")));
        Assert.Equal(pairwise.ToCsv(), File.ReadAllText(Path.Combine(folder, "significance-pairs.csv")));
    }

    [Fact]
    public async Task Calibration_shows_every_models_reliability_bins_and_the_table_by_ECE()
    {
        var folder = Path.Combine(study.Root, "csv-calibration-" + Guid.NewGuid().ToString("N")[..6]);
        var events = await Run($"#!cnnc calibration --pin tiny-squeezenet --csv {folder}");
        Assert.Equal("", Failure(events));
        var html = DisplayedHtml(events);
        var session = study.NewSession();
        var expected = session.Models.Select(m => session.Calibration(m.Name)).ToList();
        var traces = Payload(html)["figures"]!["reliability"]!["data"]!.AsArray();
        Assert.Equal(4, traces.Count); // three models and the diagonal
        foreach (var (m, i) in expected.Select((m, i) => (m, i)))
        {
            var bins = m.Bins.Where(b => b.Count > 0).ToList();
            Assert.Equal(m.Model, (string)traces[i]!["name"]!);
            Assert.Equal(bins.Select(b => b.MeanConfidence), traces[i]!["x"]!.AsArray().Select(x => (double)x!));
            Assert.Equal(bins.Select(b => b.Accuracy), traces[i]!["y"]!.AsArray().Select(x => (double)x!));
            Assert.Equal(m.Model == "tiny-squeezenet" ? 1.0 : OverviewCharts.FaintOpacity, (double)traces[i]!["opacity"]!);
        }
        var rows = Rows(html);
        var byEce = expected.OrderBy(m => m.Ece).ToList();
        Assert.Equal(byEce.Select(m => m.Model), rows.Select(r => r[0]));
        foreach (var (row, m) in rows.Zip(byEce))
            Assert.Equal(new[] { m.Ece, m.Mce, m.MeanConfidence, m.Accuracy }, row.Skip(1).Take(4).Select(D));
        Assert.Equal(expected[1].ToCsv(), File.ReadAllText(Path.Combine(folder, "calibration-tiny-resnet18-bins.csv")));
        Assert.True(File.Exists(Path.Combine(folder, "calibration-summary.csv")));
    }

    [Fact]
    public async Task Agreement_shows_the_engines_matrices_error_overlap_and_hard_images()
    {
        var folder = Path.Combine(study.Root, "csv-agreement-" + Guid.NewGuid().ToString("N")[..6]);
        var events = await Run($"#!cnnc agreement --csv {folder}");
        Assert.Equal("", Failure(events));
        var html = DisplayedHtml(events);
        var session = study.NewSession();
        var agreement = session.Agreement();
        var errors = session.ErrorOverlap();
        var figures = Payload(html)["figures"]!;
        static List<List<double?>> Z(JsonNode f) => f["data"]![0]!["z"]!.AsArray().Select(r => r!.AsArray().Select(x => (double?)x).ToList()).ToList();
        static List<List<double?>> Finite(double[][] m) => m.Select(r => r.Select(x => double.IsFinite(x) ? (double?)x : null).ToList()).ToList();
        Assert.Equal(Finite(agreement.Agreement), Z(figures["agreement"]!));
        Assert.Equal(Finite(agreement.Kappa), Z(figures["kappa"]!));
        Assert.Equal(errors.ModelsRight, figures["modelsRight"]!["data"]![0]!["y"]!.AsArray().Select(x => (int)x!));
        Assert.Contains($"<b class=\"cnnc-wrong-all\">{errors.WrongForAll.Count:N0}</b>", html);
        Assert.Contains($"<b class=\"cnnc-only-one\">{errors.OnlyOneRight.Count:N0}</b>", html);
        Assert.Equal(errors.SoleCorrectCounts, Rows(html).Select(r => (int)D(r[1])));
        var gallery = Regex.Matches(html, "<figure data-index=\"(\\d+)\"[^>]*><img src=\"data:image/png;base64,[^\"]+\"[^>]*><figcaption><div>[^<]*</div><code class=\"cnnc-command\">([^<]*)</code>")
            .Select(m => (int.Parse(m.Groups[1].Value), WebUtility.HtmlDecode(m.Groups[2].Value))).ToList();
        Assert.Equal(errors.WrongForAll.Take(24), gallery.Select(g => g.Item1));
        var entry = session.EntryOf(session.Models[0])!;
        Assert.All(gallery, g => Assert.Equal($"#!cnnc compare --class {StudyFixture.ClassNames[(int)entry.Labels[g.Item1]]} --image {g.Item1}", g.Item2));
        Assert.NotEmpty(gallery);
        Assert.Equal(errors.ImagesCsv(), File.ReadAllText(Path.Combine(folder, "agreement-images.csv")));
        Assert.Equal(agreement.ToCsv(), File.ReadAllText(Path.Combine(folder, "agreement-pairs.csv")));
    }

    [Theory]
    [InlineData("#!cnnc calibration --pin nope", "#!cnnc calibration: Unknown model 'nope'. Models in this study: tiny-alexnet, tiny-resnet18, tiny-squeezenet.")]
    [InlineData("#!cnnc significance --alpha 1.5", "#!cnnc significance: --alpha must be a number in (0, 1) (got '1.5').")]
    [InlineData("#!cnnc significance --alpha 0", "#!cnnc significance: --alpha must be a number in (0, 1) (got '0').")]
    [InlineData("#!cnnc confusion --model nope", "#!cnnc confusion: Unknown model 'nope'. Models in this study: tiny-alexnet, tiny-resnet18, tiny-squeezenet.")]
    [InlineData("#!cnnc confusion --root nope", "#!cnnc confusion: Unknown root class 'nope'. Root classes: tops-and-bags, bottoms, footwear.")]
    public async Task Bad_input_is_one_line(string line, string message)
    {
        var failure = Failure(await Run(line));
        Assert.Equal(message, failure);
        Assert.DoesNotContain("\n", failure);
    }

    [Fact]
    public async Task Help_names_every_option()
    {
        var help = await Html("#!cnnc confusion -h");
        foreach (var option in new[] { "--model", "--root", "--normalise", "--csv", "--inline-plotly" }) Assert.Contains(option, help);
        Assert.Contains("--alpha", await Html("#!cnnc significance -h"));
        Assert.Contains("--pin", await Html("#!cnnc calibration -h"));
        Assert.Contains("--csv", await Html("#!cnnc agreement -h"));
        Assert.Contains("#!cnnc confusion", await Html("#!cnnc -h"));
        Assert.Contains("tiny-resnet18", await _kernel.Completions("#!cnnc confusion --model "));
    }
}
