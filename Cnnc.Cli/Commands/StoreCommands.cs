using System.CommandLine;
using Cnnc.Engine.Studies;
using System.Text.Json;
using Cnnc.Engine.Evaluation;
using Cnnc.Engine.Models;

namespace Cnnc.Cli.Commands;

/// <summary>
/// <c>cnnc explanations precompute</c> (explanations of a selection of images into the store, resumable and shardable:
/// what a cluster array task runs) and <c>cnnc store list</c> (what a store holds, complete or how far along).
/// </summary>
internal static class StoreCommands
{
    public static Command Explanations()
    {
        var command = new Command("explanations", "Precomputed explanations in the store.");
        var precompute = new Command("precompute",
            "Explain a selection of a dataset's images with one method into the store (resumable, shardable; the notebook reads them).");
        var model = new ModelOptions();
        model.AddTo(precompute);
        var data = new Option<string>("--data") { Description = DataSpec.Help, DefaultValueFactory = _ => DataSpec.Default };
        var hierarchy = new Option<FileInfo?>("--hierarchy") { Description = DataSpec.HierarchyHelp };
        var store = new Option<string>("--store") { Description = "Store folder (default $CNNC_STORE or ~/.cache/cnnc/store).", DefaultValueFactory = _ => StudyDefaults.StorePath };
        var method = new Option<string>("--method") { Description = "Explanation method (see 'cnnc explain --help').", DefaultValueFactory = _ => "gradcam" };
        var layer = new Option<string?>("--layer") { Description = "Target layer module path (default: the architecture's)." };
        var target = new Option<string>("--target") { Description = "Class explained: label (the image's own, as the notebook shows) or predicted.", DefaultValueFactory = _ => "label" };
        var images = new Option<string>("--images") { Description = $"Images: {ExplanationSelection.Help}.", DefaultValueFactory = _ => "all" };
        var shard = new Option<string>("--shard") { Description = "Compute slice k of n (k/n); shards merge in the store.", DefaultValueFactory = _ => "1/1" };
        var batch = new Option<int>("--batch-size") { Description = "Images per explainer call.", DefaultValueFactory = _ => new ExplanationPrecomputeOptions().BatchSize };
        var chunk = new Option<int>("--chunk-size") { Description = "Images per stored chunk, the unit of resume and sharding (a resumed entry keeps its own).", DefaultValueFactory = _ => new ExplanationPrecomputeOptions().ChunkSize };
        var json = new Option<bool>("--json") { Description = "Print a JSON summary." };
        foreach (var o in new Option[] { data, hierarchy, store, method, layer, target, images, shard, batch, chunk, json }) precompute.Options.Add(o);
        precompute.SetCancellableAction((parse, token) =>
        {
            // Cheap checks first: a bad shard, target, selection or dataset is reported before any model is loaded.
            var slice = Shard.Parse(parse.GetValue(shard)!);
            var targetRule = parse.GetValue(target)!.ToLowerInvariant() switch
            {
                "label" => ExplanationTarget.Label,
                "predicted" => ExplanationTarget.Predicted,
                var other => throw new ArgumentException($"Unknown --target '{other}': use label or predicted."),
            };
            var dataset = DataSpec.Open(parse.GetValue(data)!, parse.GetValue(hierarchy)?.FullName);
            var selection = ExplanationSelection.Parse(parse.GetValue(images)!, dataset);
            var reference = model.Resolve(parse);
            var device = model.ResolveDevice(parse);
            var explainer = Engine.Explain.ExplainerCatalog.Create(parse.GetValue(method)!);
            var layerPath = explainer.UsesLayer
                ? parse.GetValue(layer) ?? ArchitectureCatalog.Get(reference.Architecture).DefaultTargetLayer
                : null;
            using var loaded = reference.Load(device);
            if (layerPath is not null) ModulePaths.Find(loaded.Module, layerPath); // an unknown path lists the valid ones
            var request = new ExplanationRequest(explainer.Name, layerPath, targetRule, selection);
            var source = new DatasetEvaluationSource(dataset, reference.Preprocessing);
            var explanations = new ExplanationStore(parse.GetValue(store)!);
            var progress = new ConsoleProgress<ExplanationProgress>(p =>
                $"[{p.Model} {p.Method}] {p.Done}/{p.Total} images ({p.Resumed} resumed), {p.ImagesPerSecond:F0} img/s, ETA {p.Eta:hh\\:mm\\:ss}, {p.Errors} unreadable");
            var entry = ExplanationPrecompute.Run(loaded.Module, loaded.Identity, source, explanations, request,
                new ExplanationPrecomputeOptions { BatchSize = parse.GetValue(batch), ChunkSize = parse.GetValue(chunk), Shard = slice, Device = device },
                progress, token);
            if (Console.IsErrorRedirected is false) Console.Error.WriteLine();
            var directory = explanations.EntryDirectory(loaded.Identity, source.Identity, request);
            var thisRun = progress.Last is { } last ? $"{last.Total} images explained, {last.Resumed} resumed" : "nothing left to explain";
            if (entry is null)
            {
                Console.WriteLine($"shard {slice} stored ({thisRun}); waiting for the other shards of {request.Key} in {directory}");
                return 0;
            }
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    model = entry.Meta.Model.Name, dataset = entry.Meta.Dataset.Name, method = entry.Meta.Method, layer = entry.Meta.Layer,
                    target = request.Target.ToString().ToLowerInvariant(), selection = entry.Meta.Selection, count = entry.Meta.Count,
                    readable = entry.Meta.ReadableCount, ms_per_image = entry.Meta.MillisecondsPerImage, store = entry.Directory,
                }, new JsonSerializerOptions { WriteIndented = true }));
                return 0;
            }
            Console.WriteLine($"{entry.Meta.Method}{(entry.Meta.Layer is null ? "" : $" ({entry.Meta.Layer})")} of {entry.Meta.Model.Name} on " +
                              $"{entry.Meta.Dataset.Name}, {entry.Meta.Selection}: {entry.Meta.ReadableCount} explanations" +
                              $"{(entry.Errors.Count > 0 ? $", {entry.Errors.Count} unreadable" : "")}");
            Console.WriteLine($"  store: {entry.Directory}");
            Console.WriteLine($"  this run: {thisRun}");
            return 0;
        });
        command.Subcommands.Add(precompute);
        return command;
    }

    public static Command Store()
    {
        var command = new Command("store", "Inspect a store.");
        var list = new Command("list", "List a store's entries (predictions and explanations): complete, or how many chunks are stored.");
        var store = new Option<string>("--store") { Description = "Store folder (default $CNNC_STORE or ~/.cache/cnnc/store).", DefaultValueFactory = _ => StudyDefaults.StorePath };
        var json = new Option<bool>("--json") { Description = "One JSON object per entry, one per line." };
        list.Options.Add(store);
        list.Options.Add(json);
        list.SetCancellableAction((parse, _) =>
        {
            var root = parse.GetValue(store)!;
            if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"No store at {Path.GetFullPath(root)}.");
            var items = StoreContents.Scan(root);
            var options = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
            foreach (var item in items)
                Console.WriteLine(parse.GetValue(json)
                    ? JsonSerializer.Serialize(item, options)
                    : $"{item.Dataset}  {item.Model}  {item.Kind}{(item.Name is null ? "" : $" {item.Name}")}  " +
                      (item.Complete ? $"complete ({item.Rows} rows)" : $"partial: {item.ChunksStored}/{item.Chunks?.ToString() ?? "?"} chunks"));
            if (items.Count == 0 && !parse.GetValue(json)) Console.WriteLine($"{Path.GetFullPath(root)}: empty store");
            return 0;
        });
        command.Subcommands.Add(list);
        return command;
    }
}
