using Cnnc.Engine.Studies;
using Cnnc.Views;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Directives;

namespace Cnnc.Interactive.Directives;

/// <summary><c>#!cnnc confusion</c>: one model's confusion matrix and per-class scores.</summary>
public sealed class CnncConfusionCommand : CnncDirectiveCommand
{
    public string? Model { get; set; }
    public string? Root { get; set; }
    public bool Normalise { get; set; }
    public string? Csv { get; set; }
    public bool InlinePlotly { get; set; }
}

internal static class ConfusionDirective
{
    public static KernelActionDirective Definition => new("confusion",
        "Confusion matrix of one model (classes grouped by root; root × root above 40 classes, --root drills down), per-class precision / recall / F1 and macro averages; click a cell for its images and the compare command of each.")
    {
        Parameters =
        [
            new KernelDirectiveParameter("--model", "The model (default: the most accurate).")
                .AddCompletions(CnncDirectives.ModelNames),
            new KernelDirectiveParameter("--root", "Drill down into one root class: its classes, plus a column for predictions in other roots.")
                .AddCompletions(CnncDirectives.RootNames),
            new KernelDirectiveParameter("--normalise", "Row shares (each true class sums to 1) instead of counts.") { Flag = true },
            AnalysisCsv.Parameter(),
            CnncDirectives.InlinePlotly(),
        ],
    };

    public static Task Run(CnncConfusionCommand command, KernelInvocationContext context)
    {
        var view = ConfusionView.Compute(Notebook.Study, new ConfusionOptions
        {
            Model = command.Model is { Length: > 0 } m ? m : null,
            Root = command.Root is { Length: > 0 } r ? r : null,
            Normalise = command.Normalise,
        });
        return AnalysisCsv.Show(context, view, view.CsvFiles(), command.Csv, command.InlinePlotly);
    }
}

/// <summary><c>#!cnnc significance</c>: are the models' accuracies different?</summary>
public sealed class CnncSignificanceCommand : CnncDirectiveCommand
{
    public double? Alpha { get; set; }
    public string? Csv { get; set; }
    public bool InlinePlotly { get; set; }
}

internal static class SignificanceDirective
{
    public static KernelActionDirective Definition => new("significance",
        "Pairwise McNemar exact p-values (models by accuracy), the models not distinguishable from the best at α (Holm), bootstrap 95 % intervals of accuracy.")
    {
        Parameters =
        [
            new KernelDirectiveParameter("--alpha", "Significance level in (0, 1) (default 0.05).")
                .AddCompletions(() => new[] { "0.05", "0.01", "0.1" }),
            AnalysisCsv.Parameter(),
            CnncDirectives.InlinePlotly(),
        ],
    };

    public static Task Run(CnncSignificanceCommand command, KernelInvocationContext context)
    {
        var view = SignificanceView.Compute(Notebook.Study, command.Alpha ?? 0.05);
        return AnalysisCsv.Show(context, view, view.CsvFiles(), command.Csv, command.InlinePlotly);
    }
}

/// <summary><c>#!cnnc calibration</c>: how well the models' confidences match their accuracy.</summary>
public sealed class CnncCalibrationCommand : CnncDirectiveCommand
{
    public string? Pin { get; set; }
    public string? Csv { get; set; }
    public bool InlinePlotly { get; set; }
}

internal static class CalibrationDirective
{
    public static KernelActionDirective Definition => new("calibration",
        "Reliability diagram of every model (pinned model highlighted) and the diagonal; ECE, MCE, mean confidence and accuracy per model, sorted by ECE.")
    {
        Parameters =
        [
            new KernelDirectiveParameter("--pin", "Model highlighted (default: the most accurate).")
                .AddCompletions(CnncDirectives.ModelNames),
            AnalysisCsv.Parameter(),
            CnncDirectives.InlinePlotly(),
        ],
    };

    public static Task Run(CnncCalibrationCommand command, KernelInvocationContext context)
    {
        var view = CalibrationView.Compute(Notebook.Study, command.Pin);
        return AnalysisCsv.Show(context, view, view.CsvFiles(), command.Csv, command.InlinePlotly);
    }
}

/// <summary><c>#!cnnc agreement</c>: do the models agree, and do their errors coincide?</summary>
public sealed class CnncAgreementCommand : CnncDirectiveCommand
{
    public string? Csv { get; set; }
    public bool InlinePlotly { get; set; }
}

internal static class AgreementDirective
{
    public static KernelActionDirective Definition => new("agreement",
        $"Pairwise agreement and Cohen's kappa of the predictions; error overlap: models right per image, images wrong for all and right for exactly one (per model), a gallery of the first {AgreementView.DefaultHardCap} images hard for everyone.")
    {
        Parameters = [AnalysisCsv.Parameter(), CnncDirectives.InlinePlotly()],
    };

    public static Task Run(CnncAgreementCommand command, KernelInvocationContext context)
    {
        var view = AgreementView.Compute(Notebook.Study);
        return AnalysisCsv.Show(context, view, view.CsvFiles(), command.Csv, command.InlinePlotly);
    }
}

/// <summary><c>--csv FOLDER</c> of the analysis directives: the records' CSV files.</summary>
internal static class AnalysisCsv
{
    public static KernelDirectiveParameter Parameter() =>
        new("--csv", "Also write the view's tables as CSV files into this folder (created if needed).");

    /// <summary>Writes the CSV files when <paramref name="folder"/> is given, then displays the view.</summary>
    public static Task Show(KernelInvocationContext context, object view, IReadOnlyDictionary<string, string> files, string? folder,
        bool inlinePlotly)
    {
        if (folder is { Length: > 0 })
            KernelInvocationContextExtensions.Display(context, "Wrote " + string.Join(", ", AnalysisCsvFiles.Write(folder, files)), "text/plain");
        if (inlinePlotly) PlotlyJs.ResetNotebook();
        context.Display(view, "text/html", "text/plain");
        return Task.CompletedTask;
    }
}
