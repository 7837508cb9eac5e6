using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Directives;

namespace Cnnc.Interactive.Directives;

/// <summary><c>#!cnnc models</c>: the study's models.</summary>
public sealed class CnncModelsCommand : CnncDirectiveCommand;

internal static class ModelsDirective
{
    public static KernelActionDirective Definition => new("models", "Lists the session's models, their complexity and accuracy.");

    public static Task Run(CnncModelsCommand command, KernelInvocationContext context)
    {
        context.Display(Notebook.Study.Summary("CNNC session"), "text/html", "text/plain");
        return Task.CompletedTask;
    }
}

/// <summary><c>#!cnnc export</c>: the overview tables as CSV files.</summary>
public sealed class CnncExportCommand : CnncDirectiveCommand
{
    public string? Out { get; set; }
}

internal static class ExportDirective
{
    public static KernelActionDirective Definition => new("export", "Writes the overview tables (models, classes, roots, spotlights) as CSV files.")
    {
        Parameters = [new KernelDirectiveParameter("--out", "Folder for the CSV files (default: cnnc-export).")],
    };

    public static Task Run(CnncExportCommand command, KernelInvocationContext context)
    {
        var folder = command.Out is { Length: > 0 } o ? o : "cnnc-export";
        var paths = Notebook.Study.Overview(new() { Explain = Engine.Studies.ExplainScope.None }).WriteCsv(folder);
        KernelInvocationContextExtensions.Display(context, "Wrote " + string.Join(", ", paths), "text/plain");
        return Task.CompletedTask;
    }
}
