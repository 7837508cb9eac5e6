using Cnnc.Engine.Explain;

namespace Cnnc.Engine.Studies;

/// <summary>
/// Every default of a study in one place: where the store is, which explainers and thresholds the views use, how many
/// rows and images they show, and how much a study keeps in memory. The CLI and the notebook read them from here.
/// </summary>
public static class StudyDefaults
{
    /// <summary>Predictions store: <c>$CNNC_STORE</c>, else <c>~/.cache/cnnc/store</c>.</summary>
    public static string StorePath =>
        Environment.GetEnvironmentVariable("CNNC_STORE") is { Length: > 0 } store
            ? store
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "cnnc", "store");

    /// <summary>Images per forward pass when evaluating.</summary>
    public const int BatchSize = 64;

    /// <summary>
    /// The explainers view D uses by default: the paper's five without BBMP, whose 300 optimisation steps take
    /// seconds per model even at zoo scale (add it with <c>paper</c>, or name methods).
    /// </summary>
    public static IReadOnlyList<string> Explainers { get; } = new[] { "gradcam", "gradcam++", "smoothgradcam++", "scorecam" };

    /// <summary>The paper's five explainers (Grad-CAM, Grad-CAM++, Smooth Grad-CAM++, Score-CAM, BBMP).</summary>
    public static IReadOnlyList<string> PaperExplainers { get; } = ExplainerCatalog.Names.Take(5).ToArray();

    /// <summary>
    /// The accuracy intervals the overview draws (A1's error bars, A2's hover, the models table): 1,000 paired
    /// resamples of the images, seed 0, 95 % percentile intervals.
    /// </summary>
    public static Analysis.BootstrapOptions Bootstrap { get; } = new();

    /// <summary>Saliency threshold of contours, ROI sizes and colour histograms.</summary>
    public const double Threshold = 0.5;

    /// <summary>Classes per group in the overview's view E.</summary>
    public const int SpotlightCount = 3;

    /// <summary>Method of a comparison: Grad-CAM, Alice's choice in the paper (6.1).</summary>
    public const string CompareMethod = "gradcam";

    /// <summary>Images of the class shown in the strip of a comparison.</summary>
    public const int StripImages = 12;

    /// <summary>Rows of a page of an inspection.</summary>
    public const int PageRows = 50;

    /// <summary>Largest input side at which <see cref="InspectMethod"/> picks Smooth Grad-CAM++.</summary>
    public const int SmoothGradCamMaxInputSide = 64;

    /// <summary>
    /// Method of an inspection: Smooth Grad-CAM++ (Bob's choice in the paper, 6.2) for models with inputs up to
    /// <see cref="SmoothGradCamMaxInputSide"/> pixels, else Grad-CAM (Smooth Grad-CAM++ runs 25 noisy passes an image;
    /// BENCHMARKS.md has the times).
    /// </summary>
    public static string InspectMethod(int inputSize) => inputSize <= SmoothGradCamMaxInputSide ? "smoothgradcam++" : "gradcam";

    /// <summary>Parameters (all loaded models together) that a study keeps loaded between explanation calls.</summary>
    public const long LoadedModelBudget = 200_000_000;

    /// <summary>Memory the explanation cache may hold (about): 64 MB, e.g. ~300 explanations at 224×224.</summary>
    public const long ExplanationCacheBytes = 64L << 20;

    /// <summary>
    /// Explainer names from a comma-separated list: method names as <see cref="ExplainerCatalog"/> accepts them,
    /// <c>default</c>, <c>paper</c> (the paper's five) or <c>all</c> (every built-in method); duplicates dropped. Empty:
    /// <see cref="Explainers"/>. An unknown name is an error listing the known ones.
    /// </summary>
    public static IReadOnlyList<string> ParseExplainers(string? list)
    {
        var names = new List<string>();
        foreach (var item in (list ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var expanded = item.ToLowerInvariant() switch
            {
                "default" => Explainers,
                "paper" => PaperExplainers,
                "all" => ExplainerCatalog.Names,
                _ => new[] { ExplainerCatalog.Create(item).Name },
            };
            foreach (var name in expanded)
                if (!names.Contains(name)) names.Add(name);
        }
        return names.Count == 0 ? Explainers : names;
    }

    /// <summary>The same for a list of names (null or empty: <see cref="Explainers"/>).</summary>
    public static IReadOnlyList<string> ParseExplainers(IEnumerable<string>? names) =>
        ParseExplainers(names is null ? null : string.Join(",", names));
}
