using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Cnnc.Engine.Evaluation;
using Cnnc.Engine.Studies;

namespace Cnnc.Cli.Commands;

/// <summary>
/// <c>cnnc latency</c>: re-measures batch-1 latency and batched throughput of evaluated zoo models
/// (<see cref="Study.MeasureLatency"/>) and replaces the stored figures; a figure taken under load is stored and shown
/// marked unreliable, with the reason.
/// </summary>
internal static class LatencyCommand
{
    public static Command Create()
    {
        var command = new Command("latency",
            "Re-measure batch-1 latency and throughput of evaluated models (warm-up, repetitions to a bounded error, median and quartiles, machine load) and replace the stored figures.");
        var models = new Option<string?>("--models") { Description = "Zoo models, comma-separated (default: all shipped)." };
        var data = new Option<string>("--data") { Description = DataSpec.Help, DefaultValueFactory = _ => DataSpec.Default };
        var store = new Option<string>("--store")
        {
            Description = "Predictions store folder (default $CNNC_STORE or ~/.cache/cnnc/store).", DefaultValueFactory = _ => StudyDefaults.StorePath,
        };
        var json = new Option<bool>("--json") { Description = "Print the measurements as JSON." };
        foreach (var o in new Option[] { models, data, store, json }) command.Options.Add(o);
        command.SetCancellableAction((parse, token) =>
        {
            var names = parse.GetValue(models)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? Array.Empty<string>();
            using var study = new Study().UseStore(parse.GetValue(store)!).UseData(parse.GetValue(data)!);
            study.UseZoo(names);
            var progress = new ConsoleProgress<StudyProgress>(p => p.Stage == "done" ? "measured" : $"[{p.ModelIndex + 1}/{p.ModelCount} {p.Model}] {p.Stage}");
            IReadOnlyList<(StudyModel Model, InferenceTiming Timing)> results;
            try
            {
                results = study.MeasureLatency(names, progress, token);
            }
            catch (StudyNotEvaluatedException e)
            {
                throw new InvalidOperationException(
                    $"No evaluation on '{e.Dataset}' yet for {string.Join(", ", e.Models)}: evaluate first (cnnc evaluate --model MODEL, or cnnc report).");
            }
            if (Console.IsErrorRedirected is false) Console.Error.WriteLine();
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(results.Select(r => new { model = r.Model.Name, timing = r.Timing }),
                    new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
                return 0;
            }
            foreach (var (model, t) in results)
                Console.WriteLine(Line(model.Name, t));
            return 0;
        });
        return command;
    }

    /// <summary>One model's figure as the command prints it.</summary>
    internal static string Line(string model, InferenceTiming t) =>
        $"{model,-22} {Format.Latency(t.Batch1Milliseconds, t.Caveat)}" +
        $" · quartiles {F(t.Batch1LowerQuartileMs)}–{F(t.Batch1UpperQuartileMs)} ms, ±{(t.RelativeError ?? 0) * 100:F1} % over {t.Repetitions} runs" +
        $" · {t.ImagesPerSecond:F0} img/s (batch {t.BatchSize}, {t.Device}, {t.TorchThreads} threads)" +
        $" · load {F(t.LoadAverage)}, {t.OtherRunnable} other runnable on {t.ProcessorCount} cores";

    private static string F(double? v) => v is { } x ? x.ToString("F2", CultureInfo.InvariantCulture) : "?";
}
