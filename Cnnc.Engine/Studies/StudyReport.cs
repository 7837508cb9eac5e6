namespace Cnnc.Engine.Studies;

/// <summary>
/// What a standalone report holds: always the study and the Phase-1 overview; a compare section when
/// <see cref="CompareClass"/> is set; an inspect section when <see cref="InspectModel"/> and <see cref="InspectClasses"/>
/// are set. Defaults are the notebook commands' defaults (<see cref="StudyDefaults"/>).
/// </summary>
public sealed record ReportOptions
{
    /// <summary>Title of the page. Default "CNNC report".</summary>
    public string Title { get; init; } = "CNNC report";

    /// <summary>x axis of A1. Default parameters.</summary>
    public ComplexityMeasure Complexity { get; init; } = ComplexityMeasure.Parameters;

    /// <summary>Model pinned at first in the overview. Default: the most accurate.</summary>
    public string? Pin { get; init; }

    /// <summary>Class of the compare section (paper 6.1). Default none: no compare section.</summary>
    public string? CompareClass { get; init; }

    /// <summary>Models compared. Default: every study model.</summary>
    public IReadOnlyList<string>? CompareModels { get; init; }

    /// <summary>Dataset index of the compared image. Default: the class's first image.</summary>
    public int? CompareImage { get; init; }

    /// <summary>Explainer of the compare section. Default <see cref="StudyDefaults.CompareMethod"/>.</summary>
    public string CompareMethod { get; init; } = StudyDefaults.CompareMethod;

    /// <summary>Model of the inspect section (paper 6.2). Default none: no inspect section.</summary>
    public string? InspectModel { get; init; }

    /// <summary>Classes of the inspect section.</summary>
    public IReadOnlyList<string>? InspectClasses { get; init; }

    /// <summary>Explainer of the inspect section. Default <see cref="StudyDefaults.InspectMethod"/>.</summary>
    public string? InspectMethod { get; init; }

    /// <summary>Rows of the inspect section. Default <see cref="StudyDefaults.PageRows"/>.</summary>
    public int InspectRows { get; init; } = StudyDefaults.PageRows;

    /// <summary>Contour / ROI / CIH threshold. Default <see cref="StudyDefaults.Threshold"/>.</summary>
    public double Threshold { get; init; } = StudyDefaults.Threshold;

    /// <summary>
    /// Whether the report has the beyond-accuracy sections (confusion of the pinned model, significance, calibration,
    /// agreement), as the notebook's <c>#!cnnc confusion</c>, <c>significance</c>, <c>calibration</c> and
    /// <c>agreement</c> show them with their defaults. Default true.
    /// </summary>
    public bool Analyses { get; init; } = true;

    /// <summary>Throws when the options contradict each other.</summary>
    public ReportOptions Validate()
    {
        if ((InspectModel is null) != (InspectClasses is null or { Count: 0 }))
            throw new ArgumentException("An inspect section needs both a model and at least one class.");
        if (InspectRows < 1) throw new ArgumentException($"Inspect rows must be at least 1 (got {InspectRows}).");
        if (!(Threshold is >= 0 and <= 1)) throw new ArgumentException($"Threshold must be in [0, 1] (got {Threshold}).");
        return this;
    }
}

/// <summary>The records a standalone report shows, in order (a view writes them as one offline page).</summary>
/// <param name="Title">Title of the page.</param>
/// <param name="Summary">The study.</param>
/// <param name="Overview">Phase 1.</param>
/// <param name="Comparison">The compare section, or null.</param>
/// <param name="Inspection">The inspect section, or null.</param>
public sealed record StudyReport(string Title, StudySummary Summary, Overview Overview, Comparison? Comparison, Inspection? Inspection)
{
    /// <summary>The confusion section (the pinned model), or null (<see cref="ReportOptions.Analyses"/>).</summary>
    public ConfusionView? Confusion { get; init; }

    /// <summary>The significance section, or null.</summary>
    public SignificanceView? Significance { get; init; }

    /// <summary>The calibration section, or null.</summary>
    public CalibrationView? Calibration { get; init; }

    /// <summary>The agreement section, or null.</summary>
    public AgreementView? Agreement { get; init; }

    internal static StudyReport Compute(Study study, ReportOptions options, CancellationToken cancellationToken)
    {
        options.Validate();
        var summary = study.Summary($"{study.Models.Count} models");
        var overview = study.Overview(new OverviewOptions { Complexity = options.Complexity, Pin = options.Pin }, cancellationToken);
        Comparison? comparison = null;
        if (options.CompareClass is { } compareClass)
        {
            cancellationToken.ThrowIfCancellationRequested();
            comparison = study.Compare(new CompareOptions
            {
                Class = compareClass, Models = options.CompareModels, Image = options.CompareImage, Method = options.CompareMethod,
                Threshold = options.Threshold,
            }, cancellationToken: cancellationToken);
        }
        Inspection? inspection = null;
        if (options.InspectModel is { } inspectModel)
        {
            cancellationToken.ThrowIfCancellationRequested();
            inspection = study.Inspect(new InspectOptions
            {
                Model = inspectModel, Classes = options.InspectClasses!, Method = options.InspectMethod, Threshold = options.Threshold,
                Rows = options.InspectRows,
            }, cancellationToken: cancellationToken);
        }
        var report = new StudyReport(options.Title, summary, overview, comparison, inspection);
        if (!options.Analyses) return report;
        cancellationToken.ThrowIfCancellationRequested();
        return report with
        {
            Confusion = ConfusionView.Compute(study, new ConfusionOptions { Model = overview.PinnedModel }),
            Significance = SignificanceView.Compute(study),
            Calibration = CalibrationView.Compute(study, overview.PinnedModel),
            Agreement = AgreementView.Compute(study),
        };
    }
}
