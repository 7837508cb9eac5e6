using System.CommandLine;
using System.Text.Json;
using Cnnc.Engine.Models;
using Cnnc.Engine.Weights;

namespace Cnnc.Cli.Commands;

/// <summary><c>cnnc models list</c>: the architectures with parameters, MACs and default explanation layer.</summary>
internal static class ModelsCommand
{
    public static Command Create()
    {
        var list = new Command("list", "List every architecture the engine builds with parameters, MACs (counted) and default target layer.");
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table." };
        var size = new Option<int>("--input-size") { Description = "Input side the MACs are counted for.", DefaultValueFactory = _ => 224 };
        var classes = new Option<int>("--num-classes") { Description = "Classes of the classifier.", DefaultValueFactory = _ => 1000 };
        var channels = new Option<int>("--in-channels") { Description = "Input channels.", DefaultValueFactory = _ => 3 };
        var width = new Option<double>("--width") { Description = "Channel width multiplier.", DefaultValueFactory = _ => 1.0 };
        list.Options.Add(json);
        list.Options.Add(size);
        list.Options.Add(classes);
        list.Options.Add(channels);
        list.Options.Add(width);
        list.SetAction(parse =>
        {
            var options = new ArchitectureOptions
            {
                InputSize = parse.GetValue(size), NumClasses = parse.GetValue(classes),
                InputChannels = parse.GetValue(channels), Width = parse.GetValue(width),
            }.Validate();
            var rows = new List<Row>();
            foreach (var arch in ArchitectureCatalog.All)
            {
                using var model = arch.Create(options);
                var c = ModelComplexity.Measure(model, options.InputChannels, options.InputSize, options.InputSize);
                rows.Add(new Row(arch.Name, arch.Family, c.Parameters, c.Macs, arch.DefaultTargetLayer));
            }
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(rows, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
                return 0;
            }
            Console.WriteLine($"{"architecture",-20}{"family",-14}{"params (M)",12}{"MACs (G)",12}  default layer");
            foreach (var r in rows)
                Console.WriteLine($"{r.Name,-20}{r.Family,-14}{r.Parameters / 1e6,12:F3}{r.Macs / 1e9,12:F3}  {r.DefaultTargetLayer}");
            Console.WriteLine($"MACs counted on a 1x{options.InputChannels}x{options.InputSize}x{options.InputSize} input " +
                              "(convolutions, linear layers and attention products).");
            return 0;
        });
        var models = new Command("models", "Architectures and model weights.");
        models.Subcommands.Add(list);
        models.Subcommands.Add(Published());
        models.Subcommands.Add(Identify());
        return models;
    }

    /// <summary><c>cnnc models published</c>: torchvision's published ImageNet weights CNNC recognises.</summary>
    private static Command Published()
    {
        var command = new Command("published", "List torchvision's published ImageNet-1k weights (recognised by content hash): file, accuracy, preprocessing.");
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table." };
        command.Options.Add(json);
        command.SetAction(parse =>
        {
            var built = ArchitectureCatalog.Names.ToHashSet();
            var entries = PublishedWeightsCatalog.Torchvision.All;
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(entries.Select(e => new
                {
                    architecture = e.Architecture, weights = e.Name, file = e.FileName, is_default = e.IsDefault, num_params = e.NumParams,
                    acc1 = double.IsNaN(e.Acc1) ? (double?)null : e.Acc1, acc5 = double.IsNaN(e.Acc5) ? (double?)null : e.Acc5,
                    preprocessing = PreprocessingMix.Describe(e.Preprocessing), built = built.Contains(e.Architecture),
                }), new JsonSerializerOptions { WriteIndented = true }));
                return 0;
            }
            Console.WriteLine($"{"weights",-48}{"file",-44}{"acc@1",8}{"acc@5",8}  preprocessing");
            foreach (var e in entries)
                Console.WriteLine($"{e.Name,-48}{e.FileName,-44}{Acc(e.Acc1),8}{Acc(e.Acc5),8}  {PreprocessingMix.Describe(e.Preprocessing)}" +
                                  (built.Contains(e.Architecture) ? "" : "  (architecture not built yet)"));
            Console.WriteLine($"{entries.Count} weights of {entries.Select(e => e.Architecture).Distinct().Count()} architectures " +
                              $"({entries.Count(e => built.Contains(e.Architecture))} loadable now); torchvision 0.14.1.");
            return 0;
        });
        return command;
    }

    /// <summary><c>cnnc models identify FILE…</c>: what each weights file is, and whether they share a preprocessing.</summary>
    private static Command Identify()
    {
        var command = new Command("identify", "Tell for each weights file whether it is a torchvision published one, its architecture and preprocessing.");
        var files = new Argument<FileInfo[]>("files") { Description = "Weights files.", Arity = ArgumentArity.OneOrMore };
        var trust = new Option<bool>("--trust-names") { Description = "Take a published file name for that file without hashing." };
        command.Arguments.Add(files);
        command.Options.Add(trust);
        command.SetAction(parse =>
        {
            var references = new List<ModelReference>();
            foreach (var file in parse.GetValue(files)!)
            {
                try
                {
                    var r = ModelReference.FromWeights(file.FullName, new WeightsReferenceOptions { TrustNames = parse.GetValue(trust) });
                    references.Add(r);
                    var what = r.Published is { } p ? $"torchvision's {p}" : "not a published file (your own weights)";
                    Console.WriteLine($"{file.Name}: {what}; {r.Architecture}; {PreprocessingMix.Describe(r.Preprocessing)}");
                    foreach (var note in r.Notes) Console.WriteLine($"  note: {note}");
                }
                catch (ArgumentException e)
                {
                    Console.WriteLine($"{file.Name}: {e.Message}");
                }
            }
            if (PreprocessingMix.Label(references) is { } label) Console.WriteLine(label);
            return 0;
        });
        return command;
    }

    private static string Acc(double value) => double.IsNaN(value) ? "—" : value.ToString("F3", System.Globalization.CultureInfo.InvariantCulture);

    private sealed record Row(string Name, string Family, long Parameters, long Macs, string DefaultTargetLayer);
}
