using System.CommandLine;
using System.Text.Json;
using Cnnc.Engine.Data;
using Cnnc.Engine.IO;
using Cnnc.Engine.Zoo;
using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Cli.Commands;

/// <summary><c>cnnc predict</c>: the top-5 classes of one image or preprocessed tensor.</summary>
internal static class PredictCommand
{
    public static Command Create()
    {
        var command = new Command("predict", "Top-5 classes of one image (--image) or preprocessed 1xCxHxW float32 tensor (--tensor).");
        var model = new ModelOptions();
        model.AddTo(command);
        var image = new Option<FileInfo?>("--image") { Description = "Image file, decoded and preprocessed as the model expects." };
        var tensorFile = new Option<FileInfo?>("--tensor") { Description = "Already preprocessed float32 1xCxHxW .npy (C order)." };
        var output = new Option<FileInfo?>("--out") { Description = "Write the logits (float32 1xN .npy)." };
        var classes = new Option<FileInfo?>("--classes") { Description = "Class names, one per line (default: ImageNet for 1000 outputs, Fashion-MNIST for 10)." };
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        foreach (var o in new Option[] { image, tensorFile, output, classes, json }) command.Options.Add(o);
        command.SetAction(parse =>
        {
            var reference = model.Resolve(parse);
            var device = model.ResolveDevice(parse);
            var imageFile = parse.GetValue(image);
            var npy = parse.GetValue(tensorFile);
            if ((imageFile is null) == (npy is null)) throw new ArgumentException("Give exactly one of --image FILE or --tensor FILE.npy.");
            using var loaded = reference.Load(device);
            using var scope = NewDisposeScope();
            Tensor input;
            if (npy is not null)
            {
                input = Npy.Read(npy.FullName);
                var o = reference.Options;
                if (input.dtype != ScalarType.Float32 || !input.shape.SequenceEqual(new long[] { 1, o.InputChannels, input.shape.ElementAtOrDefault(2), input.shape.ElementAtOrDefault(3) }) || input.dim() != 4)
                    throw new ArgumentException($"{npy.Name}: expected float32 1x{o.InputChannels}xHxW, got {input.dtype} [{string.Join("x", input.shape)}].");
            }
            else
            {
                var mode = reference.Preprocessing.Channels == 1 ? ImageColorMode.Grey : ImageColorMode.Rgb;
                using var decoded = ImageDecoder.DecodeTensor(imageFile!.FullName, mode);
                input = reference.Preprocessing.Apply(decoded).unsqueeze(0);
            }
            Tensor logits;
            using (inference_mode()) logits = loaded.Module.call(input.to(device)).cpu();
            if (parse.GetValue(output) is { } outFile) Npy.Write(outFile.FullName, logits);
            var names = ClassNames(parse.GetValue(classes), (int)logits.shape[1]);
            var probabilities = nn.functional.softmax(logits, 1)[0];
            var (values, indexes) = probabilities.topk(Math.Min(5, (int)logits.shape[1]));
            var top = values.data<float>().ToArray().Zip(indexes.data<long>().ToArray())
                .Select(p => new { index = p.Second, name = names?[(int)p.Second] ?? $"class {p.Second}", probability = p.First }).ToList();
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new { model = loaded.Identity.Name, top5 = top }));
                return 0;
            }
            Console.WriteLine($"{loaded.Identity.Name} ({loaded.Identity.Architecture}), input [{string.Join("x", input.shape)}]:");
            foreach (var t in top) Console.WriteLine($"  {t.probability,8:P2}  {t.index,4}  {t.name}");
            return 0;
        });
        return command;
    }

    private static IReadOnlyList<string>? ClassNames(FileInfo? file, int outputs)
    {
        if (file is not null)
        {
            var lines = File.ReadAllLines(file.FullName).Where(l => l.Length > 0).ToList();
            if (lines.Count != outputs) throw new ArgumentException($"{file.Name} names {lines.Count} classes, the model has {outputs} outputs.");
            return lines;
        }
        if (outputs == 1000) return ImageNetClasses.ShortNames;
        if (outputs == 10) return ZooCatalog.Hierarchy.ClassNames;
        return null;
    }
}
