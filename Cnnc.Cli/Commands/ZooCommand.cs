using System.CommandLine;
using System.Diagnostics;
using Cnnc.Engine.Data;
using Cnnc.Engine.Evaluation;
using Cnnc.Engine.Models;
using Cnnc.Engine.Runtime;
using Cnnc.Engine.Weights;
using Cnnc.Engine.Zoo;
using TorchSharp;

namespace Cnnc.Cli.Commands;

/// <summary><c>cnnc zoo list</c>, <c>train</c>, <c>weights</c> and <c>verify</c>.</summary>
internal static class ZooCommand
{
    public static Command Create()
    {
        var zoo = new Command("zoo", "The embedded model zoo: small-scale members of torchvision's families trained on Fashion-MNIST.");
        zoo.Subcommands.Add(List());
        zoo.Subcommands.Add(Train());
        zoo.Subcommands.Add(Weights());
        zoo.Subcommands.Add(Verify());
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
                var test = ZooTestSet.Predict(loaded, dataRoot: parse.GetValue(data), cancellationToken: token);
                var correct = test.Correct;
                var card = new ZooModelCard(recipe.Name, recipe.Architecture, recipe, loaded.Complexity.Parameters, loaded.Complexity.Macs,
                    correct, test.Labels.Length, weightsFile, sha, Math.Round(seconds, 1),
                    $"TorchSharp {typeof(torch).Assembly.GetName().Version}, {torch.get_num_threads()} threads",
                    ZooModelCard.Digits(test.Predicted));
                Engine.IO.AtomicFile.WriteAllText(Path.Combine(outDir, recipe.Name + ".json"), card.ToJson());
                Console.WriteLine($"[{recipe.Name}] test accuracy {card.TestAccuracy:P2} ({correct}/{test.Labels.Length}), {seconds:F0} s, " +
                                  $"{card.Parameters / 1e6:F3} M params");
            }
            return 0;
        });
        return train;
    }

    private static Command Verify()
    {
        var verify = new Command("verify",
            "Evaluate shipped zoo models on the whole Fashion-MNIST test set and compare with their cards: the correct count, " +
            "and every image's prediction where the card records them (not part of CI: the tests check part of the test set).");
        var models = new Option<string?>("--models") { Description = "Comma-separated zoo names; default: all shipped ones." };
        var record = new Option<DirectoryInfo?>("--record")
        {
            Description = "Write each card, with the predictions of this run, into this folder (e.g. Cnnc.Engine/Zoo/Weights); " +
                          "only when the correct count matches the card.",
        };
        var data = new Option<string?>("--data-root") { Description = $"Fashion-MNIST IDX folder (default {IdxDataset.FashionMnistDefaultRoot})." };
        verify.Options.Add(models);
        verify.Options.Add(record);
        verify.Options.Add(data);
        verify.SetCancellableAction((parse, token) =>
        {
            var cards = parse.GetValue(models)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                            .Select(ZooCatalog.Card).ToList()
                        ?? ZooCatalog.Cards.ToList();
            var recordIn = parse.GetValue(record)?.FullName;
            TorchRuntime.Initialize(); // before the first TorchSharp type loads libtorch
            var failed = 0;
            foreach (var card in cards)
            {
                token.ThrowIfCancellationRequested();
                var clock = Stopwatch.StartNew();
                using var loaded = ModelReference.Zoo(card.Name).Load(torch.CPU);
                var test = ZooTestSet.Predict(loaded, dataRoot: parse.GetValue(data), cancellationToken: token);
                var differing = card.TestPredictions is null
                    ? (int?)null
                    : card.RecordedPredictions().Zip(test.Predicted).Count(p => p.First != p.Second);
                var ok = test.Correct == card.TestCorrect && differing is null or 0;
                Console.WriteLine($"[{card.Name}] {(ok ? "ok" : "DIFFERS")}: {test.Correct}/{test.Labels.Length} correct, the card says " +
                                  $"{card.TestCorrect}; " + (differing is { } d ? $"{d} prediction(s) differ from the card's" : "the card records no predictions") +
                                  $" ({clock.Elapsed.TotalSeconds:F0} s)");
                if (!ok) failed++;
                else if (recordIn is not null)
                {
                    Directory.CreateDirectory(recordIn);
                    Engine.IO.AtomicFile.WriteAllText(Path.Combine(recordIn, card.Name + ".json"),
                        (card with { TestPredictions = ZooModelCard.Digits(test.Predicted) }).ToJson());
                }
            }
            if (failed > 0) Console.Error.WriteLine($"error: {failed} of {cards.Count} zoo model(s) do not reproduce their cards.");
            return failed == 0 ? 0 : 1;
        });
        return verify;
    }
}
