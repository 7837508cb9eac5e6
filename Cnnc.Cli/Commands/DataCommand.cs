using System.CommandLine;
using Cnnc.Engine.Studies;
using Cnnc.Engine.Data;

namespace Cnnc.Cli.Commands;

/// <summary><c>cnnc data info</c> and <c>cnnc data export</c>.</summary>
internal static class DataCommand
{
    public static Command Create()
    {
        var command = new Command("data", "Datasets: summary, class hierarchy, and images as PNG.");
        var info = new Command("info", "Items, classes per root, fingerprint and label counts of a dataset.");
        var data = new Option<string>("--data") { Description = DataSpec.Help, DefaultValueFactory = _ => DataSpec.Default };
        var hierarchy = new Option<FileInfo?>("--hierarchy") { Description = DataSpec.HierarchyHelp };
        info.Options.Add(data);
        info.Options.Add(hierarchy);
        info.SetAction(parse =>
        {
            var dataset = DataSpec.Open(parse.GetValue(data)!, parse.GetValue(hierarchy)?.FullName);
            var counts = dataset.LabelHistogram();
            Console.WriteLine($"{dataset.Name}: {dataset.Count} images, {dataset.Classes.Count} classes in {dataset.Hierarchy.RootCount} roots, {dataset.Channels} channel(s)");
            Console.WriteLine($"fingerprint: {dataset.Fingerprint}");
            for (var r = 0; r < dataset.Hierarchy.RootCount; r++)
            {
                var members = dataset.Hierarchy.ClassesOf(r);
                Console.WriteLine($"  {dataset.Hierarchy.Roots[r]} ({members.Sum(c => counts[c])} images): " +
                                  string.Join(", ", members.Take(12).Select(c => $"{dataset.Hierarchy.ClassNames[c]} {counts[c]}")) +
                                  (members.Count > 12 ? $", … {members.Count - 12} more" : ""));
            }
            return 0;
        });
        var export = new Command("export", "Write one item of a dataset as a PNG file (as loaded, before preprocessing).");
        var exportData = new Option<string>("--data") { Description = DataSpec.Help, DefaultValueFactory = _ => DataSpec.Default };
        var index = new Option<int>("--index") { Description = "Item index.", Required = true };
        var output = new Option<FileInfo>("--out") { Description = "PNG file to write.", Required = true };
        export.Options.Add(exportData);
        export.Options.Add(index);
        export.Options.Add(output);
        export.SetAction(parse =>
        {
            var dataset = DataSpec.Open(parse.GetValue(exportData)!);
            var i = parse.GetValue(index);
            if (i < 0 || i >= dataset.Count) throw new ArgumentException($"--index {i} is outside 0..{dataset.Count - 1}.");
            using var image = dataset.Load(i);
            var path = parse.GetValue(output)!.FullName;
            ImageEncoder.SavePng(image, path);
            Console.WriteLine($"{dataset.Describe(i)} ({dataset.Hierarchy.ClassNames[dataset.Label(i)]}) -> {path}");
            return 0;
        });
        command.Subcommands.Add(info);
        command.Subcommands.Add(export);
        return command;
    }
}
