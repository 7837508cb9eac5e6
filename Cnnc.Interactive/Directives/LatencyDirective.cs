using Cnnc.Interactive.Views;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Directives;

namespace Cnnc.Interactive.Directives;

/// <summary><c>#!cnnc latency</c>: re-measures latency of evaluated models and replaces the stored figures.</summary>
public sealed class CnncLatencyCommand : CnncDirectiveCommand
{
    public string? Models { get; set; }
}

internal static class LatencyDirective
{
    public static KernelActionDirective Definition => new("latency",
        "Re-measures batch-1 latency and throughput of evaluated models (warm-up, repetitions to a bounded error, median and quartiles, the machine's load) and replaces the stored figures; a figure taken under load is marked ⚠ unreliable with the reason.")
    {
        Parameters =
        [
            new KernelDirectiveParameter("--models", "Models, comma-separated (default: every model of the session).")
                .AddCompletions(CnncDirectives.ModelNames),
        ],
    };

    public static Task Run(CnncLatencyCommand command, KernelInvocationContext context)
    {
        var names = command.Models?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var results = Notebook.Study.MeasureLatency(names, null, context.CancellationToken);
        context.Display(new LatencyMeasurements(results), "text/html", "text/plain");
        return Task.CompletedTask;
    }
}
