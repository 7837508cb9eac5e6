using System.CommandLine;
using System.Diagnostics;
using System.Text.Encodings.Web;
using System.Text.Json;
using Cnnc.Engine.Data;
using Cnnc.Engine.Explain;
using Cnnc.Engine.IO;
using Cnnc.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Cli.Commands;

/// <summary><c>cnnc explain</c>: one saliency map for one image, as .npy and/or a PNG overlay, with a JSON summary line.</summary>
internal static class ExplainCommand
{
    public static Command Create()
    {
        var command = new Command("explain",
            "Explain one image (--image) or preprocessed 1xCxHxW float32 tensor (--tensor): saliency map as .npy (--out) " +
            "and/or PNG overlay (--overlay); prints one JSON line (class, score, prediction, timing).");
        var model = new ModelOptions();
        model.AddTo(command);
        var image = new Option<FileInfo?>("--image") { Description = "Image file, decoded and preprocessed as the model expects." };
        var tensorFile = new Option<FileInfo?>("--tensor") { Description = "Already preprocessed float32 1xCxHxW .npy (C order)." };
        var target = new Option<int?>("--class") { Description = "Class to explain (default: the predicted class)." };
        var method = new Option<string>("--method")
        {
            Description = $"Method: {string.Join(", ", ExplainerCatalog.Names)}.", DefaultValueFactory = _ => "gradcam",
        };
        var layer = new Option<string?>("--layer") { Description = "Target layer module path (default: the architecture's, e.g. layer4)." };
        var output = new Option<FileInfo?>("--out") { Description = "Write the [0,1] map (float32 HxW .npy)." };
        var overlay = new Option<FileInfo?>("--overlay") { Description = "Write the map blended over the image (jet colour map) as PNG." };
        var alpha = new Option<double>("--alpha") { Description = "Weight of the colour map in the overlay.", DefaultValueFactory = _ => 0.5 };
        foreach (var o in new Option[] { image, tensorFile, target, method, layer, output, overlay, alpha }) command.Options.Add(o);
        command.SetCancellableAction((parse, token) =>
        {
            var reference = model.Resolve(parse);
            var device = model.ResolveDevice(parse);
            var explainer = ExplainerCatalog.Create(parse.GetValue(method)!);
            var imageFile = parse.GetValue(image);
            var npy = parse.GetValue(tensorFile);
            if ((imageFile is null) == (npy is null)) throw new ArgumentException("Give exactly one of --image FILE or --tensor FILE.npy.");
            var layerPath = explainer.UsesLayer
                ? parse.GetValue(layer) ?? ArchitectureCatalog.Get(reference.Architecture).DefaultTargetLayer
                : null;
            using var loaded = reference.Load(device);
            if (layerPath is not null) ModulePaths.Find(loaded.Module, layerPath); // an unknown path lists the valid ones
            using var scope = NewDisposeScope();
            Tensor input, display;
            if (npy is not null)
            {
                input = Npy.Read(npy.FullName);
                var c = reference.Options.InputChannels;
                if (input.dtype != ScalarType.Float32 || input.dim() != 4 || input.shape[0] != 1 || input.shape[1] != c)
                    throw new ArgumentException($"{npy.Name}: expected float32 1x{c}xHxW, got {input.dtype} [{string.Join("x", input.shape)}].");
                display = reference.Preprocessing.Denormalize(input[0]).clamp(0, 1);
            }
            else
            {
                var mode = reference.Preprocessing.Channels == 1 ? ImageColorMode.Grey : ImageColorMode.Rgb;
                using var decoded = ImageDecoder.DecodeTensor(imageFile!.FullName, mode);
                display = reference.Preprocessing.Geometry(decoded);
                input = reference.Preprocessing.Normalize(display).unsqueeze(0);
            }
            var progress = new ConsoleProgress<ExplainProgress>(p => $"[{p.Method}] {p.Done}/{p.Total}");
            var watch = Stopwatch.StartNew();
            var result = explainer.Explain(loaded.Module, input.to(device), parse.GetValue(target), layerPath, progress, token);
            watch.Stop();
            if (parse.GetValue(output) is { } outFile)
                using (var map = result.Map.ToTensor())
                    Npy.Write(outFile.FullName, map);
            if (parse.GetValue(overlay) is { } png) SaliencyOverlay.WritePng(png.FullName, display, result.Map, parse.GetValue(alpha));
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                model = loaded.Identity.Name, method = result.Method, layer = result.Layer,
                @class = result.TargetClass, score = result.Score, probability = result.Probability,
                prediction = result.PredictedClass, prediction_probability = result.PredictedProbability,
                height = result.Map.Height, width = result.Map.Width, raw_height = result.Raw.Height, raw_width = result.Raw.Width,
                ms = Math.Round(watch.Elapsed.TotalMilliseconds, 1),
                @out = parse.GetValue(output)?.FullName, overlay = parse.GetValue(overlay)?.FullName,
            }, new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
            return 0;
        });
        return command;
    }
}
