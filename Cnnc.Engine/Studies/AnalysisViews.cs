using Cnnc.Engine.Analysis;
using Cnnc.Engine.Evaluation;
using Cnnc.Engine.Rendering;

namespace Cnnc.Engine.Studies;

/// <summary>What <see cref="ConfusionView.Compute"/> shows.</summary>
public sealed record ConfusionOptions
{
    /// <summary>Model. Default: the most accurate (the overview's default pin).</summary>
    public string? Model { get; init; }

    /// <summary>Drill down into this root: its classes × its classes plus "other roots". Default: none.</summary>
    public string? Root { get; init; }

    /// <summary>Row-normalised values instead of counts.</summary>
    public bool Normalise { get; init; }

    /// <summary>Above this many classes the view starts at the root × root matrix (drill down with <see cref="Root"/>).</summary>
    public int ClassMatrixUpTo { get; init; } = 40;

    /// <summary>Off-diagonal cells whose images are embedded as thumbnails (the largest counts first).</summary>
    public int ThumbnailCells { get; init; } = 24;

    /// <summary>Images listed (and, for the <see cref="ThumbnailCells"/>, embedded) per cell.</summary>
    public int ImagesPerCell { get; init; } = 8;
}

/// <summary>One image of a confusion cell.</summary>
/// <param name="Index">Dataset index.</param>
/// <param name="TrueClass">Its class (the one <c>compare --class</c> takes).</param>
/// <param name="Predicted">The model's prediction.</param>
/// <param name="Png">Thumbnail, or null where the cell's images are not embedded.</param>
public sealed record CellImage(int Index, string TrueClass, string Predicted, PngImage? Png);

/// <summary>A non-empty cell of the shown table with its first images.</summary>
/// <param name="Row">Row in <see cref="ConfusionView.Table"/>.</param>
/// <param name="Column">Column in <see cref="ConfusionView.Table"/>.</param>
/// <param name="Count">Images in the cell.</param>
/// <param name="Images">The first <see cref="ConfusionOptions.ImagesPerCell"/> of them, ascending.</param>
/// <param name="Thumbnails">Whether <see cref="CellImage.Png"/> is set (one of the largest off-diagonal cells).</param>
public sealed record ConfusionCell(int Row, int Column, int Count, IReadOnlyList<CellImage> Images, bool Thumbnails);

/// <summary>
/// The confusion view of one model (<c>#!cnnc confusion</c>): the engine's <see cref="ModelConfusion"/>, the table shown
/// (classes ordered by root; the root × root table for many classes; a root's drill-down), and the listed images of
/// every non-empty cell, thumbnails for the largest off-diagonal ones.
/// </summary>
/// <param name="Dataset">Dataset name.</param>
/// <param name="Confusion">The engine's record.</param>
/// <param name="Table">The table drawn.</param>
/// <param name="Level">"classes", "roots" or "root" (a drill-down into <see cref="Root"/>).</param>
/// <param name="Root">The drilled-down root, or null.</param>
/// <param name="Normalised">Row-normalised values.</param>
/// <param name="Spans">Root blocks of the table's rows and columns (class level only; empty otherwise).</param>
/// <param name="Cells">Non-empty cells.</param>
/// <param name="Options">The options used.</param>
public sealed record ConfusionView(string Dataset, ModelConfusion Confusion, ConfusionTable Table, string Level, string? Root,
    bool Normalised, IReadOnlyList<RootSpan> Spans, IReadOnlyList<ConfusionCell> Cells, ConfusionOptions Options)
{
    /// <summary>The view's CSV files by name: the shown table (counts or row shares) and the per-class scores.</summary>
    public IReadOnlyDictionary<string, string> CsvFiles()
    {
        var model = AnalysisCsvFiles.Safe(Confusion.Model);
        var table = Level == "root" ? "root-" + AnalysisCsvFiles.Safe(Root!) : Level;
        return new Dictionary<string, string>
        {
            [$"confusion-{model}-{table}{(Normalised ? "-normalised" : "")}.csv"] = Table.ToCsv(Normalised),
            [$"confusion-{model}-scores.csv"] = Confusion.ScoresCsv(),
        };
    }

    /// <summary>The confusion view of a study model.</summary>
    public static ConfusionView Compute(Study study, ConfusionOptions? options = null)
    {
        options ??= new ConfusionOptions();
        var (models, entries) = AnalysisInputs.Of(study);
        var model = options.Model is { Length: > 0 } m ? study.Model(m).Name : AnalysisInputs.MostAccurate(models, entries);
        var entry = entries[models.IndexOf(model)];
        var hierarchy = study.Hierarchy;
        var confusion = study.Confusion(model);
        string? root = null;
        if (options.Root is { Length: > 0 } r)
            root = hierarchy.Roots.FirstOrDefault(x => x.Equals(r, StringComparison.OrdinalIgnoreCase))
                   ?? throw new ArgumentException($"Unknown root class '{r}'. Root classes: {string.Join(", ", hierarchy.Roots)}.");
        var classes = hierarchy.ClassCount;
        string level;
        ConfusionTable table;
        Func<int, int> rowOf, columnOf;
        IReadOnlyList<RootSpan> spans = Array.Empty<RootSpan>();
        if (root is not null)
        {
            level = "root";
            table = confusion.DrillDown(root);
            var span = confusion.RootSpans.First(s => s.Root == root);
            var position = new Dictionary<int, int>();
            for (var k = 0; k < span.Count; k++) position[confusion.ClassOrder[span.Start + k]] = k;
            rowOf = c => position.TryGetValue(c, out var k) ? k : -1;
            columnOf = c => position.TryGetValue(c, out var k) ? k : span.Count;
        }
        else if (classes > options.ClassMatrixUpTo)
        {
            level = "roots";
            table = confusion.Roots;
            rowOf = columnOf = hierarchy.RootOf;
        }
        else
        {
            level = "classes";
            table = confusion.ClassesByRoot();
            spans = confusion.RootSpans;
            var position = new int[classes];
            for (var k = 0; k < classes; k++) position[confusion.ClassOrder[k]] = k;
            rowOf = columnOf = c => position[c];
        }

        // Every readable image into its cell of the shown table (the first few of each kept).
        var lists = new Dictionary<(int, int), List<int>>();
        for (var i = 0; i < entry.Labels.Length; i++)
        {
            if (!entry.Readable[i]) continue;
            var row = rowOf((int)entry.Labels[i]);
            if (row < 0) continue;
            var key = (row, columnOf((int)entry.Predictions[i]));
            if (!lists.TryGetValue(key, out var list)) lists[key] = list = new List<int>();
            if (list.Count < options.ImagesPerCell) list.Add(i);
        }
        // The off-diagonal cells with the most images get thumbnails (ties: table order).
        var withThumbnails = lists.Keys.Where(k => k.Item1 != k.Item2)
            .OrderByDescending(k => table.Counts[k.Item1][k.Item2]).ThenBy(k => k.Item1).ThenBy(k => k.Item2)
            .Take(options.ThumbnailCells).ToHashSet();
        var dataset = study.Dataset;
        var names = hierarchy.ClassNames;
        var cells = lists.OrderBy(kv => kv.Key.Item1).ThenBy(kv => kv.Key.Item2).Select(kv =>
        {
            var thumbnails = withThumbnails.Contains(kv.Key);
            var images = kv.Value.Select(i =>
            {
                PngImage? png = null;
                if (thumbnails)
                {
                    using var picture = dataset.Load(i);
                    png = Pictures.Image(picture, PictureSize.Strip);
                }
                return new CellImage(i, names[(int)entry.Labels[i]], names[(int)entry.Predictions[i]], png);
            }).ToList();
            return new ConfusionCell(kv.Key.Item1, kv.Key.Item2, table.Counts[kv.Key.Item1][kv.Key.Item2], images, thumbnails);
        }).ToList();
        return new ConfusionView(dataset.Name, confusion, table, level, root, options.Normalise, spans, cells, options);
    }
}

/// <summary>
/// The significance view (<c>#!cnnc significance</c>): McNemar's exact test for every pair of models, the comparison
/// with the best at <see cref="BestComparison.Alpha"/> (Holm), and paired bootstrap intervals of the accuracies.
/// </summary>
/// <param name="Dataset">Dataset name.</param>
/// <param name="Pairwise">The engine's pairwise tests.</param>
/// <param name="Best">Every model against the most accurate, Holm-adjusted.</param>
/// <param name="Intervals">Bootstrap intervals (the engine's defaults: 1,000 resamples, seed 0, 95 %).</param>
/// <param name="Order">Model indices (into <see cref="PairwiseSignificance.Models"/>) by accuracy, highest first.</param>
public sealed record SignificanceView(string Dataset, PairwiseSignificance Pairwise, BestComparison Best, BootstrapResult Intervals,
    IReadOnlyList<int> Order)
{
    /// <summary>The significance view of the study's models at level <paramref name="alpha"/>.</summary>
    public static SignificanceView Compute(Study study, double alpha = 0.05)
    {
        if (!(alpha > 0 && alpha < 1))
            throw new ArgumentException($"--alpha must be a number in (0, 1) (got '{alpha.ToString(System.Globalization.CultureInfo.InvariantCulture)}').");
        study.EnsureModels();
        var pairwise = study.Significance();
        var order = Enumerable.Range(0, pairwise.Models.Count)
            .OrderByDescending(m => double.IsNaN(pairwise.Accuracy[m]) ? double.NegativeInfinity : pairwise.Accuracy[m]).ToList();
        return new SignificanceView(study.Dataset.Name, pairwise, pairwise.AgainstBest(alpha, holm: true), study.Bootstrap(), order);
    }

    /// <summary>The view's CSV files by name: the pairs, the comparison with the best, the intervals.</summary>
    public IReadOnlyDictionary<string, string> CsvFiles() => new Dictionary<string, string>
    {
        ["significance-pairs.csv"] = Pairwise.ToCsv(),
        ["significance-best.csv"] = Best.ToCsv(),
        ["significance-bootstrap.csv"] = Intervals.ToCsv(),
    };
}

/// <summary>
/// The calibration view (<c>#!cnnc calibration</c>): every model's top-label calibration (ECE, MCE, reliability bins),
/// one model pinned.
/// </summary>
/// <param name="Dataset">Dataset name.</param>
/// <param name="Models">Per model, in study order.</param>
/// <param name="Pinned">The highlighted model.</param>
public sealed record CalibrationView(string Dataset, IReadOnlyList<CalibrationSummary> Models, string Pinned)
{
    /// <summary>The calibration of every study model; <paramref name="pin"/> default: the most accurate.</summary>
    public static CalibrationView Compute(Study study, string? pin = null)
    {
        var (models, entries) = AnalysisInputs.Of(study);
        var pinned = pin is { Length: > 0 } p ? study.Model(p).Name : AnalysisInputs.MostAccurate(models, entries);
        return new CalibrationView(study.Dataset.Name, models.Select(m => study.Calibration(m)).ToList(), pinned);
    }

    /// <summary>The models by ECE (lowest first; NaN last), as the table lists them.</summary>
    public IReadOnlyList<CalibrationSummary> ByEce =>
        Models.OrderBy(m => double.IsNaN(m.Ece) ? double.PositiveInfinity : m.Ece).ToList();

    /// <summary>The view's CSV files: every model's reliability bins, and the summary per model.</summary>
    public IReadOnlyDictionary<string, string> CsvFiles()
    {
        var summary = new System.Text.StringBuilder();
        Csv.Row(summary, "model", "ece", "mce", "mean_confidence", "accuracy", "bins", "images");
        foreach (var m in ByEce) Csv.Row(summary, m.Model, m.Ece, m.Mce, m.MeanConfidence, m.Accuracy, m.BinCount, m.Readable);
        var files = new Dictionary<string, string> { ["calibration-summary.csv"] = summary.ToString() };
        foreach (var m in Models) files[$"calibration-{AnalysisCsvFiles.Safe(m.Model)}-bins.csv"] = m.ToCsv();
        return files;
    }
}

/// <summary>One "hard for everyone" image: wrong for every model.</summary>
/// <param name="Index">Dataset index.</param>
/// <param name="TrueClass">Its class.</param>
/// <param name="Predictions">What each model predicted, in study order.</param>
/// <param name="Png">Thumbnail.</param>
public sealed record HardImage(int Index, string TrueClass, IReadOnlyList<string> Predictions, PngImage Png);

/// <summary>
/// The agreement view (<c>#!cnnc agreement</c>): pairwise agreement and Cohen's kappa of the models' predictions, the
/// overlap of their errors, and the first of the images every model gets wrong.
/// </summary>
/// <param name="Dataset">Dataset name.</param>
/// <param name="Predictions">The engine's agreement and kappa matrices.</param>
/// <param name="Errors">The engine's error overlap.</param>
/// <param name="Hard">Thumbnails of the first <paramref name="HardCap"/> images wrong for all.</param>
/// <param name="HardCap">How many "hard for everyone" images are embedded at most.</param>
public sealed record AgreementView(string Dataset, PredictionAgreement Predictions, ErrorOverlap Errors, IReadOnlyList<HardImage> Hard, int HardCap)
{
    /// <summary>Images embedded by default in the "hard for everyone" gallery.</summary>
    public const int DefaultHardCap = 24;

    /// <summary>The agreement view of the study's models.</summary>
    public static AgreementView Compute(Study study, int hardCap = DefaultHardCap)
    {
        var (_, entries) = AnalysisInputs.Of(study);
        var errors = study.ErrorOverlap();
        var names = study.Hierarchy.ClassNames;
        var dataset = study.Dataset;
        var hard = errors.WrongForAll.Take(hardCap).Select(i =>
        {
            using var picture = dataset.Load(i);
            return new HardImage(i, names[(int)entries[0].Labels[i]], entries.Select(e => names[(int)e.Predictions[i]]).ToList(),
                Pictures.Image(picture, PictureSize.Strip));
        }).ToList();
        return new AgreementView(dataset.Name, study.Agreement(), errors, hard, hardCap);
    }

    /// <summary>The view's CSV files: the pairs, the models-right histogram and the listed images.</summary>
    public IReadOnlyDictionary<string, string> CsvFiles() => new Dictionary<string, string>
    {
        ["agreement-pairs.csv"] = Predictions.ToCsv(),
        ["agreement-models-right.csv"] = Errors.ToCsv(),
        ["agreement-images.csv"] = Errors.ImagesCsv(),
    };
}

/// <summary>Writes the analysis views' CSV files (<c>--csv FOLDER</c>).</summary>
public static class AnalysisCsvFiles
{
    /// <summary>Writes <paramref name="files"/> (name → content) into <paramref name="folder"/>; returns the full paths.</summary>
    public static IReadOnlyList<string> Write(string folder, IReadOnlyDictionary<string, string> files)
    {
        Directory.CreateDirectory(folder);
        var paths = new List<string>();
        foreach (var (name, content) in files)
        {
            var path = Path.GetFullPath(Path.Combine(folder, name));
            IO.AtomicFile.WriteAllText(path, content);
            paths.Add(path);
        }
        return paths;
    }

    /// <summary>A name as a file-name part: characters other than letters, digits, '.', '-' and '_' become '_'.</summary>
    public static string Safe(string name) => new(name.Select(c => char.IsLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_').ToArray());
}

/// <summary>The evaluated entries the analysis views read.</summary>
internal static class AnalysisInputs
{
    /// <summary>The study's model names and their entries (every model must be evaluated).</summary>
    public static (List<string> Models, List<StoreEntry> Entries) Of(Study study)
    {
        study.EnsureModels();
        var entries = study.EntriesOf(study.Models);
        return (study.Models.Select(m => m.Name).ToList(), entries);
    }

    /// <summary>The most accurate model (NaN lowest; the first of equals): the overview's default pin.</summary>
    public static string MostAccurate(IReadOnlyList<string> models, IReadOnlyList<StoreEntry> entries)
    {
        var accuracy = entries.Select(e => AccuracyMetrics.Compute(e).Overall is var a && double.IsNaN(a) ? double.NegativeInfinity : a).ToList();
        var best = 0;
        for (var i = 1; i < models.Count; i++)
            if (accuracy[i] > accuracy[best]) best = i;
        return models[best];
    }
}
