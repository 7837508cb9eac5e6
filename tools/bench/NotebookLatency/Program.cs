// Notebook command latencies (issue 6): the #!cnnc extension in an in-process notebook host, as
// tests/Cnnc.Interactive.Tests runs it (CompositeKernel { CSharpKernel }), on the embedded zoo and the Fashion-MNIST
// test set. For each command: one cold run, then --repeat warm runs; compare and inspect run warm on other images /
// pages (nothing cached), then repeat the cold command (served from the study's explanations). Wall time from
// SubmitCode to the command's completion (its displayed values received), and the size of the HTML it displayed (the
// last version of each display: compare and inspect replace their status line with the result). One JSON line per
// figure on stdout, labels starting with "notebook ". With --breakdown (default) the same work through the C# API
// (engine only, on yet other images / pages) and its HTML rendering alone are timed too: kernel overhead = command -
// engine - HTML.
//
//   dotnet build -c Release tools/bench/NotebookLatency
//   dotnet tools/bench/NotebookLatency/bin/Release/net10.0/NotebookLatency.dll [--repeat 5 (at most 9)]
//       [--models resnet18,resnet50,alexnet,mobilenet_v2,squeezenet1_1] [--class Shirt] [--image 7]
//       [--inspect-model resnet18] [--inspect-class Coat] [--threads N] [--no-breakdown] [--only overview,compare,inspect]
//
// Needs the zoo evaluated in the default store ($CNNC_STORE or ~/.cache/cnnc/store): the harness runs
// '#!cnnc evaluate' first (seconds when the store has them, about 15 minutes on 2 cores when it has none).
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Cnnc.Engine.Studies;
using Cnnc.Interactive;
using Cnnc.Views;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Events;

var repeat = 5;
var compareModels = "resnet18,resnet50,alexnet,mobilenet_v2,squeezenet1_1";
var compareClass = "Shirt";
var compareImage = "7";
var inspectModel = "resnet18";
var inspectClass = "Coat";
var breakdown = true;
int? threads = null;
var only = new HashSet<string> { "overview", "compare", "inspect" };
for (var i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    switch (args[i])
    {
        case "--repeat": repeat = Math.Clamp(int.Parse(Next(), CultureInfo.InvariantCulture), 1, 9); break;
        case "--models": compareModels = Next(); break;
        case "--class": compareClass = Next(); break;
        case "--image": compareImage = Next(); break;
        case "--inspect-model": inspectModel = Next(); break;
        case "--inspect-class": inspectClass = Next(); break;
        case "--threads": threads = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--no-breakdown": breakdown = false; break;
        case "--only": only = Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(); break;
        default: throw new ArgumentException($"unknown argument {args[i]}");
    }
}

// Each command has variants that differ only in the image (compare) or page (inspect): variant 0 is the cold run and
// the repeated command, variants 1.. are warm runs that explain what the session has not explained yet (the session
// keeps explanations, so repeating one command measures its cache).
var compareImages = new List<int> { int.Parse(compareImage, CultureInfo.InvariantCulture) };
var commands = new List<Command>
{
    new("overview", "overview (13 zoo models, defaults)", _ => "#!cnnc overview", Cached: false,
        (s, _) => s.Overview(), o => ((Overview)o).ToHtml(includePlotly: false)),
    new("compare", $"compare {compareModels.Split(',').Length} zoo models, one {compareClass} image, gradcam",
        v => $"#!cnnc compare --class {compareClass} --models {compareModels} --image {compareImages[v]} --method gradcam", Cached: true,
        (s, v) => s.Compare(new() { Class = compareClass, Models = compareModels.Split(','), Image = compareImages[v], Method = "gradcam" }), o => ((Comparison)o).ToHtml(includePlotly: false)),
    new("inspect", $"inspect {inspectModel} {inspectClass}, one page of 50, smoothgradcam++",
        v => $"#!cnnc inspect --model {inspectModel} --classes {inspectClass}" + (v == 0 ? "" : $" --page {v + 1}"), Cached: true,
        (s, v) => s.Inspect(new() { Model = inspectModel, Classes = new[] { inspectClass }, Page = v + 1 }), o => ((Inspection)o).ToHtml(includePlotly: false)),
};
using var kernel = new CompositeKernel { new CSharpKernel().UseKernelHelpers().UseValueSharing() };
kernel.DefaultKernelName = "csharp";

async Task<(double Ms, long Bytes, string? Failure)> Submit(string code)
{
    var watch = Stopwatch.StartNew();
    var result = await kernel.SendAsync(new SubmitCode(code));
    var ms = watch.Elapsed.TotalMilliseconds;
    var failure = result.Events.OfType<CommandFailed>().FirstOrDefault()?.Message;
    // The last HTML of each display (an update replaces the value shown under its id).
    var last = new Dictionary<string, string>();
    var anonymous = 0;
    foreach (var e in result.Events.OfType<DisplayEvent>())
    {
        var html = e.FormattedValues.FirstOrDefault(v => v.MimeType == "text/html")?.Value;
        if (html is null) continue;
        last[e.ValueId ?? $"#{anonymous++}"] = html;
    }
    return (ms, last.Values.Sum(h => (long)Encoding.UTF8.GetByteCount(h)), failure);
}

void Emit(string label, IReadOnlyList<double> ms, long? bytes, string? note = null)
{
    var sorted = ms.OrderBy(x => x).ToArray();
    var median = sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    var row = new Dictionary<string, object?>
    {
        ["label"] = label,
        ["median_ms"] = Math.Round(median, 1),
        ["min_ms"] = Math.Round(sorted[0], 1),
        ["max_ms"] = Math.Round(sorted[^1], 1),
        ["repeats"] = sorted.Length,
    };
    if (bytes is { } b) row["output_bytes"] = b;
    if (note is not null) row["note"] = note;
    Console.WriteLine(JsonSerializer.Serialize(row));
}

async Task Run(string code)
{
    var (ms, _, failure) = await Submit(code);
    if (failure is not null) throw new InvalidOperationException($"{code}: {failure}");
    Console.Error.WriteLine($"  {code.Split('\n')[0]}: {ms:F0} ms");
}

var load = Stopwatch.StartNew();
await new CnncKernelExtension().OnLoadAsync(kernel);
if (threads is { } n) TorchSharp.torch.set_num_threads(n);
Console.Error.WriteLine($"extension loaded in {load.Elapsed.TotalMilliseconds:F0} ms; libtorch threads {TorchSharp.torch.get_num_threads()}; " +
                        $"OMP_WAIT_POLICY={Native.Getenv("OMP_WAIT_POLICY") ?? "(unset)"} GOMP_SPINCOUNT={Native.Getenv("GOMP_SPINCOUNT") ?? "(unset)"}");
await Run("#!cnnc setup");
await Run("#!cnnc evaluate");

// Images of the compared class for the uncached runs: the class's first images, the given one first.
var dataset = Notebook.Study.Dataset;
var compareClassIndex = Notebook.Study.ResolveClass(compareClass);
for (var i = 0; i < dataset.Count && compareImages.Count < 2 * repeat + 1; i++)
    if (dataset.Label(i) == compareClassIndex && !compareImages.Contains(i)) compareImages.Add(i);

foreach (var command in commands.Where(c => only.Contains(c.Name)))
{
    Console.Error.WriteLine($"{command.Name}: {command.Code(0)}");
    var cold = await Submit(command.Code(0));
    if (cold.Failure is not null) throw new InvalidOperationException($"{command.Code(0)}: {cold.Failure}");
    Console.Error.WriteLine($"  cold {cold.Ms:F0} ms, {cold.Bytes} bytes");
    Emit($"notebook {command.Description} (cold)", new[] { cold.Ms }, cold.Bytes,
        command.Name == "overview" ? "first command of the session: store entries, t-SNE graphs, D for the pinned model, plotly.js inlined (once per session)" : null);

    async Task<(List<double> Ms, long Bytes)> Warm(Func<int, int> variant, string what)
    {
        var times = new List<double>();
        long bytes = 0;
        for (var r = 0; r < repeat; r++)
        {
            var code = command.Code(variant(r));
            var run = await Submit(code);
            if (run.Failure is not null) throw new InvalidOperationException($"{code}: {run.Failure}");
            Console.Error.WriteLine($"  warm{what} {run.Ms:F0} ms, {run.Bytes} bytes: {code}");
            times.Add(run.Ms);
            bytes = run.Bytes;
        }
        return (times, bytes);
    }

    if (command.Cached)
    {
        var fresh = await Warm(r => 1 + r, "");
        Emit($"notebook {command.Description} (warm)", fresh.Ms, fresh.Bytes,
            (command.Name == "compare" ? "each run on another image of the class" : "each run on another page") +
            " (nothing cached); output_bytes of the last run");
        var again = await Warm(_ => 0, ", repeated");
        Emit($"notebook {command.Description} (warm, repeated: explanations cached)", again.Ms, again.Bytes);
    }
    else
    {
        var again = await Warm(_ => 0, "");
        Emit($"notebook {command.Description} (warm)", again.Ms, again.Bytes);
    }

    if (!breakdown) continue;
    var engineMs = new List<double>();
    var htmlMs = new List<double>();
    for (var r = 0; r < repeat; r++)
    {
        var watch = Stopwatch.StartNew();
        var value = command.Engine(Notebook.Study, command.Cached ? 1 + repeat + r : 0);
        engineMs.Add(watch.Elapsed.TotalMilliseconds);
        watch.Restart();
        var text = command.Html(value);
        htmlMs.Add(watch.Elapsed.TotalMilliseconds);
        GC.KeepAlive(text);
    }
    Emit($"notebook {command.Description}: engine only, C# API (warm)", engineMs, null);
    Emit($"notebook {command.Description}: HTML rendering only (warm)", htmlMs, null);
}

internal sealed record Command(string Name, string Description, Func<int, string> Code, bool Cached,
    Func<Study, int, object> Engine, Func<object, string> Html);

internal static class Native
{
    // The native environment (what OpenMP reads), which Environment.GetEnvironmentVariable does not see change on Unix.
    public static string? Getenv(string name) => System.Runtime.InteropServices.Marshal.PtrToStringUTF8(getenv(name));

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern IntPtr getenv(string name);
}
