using System.Runtime.CompilerServices;
using Cnnc.Engine.Runtime;
using Cnnc.Interactive.Directives;
using Cnnc.Interactive.Html;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Formatting;

namespace Cnnc.Interactive;

/// <summary>
/// The .NET Interactive extension (the package's only loading mechanism: this type, in
/// <c>interactive-extensions/dotnet/Cnnc.Interactive.dll</c>). Loading it installs the FSharp.Core resolver (before any
/// Plotly.NET type is touched), registers the HTML formatters and <c>#!cnnc</c>, and shows a "how to start" card.
/// </summary>
public sealed class CnncKernelExtension : IKernelExtension
{
    /// <inheritdoc />
    public Task OnLoadAsync(Kernel kernel)
    {
        FSharpCoreResolver.Install();
        OpenMpWaitPolicy.Apply(); // before libtorch loads (below)
        Load(kernel);
        return Task.CompletedTask;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Load(Kernel kernel)
    {
        var root = kernel.RootKernel;
        CnncFormatters.Register();
        var added = CnncDirectives.Register(root);
        // libtorch is loaded now (patched where the system libstdc++ is old, see the engine's TorchRuntime), so that
        // notebook code may use TorchSharp directly, before any #!cnnc command did.
        string? problem = null;
        try { TorchRuntime.Initialize(); }
        catch (Exception e) { problem = $"libtorch could not be loaded: {e.Message}"; }
        if (added) KernelInvocationContext.Current?.Display(new StartCard(CnncSession.ZooModelNames, problem), "text/html", "text/plain");
    }
}

/// <summary>HTML and text formatters of CNNC's outputs (process-wide, registered once).</summary>
public static class CnncFormatters
{
    private static int _registered;

    /// <summary>Registers the formatters (idempotent).</summary>
    public static void Register()
    {
        FSharpCoreResolver.Install();
        if (Interlocked.Exchange(ref _registered, 1) == 1) return;
        Formatter.Register<Overview>((overview, writer) => writer.Write(OverviewHtml.Render(overview, PlotlyJs.ClaimForNotebook())), HtmlFormatter.MimeType);
        Formatter.Register<Overview>((overview, writer) => writer.Write(overview.ToString()), PlainTextFormatter.MimeType);
        Formatter.Register<Comparison>((comparison, writer) => writer.Write(comparison.ToHtml(PlotlyJs.ClaimForNotebook())), HtmlFormatter.MimeType);
        Formatter.Register<Comparison>((comparison, writer) => writer.Write(comparison.ToString()), PlainTextFormatter.MimeType);
        Formatter.Register<Inspection>((inspection, writer) => writer.Write(inspection.ToHtml(PlotlyJs.ClaimForNotebook())), HtmlFormatter.MimeType);
        Formatter.Register<Inspection>((inspection, writer) => writer.Write(inspection.ToString()), PlainTextFormatter.MimeType);
        RegisterView<ExplainStatus>();
        // View B from the C# twin (CnncSession.DistributionGraph) is the engine's own object.
        Formatter.Register<Cnnc.Engine.Analysis.DistributionGraph>((graph, writer) =>
            writer.Write(DistributionGraphHtml.Render(graph, PlotlyJs.ClaimForNotebook())), HtmlFormatter.MimeType);
        Formatter.Register<Cnnc.Engine.Analysis.DistributionGraph>((graph, writer) =>
            writer.Write($"Distribution graph of {graph.Model} on {graph.Dataset}: {graph.Points.Count} classes in {graph.Roots.Count} roots, " +
                         $"t-SNE KL {graph.KlDivergence.ToString("F4", System.Globalization.CultureInfo.InvariantCulture)}"), PlainTextFormatter.MimeType);
        RegisterView<ExplanationExamples>();
        RegisterView<StartCard>();
        RegisterView<HelpCard>();
        RegisterView<SessionView>();
        RegisterView<EvaluationStatus>();
    }

    private static void RegisterView<T>() where T : ICnncView
    {
        Formatter.Register<T>((view, writer) => writer.Write(view.ToHtml()), HtmlFormatter.MimeType);
        Formatter.Register<T>((view, writer) => writer.Write(view.ToString()), PlainTextFormatter.MimeType);
    }
}
