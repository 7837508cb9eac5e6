using Cnnc.Engine.Analysis;
using Cnnc.Engine.Explain;
using Cnnc.Engine.Studies;
using Cnnc.Interactive.Views;
using Cnnc.Views;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Directives;

namespace Cnnc.Interactive.Directives;

/// <summary><c>#!cnnc inspect</c>: one model × one or more classes, a page of images with CIHs (paper 6.2).</summary>
public sealed class CnncInspectCommand : CnncDirectiveCommand
{
    public string? Model { get; set; }
    public string? Classes { get; set; }
    public string? Method { get; set; }
    public double? Threshold { get; set; }
    public int? Page { get; set; }
    public int? Rows { get; set; }
    public int? SortByCih { get; set; }
    public string? Distance { get; set; }
    public string? Target { get; set; }
    public bool InlinePlotly { get; set; }
}

internal static class InspectDirective
{
    public static KernelActionDirective Definition => new("inspect",
        "Phase 2/3 (paper 6.2): one model × one or more classes: a page of images with label, prediction, confidence, heatmap with contours, ROI size and colour-intensity histogram (sortable, searchable, sort by CIH distance to any row).")
    {
        Parameters =
        [
            new KernelDirectiveParameter("--model", "The model to inspect (required).")
                .AddCompletions(CnncDirectives.ModelNames),
            new KernelDirectiveParameter("--classes", "Classes, comma-separated (required).")
                .AddCompletions(CnncDirectives.ClassNames),
            new KernelDirectiveParameter("--method",
                    $"Explanation method (default smoothgradcam++ for inputs up to {StudyDefaults.SmoothGradCamMaxInputSide} px, as the zoo's; gradcam for larger).")
                .AddCompletions(() => ExplainerCatalog.Names),
            new KernelDirectiveParameter("--threshold", $"Saliency threshold of the contours, the ROI and the CIH, in [0, 1] (default {StudyDefaults.Threshold}).")
                .AddCompletions(() => new[] { "0.3", "0.5", "0.7" }),
            new KernelDirectiveParameter("--page", "Page of the classes' images, from 1 (default 1).")
                .AddCompletions(() => new[] { "1", "2", "3" }),
            new KernelDirectiveParameter("--rows", $"Rows per page (default {StudyDefaults.PageRows}).")
                .AddCompletions(() => new[] { "20", "50", "100" }),
            new KernelDirectiveParameter("--sort-by-cih", "Dataset index of one of the classes' images: order the rows by CIH distance to it (shown first)."),
            new KernelDirectiveParameter("--distance", "CIH distance: chisquare (default) or intersection.")
                .AddCompletions(() => new[] { "chisquare", "intersection" }),
            new KernelDirectiveParameter("--target", "Class the maps explain: predicted (default) or label.")
                .AddCompletions(() => new[] { "predicted", "label" }),
            CnncDirectives.InlinePlotly(),
        ],
    };

    public static async Task Run(CnncInspectCommand command, KernelInvocationContext context)
    {
        var study = Notebook.Study;
        var options = new InspectOptions
        {
            Model = study.Model(Choices.Required(command.Model, "--model", "a model, e.g. --model resnet18")).Name,
            Classes = Choices.List(Choices.Required(command.Classes, "--classes", "one or more classes, e.g. --classes Sneaker,Sandal")),
            Method = Choices.Method(command.Method),
            Threshold = Choices.Threshold(command.Threshold),
            Page = Choices.Positive(command.Page, "--page") ?? 1,
            Rows = Choices.Positive(command.Rows, "--rows") ?? StudyDefaults.PageRows,
            SortByCih = Choices.Index(command.SortByCih, "--sort-by-cih"),
            Distance = Choices.Word(command.Distance, "--distance", HistogramDistance.ChiSquare,
                (["chisquare", "chi-square", "chi2"], HistogramDistance.ChiSquare), (["intersection"], HistogramDistance.Intersection)),
            Target = CompareDirective.Target(command.Target),
        };
        var (inspection, displayed) = await JobStatus.Run<ExplainJobProgress, Inspection>(context,
            (progress, state) => new ExplainStatus("inspect", progress, state), TimeSpan.FromMilliseconds(500),
            (progress, token) => study.InspectAsync(options, progress, token));
        if (command.InlinePlotly) PlotlyJs.ResetNotebook();
        displayed.Update(inspection);
    }
}
