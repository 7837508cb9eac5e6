using System.CommandLine;
using Cnnc.Engine.Studies;
using Cnnc.Engine.Evaluation;
using Cnnc.Views;

namespace Cnnc.Cli.Commands;

/// <summary><c>cnnc report</c>: the notebook's views as one standalone offline HTML page.</summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var command = new Command("report",
            "Write a standalone offline HTML report: session, overview (A1–A4, B, D, E), and optionally compare and inspect sections. " +
            "Models the store lacks are evaluated first.");
        var output = new Option<FileInfo>("--out") { Description = "HTML file to write.", Required = true };
        var models = new Option<string?>("--models") { Description = "Zoo models, comma-separated (default: all shipped)." };
        var data = new Option<string>("--data") { Description = DataSpec.Help, DefaultValueFactory = _ => DataSpec.Default };
        var store = new Option<string>("--store")
        {
            Description = "Predictions store folder (default $CNNC_STORE or ~/.cache/cnnc/store).",
            DefaultValueFactory = _ => StudyDefaults.StorePath,
        };
        var hierarchy = new Option<FileInfo?>("--hierarchy") { Description = DataSpec.HierarchyHelp };
        var title = new Option<string>("--title") { Description = "Page title.", DefaultValueFactory = _ => "CNNC report" };
        var pin = new Option<string?>("--pin") { Description = "Model pinned at first in the overview (default: the most accurate)." };
        var complexity = new Option<string>("--complexity")
        {
            Description = "x axis of A1: params, macs or latency (batch 1, quartiles as error bars; re-measure with cnnc latency).",
            DefaultValueFactory = _ => "params",
        };
        complexity.AcceptOnlyFromAmong("params", "macs", "latency");
        var compareClass = new Option<string?>("--compare-class") { Description = "Add a compare section (paper 6.1) for this class." };
        var compareModels = new Option<string?>("--compare-models") { Description = "Models compared, comma-separated (default: all)." };
        var compareImage = new Option<int?>("--compare-image") { Description = "Dataset index of the compared image (default: the class's first)." };
        var compareMethod = new Option<string>("--compare-method") { Description = "Explainer of the compare section.", DefaultValueFactory = _ => StudyDefaults.CompareMethod };
        var inspectModel = new Option<string?>("--inspect-model") { Description = "Add an inspect section (paper 6.2) for this model." };
        var inspectClasses = new Option<string?>("--inspect-classes") { Description = "Classes of the inspect section, comma-separated." };
        var inspectMethod = new Option<string?>("--inspect-method") { Description = "Explainer of the inspect section (default: smoothgradcam++ at zoo scale, gradcam above)." };
        var rows = new Option<int>("--rows") { Description = "Rows of the inspect section.", DefaultValueFactory = _ => StudyDefaults.PageRows };
        var threshold = new Option<double>("--threshold") { Description = "Contour / ROI / CIH threshold in [0, 1].", DefaultValueFactory = _ => StudyDefaults.Threshold };
        var noAnalyses = new Option<bool>("--no-analyses") { Description = "Leave out the confusion, significance, calibration and agreement sections." };
        foreach (var o in new Option[] { output, models, data, store, hierarchy, title, pin, complexity, compareClass, compareModels, compareImage,
                     compareMethod, inspectModel, inspectClasses, inspectMethod, rows, threshold, noAnalyses })
            command.Options.Add(o);
        command.SetCancellableAction((parse, token) =>
        {
            static IReadOnlyList<string>? List(string? value) =>
                value?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var options = new ReportOptions
            {
                Title = parse.GetValue(title)!, Pin = parse.GetValue(pin),
                Complexity = parse.GetValue(complexity) switch
                {
                    "macs" => ComplexityMeasure.Macs, "latency" => ComplexityMeasure.Latency, _ => ComplexityMeasure.Parameters,
                },
                CompareClass = parse.GetValue(compareClass), CompareModels = List(parse.GetValue(compareModels)),
                CompareImage = parse.GetValue(compareImage), CompareMethod = parse.GetValue(compareMethod)!,
                InspectModel = parse.GetValue(inspectModel), InspectClasses = List(parse.GetValue(inspectClasses)),
                InspectMethod = parse.GetValue(inspectMethod), InspectRows = parse.GetValue(rows), Threshold = parse.GetValue(threshold),
                Analyses = !parse.GetValue(noAnalyses),
            }.Validate();
            using var study = new Study().UseStore(parse.GetValue(store)!).UseData(parse.GetValue(data)!);
            if (parse.GetValue(hierarchy) is { } h) study.UseHierarchy(h.FullName);
            study.UseZoo(List(parse.GetValue(models))?.ToArray() ?? Array.Empty<string>());
            var progress = new ConsoleProgress<StudyProgress>(p => p.Stage == "done" ? "all models evaluated" : p.Engine is { } e
                ? $"[{p.ModelIndex + 1}/{p.ModelCount} {p.Model}] {e.Done}/{e.Total} images, {e.ImagesPerSecond:F0} img/s, ETA {e.Eta:hh\\:mm\\:ss}"
                : $"[{p.ModelIndex + 1}/{p.ModelCount} {p.Model}] {p.Stage}");
            study.Evaluate(progress, token);
            if (Console.IsErrorRedirected is false) Console.Error.WriteLine();
            var path = study.Report(options, token).Write(parse.GetValue(output)!.FullName);
            Console.WriteLine($"wrote {path} ({new FileInfo(path).Length / 1024.0 / 1024.0:F1} MB, opens offline)");
            return 0;
        });
        return command;
    }
}
