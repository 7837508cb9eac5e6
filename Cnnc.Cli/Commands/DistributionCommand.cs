using System.CommandLine;
using Cnnc.Engine.Studies;
using System.Text.Json;
using Cnnc.Engine.Analysis;
using Cnnc.Engine.Evaluation;
using Cnnc.Engine.IO;

namespace Cnnc.Cli.Commands;

/// <summary><c>cnnc distribution</c>: a model's distribution graph (Algorithm 1 + t-SNE) from its predictions store entry.</summary>
internal static class DistributionCommand
{
    public static Command Create()
    {
        var command = new Command("distribution",
            "Class distance matrix (Algorithm 1) and its 2-D t-SNE for one model on a dataset; evaluates first if the store has no entry. " +
            "Writes distances.npy, points.csv and points.json to --out.");
        var model = new ModelOptions();
        model.AddTo(command);
        var data = new Option<string>("--data") { Description = DataSpec.Help, DefaultValueFactory = _ => DataSpec.Default };
        var store = new Option<string>("--store") { Description = "Predictions store folder (default $CNNC_STORE or ~/.cache/cnnc/store).", DefaultValueFactory = _ => StudyDefaults.StorePath };
        var output = new Option<DirectoryInfo>("--out") { Description = "Output folder.", Required = true };
        var batch = new Option<int>("--batch-size") { Description = "Images per forward pass when evaluating.", DefaultValueFactory = _ => 64 };
        var defaults = new TsneOptions();
        var perplexity = new Option<double>("--perplexity") { Description = "t-SNE perplexity.", DefaultValueFactory = _ => defaults.Perplexity };
        var exaggeration = new Option<double>("--early-exaggeration") { Description = "t-SNE early exaggeration.", DefaultValueFactory = _ => defaults.EarlyExaggeration };
        var rate = new Option<double>("--learning-rate") { Description = "t-SNE learning rate.", DefaultValueFactory = _ => defaults.LearningRate };
        var iterations = new Option<int>("--iterations") { Description = "t-SNE iterations.", DefaultValueFactory = _ => defaults.Iterations };
        var seed = new Option<int>("--seed") { Description = "t-SNE seed.", DefaultValueFactory = _ => defaults.Seed };
        foreach (var o in new Option[] { data, store, output, batch, perplexity, exaggeration, rate, iterations, seed }) command.Options.Add(o);
        command.SetCancellableAction((parse, token) =>
        {
            var reference = model.Resolve(parse);
            var device = model.ResolveDevice(parse);
            var dataset = DataSpec.Open(parse.GetValue(data)!);
            var source = new DatasetEvaluationSource(dataset, reference.Preprocessing);
            var predictions = new PredictionsStore(parse.GetValue(store)!);
            StoreEntry entry;
            using (var loaded = reference.Load(device))
            {
                var progress = new ConsoleProgress<EvaluationProgress>(p =>
                    $"[{p.Model}] {p.Done}/{p.Total} images, {p.ImagesPerSecond:F0} img/s, ETA {p.Eta:hh\\:mm\\:ss}");
                entry = predictions.GetOrEvaluate(loaded, source, new EvaluationOptions { BatchSize = parse.GetValue(batch), Device = device },
                    progress, token, evaluating: () => Console.Error.WriteLine($"evaluating {loaded.Identity.Name} on {dataset.Name} into {predictions.Root}"));
                if (progress.Reported && Console.IsErrorRedirected is false) Console.Error.WriteLine();
            }
            var options = new TsneOptions
            {
                Perplexity = parse.GetValue(perplexity), EarlyExaggeration = parse.GetValue(exaggeration),
                LearningRate = parse.GetValue(rate), Iterations = parse.GetValue(iterations), Seed = parse.GetValue(seed),
            };
            var graph = DistributionGraph.Compute(entry, dataset.Hierarchy, options, token);
            var dir = parse.GetValue(output)!;
            dir.Create();
            using (var distances = graph.Distances.ToTensor()) Npy.Write(Path.Combine(dir.FullName, "distances.npy"), distances);
            AtomicFile.WriteAllText(Path.Combine(dir.FullName, "points.csv"), graph.ToCsv());
            AtomicFile.WriteAllText(Path.Combine(dir.FullName, "points.json"), JsonSerializer.Serialize(new
            {
                graph.Model, graph.Dataset, graph.Roots, graph.KlDivergence, graph.Iterations, tsne_seconds = graph.TsneSeconds,
                tsne = new { options.Perplexity, options.EarlyExaggeration, options.LearningRate, options.Iterations, options.Seed },
                empty_classes = graph.Distances.EmptyClasses, graph.Points,
            }, SimilarityCommand.Json));
            Console.WriteLine($"{graph.Model} on {graph.Dataset}: {graph.Points.Count} classes, t-SNE KL {graph.KlDivergence:F4} " +
                              $"after {graph.Iterations} iterations ({graph.TsneSeconds:F1} s)");
            Console.WriteLine($"  wrote distances.npy, points.csv, points.json to {dir.FullName}");
            return 0;
        });
        return command;
    }
}
