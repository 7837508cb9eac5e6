using System.CommandLine;
using System.Text.Json;
using Cnnc.Engine.Analysis;
using Cnnc.Engine.Data;

namespace Cnnc.Cli.Commands;

/// <summary><c>cnnc contours</c>: contour polylines of a saliency map at a threshold (JSON), optionally an overlay PNG.</summary>
internal static class ContoursCommand
{
    public static Command Create()
    {
        var command = new Command("contours", "Contour lines of a saliency map at K levels from the threshold to 1, as JSON polylines; --overlay draws them on an image.");
        var map = new Option<FileInfo>("--map") { Description = "Saliency map .npy, [H, W] in [0, 1].", Required = true };
        var threshold = new Option<double>("--threshold") { Description = "Threshold t in [0, 1]: the map below it is removed.", DefaultValueFactory = _ => 0.5 };
        var levels = new Option<int>("--levels") { Description = "Contour levels between t and 1.", DefaultValueFactory = _ => 4 };
        var sigma = new Option<double?>("--sigma") { Description = "Gaussian smoothing sigma in pixels (default max(H, W) / 112; 0: none)." };
        var image = new Option<FileInfo?>("--image") { Description = "Image for --overlay (resized to the map size)." };
        var overlay = new Option<FileInfo?>("--overlay") { Description = "Write the overlay PNG here (heatmap above t + contours on the image, or on grey without --image)." };
        var colormap = new Option<string>("--colormap") { Description = "jet, viridis or grey.", DefaultValueFactory = _ => "jet" };
        var scale = new Option<int>("--scale") { Description = "Overlay pixels per map pixel.", DefaultValueFactory = _ => 1 };
        foreach (var o in new Option[] { map, threshold, levels, sigma, image, overlay, colormap, scale }) command.Options.Add(o);
        command.SetCancellableAction((parse, _) =>
        {
            var saliency = Map2D.Load(parse.GetValue(map)!.FullName);
            var set = Contours.Compute(saliency, parse.GetValue(threshold),
                new ContourOptions { Levels = parse.GetValue(levels), Sigma = parse.GetValue(sigma) });
            if (parse.GetValue(overlay) is { } output)
            {
                var picture = parse.GetValue(image) is { } file
                    ? ImageDecoder.Decode(file.FullName)
                    : new DecodedImage(set.Width, set.Height, 1, Enumerable.Repeat((byte)160, set.Width * set.Height).ToArray());
                var cmap = parse.GetValue(colormap)!.ToLowerInvariant() switch
                {
                    "jet" => Colormap.Jet,
                    "viridis" => Colormap.Viridis,
                    "grey" or "gray" => Colormap.Grey,
                    var other => throw new ArgumentException($"Unknown colormap '{other}': use jet, viridis or grey."),
                };
                Overlay.SavePng(output.FullName, picture, set, new OverlayOptions { Colormap = cmap, Scale = parse.GetValue(scale) });
            }
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                set.Threshold, set.Levels, set.Sigma, set.Height, set.Width, set.RoiSize,
                lines = set.Lines.Select(l => new
                {
                    l.Level, l.LevelIndex, l.Closed, x = l.X.Select(v => Math.Round(v, 4)), y = l.Y.Select(v => Math.Round(v, 4)),
                }),
            }, SimilarityCommand.Json));
            return 0;
        });
        return command;
    }
}
