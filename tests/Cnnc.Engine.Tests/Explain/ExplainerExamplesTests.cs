using Cnnc.Engine.Analysis;
using Cnnc.Engine.Explain;
using Cnnc.Engine.Models;
using Cnnc.Engine.Rendering;
using Cnnc.Engine.Runtime;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace Cnnc.Engine.Tests.Explain;

/// <summary>View D's building block: one method's explanation of one image, drawn as heatmap + contours.</summary>
public sealed class ExplainerExamplesTests
{
    public ExplainerExamplesTests() => TorchRuntime.Initialize();

    private static Tensor Display(int seed)
    {
        using var generator = new Generator((ulong)seed);
        return rand(new long[] { 1, 28, 28 }, generator: generator);
    }

    [Fact]
    public void An_example_is_the_explainers_map_drawn_with_the_contour_overlay_at_the_threshold()
    {
        using var model = ModelReference.Zoo("resnet18").Load();
        using var display = Display(3);
        var example = ExplainerExamples.Explain(model, display, 4, "Grad-CAM++", new ExampleRenderOptions { Threshold = 0.4 });
        Assert.True(example.Succeeded);
        Assert.Equal("gradcam++", example.Method);
        Assert.Equal(ExplainerCatalog.Describe("gradcam++"), example.Description);
        Assert.True(example.Milliseconds > 0);

        using var input = model.Reference.Preprocessing.Normalize(display).unsqueeze(0);
        var direct = new GradCamPlusPlus().Explain(model, input, 4);
        Assert.Equal(4, example.Explanation!.TargetClass);
        Assert.Equal(direct.Score, example.Explanation.Score);
        Assert.Equal(direct.Map.Data, example.Explanation.Map.Data);

        var contours = Contours.Compute(direct.Map, 0.4);
        Assert.Equal(contours.RoiSize, example.Contours!.RoiSize);
        Assert.Equal(0.4, example.Contours.Threshold);
        // The picture pipeline's overlay: the engine's contour view at ×4, as a 256-colour palette PNG (close to the
        // lossless rendering, and clearly closer to it than to the view at another threshold).
        using var expected = Overlay.Render(ColorHistogram.ToDecoded(display), contours, new OverlayOptions { Scale = 4 });
        using var png = Image.Load<Rgb24>(example.Png!.Bytes);
        Assert.Equal((112, 112), (png.Width, png.Height));
        Assert.Equal((112, 112), (example.Png.Width, example.Png.Height));
        var difference = MeanAbsoluteDifference(expected, png);
        Assert.True(difference < 6, $"the example is not the engine's overlay (mean difference {difference:F2})");
        using var other = Overlay.Render(ColorHistogram.ToDecoded(display), Contours.Compute(direct.Map, 0.8), new OverlayOptions { Scale = 4 });
        Assert.True(MeanAbsoluteDifference(other, png) > 2 * difference);
    }

    [Fact]
    public void Unknown_methods_and_cancellation_throw_while_method_failures_are_returned()
    {
        using var model = ModelReference.Zoo("resnet18").Load();
        using var display = Display(5);
        var unknown = Assert.Throws<ArgumentException>(() => ExplainerExamples.Explain(model, display, 0, "sharpcam"));
        Assert.Contains("Known: gradcam", unknown.Message);

        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => ExplainerExamples.Explain(model, display, 0, "scorecam", cancellationToken: cancelled.Token));

        // A target outside the model's classes: the method fails, the example says why.
        var failed = ExplainerExamples.Explain(model, display, 12, "gradcam");
        Assert.False(failed.Succeeded);
        Assert.Null(failed.Png);
        Assert.False(string.IsNullOrWhiteSpace(failed.Error));
    }

    [Theory]
    [InlineData(28, 28, 4)]
    [InlineData(224, 224, 1)]
    [InlineData(100, 60, 1)] // ×2 would pass 128 pixels
    [InlineData(50, 50, 2)]  // ×3 would pass 128 pixels
    [InlineData(32, 32, 4)]
    [InlineData(60, 100, 1)]
    public void The_automatic_scale_reaches_112_pixels_without_passing_128(int height, int width, int scale) =>
        Assert.Equal(scale, ExampleRenderOptions.Default.Size.ScaleFor(height, width));

    [Theory]
    [InlineData(28, 56, 2)]
    [InlineData(28, 168, 6)]
    [InlineData(224, 56, 1)]
    public void Strip_and_large_pictures_scale_to_their_own_side(int side, int target, int scale) =>
        Assert.Equal(scale, new PictureSize(target, target).ScaleFor(side, side));

    private static double MeanAbsoluteDifference(Image<Rgb24> a, Image<Rgb24> b)
    {
        Assert.Equal((a.Width, a.Height), (b.Width, b.Height));
        double sum = 0;
        for (var y = 0; y < a.Height; y++)
            for (var x = 0; x < a.Width; x++)
                sum += Math.Abs(a[x, y].R - b[x, y].R) + Math.Abs(a[x, y].G - b[x, y].G) + Math.Abs(a[x, y].B - b[x, y].B);
        return sum / (3.0 * a.Width * a.Height);
    }

    [Fact]
    public void The_image_is_enlarged_with_nearest_neighbour_sampling()
    {
        using var display = Display(7);
        var pixels = ColorHistogram.ToDecoded(display);
        using var png = Image.Load<Rgb24>(Pictures.Image(display, scale: 3).Bytes);
        Assert.Equal((84, 84), (png.Width, png.Height));
        for (var y = 0; y < 84; y += 5)
        for (var x = 0; x < 84; x += 7)
            Assert.Equal(new Rgb24(pixels[0, y / 3, x / 3], pixels[0, y / 3, x / 3], pixels[0, y / 3, x / 3]), png[x, y]);
    }
}
