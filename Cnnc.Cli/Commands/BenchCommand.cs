using System.CommandLine;
using Cnnc.Engine.Studies;
using System.Diagnostics;
using System.Text.Json;
using Cnnc.Engine.Analysis;
using Cnnc.Engine.Data;
using Cnnc.Engine.Evaluation;
using Cnnc.Engine.IO;
using Cnnc.Engine.Models;
using Cnnc.Engine.Runtime;
using Cnnc.Engine.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Cli.Commands;

/// <summary>
/// <c>cnnc bench forward|evaluate|explain|algorithm1|tsne|similarity</c>: the measurements behind BENCHMARKS.md
/// (tools/benchmark.sh runs them beside the PyTorch reference). Not tests: numbers depend on the machine.
/// </summary>
internal static class BenchCommand
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static Command Create()
    {
        var bench = new Command("bench", "Measure forward and evaluation speed (used by tools/benchmark.sh).");
        bench.Subcommands.Add(Forward());
        bench.Subcommands.Add(Evaluate());
        bench.Subcommands.Add(Input());
        bench.Subcommands.Add(Explain());
        bench.Subcommands.Add(Algorithm1());
        bench.Subcommands.Add(TsneBench());
        bench.Subcommands.Add(Similarity());
        bench.Subcommands.Add(OverviewBench());
        bench.Subcommands.Add(SoakCommand.Create());
        return bench;
    }

    private static Command Forward()
    {
        var command = new Command("forward", "Median time of a forward pass (inference mode) of an architecture.");
        var arch = new Option<string>("--arch") { Description = "Architecture.", Required = true };
        var weights = new Option<FileInfo?>("--weights") { Description = "Weights to load (default: random init)." };
        var batch = new Option<int>("--batch") { Description = "Batch size.", DefaultValueFactory = _ => 1 };
        var size = new Option<int>("--size") { Description = "Input side.", DefaultValueFactory = _ => 224 };
        var repeat = new Option<int>("--repeat") { Description = "Timed repetitions (after the warm-up).", DefaultValueFactory = _ => 7 };
        var warmup = WarmupOption();
        foreach (var o in new Option[] { arch, weights, batch, size, repeat, warmup }) command.Options.Add(o);
        command.SetCancellableAction((parse, token) =>
        {
            var report = TorchRuntime.Initialize();
            using var model = ArchitectureCatalog.Create(parse.GetValue(arch)!);
            if (parse.GetValue(weights) is { } w) WeightsLoader.Load(model, w.FullName);
            model.eval();
            ChannelsLast.Apply(model); // as every loaded model is (CNNC_CHANNELS_LAST=0 to compare)
            var (b, s) = (parse.GetValue(batch), parse.GetValue(size));
            manual_seed(0);
            using var input = randn(b, 3, s, s);
            var (times, first, warmups) = Time(() => { using var scope = NewDisposeScope(); using var _ = inference_mode(); model.call(input); },
                parse.GetValue(repeat), token, 2, WarmupTime(parse.GetValue(warmup)));
            Print("forward", parse.GetValue(arch)!, b, times, b, report, WarmupFields(first, warmups));
            return 0;
        });
        return command;
    }

    private static Command Evaluate()
    {
        var command = new Command("evaluate", "Images/s of the full evaluation path (store writes included) into a temporary store.");
        var model = new ModelOptions();
        model.AddTo(command);
        var data = new Option<string?>("--data") { Description = DataSpec.Help };
        var tensorFile = new Option<FileInfo?>("--tensor") { Description = "Preprocessed inputs N×C×H×W (.npy) instead of --data; labels are 0." };
        var batch = new Option<int>("--batch-size") { Description = "Images per forward pass.", DefaultValueFactory = _ => 64 };
        var repeat = new Option<int>("--repeat") { Description = "Timed repetitions (after 1 warm-up).", DefaultValueFactory = _ => 3 };
        foreach (var o in new Option[] { data, tensorFile, batch, repeat }) command.Options.Add(o);
        command.SetCancellableAction((parse, token) =>
        {
            var report = TorchRuntime.Initialize();
            var reference = model.Resolve(parse);
            using var loaded = reference.Load(model.ResolveDevice(parse));
            IEvaluationSource source;
            Tensor? inputs = null;
            if (parse.GetValue(tensorFile) is { } file)
            {
                inputs = Npy.Read(file.FullName);
                var classes = Enumerable.Range(0, reference.Options.NumClasses).Select(i => $"class {i}").ToList();
                source = new TensorEvaluationSource(file.Name, inputs, new long[inputs.shape[0]], classes);
            }
            else source = new DatasetEvaluationSource(DataSpec.Open(parse.GetValue(data) ?? DataSpec.Default), reference.Preprocessing);
            var count = source.Identity.Count;
            var times = Time(() =>
            {
                var store = new PredictionsStore(Path.Combine(Path.GetTempPath(), $"cnnc-bench-{Guid.NewGuid():N}"));
                try
                {
                    Evaluator.Evaluate(loaded.Module, loaded.Identity, source, store,
                        new EvaluationOptions { BatchSize = parse.GetValue(batch), MeasureLatency = false }, cancellationToken: token);
                }
                finally
                {
                    Directory.Delete(store.Root, recursive: true);
                }
            }, parse.GetValue(repeat), token, warmups: 1);
            inputs?.Dispose();
            Print("evaluate", loaded.Identity.Name, parse.GetValue(batch), times, count, report);
            return 0;
        });
        return command;
    }

    private static Command Input()
    {
        var command = new Command("input", "Images/s of decoding and preprocessing alone (all cores, into batches), no model: an image folder under a published preset.");
        var data = new Option<string>("--data") { Description = DataSpec.Help, Required = true };
        var preset = new Option<string>("--preset") { Description = "Published weights whose preprocessing applies.", DefaultValueFactory = _ => "ResNet50_Weights.IMAGENET1K_V2" };
        var batch = new Option<int>("--batch-size") { Description = "Images per batch.", DefaultValueFactory = _ => 64 };
        var repeat = new Option<int>("--repeat") { Description = "Timed repetitions (after 1 warm-up).", DefaultValueFactory = _ => 3 };
        foreach (var o in new Option[] { data, preset, batch, repeat }) command.Options.Add(o);
        command.SetCancellableAction((parse, token) =>
        {
            var report = TorchRuntime.Initialize();
            var weights = PublishedWeightsCatalog.Torchvision.Find(parse.GetValue(preset)!)
                          ?? throw new ArgumentException($"Unknown published weights '{parse.GetValue(preset)}' (see 'cnnc models published').");
            var source = new DatasetEvaluationSource(DataSpec.Open(parse.GetValue(data)!), weights.Preprocessing);
            var count = source.Identity.Count;
            var size = parse.GetValue(batch);
            var times = Time(() =>
            {
                for (var start = 0; start < count; start += size)
                    source.LoadBatch(start, Math.Min(size, count - start)).Dispose();
            }, parse.GetValue(repeat), token, warmups: 1);
            Print("input", weights.Name, size, times, count, report,
                new Dictionary<string, object> { ["preprocessing"] = weights.Preprocessing.Key, ["decode_parallelism"] = source.DecodeParallelism });
            return 0;
        });
        return command;
    }

    private static Command Explain()
    {
        var command = new Command("explain", "Median latency of one explanation per method (random input of the model's size, or --tensor).");
        var model = new ModelOptions();
        model.AddTo(command);
        var methods = new Option<string>("--methods") { Description = "Comma-separated methods (default: all).", DefaultValueFactory = _ => string.Join(",", Engine.Explain.ExplainerCatalog.Names) };
        var repeat = new Option<int>("--repeat") { Description = "Timed repetitions (after the warm-up).", DefaultValueFactory = _ => 5 };
        var tensorFile = new Option<FileInfo?>("--tensor") { Description = "Preprocessed float32 1xCxHxW .npy to explain (default: seeded randn of the model's size)." };
        var scoreBatch = new Option<int?>("--scorecam-batch") { Description = "Score-CAM masks per forward pass (default: chosen by measurement)." };
        var warmup = WarmupOption();
        foreach (var o in new Option[] { methods, repeat, tensorFile, scoreBatch, warmup }) command.Options.Add(o);
        command.SetCancellableAction((parse, token) =>
        {
            var report = TorchRuntime.Initialize();
            var reference = model.Resolve(parse);
            var device = model.ResolveDevice(parse);
            using var loaded = reference.Load(device);
            var o = reference.Options;
            manual_seed(0);
            using var image = parse.GetValue(tensorFile) is { } file
                ? Npy.Read(file.FullName).to(device)
                : randn(1, o.InputChannels, o.InputSize, o.InputSize).to(device);
            if (image.dim() != 4 || image.shape[0] != 1 || image.shape[1] != o.InputChannels)
                throw new ArgumentException($"Expected a 1x{o.InputChannels}xHxW input, got [{string.Join("x", image.shape)}].");
            foreach (var name in parse.GetValue(methods)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var explainer = parse.GetValue(scoreBatch) is { } b && Engine.Explain.ExplainerCatalog.Create(name) is Engine.Explain.ScoreCam
                    ? new Engine.Explain.ScoreCam { BatchSize = b }
                    : Engine.Explain.ExplainerCatalog.Create(name);
                var (times, first, warmups) = Time(() => explainer.Explain(loaded, image, cancellationToken: token), parse.GetValue(repeat),
                    token, 1, WarmupTime(parse.GetValue(warmup)));
                Print($"explain {name}", loaded.Identity.Name, 1, times, 1, report, WarmupFields(first, warmups));
            }
            return 0;
        });
        return command;
    }

    private static Command Algorithm1()
    {
        var command = new Command("algorithm1",
            "Median time of Algorithm 1 (class distance matrix) over a confidence matrix: a zoo model's store entry " +
            "(--model, evaluated first if missing) or --probabilities P.npy --labels L.npy.");
        var model = new ModelOptions();
        model.AddTo(command);
        var data = new Option<string>("--data") { Description = DataSpec.Help, DefaultValueFactory = _ => DataSpec.Default };
        var store = new Option<string>("--store") { Description = "Predictions store folder.", DefaultValueFactory = _ => StudyDefaults.StorePath };
        var probabilities = new Option<FileInfo?>("--probabilities") { Description = "Confidence matrix M×N (.npy, float32/64)." };
        var labels = new Option<FileInfo?>("--labels") { Description = "True labels M (.npy, int64)." };
        var export = new Option<DirectoryInfo?>("--export") { Description = "Write the inputs used (probabilities.npy float32, labels.npy int64) here." };
        var output = new Option<FileInfo?>("--out") { Description = "Write the distance matrix (float64 N×N .npy)." };
        var repeat = new Option<int>("--repeat") { Description = "Timed repetitions (after 1 warm-up).", DefaultValueFactory = _ => 7 };
        foreach (var o in new Option[] { data, store, probabilities, labels, export, output, repeat }) command.Options.Add(o);
        command.SetCancellableAction((parse, token) =>
        {
            var report = TorchRuntime.Initialize();
            using var scope = NewDisposeScope();
            Tensor p;
            long[] y;
            string name;
            if (parse.GetValue(probabilities) is { } pf)
            {
                var lf = parse.GetValue(labels) ?? throw new ArgumentException("--probabilities needs --labels.");
                p = Npy.Read(pf.FullName);
                y = Npy.Read(lf.FullName).to(ScalarType.Int64).data<long>().ToArray();
                name = Path.GetFileNameWithoutExtension(pf.Name);
            }
            else
            {
                var entry = StoreEntryOf(model, parse, parse.GetValue(data)!, parse.GetValue(store)!, token);
                p = entry.Probabilities;
                y = entry.Labels;
                name = entry.Meta.Model.Name;
            }
            if (parse.GetValue(export) is { } dir)
            {
                dir.Create();
                Npy.Write(Path.Combine(dir.FullName, "probabilities.npy"), p.to(ScalarType.Float32));
                Npy.Write(Path.Combine(dir.FullName, "labels.npy"), tensor(y));
            }
            ClassDistances? result = null;
            var times = Time(() => result = ClassDistances.Compute(p, y), parse.GetValue(repeat), token, warmups: 1);
            if (parse.GetValue(output) is { } outFile)
                using (var d = result!.ToTensor()) Npy.Write(outFile.FullName, d);
            Print("algorithm1", name, (int)p.shape[0], times, (int)p.shape[0], report,
                new() { ["classes"] = p.shape[1] });
            return 0;
        });
        return command;
    }

    private static Command TsneBench()
    {
        var command = new Command("tsne", "Median time of the exact t-SNE (default settings: VAC-CNN's) of a distance matrix (.npy N×N).");
        var distances = new Option<FileInfo>("--distances") { Description = "Distance matrix N×N (.npy), e.g. from 'bench algorithm1 --out'.", Required = true };
        var defaults = new TsneOptions();
        var iterations = new Option<int>("--iterations") { Description = "t-SNE iterations.", DefaultValueFactory = _ => defaults.Iterations };
        var output = new Option<FileInfo?>("--out") { Description = "Write the embedding (float64 N×2 .npy)." };
        var repeat = new Option<int>("--repeat") { Description = "Timed repetitions (after 1 warm-up).", DefaultValueFactory = _ => 3 };
        var init = new Option<FileInfo?>("--init") { Description = "Initial layout N×2 (.npy) instead of the seeded random one, e.g. scikit-learn's." };
        foreach (var o in new Option[] { distances, iterations, output, repeat, init }) command.Options.Add(o);
        command.SetCancellableAction((parse, token) =>
        {
            var report = TorchRuntime.Initialize();
            double[] d;
            int n;
            using (var t = Npy.Read(parse.GetValue(distances)!.FullName))
            {
                n = (int)t.shape[0];
                using var doubles = t.to(ScalarType.Float64).contiguous();
                d = doubles.data<double>().ToArray();
            }
            double[]? initial = null;
            if (parse.GetValue(init) is { } initFile)
            {
                using var t = Npy.Read(initFile.FullName);
                using var doubles = t.to(ScalarType.Float64).contiguous();
                initial = doubles.data<double>().ToArray();
            }
            var options = new TsneOptions { Iterations = parse.GetValue(iterations), Initial = initial };
            TsneResult? result = null;
            var times = Time(() => result = Tsne.Embed(d, n, options, token), parse.GetValue(repeat), token, warmups: 1);
            if (parse.GetValue(output) is { } outFile)
            {
                var xy = new double[2 * n];
                for (var i = 0; i < n; i++) (xy[2 * i], xy[2 * i + 1]) = (result!.X[i], result.Y[i]);
                using var e = tensor(xy, new long[] { n, 2 });
                Npy.Write(outFile.FullName, e);
            }
            Print("tsne", $"{n} points", n, times, n, report, new()
            {
                ["kl_divergence"] = Math.Round(result!.KlDivergence, 5), ["iterations"] = result.Iterations,
                ["perplexity"] = options.Perplexity, ["learning_rate"] = options.LearningRate,
            });
            return 0;
        });
        return command;
    }

    private static Command OverviewBench()
    {
        var command = new Command("overview",
            "Median time of the warm overview (the study's overview with its default options, rendered as the notebook's " +
            "HTML fragment) of a study of --models models: the zoo's weights in turn, under other names from the 22nd on. " +
            "Models the store lacks are evaluated first (not timed).");
        var models = new Option<int>("--models") { Description = "Models in the study.", DefaultValueFactory = _ => 100 };
        var data = new Option<string>("--data") { Description = DataSpec.Help, DefaultValueFactory = _ => DataSpec.Default };
        var store = new Option<DirectoryInfo>("--store") { Description = "Predictions store (kept: later runs reuse its evaluations).", Required = true };
        var repeat = new Option<int>("--repeat") { Description = "Timed repetitions (after the first, cold one).", DefaultValueFactory = _ => 5 };
        foreach (var o in new Option[] { models, data, store, repeat }) command.Options.Add(o);
        command.SetCancellableAction((parse, token) =>
        {
            var report = TorchRuntime.Initialize();
            var count = parse.GetValue(models);
            if (count < 1) throw new ArgumentException($"--models must be at least 1 (got {count}).");
            using var study = new Study().UseStore(parse.GetValue(store)!.FullName).UseData(parse.GetValue(data)!);
            var cards = Cnnc.Engine.Zoo.ZooCatalog.Cards;
            for (var i = 0; i < count; i++)
            {
                var card = cards[i % cards.Count];
                var zoo = ModelReference.Zoo(card.Name);
                // From the 22nd on: the zoo's weights file as a user's own, under another name (a store entry of its own).
                study.AddModel(i < cards.Count ? zoo : zoo with { Name = $"{card.Name}-{i / cards.Count}", IsZoo = false });
            }
            study.Evaluate(cancellationToken: token);
            var bytes = 0;
            // The two halves apart too: the engine's overview, and the fragment the notebook shows.
            var (compute, render) = (new List<double>(), new List<double>());
            var (times, first, warmups) = Time(() =>
            {
                var clock = Stopwatch.StartNew();
                var overview = study.Overview(cancellationToken: token);
                compute.Add(clock.Elapsed.TotalMilliseconds);
                clock.Restart();
                bytes = Cnnc.Views.OverviewView.ToHtml(overview, includePlotly: false).Length;
                render.Add(clock.Elapsed.TotalMilliseconds);
            }, parse.GetValue(repeat), token, 1, TimeSpan.Zero);
            double Median(List<double> values) => values.Skip(1).Order().ElementAt((values.Count - 1) / 2);
            Print("overview", $"{count} models", 1, times, 1, report, new()
            {
                ["models"] = count, ["html_bytes"] = bytes, ["first_ms"] = Math.Round(first, 1), ["data"] = parse.GetValue(data)!,
                ["overview_ms"] = Math.Round(Median(compute), 1), ["render_ms"] = Math.Round(Median(render), 1),
            });
            return 0;
        });
        return command;
    }

    private static Command Similarity()
    {
        var command = new Command("similarity", "Median time of the L×L similarity matrix (Algorithm 2) of L saliency maps (.npy L×H×W in [0, 1]).");
        var maps = new Option<FileInfo>("--maps") { Description = "Stacked maps L×H×W (.npy, float32, values in [0, 1]).", Required = true };
        var rule = new Option<string>("--rule") { Description = "ssim, mse, l1, ahash or phash.", DefaultValueFactory = _ => "ssim" };
        var output = new Option<FileInfo?>("--out") { Description = "Write the raw score matrix (float64 L×L .npy)." };
        var repeat = new Option<int>("--repeat") { Description = "Timed repetitions (after 1 warm-up).", DefaultValueFactory = _ => 5 };
        foreach (var o in new Option[] { maps, rule, output, repeat }) command.Options.Add(o);
        command.SetCancellableAction((parse, token) =>
        {
            var report = TorchRuntime.Initialize();
            Map2D[] loaded;
            using (var t = Npy.Read(parse.GetValue(maps)!.FullName))
                loaded = Enumerable.Range(0, (int)t.shape[0]).Select(i => { using var m = t[i]; return Map2D.FromTensor(m); }).ToArray();
            var r = SimilarityCommand.ParseRule(parse.GetValue(rule)!);
            SimilarityMatrix? result = null;
            var times = Time(() => result = MapSimilarity.Matrix(loaded, r), parse.GetValue(repeat), token, warmups: 1);
            if (parse.GetValue(output) is { } outFile)
            {
                using var s = tensor(result!.Scores.SelectMany(row => row).ToArray(), new long[] { loaded.Length, loaded.Length });
                Npy.Write(outFile.FullName, s);
            }
            Print($"similarity {parse.GetValue(rule)!.ToLowerInvariant()}", $"{loaded.Length} maps {loaded[0].Height}x{loaded[0].Width}",
                loaded.Length, times, loaded.Length, report, new() { ["pairs"] = loaded.Length * (loaded.Length - 1) / 2 });
            return 0;
        });
        return command;
    }

    /// <summary>The store entry of a model on a dataset, evaluated first when the store has none (as 'cnnc distribution').</summary>
    private static StoreEntry StoreEntryOf(ModelOptions model, ParseResult parse, string data, string store, CancellationToken token)
    {
        var reference = model.Resolve(parse);
        var device = model.ResolveDevice(parse);
        var source = new DatasetEvaluationSource(DataSpec.Open(data), reference.Preprocessing);
        var predictions = new PredictionsStore(store);
        using var loaded = reference.Load(device);
        return predictions.GetOrEvaluate(loaded, source, new EvaluationOptions { BatchSize = StudyDefaults.BatchSize, Device = device },
            cancellationToken: token);
    }

    private static List<double> Time(Action action, int repeat, CancellationToken token, int warmups = 2) =>
        Time(action, repeat, token, warmups, TimeSpan.Zero).Times;

    /// <summary>
    /// Times <paramref name="action"/> after warming up: at least <paramref name="warmups"/> calls, and more until
    /// <paramref name="warmupTime"/> has passed, so that .NET's tiered JIT has recompiled the hot path before the timed
    /// calls (its background compilations compete with libtorch's threads for the cores in the first seconds).
    /// </summary>
    private static (List<double> Times, double FirstMs, int Warmups) Time(Action action, int repeat, CancellationToken token,
        int warmups, TimeSpan warmupTime)
    {
        if (repeat < 1) throw new ArgumentException($"--repeat must be at least 1 (got {repeat}).");
        var clock = Stopwatch.StartNew();
        var first = double.NaN;
        var done = 0;
        while (done < warmups || clock.Elapsed < warmupTime)
        {
            token.ThrowIfCancellationRequested();
            var call = Stopwatch.StartNew();
            action();
            if (done++ == 0) first = call.Elapsed.TotalMilliseconds;
        }
        var times = new List<double>();
        for (var i = 0; i < repeat; i++)
        {
            token.ThrowIfCancellationRequested();
            var call = Stopwatch.StartNew();
            action();
            times.Add(call.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        return (times, first, done);
    }

    private static Option<double> WarmupOption() => new("--warmup-seconds")
    {
        Description = "Untimed warm-up: at least one call (two for forward), and more until this many seconds have passed. " +
                      "The first call's time is reported as first_ms.",
        DefaultValueFactory = _ => 3.0,
    };

    private static TimeSpan WarmupTime(double seconds) => seconds >= 0 && double.IsFinite(seconds)
        ? TimeSpan.FromSeconds(seconds)
        : throw new ArgumentException($"--warmup-seconds must be a non-negative number of seconds (got {seconds}).");

    private static Dictionary<string, object> WarmupFields(double firstMs, int warmups) =>
        new() { ["first_ms"] = Math.Round(firstMs, 2), ["warmup_calls"] = warmups };

    private static void Print(string what, string model, int batch, List<double> times, int images, TorchRuntimeReport report,
        Dictionary<string, object>? extra = null)
    {
        var median = times.Count % 2 == 1 ? times[times.Count / 2] : (times[times.Count / 2 - 1] + times[times.Count / 2]) / 2;
        var line = new Dictionary<string, object>
        {
            ["what"] = what, ["model"] = model, ["batch"] = batch, ["images"] = images, ["median_ms"] = Math.Round(median, 2),
            ["min_ms"] = Math.Round(times[0], 2), ["max_ms"] = Math.Round(times[^1], 2),
            ["p90_ms"] = Math.Round(times[(int)Math.Ceiling(times.Count * 0.9) - 1], 2),
            ["images_per_second"] = Math.Round(images / (median / 1000), 1), ["threads"] = get_num_threads(),
            ["malloc"] = string.Join(" ", report.MallocSettings), ["openmp"] = report.OpenMpWait,
            ["channels_last"] = ChannelsLast.IsEnabled, ["peak_rss_mb"] = Math.Round(SoakCommand.PeakRssMb(), 1),
        };
        foreach (var (k, v) in extra ?? new()) line[k] = v;
        Console.WriteLine(JsonSerializer.Serialize(line, Json));
    }
}
