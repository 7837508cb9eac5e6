using System.Globalization;
using System.Text.RegularExpressions;
using Cnnc.Engine.Analysis;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Events;

using static Cnnc.Interactive.Tests.NotebookHost;

namespace Cnnc.Interactive.Tests;

/// <summary>
/// Every value a cell can return displays well: the engine's records through their views, registered with the
/// formatter when the extension loads (a study as its summary card, not an object tree).
/// </summary>
[Collection("study")]
public sealed class FormatterTests(StudyFixture study) : IDisposable
{
    private readonly CompositeKernel _kernel = NewKernel();

    public void Dispose() => _kernel.Dispose();

    private async Task<string> Shown(string expression)
    {
        await new CnncKernelExtension().OnLoadAsync(_kernel);
        Notebook.Study = study.NewSession();
        var events = await _kernel.Submit($"#r \"{typeof(Notebook).Assembly.Location}\"\n#r \"{typeof(Study).Assembly.Location}\"\n" +
                                          "var cnnc = Cnnc.Interactive.Notebook.Study;\n" + expression);
        Assert.Equal("", Failure(events));
        var value = events.OfType<ReturnValueProduced>().Single();
        return value.FormattedValues.Single(v => v.MimeType == "text/html").Value;
    }

    [Theory]
    [InlineData("Cnnc.Engine.Studies.ConfusionView.Compute(cnnc)", "cnnc-confusion")]
    [InlineData("Cnnc.Engine.Studies.SignificanceView.Compute(cnnc)", "cnnc-significance")]
    [InlineData("Cnnc.Engine.Studies.CalibrationView.Compute(cnnc)", "cnnc-calibration")]
    [InlineData("Cnnc.Engine.Studies.AgreementView.Compute(cnnc)", "cnnc-agreement")]
    public async Task Analysis_views_returned_by_a_cell_show_as_their_views(string expression, string view)
    {
        var html = await Shown(expression);
        Assert.Contains($"<div class=\"cnnc-view {view}\"", html);
    }

    [Fact]
    public async Task A_study_shows_as_its_summary_card()
    {
        var html = await Shown("cnnc");
        Assert.StartsWith("<div class=\"cnnc-view cnnc-session\">", html);
        foreach (var (name, _, _, _) in StudyFixture.ModelSpecs) Assert.Contains($"<td>{name}</td>", html);
        var accuracy = AccuracyMetrics.Compute(study.Session.EntryOf(study.Session.Model("tiny-alexnet"))!).Overall;
        Assert.Contains($"<td>{Format.Percent(accuracy)}</td>", html);
        Assert.True(html.Length < 4000, $"the card is {html.Length} characters");
    }

    [Fact]
    public async Task Maps_explanations_and_similarity_matrices_show_as_pictures_and_tables()
    {
        var comparison = study.Session.Compare(new() { Class = "c3-dress" });
        var map = await Shown("cnnc.Compare(new() { Class = \"c3-dress\" }).Rows[0].Map");
        Assert.Contains("cnnc-map", map);
        var png = Regex.Match(map, "src=\"(data:image/png;base64,[^\"]+)\" width=\"(\\d+)\" height=\"(\\d+)\"");
        Assert.True(png.Success);
        using (var image = SixLabors.ImageSharp.Image.Load(PngImage.FromDataUri(png.Groups[1].Value)))
            Assert.Equal((112, 112), (image.Width, image.Height)); // 28×28 at ×4
        Assert.Contains($"28×28 map, values {comparison.Rows[0].Map.Data.Min().ToString("0.###", CultureInfo.InvariantCulture)}", map);

        var matrix = await Shown("cnnc.Compare(new() { Class = \"c3-dress\" }).Similarity");
        Assert.Contains("cnnc-similarity-matrix", matrix);
        foreach (var row in comparison.Similarity.Values)
            foreach (var v in row) Assert.Contains($">{v.ToString("0.000", CultureInfo.InvariantCulture)}</td>", matrix);

        var entry = study.Session.EntryOf(study.Session.Model("tiny-resnet18"))!;
        var accuracy = await Shown("Cnnc.Engine.Analysis.AccuracyMetrics.Compute(cnnc.EntryOf(cnnc.Model(\"tiny-resnet18\"))!, cnnc.Hierarchy.RootNameOf, cnnc.Hierarchy.Roots)");
        var expected = AccuracyMetrics.Compute(entry, study.Session.Hierarchy.RootNameOf, study.Session.Hierarchy.Roots);
        Assert.Contains($"<b>Accuracy {Format.Percent(expected.Overall)}</b>", accuracy);
        foreach (var root in expected.PerRoot) Assert.Contains($"<td>{root.Name}</td><td>{Format.Percent(root.Accuracy)}</td>", accuracy);

        var stored = await Shown("cnnc.EntryOf(cnnc.Model(\"tiny-resnet18\"))");
        Assert.Contains("cnnc-store-entry", stored);
        Assert.Contains(System.Net.WebUtility.HtmlEncode(entry.Directory), stored);

        var explanation = await Shown("cnnc.Explanations(new() { Model = \"tiny-alexnet\", Image = 3, Methods = new[] { \"gradcam\" } }).Examples[0].Explanation");
        Assert.Contains("cnnc-explanation-record", explanation);
        Assert.Contains("<b>gradcam</b> at <code>", explanation);
    }
}
