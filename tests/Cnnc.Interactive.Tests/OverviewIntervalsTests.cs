using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Cnnc.Engine.Analysis;

namespace Cnnc.Interactive.Tests;

/// <summary>
/// The overview's accuracy intervals and calibration (issue 16): every model's bootstrap interval (the study's default
/// resamples, paired across models) as A1's error bar, in A1's and A2's hovers, the models table and the CSV; its ECE
/// in A1's hover, the table and the CSV — each equal to the engine's own analysis of the same store entries.
/// </summary>
[Collection("study")]
public sealed class OverviewIntervalsTests(StudyFixture study)
{
    private static JsonObject Payload(string html) =>
        JsonNode.Parse(Regex.Match(html, "<script type=\"application/json\" class=\"cnnc-data\">(.*?)</script>", RegexOptions.Singleline)
            .Groups[1].Value)!.AsObject();

    /// <summary>The cells of one RFC 4180 line (a latency caveat holds commas, so it is quoted).</summary>
    private static List<string> CsvCells(string line) =>
        Regex.Matches(line, "(?:^|,)(\"(?:[^\"]|\"\")*\"|[^,]*)").Select(m => m.Groups[1].Value).ToList();

    [Fact]
    public void A1_error_bars_hovers_table_and_csv_carry_the_bootstrap_interval_and_the_ECE_of_each_model()
    {
        var session = study.NewSession();
        var overview = session.Overview(new OverviewOptions { Explain = ExplainScope.None });
        var entries = session.Models.Select(m => session.EntryOf(m)!).ToList();
        var expected = Bootstrap.Accuracy(entries, session.Hierarchy, StudyDefaults.Bootstrap);
        Assert.Equal(1000, expected.Resamples);

        var html = overview.ToHtml(includePlotly: false);
        var payload = Payload(html);
        var a1 = payload["figures"]!["a1"]!["data"]!.AsArray();
        var a2 = payload["figures"]!["a2"]!["data"]!.AsArray();
        var range = payload["figures"]!["a1"]!["layout"]!["yaxis"]!["range"]!.AsArray().Select(v => (double)v!).ToArray();
        var csv = overview.ToCsv(OverviewTable.Models).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var header = csv[0].Trim().Split(',').ToList();
        for (var i = 0; i < overview.Models.Count; i++)
        {
            var m = overview.Models[i];
            var want = expected.Models[i];
            Assert.Equal(want.Model, m.Name);
            Assert.Equal(want.Overall, m.Intervals!.Overall);
            Assert.Equal(want.PerRoot, m.Intervals.PerRoot);
            // Random models on 80 images: intervals of several points, around the observed accuracy.
            Assert.True(m.AccuracyLower <= m.Accuracy.Overall && m.Accuracy.Overall <= m.AccuracyUpper);
            Assert.True(m.AccuracyUpper - m.AccuracyLower > 0.02, $"{m.Name}: {m.AccuracyLower}–{m.AccuracyUpper}");
            var calibration = Calibration.Compute(entries[i]);
            Assert.Equal(calibration.Ece, m.Ece);

            var error = a1[i]!["error_y"]!;
            Assert.Equal(m.AccuracyUpper - m.Accuracy.Overall, (double)error["array"]![0]!, 12);
            Assert.Equal(m.Accuracy.Overall - m.AccuracyLower, (double)error["arrayminus"]![0]!, 12);
            Assert.InRange(m.AccuracyLower, range[0], range[1]);
            Assert.InRange(m.AccuracyUpper, range[0], range[1]);
            var hover = (string)a1[i]!["text"]![0]!;
            Assert.Contains($"95 % interval {Format.Percent(m.AccuracyLower)}–{Format.Percent(m.AccuracyUpper)} (bootstrap)", hover);
            Assert.Contains($"ECE {calibration.Ece.ToString("0.000", CultureInfo.InvariantCulture)}", hover);
            var radarHover = a2[i]!["text"]!.AsArray().Select(t => (string)t!).ToList();
            for (var r = 0; r < m.Intervals.PerRoot.Count; r++)
                Assert.Contains($"{Format.Percent(m.Intervals.PerRoot[r].Lower)}–{Format.Percent(m.Intervals.PerRoot[r].Upper)}", radarHover[r]);

            var row = Regex.Match(html, $"<tr><td>{Regex.Escape(m.Name)}</td>(.*?)</tr>").Groups[1].Value;
            Assert.Contains($"<td>{Format.Percent(m.AccuracyLower)}–{Format.Percent(m.AccuracyUpper)}</td><td>{calibration.Ece.ToString("0.000", CultureInfo.InvariantCulture)}</td>", row);

            var cells = CsvCells(csv[i + 1].Trim());
            Assert.Equal(m.AccuracyLower, double.Parse(cells[header.IndexOf("accuracy_lower_95")], CultureInfo.InvariantCulture), 12);
            Assert.Equal(m.AccuracyUpper, double.Parse(cells[header.IndexOf("accuracy_upper_95")], CultureInfo.InvariantCulture), 12);
            Assert.Equal(calibration.Ece, double.Parse(cells[header.IndexOf("ece")], CultureInfo.InvariantCulture), 12);
            Assert.Equal(calibration.Mce, double.Parse(cells[header.IndexOf("mce")], CultureInfo.InvariantCulture), 12);
        }
        // The second overview of the study reuses the intervals (computed once per study), and they are the same.
        var again = session.Overview(new OverviewOptions { Explain = ExplainScope.None });
        Assert.Same(overview.Models[0].Intervals, again.Models[0].Intervals);
    }
}
