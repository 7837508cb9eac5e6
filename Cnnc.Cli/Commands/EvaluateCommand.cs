using System.CommandLine;
using Cnnc.Engine.Studies;
using System.Text.Json;
using Cnnc.Engine.Analysis;
using Cnnc.Engine.Corruptions;
using Cnnc.Engine.Evaluation;
using Cnnc.Engine.Models;

namespace Cnnc.Cli.Commands;

/// <summary><c>cnnc evaluate</c>: batched inference of one model over a dataset into the predictions store.</summary>
internal static class EvaluateCommand
{
    public static Command Create()
    {
        var command = new Command("evaluate", "Evaluate a model over a dataset into the predictions store (resumable, shardable).");
        var model = new ModelOptions();
        model.AddTo(command);
        var data = new Option<string>("--data") { Description = DataSpec.Help, DefaultValueFactory = _ => DataSpec.Default };
        var store = new Option<string>("--store") { Description = "Predictions store folder (default $CNNC_STORE or ~/.cache/cnnc/store).", DefaultValueFactory = _ => StudyDefaults.StorePath };
        var batch = new Option<int>("--batch-size") { Description = "Images per forward pass.", DefaultValueFactory = _ => 64 };
        var shard = new Option<string>("--shard") { Description = "Evaluate slice k of n (k/n); shards merge in the store.", DefaultValueFactory = _ => "1/1" };
        var chunk = new Option<int>("--chunk-size") { Description = "Images per stored chunk, the unit of resume and sharding (a resumed entry keeps its own).", DefaultValueFactory = _ => new EvaluationOptions().ChunkSize };
        var json = new Option<bool>("--json") { Description = "Print a JSON summary." };
        var hierarchy = new Option<FileInfo?>("--hierarchy") { Description = DataSpec.HierarchyHelp };
        var corruption = new Option<string?>("--corruption")
        {
            Description = "Evaluate under one common corruption (Hendrycks & Dietterich 2019), applied after the model's resize and crop: " +
                          string.Join(", ", ImageCorruptions.Names) + ". A store entry of its own per corruption, severity and seed.",
        };
        var severity = new Option<int>("--severity") { Description = "Corruption severity, 1..5.", DefaultValueFactory = _ => 1 };
        var seed = new Option<ulong>("--corruption-seed") { Description = "Seed of the random corruptions (per image: the same noise in any shard).", DefaultValueFactory = _ => 0 };
        foreach (var o in new Option[] { data, hierarchy, store, batch, shard, chunk, json, corruption, severity, seed }) command.Options.Add(o);
        command.SetCancellableAction((parse, token) =>
        {
            // Cheap checks first: a bad shard or dataset is reported before any model is loaded.
            var slice = Shard.Parse(parse.GetValue(shard)!);
            var corruptionName = parse.GetValue(corruption);
            if (corruptionName is not null) ImageCorruptions.Validate(corruptionName, parse.GetValue(severity));
            var dataset = DataSpec.Open(parse.GetValue(data)!, parse.GetValue(hierarchy)?.FullName);
            var reference = model.Resolve(parse);
            var device = model.ResolveDevice(parse);
            var source = corruptionName is null
                ? new DatasetEvaluationSource(dataset, reference.Preprocessing)
                : CorruptedSource(dataset, reference.Preprocessing, corruptionName, parse.GetValue(severity), parse.GetValue(seed));
            using var loaded = reference.Load(device);
            var predictions = new PredictionsStore(parse.GetValue(store)!);
            var progress = new ConsoleProgress<EvaluationProgress>(p =>
                $"[{p.Model}] {p.Done}/{p.Total} images ({p.Resumed} resumed), {p.ImagesPerSecond:F0} img/s, ETA {p.Eta:hh\\:mm\\:ss}, {p.Errors} unreadable");
            var entry = Evaluator.Evaluate(loaded.Module, loaded.Identity, source, predictions,
                new EvaluationOptions { BatchSize = parse.GetValue(batch), ChunkSize = parse.GetValue(chunk), Shard = slice, Device = device },
                progress, token);
            if (Console.IsErrorRedirected is false) Console.Error.WriteLine();
            var thisRun = progress.Last is { } last ? $"{last.Total} images evaluated, {last.Resumed} resumed" : "nothing left to evaluate";
            if (entry is null)
            {
                Console.WriteLine($"shard {slice} stored ({thisRun}); waiting for the other shards of {loaded.Identity.Name} in {predictions.EntryDirectory(loaded.Identity, source.Identity)}");
                return 0;
            }
            var metrics = AccuracyMetrics.Compute(entry, c => dataset.Hierarchy.RootNameOf(c), dataset.Hierarchy.Roots);
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    model = entry.Meta.Model, dataset = entry.Meta.Dataset.Name, store = entry.Directory,
                    accuracy = metrics.Overall, top5 = metrics.Top5, readable = metrics.Readable, unreadable = metrics.Unreadable,
                    timing = entry.Meta.Timing,
                    preprocessing = reference.Preprocessing.Key,
                    corruption = corruptionName is null ? null : new { name = corruptionName, severity = parse.GetValue(severity), seed = parse.GetValue(seed) },
                    published = reference.Published is { } p
                        ? new { weights = p.Name, acc1 = double.IsNaN(p.Acc1) ? (double?)null : p.Acc1, acc5 = double.IsNaN(p.Acc5) ? (double?)null : p.Acc5 }
                        : null,
                    per_root = metrics.PerRoot.ToDictionary(r => r.Name, r => r.Total > 0 ? r.Accuracy : (double?)null),
                }, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
                return 0;
            }
            Console.WriteLine($"{entry.Meta.Model.Name} on {entry.Meta.Dataset.Name}: accuracy {metrics.Overall:P2}, top-5 {metrics.Top5:P2} " +
                              $"({metrics.Readable} images{(metrics.Unreadable > 0 ? $", {metrics.Unreadable} unreadable" : "")})");
            if (reference.Published is { } published && !double.IsNaN(published.Acc1))
                Console.WriteLine($"  published by torchvision ({published.Name}, ImageNet-1K val): accuracy {published.Acc1:F3} %, top-5 {published.Acc5:F3} %");
            Console.WriteLine($"  preprocessing: {PreprocessingMix.Describe(reference.Preprocessing)}");
            foreach (var root in metrics.PerRoot) Console.WriteLine($"  {root.Name,-24}{root.Accuracy,8:P2}  ({root.Total} images)");
            foreach (var error in entry.Errors.Take(10)) Console.WriteLine($"  unreadable: {error.Item}: {error.Reason}");
            if (entry.Meta.Timing is { } t)
                Console.WriteLine($"  latency {t.Batch1Milliseconds:F1} ms (batch 1), {t.ImagesPerSecond:F0} img/s (batch {t.BatchSize}, {t.Device})");
            Console.WriteLine($"  store: {entry.Directory}");
            Console.WriteLine($"  this run: {thisRun}");
            return 0;
        });
        return command;
    }

    private static DatasetEvaluationSource CorruptedSource(Cnnc.Engine.Data.IImageDataset dataset, Cnnc.Engine.Data.Preprocessing model,
        string corruption, int severity, ulong seed)
    {
        var (corrupted, preprocessing) = CorruptedDataset.ForModel(dataset, model, corruption, severity, seed);
        return new DatasetEvaluationSource(corrupted, preprocessing);
    }
}
