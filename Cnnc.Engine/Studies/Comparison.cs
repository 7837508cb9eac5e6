using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;
using Cnnc.Engine.Analysis;
using Cnnc.Engine.Explain;
using Cnnc.Engine.Rendering;
using Cnnc.Engine.Runtime;
using static TorchSharp.torch;

namespace Cnnc.Engine.Studies;

/// <summary>What <see cref="Study.Compare"/> compares (paper 6.1); every default is the notebook's and the CLI's.</summary>
public sealed record CompareOptions
{
    /// <summary>The class to compare the models on (key or display name; required).</summary>
    public required string Class { get; init; }

    /// <summary>Models, in the order shown. Default: every study model, in study order.</summary>
    public IReadOnlyList<string>? Models { get; init; }

    /// <summary>Dataset index of an image of the class. Default: the class's first readable image.</summary>
    public int? Image { get; init; }

    /// <summary>Explanation method. Default <see cref="StudyDefaults.CompareMethod"/>.</summary>
    public string Method { get; init; } = StudyDefaults.CompareMethod;

    /// <summary>Saliency threshold of the contours and the ROI, in [0, 1]. Default <see cref="StudyDefaults.Threshold"/>.</summary>
    public double Threshold { get; init; } = StudyDefaults.Threshold;

    /// <summary>How the models' maps are compared. Default SSIM.</summary>
    public SimilarityRule Rule { get; init; } = SimilarityRule.Ssim;

    /// <summary>Which class the maps explain. Default the predicted one.</summary>
    public ExplainTarget Target { get; init; } = ExplainTarget.Predicted;

    /// <summary>Images of the class shown in the strip (0 or more). Default <see cref="StudyDefaults.StripImages"/>.</summary>
    public int StripImages { get; init; } = StudyDefaults.StripImages;

    /// <summary>Throws when a value is out of range.</summary>
    public CompareOptions Validate()
    {
        Thresholds.Check(Threshold);
        if (StripImages < 0) throw new ArgumentException($"The number of strip images must be at least 0 (got {StripImages}).");
        return this;
    }
}

/// <summary>One image of a class, as a small picture (the class strip of <see cref="Comparison"/>).</summary>
/// <param name="Index">Dataset index.</param>
/// <param name="Item">The dataset's description of the item (file path or e.g. "test[17]").</param>
/// <param name="Png">The image.</param>
public sealed record ClassImage(int Index, string Item, PngImage Png);

/// <summary>
/// One model's row of a comparison (paper Fig. 5 (2-D)). As a table (JSON, a notebook's table data, a data frame) it
/// has the numbers and names only: the picture and the map are left out.
/// </summary>
/// <param name="Model">Model name.</param>
/// <param name="Architecture">Architecture name.</param>
/// <param name="OverallAccuracy">Top-1 accuracy on the whole dataset (from the store).</param>
/// <param name="ClassAccuracy">Accuracy on the compared class (from the store).</param>
/// <param name="TrueClassConfidence">Softmax probability of the ground-truth class on the image (from the store).</param>
/// <param name="GroundTruth">The image's class name.</param>
/// <param name="Prediction">The predicted class name.</param>
/// <param name="PredictionConfidence">Softmax probability of the predicted class.</param>
/// <param name="Correct">Whether the prediction is the ground truth.</param>
/// <param name="ExplainedClass">The class the saliency map explains.</param>
/// <param name="RoiSize">Fraction of the map's pixels with saliency ≥ the threshold (<see cref="Contours.RoiSize"/>).</param>
/// <param name="MeanSaliency">Mean of the [0, 1] saliency map.</param>
/// <param name="Heatmap">Heatmap above the threshold with contour lines over the image.</param>
/// <param name="Map">The saliency map at the model's input resolution.</param>
public sealed record ComparisonRow(
    string Model, string Architecture, double OverallAccuracy, double ClassAccuracy, double TrueClassConfidence,
    string GroundTruth, string Prediction, double PredictionConfidence, bool Correct, string ExplainedClass, double RoiSize,
    double MeanSaliency,
    [property: JsonIgnore, DebuggerBrowsable(DebuggerBrowsableState.Never)] PngImage Heatmap,
    [property: JsonIgnore, DebuggerBrowsable(DebuggerBrowsableState.Never)] Map2D Map);

/// <summary>
/// Several models × one class × one image (paper 6.1, Alice): per model its accuracies, prediction, confidence and the
/// contour view of its explanation; the similarity matrix of the models' saliency maps; the models' accuracy on the
/// class. The views draw it as a sortable, searchable table with the paper's view E beside it; <see cref="ToCsv"/>
/// exports the rows. Made by <see cref="Study.Compare"/>; immutable.
/// </summary>
public sealed class Comparison
{
    internal Comparison(string dataset, string className, int classIndex, string root, int classImageCount,
        IReadOnlyList<ClassImage> classImages, int image, string imageItem, PngImage imagePng, string method, double threshold,
        ExplainTarget target, SimilarityMatrix similarity, IReadOnlyList<ComparisonRow> rows)
    {
        Dataset = dataset;
        ClassName = className;
        ClassIndex = classIndex;
        Root = root;
        ClassImageCount = classImageCount;
        ClassImages = classImages;
        Image = image;
        ImageItem = imageItem;
        ImagePng = imagePng;
        Method = method;
        Threshold = threshold;
        Target = target;
        Similarity = similarity;
        Rows = rows;
    }

    /// <summary>Dataset name.</summary>
    public string Dataset { get; }

    /// <summary>The compared class (display name).</summary>
    public string ClassName { get; }

    /// <summary>Its class index.</summary>
    public int ClassIndex { get; }

    /// <summary>Its root class.</summary>
    public string Root { get; }

    /// <summary>Readable images of the class in the dataset.</summary>
    public int ClassImageCount { get; }

    /// <summary>The first images of the class (the strip), with their dataset indices.</summary>
    public IReadOnlyList<ClassImage> ClassImages { get; }

    /// <summary>Dataset index of the compared image.</summary>
    public int Image { get; }

    /// <summary>The dataset's description of the compared image.</summary>
    public string ImageItem { get; }

    /// <summary>The compared image, large (view E).</summary>
    public PngImage ImagePng { get; }

    /// <summary>Explanation method (canonical name, e.g. "gradcam").</summary>
    public string Method { get; }

    /// <summary>Saliency threshold of the contours and the ROI.</summary>
    public double Threshold { get; }

    /// <summary>Which class the maps explain.</summary>
    public ExplainTarget Target { get; }

    /// <summary>Similarity of the models' saliency maps (labels: model names, in row order).</summary>
    public SimilarityMatrix Similarity { get; }

    /// <summary>One row per model, in the order the models were given.</summary>
    public IReadOnlyList<ComparisonRow> Rows { get; }

    /// <summary>The row of a model (case-insensitive); an unknown name is an error listing the models.</summary>
    public ComparisonRow Row(string model) =>
        Rows.FirstOrDefault(r => r.Model.Equals(model, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"Unknown model '{model}'. Models: {string.Join(", ", Rows.Select(r => r.Model))}.");

    /// <summary>The rows as CSV (RFC 4180, invariant culture, a header row; images left out).</summary>
    public string ToCsv()
    {
        var csv = new StringBuilder();
        Csv.Row(csv, "model", "architecture", "overall_accuracy", "class_accuracy", "true_class_confidence", "ground_truth",
            "prediction", "prediction_confidence", "correct", "explained_class", "roi_size", "mean_saliency", "image", "method", "threshold");
        foreach (var r in Rows)
            Csv.Row(csv, r.Model, r.Architecture, r.OverallAccuracy, r.ClassAccuracy, r.TrueClassConfidence, r.GroundTruth,
                r.Prediction, r.PredictionConfidence, r.Correct, r.ExplainedClass, r.RoiSize, r.MeanSaliency, Image, Method, Threshold);
        return csv.ToString();
    }

    /// <summary>The similarity matrix as CSV: a header of model names, then one row per model.</summary>
    public string SimilarityCsv()
    {
        var csv = new StringBuilder();
        Csv.Row(csv, new object?[] { "model" }.Concat(Similarity.Labels).ToArray());
        for (var i = 0; i < Similarity.Labels.Count; i++)
            Csv.Row(csv, new object?[] { Similarity.Labels[i] }.Concat(Similarity.Values[i].Cast<object?>()).ToArray());
        return csv.ToString();
    }

    public override string ToString() =>
        $"Comparison of {Rows.Count} model{(Rows.Count == 1 ? "" : "s")} on image {Image} ({ClassName}) of {Dataset}, " +
        $"{Method} at threshold {Threshold.ToString(System.Globalization.CultureInfo.InvariantCulture)}: " +
        string.Join(", ", Rows.Select(r => $"{r.Model} → {r.Prediction} ({(r.Correct ? "right" : "wrong")}, ROI {Format.Percent(r.RoiSize)})"));

    /// <summary>The comparison of <paramref name="options"/> in <paramref name="study"/>.</summary>
    internal static Comparison Compute(Study study, CompareOptions options, IProgress<ExplainJobProgress>? progress,
        CancellationToken cancellationToken)
    {
        options.Validate();
        study.EnsureModels();
        var selected = Selection.Models(study, options.Models);
        var explainer = ExplainerCatalog.Create(options.Method);
        var classIndex = study.ResolveClass(options.Class);
        var entries = study.EntriesOf(selected);
        TorchRuntime.Initialize();
        var dataset = study.Dataset;
        var hierarchy = study.Hierarchy;
        var className = hierarchy.ClassNames[classIndex];
        var classImages = Selection.ImagesOf(entries[0], new HashSet<int> { classIndex });
        if (classImages.Count == 0)
            throw new InvalidOperationException($"Class '{className}' has no readable images in {dataset.Name}.");
        var chosen = options.Image ?? classImages[0];
        Selection.CheckImageOfClasses(study, chosen, entries[0], new[] { classIndex }, classImages);

        lock (study.ExplainLock)
        {
            var device = TorchRuntime.DefaultDevice;
            var rows = new List<ComparisonRow>();
            using var raw = dataset.Load(chosen);
            var target = options.Target == ExplainTarget.Label ? classIndex : -1;
            for (var i = 0; i < selected.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var model = selected[i];
                var entry = entries[i];
                progress?.Report(new ExplainJobProgress($"explaining {model.Name}", i, selected.Count));
                var accuracy = AccuracyMetrics.Compute(entry);
                var key = study.KeyOf("compare", model, chosen, explainer.Name, target);
                if (!study.ExplanationCache.TryGet(key, out var explanation))
                {
                    // Precomputed into the store (a cluster array, `cnnc explanations precompute`): read, not recomputed.
                    var stored = study.StoredExplanation(model, chosen, explainer.Name, target >= 0 ? target : (int)entry.Predictions[chosen]);
                    if (stored is not null) explanation = stored;
                    else
                    {
                        var loaded = study.LoadedModels.Get(model.Reference, device);
                        using (NewDisposeScope())
                        {
                            var input = model.Reference.Preprocessing.Apply(raw).unsqueeze(0).to(device);
                            explanation = explainer.ExplainBatch(loaded, input, target >= 0 ? new[] { target } : null,
                                cancellationToken: cancellationToken)[0];
                        }
                    }
                    study.ExplanationCache.Add(key, explanation);
                }
                if (!study.ExplanationCache.TryGet(key, options.Threshold, out var drawing))
                {
                    using (NewDisposeScope())
                    {
                        var contours = Contours.Compute(explanation.Map, options.Threshold);
                        drawing = new ExplanationDrawing(contours.RoiSize, null,
                            Pictures.Overlay(model.Reference.Preprocessing.Geometry(raw), contours));
                    }
                    study.ExplanationCache.Add(key, options.Threshold, drawing);
                }
                var predicted = (int)entry.Predictions[chosen];
                var (trueConfidence, predictedConfidence) = Selection.Confidences(entry, chosen, classIndex, predicted);
                rows.Add(new ComparisonRow(model.Name, model.Architecture, accuracy.Overall, accuracy.PerClass[classIndex].Accuracy,
                    trueConfidence, className, hierarchy.ClassNames[predicted], predictedConfidence, predicted == classIndex,
                    hierarchy.ClassNames[explanation.TargetClass], drawing.RoiSize, Selection.Mean(explanation.Map), drawing.Heatmap,
                    explanation.Map));
            }
            progress?.Report(new ExplainJobProgress("comparing maps", selected.Count, selected.Count));

            var first = rows[0].Map;
            var maps = rows.Select(r => r.Map.Height == first.Height && r.Map.Width == first.Width ? r.Map : r.Map.ResizeBilinear(first.Height, first.Width)).ToList();
            var similarity = MapSimilarity.Matrix(maps, options.Rule, SimilarityTransform.Absolute, rows.Select(r => r.Model).ToList());
            var strip = classImages.Take(options.StripImages).Select(index =>
            {
                using var picture = index == chosen ? raw.alias() : dataset.Load(index);
                return new ClassImage(index, dataset.Describe(index), Pictures.Image(picture, PictureSize.Strip));
            }).ToList();
            return new Comparison(dataset.Name, className, classIndex, hierarchy.RootNameOf(classIndex), classImages.Count, strip,
                chosen, dataset.Describe(chosen), Pictures.Image(raw, PictureSize.Large), explainer.Name, options.Threshold,
                options.Target, similarity, rows);
        }
    }
}

/// <summary>Threshold checks shared by the explanation views.</summary>
internal static class Thresholds
{
    public static void Check(double threshold)
    {
        if (!(threshold >= 0 && threshold <= 1))
            throw new ArgumentException($"The threshold must be in [0, 1] (got {threshold.ToString(CultureInfo.InvariantCulture)}).");
    }
}

/// <summary>Choosing models and images for compare and inspect, with errors that list the valid choices.</summary>
internal static class Selection
{
    /// <summary>The named models in the order given (duplicates once); none named: every model of the study.</summary>
    public static List<StudyModel> Models(Study study, IEnumerable<string>? names)
    {
        var list = names?.ToList() ?? new List<string>();
        if (list.Count == 0) return study.Models.ToList();
        var selected = new List<StudyModel>();
        foreach (var name in list)
        {
            var model = study.Model(name);
            if (!selected.Contains(model)) selected.Add(model);
        }
        return selected;
    }

    /// <summary>Readable dataset indices whose label is in <paramref name="classes"/>, ascending.</summary>
    public static List<int> ImagesOf(Evaluation.StoreEntry entry, IReadOnlySet<int> classes)
    {
        var images = new List<int>();
        for (var i = 0; i < entry.Labels.Length; i++)
            if (entry.Readable[i] && classes.Contains((int)entry.Labels[i])) images.Add(i);
        return images;
    }

    public static void CheckImageOfClasses(Study study, int index, Evaluation.StoreEntry entry, IReadOnlyList<int> classes, IReadOnlyList<int> images)
    {
        var hierarchy = study.Hierarchy;
        if (index < 0 || index >= entry.Labels.Length)
            throw new ArgumentException($"Image {index} is not in {study.Dataset.Name}: indices run from 0 to {entry.Labels.Length - 1}.");
        var label = (int)entry.Labels[index];
        var names = string.Join(" or ", classes.Select(c => $"'{hierarchy.ClassNames[c]}'"));
        if (!classes.Contains(label))
            throw new ArgumentException($"Image {index} is a '{hierarchy.ClassNames[label]}', not {names}: " +
                                        $"pick one of {string.Join(", ", images.Take(5))}{(images.Count > 5 ? ", …" : "")}.");
        if (!entry.Readable[index])
            throw new ArgumentException($"Image {index} ({study.Dataset.Describe(index)}) could not be read when the models were evaluated.");
    }

    public static (double TrueClass, double Predicted) Confidences(Evaluation.StoreEntry entry, int index, int label, int predicted)
    {
        using var scope = NewDisposeScope();
        var row = entry.Probabilities[index];
        return (row[label].item<float>(), row[predicted].item<float>());
    }

    public static double Mean(Map2D map)
    {
        double sum = 0;
        foreach (var v in map.Data) sum += v;
        return sum / map.Length;
    }
}
