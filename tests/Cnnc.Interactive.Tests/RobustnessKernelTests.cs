using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.DotNet.Interactive;

using static Cnnc.Interactive.Tests.NotebookHost;

namespace Cnnc.Interactive.Tests;

/// <summary>
/// <c>#!cnnc robustness</c> in an in-process kernel on the fixture's data and models, into a store of its own: it
/// evaluates the missing corruption entries, then shows accuracy against severity and the mCE table, equal to the
/// engine's <see cref="Study.Robustness"/> of the same entries; bad input fails with one line.
/// </summary>
[Collection("study")]
public sealed class RobustnessKernelTests(StudyFixture study) : IDisposable
{
    private readonly CompositeKernel _kernel = NewKernel();
    private readonly string _store = Path.Combine(study.Root, "robustness-store-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose() => _kernel.Dispose();

    private Study Session()
    {
        var session = new Study().UseStore(_store).UseData("folder:" + study.DataDir).UseHierarchy(study.HierarchyPath);
        foreach (var (name, arch, _, _) in StudyFixture.ModelSpecs) session.AddModel(arch, study.WeightsPaths[name], study.Options, name: name);
        return session;
    }

    private static JsonObject Payload(string html) =>
        JsonNode.Parse(Regex.Match(html, "<script type=\"application/json\" class=\"cnnc-data\">(.*?)</script>", RegexOptions.Singleline)
            .Groups[1].Value)!.AsObject();

    [Fact]
    public async Task Robustness_evaluates_each_corruption_and_severity_then_shows_the_engines_accuracies_and_mCE()
    {
        Notebook.Study = Session();
        await new CnncKernelExtension().OnLoadAsync(_kernel);
        var events = await _kernel.Submit("#!cnnc robustness --corruptions gaussian_noise,contrast --severities 1,3-4 --baseline tiny-resnet18");
        Assert.Equal("", Failure(events));
        var html = DisplayedHtml(events);

        var corruptions = new[] { "gaussian_noise", "contrast" };
        var severities = new[] { 1, 3, 4 };
        // A fresh study on the same store reads the entries the command stored (nothing is evaluated again).
        var expected = Session().Robustness(corruptions, "tiny-resnet18", severities);
        Assert.Equal(3 * corruptions.Length * severities.Length, expected.Accuracies.Count);
        Assert.Contains("CE and mCE relative to <b>tiny-resnet18</b>", html);
        Assert.Contains("not here: shot_noise, impulse_noise, defocus_blur", WebUtility.HtmlDecode(html));

        var payload = Payload(html);
        Assert.Equal(new[] { "mean", "gaussian_noise", "contrast" }, payload["figures"]!.AsObject().Select(kv => kv.Key));
        foreach (var (key, corruption) in new[] { ("mean", (string?)null), ("gaussian_noise", "gaussian_noise"), ("contrast", "contrast") })
        {
            var traces = payload["figures"]![key]!["data"]!.AsArray();
            Assert.Equal(StudyFixture.ModelSpecs.Select(m => m.Name), traces.Select(t => (string)t!["name"]!));
            foreach (var trace in traces)
            {
                var model = (string)trace!["name"]!;
                Assert.Equal(severities, trace["x"]!.AsArray().Select(x => (int)x!));
                var want = severities.Select(s => corruption is null
                    ? corruptions.Average(c => expected.Accuracy(model, c, s)) : expected.Accuracy(model, corruption, s));
                Assert.Equal(want, trace["y"]!.AsArray().Select(y => (double)y!));
            }
        }
        // The table: lowest mCE first, the baseline at 100 %, each CE as the engine computed it.
        var rows = Regex.Matches(html, "<tr data-model=\"([^\"]+)\">(.*?)</tr>").Select(m => (m.Groups[1].Value,
            Regex.Matches(m.Groups[2].Value, "<td>(.*?)</td>").Select(c => c.Groups[1].Value).ToList())).ToList();
        Assert.Equal(expected.Models.OrderBy(m => m.MeanCorruptionError).ThenBy(m => m.Model, StringComparer.Ordinal).Select(m => m.Model),
            rows.Select(r => r.Item1));
        foreach (var (model, cells) in rows)
        {
            var m = expected.Models.Single(x => x.Model == model);
            Assert.Equal(Cnnc.Views.RobustnessView.Ratio(m.MeanCorruptionError), cells[2]);
            Assert.Equal(m.Corruptions.Select(c => Cnnc.Views.RobustnessView.Ratio(c.CE)), cells.Skip(3));
        }
        Assert.Equal("100.0 %", rows.Single(r => r.Item1 == "tiny-resnet18").Item2[2]);
        // Each (model, corruption, severity) is a store entry of its own.
        Assert.Equal(3 * corruptions.Length * severities.Length, Directory.GetDirectories(_store).Sum(d => Directory.GetDirectories(d).Length));
    }

    [Theory]
    [InlineData("#!cnnc robustness", "#!cnnc robustness: --corruptions is required: give names, common or all (e.g. --corruptions gaussian_noise,contrast).")]
    [InlineData("#!cnnc robustness --corruptions fog --severities 0-5", "#!cnnc robustness: --severities takes severities 1 to 5, comma-separated or as a range (e.g. 1-5 or 1,3,5); got '0-5'.")]
    [InlineData("#!cnnc robustness --corruptions fog --baseline nobody", "#!cnnc robustness: Unknown model 'nobody'")]
    [InlineData("#!cnnc robustness --corruptions rain", "#!cnnc robustness: Unknown corruption 'rain'")]
    public async Task Bad_input_fails_with_one_line_before_any_work(string code, string message)
    {
        Notebook.Study = Session();
        await new CnncKernelExtension().OnLoadAsync(_kernel);
        var failure = Failure(await _kernel.Submit(code));
        Assert.StartsWith(message, failure);
        Assert.DoesNotContain("\n", failure);
        Assert.False(Directory.Exists(_store) && Directory.EnumerateFileSystemEntries(_store).Any(), "no work was done");
    }
}
