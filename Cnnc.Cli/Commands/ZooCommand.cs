using System.CommandLine;
using System.Diagnostics;
using Cnnc.Engine.Data;
using Cnnc.Engine.Evaluation;
using Cnnc.Engine.Models;
using Cnnc.Engine.Weights;
using Cnnc.Engine.Zoo;
using TorchSharp;

namespace Cnnc.Cli.Commands;

/// <summary><c>cnnc zoo list</c> and <c>cnnc zoo train</c>.</summary>
internal static class ZooCommand
{
    public static Command Create()
    {
        var zoo = new Command("zoo", "The embedded model zoo: small-scale members of torchvision's families trained on Fashion-MNIST.");
        zoo.Subcommands.Add(List());
        zoo.Subcommands.Add(Train());
        zoo.Subcommands.Add(Weights());
        return zoo;
    }

    private static Command List()
    {
        var list = new Command("list", "Zoo models with parameters, MACs, test accuracy and training recipe.");
        list.SetAction(_ =>
        {
            if (ZooCatalog.Cards.Count == 0)
            {
                Console.WriteLine("This build ships no zoo weights. Train them with 'cnnc zoo train'.");
                return 0;
            }
            Console.WriteLine($"{"model",-20}{"params (M)",11}{"MACs (M)",10}{"test acc.",11}  recipe");
            foreach (var c in ZooCatalog.Cards)
                Console.WriteLine($"{c.Name,-20}{c.Parameters / 1e6,11:F3}{c.Macs / 1e6,10:F1}{c.TestAccuracy,11:P2}  " +
                                  $"width {c.Recipe.Width}, {c.Recipe.Epochs} epoch(s) on {c.Recipe.TrainImages} images");
            Console.WriteLine($"{ZooCatalog.Cards.Count} models; test set: Fashion-MNIST, {ZooCatalog.Cards[0].TestCount} images.");
            return 0;
        });
        return list;
    }

    private static Command Weights()
    {
        var command = new Command("weights", "Print the path of a zoo model's safetensors file (extracted from the assembly, SHA-256 checked).");
        var name = new Argument<string>("name") { Description = "Zoo model name." };
        command.Arguments.Add(name);
        command.SetAction(parse =>
        {
            Console.WriteLine(ZooCatalog.WeightsPath(parse.GetValue(name)!));
            return 0;
        });
        return command;
    }

    private static Command Train()
    {
        var train = new Command("train", "Train zoo models from their recipes and write weights + model cards (not part of CI).");
        var models = new Option<string?>("--models") { Description = "Comma-separated zoo names; default: all of them." };
        var output = new Option<DirectoryInfo>("--out")
        {
            Description = "Folder for <name>.safetensors and <name>.json.",
            DefaultValueFactory = _ => new DirectoryInfo(Path.Combine("Cnnc.Engine", "Zoo", "Weights")),
        };
        var data = new Option<string?>("--data-root") { Description = $"Fashion-MNIST IDX folder (default {IdxDataset.FashionMnistDefaultRoot})." };
        train.Options.Add(models);
        train.Options.Add(output);
        train.Options.Add(data);
        train.SetCancellableAction((parse, token) =>
        {
            var names = parse.GetValue(models)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                        ?? ZooCatalog.Recipes.Select(r => r.Name).ToArray();
            var recipes = names.Select(ZooCatalog.Recipe).ToList();
            var outDir = parse.GetValue(output)!.FullName;
            Directory.CreateDirectory(outDir);
            var trainSet = IdxDataset.FashionMnist(DatasetSplit.Train, parse.GetValue(data));
            var testSet = IdxDataset.FashionMnist(DatasetSplit.Test, parse.GetValue(data));
            using var images = trainSet.LoadBatch(0, trainSet.Count);
            using var labels = torch.tensor(trainSet.Labels().Select(l => (long)l).ToArray());
            foreach (var recipe in recipes)
            {
                token.ThrowIfCancellationRequested();
                Console.WriteLine($"[{recipe.Name}] training: width {recipe.Width}, {recipe.Epochs} epoch(s) on {recipe.TrainImages} images");
                var clock = Stopwatch.StartNew();
                var progress = new ConsoleProgress<TrainingProgress>(p =>
                    $"[{p.Model}] epoch {p.Epoch}/{p.Epochs} step {p.Step}/{p.TotalSteps} loss {p.Loss:F3} {p.ImagesPerSecond:F0} img/s ETA {p.Eta:mm\\:ss}");
                using var model = ZooTrainer.Train(recipe, images, labels, progress, token);
                var seconds = clock.Elapsed.TotalSeconds;
                var weightsFile = recipe.Name + ".safetensors";
                var weightsPath = Path.Combine(outDir, weightsFile);
                WeightsWriter.Save(model, weightsPath, WeightsFormat.SafeTensors,
                    new Dictionary<string, string> { ["cnnc.zoo"] = recipe.Name, ["cnnc.architecture"] = recipe.Architecture });
                var sha = WeightsFile.Sha256(weightsPath);

                // Test accuracy through the very path 'cnnc evaluate' uses, on the weights as saved.
                var reference = new ModelReference(recipe.Name, recipe.Architecture, weightsPath, recipe.Options, ZooCatalog.Preprocessing, true);
                using var loaded = reference.Load(torch.CPU);
                var store = new PredictionsStore(Path.Combine(Path.GetTempPath(), $"cnnc-zoo-train-{Environment.ProcessId}"));
                var entry = Evaluator.Evaluate(loaded.Module, loaded.Identity, new DatasetEvaluationSource(testSet, ZooCatalog.Preprocessing),
                    store, new EvaluationOptions { MeasureLatency = false, Device = torch.CPU }, cancellationToken: token)!;
                var correct = entry.Predictions.Zip(entry.Labels).Count(p => p.First == p.Second);
                var card = new ZooModelCard(recipe.Name, recipe.Architecture, recipe, loaded.Complexity.Parameters, loaded.Complexity.Macs,
                    correct, entry.Labels.Length, weightsFile, sha, Math.Round(seconds, 1),
                    $"TorchSharp {typeof(torch).Assembly.GetName().Version}, {torch.get_num_threads()} threads");
                Engine.IO.AtomicFile.WriteAllText(Path.Combine(outDir, recipe.Name + ".json"), card.ToJson());
                Directory.Delete(store.Root, recursive: true);
                Console.WriteLine($"[{recipe.Name}] test accuracy {card.TestAccuracy:P2} ({correct}/{entry.Labels.Length}), {seconds:F0} s, " +
                                  $"{card.Parameters / 1e6:F3} M params");
            }
            return 0;
        });
        return train;
    }
}
