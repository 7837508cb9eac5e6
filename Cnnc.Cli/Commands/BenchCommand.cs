using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
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
/// <c>cnnc bench forward</c> and <c>cnnc bench evaluate</c>: the measurements behind BENCHMARKS.md
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
        bench.Subcommands.Add(Explain());
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
        var repeat = new Option<int>("--repeat") { Description = "Timed repetitions (after 2 warm-ups).", DefaultValueFactory = _ => 7 };
        foreach (var o in new Option[] { arch, weights, batch, size, repeat }) command.Options.Add(o);
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
            var times = Time(() => { using var scope = NewDisposeScope(); using var _ = inference_mode(); model.call(input); },
                parse.GetValue(repeat), token);
            Print("forward", parse.GetValue(arch)!, b, times, b, report);
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
            else source = new DatasetEvaluationSource(DataSpec.Open(parse.GetValue(data) ?? "fashion-mnist"), reference.Preprocessing);
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

    private static Command Explain()
    {
        var command = new Command("explain", "Median latency of one explanation per method (random input of the model's size).");
        var model = new ModelOptions();
        model.AddTo(command);
        var methods = new Option<string>("--methods") { Description = "Comma-separated methods (default: all).", DefaultValueFactory = _ => string.Join(",", Engine.Explain.ExplainerCatalog.Names) };
        var repeat = new Option<int>("--repeat") { Description = "Timed repetitions (after 1 warm-up).", DefaultValueFactory = _ => 5 };
        command.Options.Add(methods);
        command.Options.Add(repeat);
        command.SetCancellableAction((parse, token) =>
        {
            var report = TorchRuntime.Initialize();
            var reference = model.Resolve(parse);
            using var loaded = reference.Load(model.ResolveDevice(parse));
            var o = reference.Options;
            manual_seed(0);
            using var image = randn(1, o.InputChannels, o.InputSize, o.InputSize);
            foreach (var name in parse.GetValue(methods)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var explainer = Engine.Explain.ExplainerCatalog.Create(name);
                var times = Time(() => explainer.Explain(loaded, image, cancellationToken: token), parse.GetValue(repeat), token, warmups: 1);
                Print($"explain {name}", loaded.Identity.Name, 1, times, 1, report);
            }
            return 0;
        });
        return command;
    }

    private static List<double> Time(Action action, int repeat, CancellationToken token, int warmups = 2)
    {
        for (var i = 0; i < warmups; i++) action();
        var times = new List<double>();
        for (var i = 0; i < repeat; i++)
        {
            token.ThrowIfCancellationRequested();
            var clock = Stopwatch.StartNew();
            action();
            times.Add(clock.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        return times;
    }

    private static void Print(string what, string model, int batch, List<double> times, int images, TorchRuntimeReport report)
    {
        var median = times.Count % 2 == 1 ? times[times.Count / 2] : (times[times.Count / 2 - 1] + times[times.Count / 2]) / 2;
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            what, model, batch, images, median_ms = Math.Round(median, 2), min_ms = Math.Round(times[0], 2),
            max_ms = Math.Round(times[^1], 2), images_per_second = Math.Round(images / (median / 1000), 1),
            threads = get_num_threads(), malloc = string.Join(" ", report.MallocSettings), openmp = report.OpenMpWait,
            channels_last = ChannelsLast.IsEnabled,
        }, Json));
    }
}
