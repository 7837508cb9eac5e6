using System.CommandLine;
using System.Text.Json;
using Cnnc.Engine.Models;

namespace Cnnc.Cli.Commands;

/// <summary><c>cnnc models list</c>: the architectures with parameters, MACs and default explanation layer.</summary>
internal static class ModelsCommand
{
    public static Command Create()
    {
        var list = new Command("list", "List the 13 architectures with parameters, MACs (counted) and default target layer.");
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
                              "(convolutions and linear layers).");
            return 0;
        });
        var models = new Command("models", "Architectures and model weights.");
        models.Subcommands.Add(list);
        return models;
    }

    private sealed record Row(string Name, string Family, long Parameters, long Macs, string DefaultTargetLayer);
}
