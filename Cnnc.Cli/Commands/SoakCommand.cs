using System.CommandLine;
using Cnnc.Engine.Studies;
using System.Diagnostics;
using System.Text.Json;
using Cnnc.Engine.Data;
using Cnnc.Engine.Evaluation;
using Cnnc.Engine.Explain;
using Cnnc.Engine.Runtime;
using static TorchSharp.torch;

namespace Cnnc.Cli.Commands;

/// <summary>
/// <c>cnnc bench soak</c>: many consecutive explanations and full evaluations of one model, sampling the process's
/// resident memory, to show that it stays flat (no tensor leak). Used by tools/benchmark.sh; not a test.
/// </summary>
internal static class SoakCommand
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static Command Create()
    {
        var command = new Command("soak", "Resident memory over many consecutive explanations and full evaluations (flat = no leak).");
        var model = new ModelOptions();
        model.AddTo(command);
        var data = new Option<string?>("--data") { Description = DataSpec.Help + " Default: fashion-mnist." };
        var method = new Option<string>("--method") { Description = "Explainer to repeat.", DefaultValueFactory = _ => "gradcam" };
        var explanations = new Option<int>("--explanations") { Description = "Consecutive explanations (one image each, cycling over the data).", DefaultValueFactory = _ => 10_000 };
        var evaluations = new Option<int>("--evaluations") { Description = "Consecutive full evaluations of the data into a temporary store.", DefaultValueFactory = _ => 3 };
        var every = new Option<int>("--sample-every") { Description = "Explanations between memory samples.", DefaultValueFactory = _ => 500 };
        foreach (var o in new Option[] { data, method, explanations, evaluations, every }) command.Options.Add(o);
        command.SetCancellableAction((parse, token) =>
        {
            TorchRuntime.Initialize();
            var reference = model.Resolve(parse);
            using var loaded = reference.Load(model.ResolveDevice(parse));
            var dataset = DataSpec.Open(parse.GetValue(data) ?? DataSpec.Default);
            var explainer = ExplainerCatalog.Create(parse.GetValue(method)!);
            var (count, step) = (parse.GetValue(explanations), Math.Max(1, parse.GetValue(every)));
            var clock = Stopwatch.StartNew();
            var explainSamples = new List<double> { RssMb() };
            for (var i = 0; i < count; i++)
            {
                token.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                using var raw = dataset.Load(i % dataset.Count);
                var image = reference.Preprocessing.Apply(raw);
                explainer.Explain(loaded, image, cancellationToken: token);
                if ((i + 1) % step == 0) explainSamples.Add(RssMb());
            }
            var explainSeconds = clock.Elapsed.TotalSeconds;

            clock.Restart();
            var source = new DatasetEvaluationSource(dataset, reference.Preprocessing);
            var evaluationSamples = new List<double> { RssMb() };
            var sampler = new RssSampler(evaluationSamples);
            for (var run = 0; run < parse.GetValue(evaluations); run++)
            {
                var store = new PredictionsStore(Path.Combine(Path.GetTempPath(), $"cnnc-soak-{Guid.NewGuid():N}"));
                try
                {
                    Evaluator.Evaluate(loaded.Module, loaded.Identity, source, store,
                        new EvaluationOptions { MeasureLatency = false }, sampler, token);
                }
                finally
                {
                    Directory.Delete(store.Root, recursive: true);
                }
                evaluationSamples.Add(RssMb());
            }
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                what = "soak", model = loaded.Identity.Name, method = explainer.Name, explanations = count,
                explain_seconds = Math.Round(explainSeconds, 1), explain_rss_mb = explainSamples.Select(Round),
                evaluations = parse.GetValue(evaluations), images = dataset.Count,
                evaluate_seconds = Math.Round(clock.Elapsed.TotalSeconds, 1), evaluate_rss_mb = evaluationSamples.Select(Round),
                peak_rss_mb = Round(PeakRssMb()),
            }, Json));
            return 0;
        });
        return command;
    }

    private static double Round(double mb) => Math.Round(mb, 1);

    /// <summary>Resident set size now (VmRSS), in MiB.</summary>
    internal static double RssMb() => StatusKb("VmRSS:") / 1024.0;

    /// <summary>Peak resident set size of the process so far (VmHWM), in MiB.</summary>
    internal static double PeakRssMb() => StatusKb("VmHWM:") / 1024.0;

    private static long StatusKb(string key)
    {
        if (!File.Exists("/proc/self/status")) return (key == "VmHWM:" ? Process.GetCurrentProcess().PeakWorkingSet64 : Environment.WorkingSet) / 1024;
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line[key.Length..].Trim().Split(' ')[0]);
    }

    /// <summary>Samples memory every 2,500 images of an evaluation (synchronously, unlike <see cref="Progress{T}"/>).</summary>
    private sealed class RssSampler(List<double> samples) : IProgress<EvaluationProgress>
    {
        private int _next = 2500;

        public void Report(EvaluationProgress value)
        {
            if (value.Done < _next) return;
            samples.Add(RssMb());
            _next = value.Done >= value.Total ? 2500 : value.Done - value.Done % 2500 + 2500;
        }
    }
}
