using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Cnnc.Engine.Analysis;
using Cnnc.Engine.Evaluation;
using Cnnc.Engine.Explain;
using Cnnc.Engine.Runtime;
using Cnnc.Interactive.Directives;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Events;
using static TorchSharp.torch;

using static Cnnc.Interactive.Tests.NotebookHost;

namespace Cnnc.Interactive.Tests;

/// <summary>
/// <c>#!cnnc compare</c> and <c>#!cnnc inspect</c> (paper 6.1 and 6.2) in the in-process notebook host, checked against
/// the engine run directly on the same inputs, and their C# twins.
/// </summary>
[Collection("study")]
public sealed class CompareInspectTests(StudyFixture study) : IDisposable
{
    private readonly CompositeKernel _kernel = NewKernel();

    public void Dispose() => _kernel.Dispose();

    private Task<IReadOnlyList<KernelEvent>> Submit(string code) => _kernel.Submit(code);

    private async Task Load()
    {
        await new CnncKernelExtension().OnLoadAsync(_kernel);
        Notebook.Study = study.NewSession();
    }

    /// <summary>The HTML of the last displayed value that is a <paramref name="kind"/> view (the status is replaced by it).</summary>
    private static string View(IEnumerable<KernelEvent> events, string kind) => events.OfType<DisplayEvent>()
        .SelectMany(e => e.FormattedValues).Where(v => v.MimeType == "text/html" && v.Value.Contains($"cnnc-view cnnc-{kind}\""))
        .Select(v => v.Value).LastOrDefault() ?? throw new Xunit.Sdk.XunitException($"no {kind} view was displayed");

    /// <summary>The fragment with its random id and any inlined plotly.js taken out, for comparing two renderings.</summary>
    private static string Normalise(string html) =>
        Regex.Replace(html.Replace(PlotlyJs.ScriptElement() + "\n", ""), "cnnc-(compare|inspect)-[0-9a-f]{12}", "cnnc-$1-ID");

    /// <summary>Rows of the view's table: the row's key attribute and the data-v values of its cells, in order.</summary>
    private static List<(string Key, List<string> Values, string Html)> Rows(string html, string keyAttribute) =>
        Regex.Matches(html, $"<tr {keyAttribute}=\"([^\"]*)\"[^>]*>(.*?)</tr>", RegexOptions.Singleline)
            .Select(m => (System.Net.WebUtility.HtmlDecode(m.Groups[1].Value),
                Regex.Matches(m.Groups[2].Value, "<td[^>]*? data-v=\"([^\"]*)\"").Select(v => v.Groups[1].Value).ToList(), m.Groups[2].Value))
            .ToList();

    private static double D(string s) => double.Parse(s, CultureInfo.InvariantCulture);

    private static (int Width, int Height) PngSize(string dataUri)
    {
        var bytes = PngImage.FromDataUri(dataUri);
        using var image = SixLabors.ImageSharp.Image.Load(bytes); // decodes the whole PNG
        return (image.Width, image.Height);
    }

    /// <summary>What the engine gives for one model and images, run directly (no extension code).</summary>
    private (List<Explanation> Explanations, List<Tensor> Geometry, StoreEntry Entry) Engine(string model, IReadOnlyList<int> images,
        string method, bool labelTargets = false)
    {
        var session = study.Session;
        var m = session.Model(model);
        var entry = session.EntryOf(m)!;
        using var loaded = m.Reference.Load(TorchRuntime.DefaultDevice);
        var raws = images.Select(session.Dataset.Load).ToList();
        using var inputs = m.Reference.Preprocessing.Stack(raws);
        var targets = labelTargets ? images.Select(i => (int)entry.Labels[i]).ToArray() : null;
        var explanations = ExplainerCatalog.Create(method).ExplainBatch(loaded, inputs, targets).ToList();
        var geometry = raws.Select(m.Reference.Preprocessing.Geometry).ToList();
        foreach (var r in raws) r.Dispose();
        return (explanations, geometry, entry);
    }

    private static List<int> ImagesOfClass(int c) =>
        Enumerable.Range(c * StudyFixture.ImagesPerClass, StudyFixture.ImagesPerClass).ToList(); // folder order: class by class

    [Fact]
    public async Task Compare_shows_one_row_per_model_with_the_engines_numbers()
    {
        await Load();
        var events = await Submit("#!cnnc compare --class c3-dress --threshold 0.4");
        Assert.Equal("", Failure(events));
        var html = View(events, "compare");
        var rows = Rows(html, "data-model");
        Assert.Equal(StudyFixture.ModelSpecs.Select(s => s.Name), rows.Select(r => r.Key));

        var image = ImagesOfClass(3)[0]; // default: the class's first image
        Assert.Contains($"data-cnnc-image=\"{image}\"", html);
        var maps = new List<Map2D>();
        var distinguished = 0;
        foreach (var (name, _, _, _) in StudyFixture.ModelSpecs)
        {
            var (explanations, geometry, entry) = Engine(name, new[] { image }, "gradcam");
            var e = explanations[0];
            maps.Add(e.Map);
            var accuracy = AccuracyMetrics.Compute(entry);
            var row = rows.Single(r => r.Key == name);
            // data-v: model, overall, class accuracy, true-class confidence, prediction, mean saliency, ROI size
            Assert.Equal(accuracy.Overall, D(row.Values[1]));
            Assert.Equal(accuracy.PerClass[3].Accuracy, D(row.Values[2]));
            Assert.Equal(entry.Probabilities[image, 3].item<float>(), D(row.Values[3]));
            var predicted = (int)entry.Predictions[image];
            Assert.Equal(StudyFixture.ClassNames[predicted], row.Values[4]);
            Assert.Equal(e.PredictedClass, predicted); // the map explains the prediction
            Assert.Equal(e.Map.Data.Average(v => (double)v), D(row.Values[5]), 12);
            Assert.Equal(Contours.RoiSize(e.Map, 0.4), D(row.Values[6]));
            Assert.Contains($">{Format.Percent(Contours.RoiSize(e.Map, 0.4))}</td>", row.Html);
            Assert.Contains(predicted == 3 ? "cnnc-right" : "cnnc-wrong", Regex.Match(html, $"<tr data-model=\"{name}\"[^>]*>").Value);
            // The heatmap: the engine's overlay of the model's view of the image at ×4.
            var uri = Regex.Match(row.Html, "src=\"(data:image/png;base64,[^\"]+)\"").Groups[1].Value;
            Assert.Equal((112, 112), PngSize(uri));
            using var expected = Overlay.Render(geometry[0], Contours.Compute(e.Map, 0.4), new OverlayOptions { Scale = 4 });
            using var shown = SixLabors.ImageSharp.Image.Load<SixLabors.ImageSharp.PixelFormats.Rgb24>(PngImage.FromDataUri(uri));
            // 256-colour palette PNG: close to the engine's overlay, and clearly closer than to the overlay at another threshold.
            var difference = MeanAbsoluteDifference(expected, shown);
            Assert.True(difference < 6, $"the heatmap PNG is not the engine's overlay (mean difference {difference:F2})");
            using var other = Overlay.Render(geometry[0], Contours.Compute(e.Map, 0.8), new OverlayOptions { Scale = 4 });
            if (MeanAbsoluteDifference(expected, other) > 10)
            {
                Assert.True(MeanAbsoluteDifference(other, shown) > 2 * difference);
                distinguished++;
            }
            foreach (var g in geometry) g.Dispose();
        }
        Assert.True(distinguished > 0, "no heatmap differed visibly between thresholds");

        // The strip: the class's images, 56×56, with their indices; the compared image 168×168 in view E.
        var strip = Regex.Matches(html, "<figure data-index=\"(\\d+)\"[^>]*><img class=\"cnnc-pic\" src=\"([^\"]+)\"").ToList();
        Assert.Equal(ImagesOfClass(3), strip.Select(m => int.Parse(m.Groups[1].Value)));
        Assert.All(strip, m => Assert.Equal((56, 56), PngSize(m.Groups[2].Value)));
        var large = Regex.Match(html, "<div class=\"cnnc-e\"><figure><img class=\"cnnc-pic\" src=\"([^\"]+)\"").Groups[1].Value;
        Assert.Equal((168, 168), PngSize(large));

        // The similarity matrix: the engine's, of the same maps (SSIM by default).
        var comparison = Notebook.Study.Compare(new() { Class = "c3-dress", Threshold = 0.4 });
        var similarity = MapSimilarity.Matrix(maps, SimilarityRule.Ssim);
        for (var i = 0; i < maps.Count; i++)
            for (var j = 0; j < maps.Count; j++)
            {
                Assert.Equal(similarity.Values[i][j], comparison.Similarity.Values[i][j], 12);
                Assert.Contains($"<td>{similarity.Values[i][j].ToString("0.000", CultureInfo.InvariantCulture)}</td>", html);
            }
        Assert.Contains("\"similarity\":{\"data\":[{\"type\":\"heatmap\"", html);
        Assert.Contains("\"accuracy\":{\"data\":[", html);
        Assert.True(Normalise(html).Length < 150_000, $"compare of 3 models is {Normalise(html).Length} characters");
    }

    private static double MeanAbsoluteDifference(SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24> a,
        SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24> b)
    {
        Assert.Equal((a.Width, a.Height), (b.Width, b.Height));
        double sum = 0;
        for (var y = 0; y < a.Height; y++)
            for (var x = 0; x < a.Width; x++)
                sum += Math.Abs(a[x, y].R - b[x, y].R) + Math.Abs(a[x, y].G - b[x, y].G) + Math.Abs(a[x, y].B - b[x, y].B);
        return sum / (3.0 * a.Width * a.Height);
    }

    [Fact]
    public async Task Compare_options_choose_models_image_rule_and_target()
    {
        await Load();
        var image = ImagesOfClass(7)[5];
        var events = await Submit($"#!cnnc compare --class c7-sneaker --models tiny-squeezenet,tiny-alexnet --image {image} " +
                                  "--method gradcam++ --rule mse --target label --strip 3 --threshold 0.6");
        Assert.Equal("", Failure(events));
        var html = View(events, "compare");
        Assert.Equal(new[] { "tiny-squeezenet", "tiny-alexnet" }, Rows(html, "data-model").Select(r => r.Key));
        Assert.Equal(3, Regex.Matches(html, "<figure data-index=").Count);
        Assert.Contains("explaining the ground-truth class", html);
        Assert.Contains("(1 - mse)", html);

        var (explanations, _, _) = Engine("tiny-squeezenet", new[] { image }, "gradcam++", labelTargets: true);
        var row = Rows(html, "data-model")[0];
        Assert.Equal(Contours.RoiSize(explanations[0].Map, 0.6), D(row.Values[6]));
        Assert.Contains("explains c7-sneaker", row.Html);
    }

    [Fact]
    public async Task Compare_twin_returns_the_same_view_and_exports_csv()
    {
        await Load();
        var command = View(await Submit("#!cnnc compare --class c5-sandal --models tiny-resnet18,tiny-alexnet"), "compare");
        var comparison = Notebook.Study.Compare(new() { Class = "c5-sandal", Models = new[] { "tiny-resnet18", "tiny-alexnet" } });
        Assert.Equal(Normalise(comparison.ToHtml(includePlotly: false)), Normalise(command));

        // From C# in the notebook: the result displays with the same formatter.
        var value = await _kernel.SendAsync(new SubmitCode($"#r \"{typeof(Notebook).Assembly.Location}\"\n#r \"{typeof(Study).Assembly.Location}\"\n" +
            "var c = Cnnc.Interactive.Notebook.Study.Compare(new() { Class = \"c5-sandal\", Models = new[] { \"tiny-resnet18\", \"tiny-alexnet\" } });\nc.Rows.Count"));
        Assert.Empty(value.Events.OfType<CommandFailed>());
        Assert.Equal(2, value.Events.OfType<ReturnValueProduced>().Single().Value);
        var shown = View(await Submit("c"), "compare");
        Assert.Equal(Normalise(command), Normalise(shown));

        var csv = comparison.ToCsv().Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("model,architecture,overall_accuracy,class_accuracy,true_class_confidence,ground_truth,prediction," +
                     "prediction_confidence,correct,explained_class,roi_size,mean_saliency,image,method,threshold", csv[0]);
        Assert.Equal(3, csv.Length);
        var cells = csv[1].Split(',');
        Assert.Equal("tiny-resnet18", cells[0]);
        Assert.Equal(comparison.Rows[0].RoiSize, D(cells[10]));
        Assert.Equal(ImagesOfClass(5)[0].ToString(CultureInfo.InvariantCulture), cells[12]);
        Assert.Equal(3, comparison.SimilarityCsv().Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public void Repeated_and_rethresholded_calls_reuse_explanations_and_equal_a_fresh_session()
    {
        var session = study.NewSession();
        var models = new[] { "tiny-resnet18", "tiny-alexnet" };
        var first = session.Inspect(new() { Model = "tiny-alexnet", Classes = new[] { "c3-dress" }, Method = "gradcam", Rows = 4 });
        var again = session.Inspect(new() { Model = "tiny-alexnet", Classes = new[] { "c3-dress" }, Method = "gradcam", Rows = 4 });
        Assert.Equal(first.ToCsv(), again.ToCsv());
        Assert.All(first.Rows.Zip(again.Rows), p => Assert.Same(p.First.Map, p.Second.Map)); // served from the session
        // Another threshold (drawn again from the kept maps), a page that overlaps none, and compare: as a fresh session.
        var fresh = study.NewSession();
        Assert.Equal(Normalise(fresh.Inspect(new() { Model = "tiny-alexnet", Classes = new[] { "c3-dress" }, Method = "gradcam", Rows = 4, Threshold = 0.3 }).ToHtml(false)),
            Normalise(session.Inspect(new() { Model = "tiny-alexnet", Classes = new[] { "c3-dress" }, Method = "gradcam", Rows = 4, Threshold = 0.3 }).ToHtml(false)));
        Assert.Equal(fresh.Inspect(new() { Model = "tiny-alexnet", Classes = new[] { "c3-dress" }, Method = "gradcam", Rows = 4, Page = 2 }).ToCsv(),
            session.Inspect(new() { Model = "tiny-alexnet", Classes = new[] { "c3-dress" }, Method = "gradcam", Rows = 4, Page = 2 }).ToCsv());
        var compared = session.Compare(new() { Class = "c5-sandal", Models = models });
        var comparedAgain = session.Compare(new() { Class = "c5-sandal", Models = models, Threshold = 0.7 });
        Assert.All(compared.Rows.Zip(comparedAgain.Rows), p => Assert.Same(p.First.Map, p.Second.Map));
        Assert.Equal(fresh.Compare(new() { Class = "c5-sandal", Models = models, Threshold = 0.7 }).ToCsv(), comparedAgain.ToCsv());
        // Inspect of a page with the compared image (same model, method and threshold): as in a fresh session (compare
        // explained the image alone, inspect explains the page in one batch; the commands do not share their maps).
        var page = session.Inspect(new() { Model = "tiny-alexnet", Classes = new[] { "c5-sandal" }, Method = "gradcam", Rows = 4, Threshold = 0.7 });
        Assert.Contains(page.Rows, r => r.Index == compared.Image);
        Assert.All(page.Rows, r => Assert.NotNull(r.Histogram));
        Assert.Equal(Normalise(study.NewSession().Inspect(new() { Model = "tiny-alexnet", Classes = new[] { "c5-sandal" }, Method = "gradcam", Rows = 4, Threshold = 0.7 }).ToHtml(false)),
            Normalise(page.ToHtml(false)));
    }

    [Fact]
    public async Task Inspect_pages_the_classes_images_with_the_engines_numbers_and_histograms()
    {
        await Load();
        var events = await Submit("#!cnnc inspect --model tiny-resnet18 --classes c3-dress,c7-sneaker --method gradcam --rows 10 --threshold 0.3");
        Assert.Equal("", Failure(events));
        var html = View(events, "inspect");
        var images = ImagesOfClass(3).Concat(ImagesOfClass(7)).ToList();
        var rows = Rows(html, "data-index");
        Assert.Equal(images.Take(10).Select(i => i.ToString(CultureInfo.InvariantCulture)), rows.Select(r => r.Key));
        Assert.Contains("page 1 of 2", html);
        Assert.Contains("--page 2", html);

        var (explanations, geometry, entry) = Engine("tiny-resnet18", images.Take(10).ToList(), "gradcam");
        var cih = JsonNode.Parse(Regex.Match(html, "<script type=\"application/json\" class=\"cnnc-data\">(.*?)</script>").Groups[1].Value)!["cih"]!;
        Assert.Equal("ChiSquare", cih["distance"]!.GetValue<string>());
        for (var k = 0; k < 10; k++)
        {
            var index = images[k];
            var row = rows[k];
            var e = explanations[k];
            var predicted = (int)entry.Predictions[index];
            // data-v: index, prediction, confidence, p(label), mean saliency, ROI size, CIH mean intensity, CIH distance
            Assert.Equal(StudyFixture.ClassNames[predicted], row.Values[1]);
            Assert.Equal(entry.Probabilities[index, predicted].item<float>(), D(row.Values[2]));
            Assert.Equal(entry.Probabilities[index, (int)entry.Labels[index]].item<float>(), D(row.Values[3]));
            Assert.Equal(Contours.RoiSize(e.Map, 0.3), D(row.Values[5]));
            Assert.Equal("", row.Values[7]); // not sorted by CIH
            var histogram = ColorHistogram.Compute(geometry[k], e.Map, 0.3);
            var counts = cih["rows"]![index.ToString(CultureInfo.InvariantCulture)]!;
            Assert.Equal(histogram.PixelCount, counts["n"]!.GetValue<int>());
            var bins = counts["h"]!.AsArray().Single()!.AsArray().Select(b => b!.GetValue<int>()).ToArray();
            Assert.Equal(histogram.Bins[0].Select(b => (int)Math.Round(b * histogram.PixelCount)), bins);
            Assert.Equal(histogram.PixelCount, bins.Sum());
            Assert.Contains($"{histogram.PixelCount} px", row.Html);
            Assert.Contains("<svg class=\"cnnc-cih\"", row.Html);
            var uri = Regex.Match(row.Html, "src=\"(data:image/png;base64,[^\"]+)\"").Groups[1].Value;
            Assert.Equal((112, 112), PngSize(uri));
        }
        foreach (var g in geometry) g.Dispose();

        var second = View(await Submit("#!cnnc inspect --model tiny-resnet18 --classes c3-dress,c7-sneaker --method gradcam --rows 10 --page 2"), "inspect");
        Assert.Equal(images.Skip(10).Select(i => i.ToString(CultureInfo.InvariantCulture)), Rows(second, "data-index").Select(r => r.Key));
        Assert.Contains("page 2 of 2", second);
    }

    [Fact]
    public async Task Inspect_sorts_by_cih_distance_to_a_chosen_image()
    {
        await Load();
        var images = ImagesOfClass(2);
        var reference = images[5];
        var events = await Submit($"#!cnnc inspect --model tiny-alexnet --classes c2-pullover --method gradcam --sort-by-cih {reference}");
        Assert.Equal("", Failure(events));
        var html = View(events, "inspect");
        var (explanations, geometry, _) = Engine("tiny-alexnet", images, "gradcam");
        var histograms = images.Select((_, k) => ColorHistogram.Compute(geometry[k], explanations[k].Map, 0.5)).ToList();
        var distances = images.Select((_, k) => histograms[k].DistanceTo(histograms[5])).ToList();
        var expected = images.Select((index, k) => (index, d: distances[k]))
            .OrderBy(x => x.index == reference ? 0 : 1).ThenBy(x => x.d).ThenBy(x => x.index).ToList();
        var rows = Rows(html, "data-index");
        Assert.Equal(expected.Select(x => x.index.ToString(CultureInfo.InvariantCulture)), rows.Select(r => r.Key));
        for (var k = 0; k < rows.Count; k++) Assert.Equal(expected[k].d, D(rows[k].Values[7]));
        Assert.Contains("cnnc-cih-ref", Regex.Match(html, $"<tr data-index=\"{reference}\"[^>]*>").Value);
        Assert.Contains($"data-cnnc-cih-ref=\"{reference}\"", html);
        Assert.Contains("class=\"cnnc-cih-d\" aria-sort=\"ascending\"", html);
        foreach (var g in geometry) g.Dispose();

        // A reference that is not on the page is explained too and shown first.
        var offPage = View(await Submit($"#!cnnc inspect --model tiny-alexnet --classes c2-pullover --method gradcam --rows 3 --sort-by-cih {reference}"), "inspect");
        var keys = Rows(offPage, "data-index").Select(r => r.Key).ToList();
        Assert.Equal(4, keys.Count);
        Assert.Equal(reference.ToString(CultureInfo.InvariantCulture), keys[0]);
        Assert.Equal(images.Take(3).Select(i => i.ToString(CultureInfo.InvariantCulture)).Order(), keys.Skip(1).Order());

        // The C# twin: same rows; SortByCih reorders an existing result without explaining again.
        var inspection = Notebook.Study.Inspect(new() { Model = "tiny-alexnet", Classes = new[] { "c2-pullover" }, Method = "gradcam" });
        Assert.Equal(images, inspection.Rows.Select(r => r.Index));
        var sorted = inspection.SortByCih(reference);
        Assert.Equal(expected.Select(x => x.index), sorted.Rows.Select(r => r.Index));
        Assert.Equal(Normalise(sorted.ToHtml(false)), Normalise(html));
        var csv = sorted.ToCsv().Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("index,item,label,prediction,confidence,true_class_confidence,correct,explained_class,roi_size,cih_pixels,cih_distance,model,method,threshold", csv[0]);
        Assert.Equal(1 + images.Count, csv.Length);
        Assert.Equal(expected[1].d, D(csv[2].Split(',')[10]));
    }

    [Fact]
    public async Task Inspect_defaults_to_smooth_grad_cam_plus_plus_at_zoo_scale()
    {
        await Load();
        var events = await Submit("#!cnnc inspect --model tiny-squeezenet --classes c9-boot --rows 2");
        Assert.Equal("", Failure(events));
        var html = View(events, "inspect");
        Assert.Contains("method <code>smoothgradcam++</code>", html);
        var images = ImagesOfClass(9).Take(2).ToList();
        var (explanations, geometry, _) = Engine("tiny-squeezenet", images, "smoothgradcam++");
        var rows = Rows(html, "data-index");
        for (var k = 0; k < 2; k++) Assert.Equal(Contours.RoiSize(explanations[k].Map, 0.5), D(rows[k].Values[5]));
        foreach (var g in geometry) g.Dispose();
    }

    [Theory]
    [InlineData("#!cnnc compare", "#!cnnc compare: --class is required: give a class, e.g. --class Sneaker.")]
    [InlineData("#!cnnc compare --class c11-hat", "#!cnnc compare: 'c11-hat' is not a class of hierarchy roots. Classes: c0-tshirt, c1-trouser, c2-pullover, c3-dress, c4-coat, c5-sandal, c6-shirt, c7-sneaker, c8-bag, c9-boot.")]
    [InlineData("#!cnnc compare --class \"c3 dress\"", "#!cnnc compare: 'c3 dress' is not a class of hierarchy roots. Classes: c0-tshirt, c1-trouser, c2-pullover, c3-dress, c4-coat, c5-sandal, c6-shirt, c7-sneaker, c8-bag, c9-boot.")]
    [InlineData("#!cnnc compare --class c3-dress --models tiny-resnet18,nosuch", "#!cnnc compare: Unknown model 'nosuch'. Models in this study: tiny-alexnet, tiny-resnet18, tiny-squeezenet.")]
    [InlineData("#!cnnc compare --class c3-dress --method gradcam3", "#!cnnc compare: Unknown explanation method 'gradcam3'. Known: gradcam, gradcam++, smoothgradcam++, scorecam, bbmp, xgradcam, layercam, eigencam, ablationcam, rise.")]
    [InlineData("#!cnnc compare --class c3-dress --threshold 1.5", "#!cnnc compare: --threshold must be a number in [0, 1] (got '1.5').")]
    [InlineData("#!cnnc compare --class c3-dress --image 3", "#!cnnc compare: Image 3 is a 'c0-tshirt', not 'c3-dress': pick one of 24, 25, 26, 27, 28, ….")]
    [InlineData("#!cnnc compare --class c3-dress --image 500", "#!cnnc compare: Image 500 is not in folder:STUDY: indices run from 0 to 79.")]
    [InlineData("#!cnnc compare --class c3-dress --image -1", "#!cnnc compare: --image must be a dataset item index, 0 or more (got '-1').")]
    [InlineData("#!cnnc compare --class c3-dress --rule cosine", "#!cnnc compare: Unknown --rule 'cosine': use ssim, mse, l1, ahash or phash.")]
    [InlineData("#!cnnc compare --class c3-dress --target both", "#!cnnc compare: Unknown --target 'both': use predicted or label.")]
    [InlineData("#!cnnc compare --class c3-dress --size 3", "#!cnnc compare: Unknown option '--size'. Options of #!cnnc compare: --class, --models, --image, --method, --threshold, --rule, --target, --strip, --inline-plotly (and -h).")]
    [InlineData("#!cnnc inspect --classes c3-dress", "#!cnnc inspect: --model is required: give a model, e.g. --model resnet18.")]
    [InlineData("#!cnnc inspect --model tiny-alexnet", "#!cnnc inspect: --classes is required: give one or more classes, e.g. --classes Sneaker,Sandal.")]
    [InlineData("#!cnnc inspect --model tiny-vgg --classes c3-dress", "#!cnnc inspect: Unknown model 'tiny-vgg'. Models in this study: tiny-alexnet, tiny-resnet18, tiny-squeezenet.")]
    [InlineData("#!cnnc inspect --model tiny-alexnet --classes c3-dress,c12", "#!cnnc inspect: 'c12' is not a class of hierarchy roots. Classes: c0-tshirt, c1-trouser, c2-pullover, c3-dress, c4-coat, c5-sandal, c6-shirt, c7-sneaker, c8-bag, c9-boot.")]
    [InlineData("#!cnnc inspect --model tiny-alexnet --classes c3-dress --page 3 --rows 5", "#!cnnc inspect: Page 3 is past the end: the 8 images of 'c3-dress' make 2 pages of 5 rows.")]
    [InlineData("#!cnnc inspect --model tiny-alexnet --classes c3-dress --rows 0", "#!cnnc inspect: --rows must be a positive integer (got '0').")]
    [InlineData("#!cnnc inspect --model tiny-alexnet --classes c3-dress,c4-coat --sort-by-cih 0", "#!cnnc inspect: Image 0 is a 'c0-tshirt', not 'c3-dress' or 'c4-coat': pick one of 24, 25, 26, 27, 28, ….")]
    [InlineData("#!cnnc inspect --model tiny-alexnet --classes c3-dress --distance euclid", "#!cnnc inspect: Unknown --distance 'euclid': use chisquare or intersection.")]
    [InlineData("#!cnnc inspect --model tiny-alexnet --classes c3-dress --threshold -0.1", "#!cnnc inspect: --threshold must be a number in [0, 1] (got '-0.1').")]
    [InlineData("#!cnnc inspect --model tiny-alexnet --classes c3-dress --method nope", "#!cnnc inspect: Unknown explanation method 'nope'. Known: gradcam, gradcam++, smoothgradcam++, scorecam, bbmp, xgradcam, layercam, eigencam, ablationcam, rise.")]
    public async Task Bad_values_fail_with_one_clear_line(string code, string expected)
    {
        await Load();
        var failure = Failure(await Submit(code));
        Assert.Equal(expected.Replace("folder:STUDY", Notebook.Study.Dataset.Name), failure);
        Assert.DoesNotContain("   at ", failure);
    }

    [Fact]
    public async Task Unevaluated_models_are_reported_with_what_to_run()
    {
        await Load();
        Notebook.Study = study.NewSession().UseStore(Path.Combine(study.Root, "empty-store-" + Guid.NewGuid().ToString("N")[..6]));
        var compare = Failure(await Submit("#!cnnc compare --class c3-dress"));
        Assert.StartsWith("#!cnnc compare: No evaluation on '", compare);
        Assert.EndsWith("yet for tiny-alexnet, tiny-resnet18, tiny-squeezenet: run '#!cnnc evaluate' (or cnnc.Evaluate()) first.", compare);
        var inspect = Failure(await Submit("#!cnnc inspect --model tiny-resnet18 --classes c3-dress"));
        Assert.EndsWith("yet for tiny-resnet18: run '#!cnnc evaluate' (or cnnc.Evaluate()) first.", inspect);
    }

    [Fact]
    public async Task Help_and_completions_cover_compare_and_inspect()
    {
        await Load();
        var root = string.Join("\n", (await Submit("#!cnnc")).OfType<DisplayEvent>().SelectMany(e => e.FormattedValues).Select(v => v.Value));
        Assert.Contains("#!cnnc compare", root);
        Assert.Contains("#!cnnc inspect", root);
        var help = string.Join("\n", (await Submit("#!cnnc inspect -h")).OfType<DisplayEvent>().SelectMany(e => e.FormattedValues).Select(v => v.Value));
        foreach (var option in new[] { "--model", "--classes", "--method", "--threshold", "--page", "--rows", "--sort-by-cih", "--distance", "--target" })
            Assert.Contains(option, help);

        Task<IReadOnlyList<string>> Complete(string code) => _kernel.Completions(code);
        Assert.Contains("c3-dress", await Complete("#!cnnc compare --class "));
        Assert.Contains("smoothgradcam++", await Complete("#!cnnc compare --method "));
        Assert.Contains("phash", await Complete("#!cnnc compare --rule "));
        Assert.Contains("tiny-squeezenet", await Complete("#!cnnc compare --models "));
        Assert.Contains("tiny-resnet18", await Complete("#!cnnc inspect --model "));
        Assert.Contains("c7-sneaker", await Complete("#!cnnc inspect --classes "));
        Assert.Contains("inspect", await Complete("#!cnnc "));
    }

    [Fact]
    public async Task Interrupting_the_kernel_stops_an_inspection()
    {
        await Load();
        var shown = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = _kernel.KernelEvents.Subscribe(new EventObserver(e =>
        {
            if (e is DisplayEvent d && d.FormattedValues.Any(v => v.Value.Contains("cnnc-explain-status"))) shown.TrySetResult();
        }));
        var before = CnncDirectives.LastJob;
        // BBMP runs 300 optimisation steps, checking for cancellation at each: long enough to interrupt.
        var run = _kernel.SendAsync(new SubmitCode("#!cnnc inspect --model tiny-resnet18 --classes c3-dress,c4-coat,c5-sandal --method bbmp"));
        await shown.Task.WaitAsync(TimeSpan.FromSeconds(60));
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (ReferenceEquals(CnncDirectives.LastJob, before) && waited.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(20);
        var job = CnncDirectives.LastJob!;
        await Task.Delay(300);
        Assert.False(job.IsCompleted);
        await _kernel.SendAsync(new Cancel());
        var result = await run.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Contains("cancelled", Failure(result.Events), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(result.Events.OfType<DisplayEvent>(), e => e.FormattedValues.Any(v => v.Value.Contains("cnnc-view cnnc-inspect\"")));
        // The work itself stops (the explainer gives up at its next step), well before BBMP would end.
        var stopped = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => job.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.NotNull(stopped);
    }
}
