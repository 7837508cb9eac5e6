using System.Globalization;
using Cnnc.Engine.Analysis;
using Cnnc.Engine.Evaluation;
using Cnnc.Engine.Explain;
using Cnnc.Engine.Models;
using Cnnc.Engine.Runtime;
using Cnnc.Interactive.Html;
using static TorchSharp.torch;

namespace Cnnc.Interactive;

// Phase 2/3 of the paper (model investigation & comparison, section 5.3): #!cnnc compare and #!cnnc inspect.
public sealed partial class CnncSession
{
    /// <summary>Default method of <see cref="Compare"/>: Grad-CAM, Alice's choice in the paper (6.1).</summary>
    public const string DefaultCompareMethod = "gradcam";

    /// <summary>Images of the class shown in the strip of a comparison.</summary>
    public const int DefaultStripImages = 12;

    /// <summary>Rows of the first page of an inspection.</summary>
    public const int DefaultPageRows = 50;

    /// <summary>Largest input side at which <see cref="DefaultInspectMethod"/> picks Smooth Grad-CAM++.</summary>
    public const int SmoothGradCamMaxInputSide = 64;

    /// <summary>
    /// Default method of <see cref="Inspect"/>: Smooth Grad-CAM++ (Bob's choice in the paper, 6.2) for models with
    /// inputs up to <see cref="SmoothGradCamMaxInputSide"/> pixels (the zoo: about 20–60 ms an image on 2 cores), else
    /// Grad-CAM (Smooth Grad-CAM++ runs 25 noisy passes: about a second an image at 224×224 on 2 cores).
    /// </summary>
    public static string DefaultInspectMethod(SessionModel model) =>
        model.Reference.Options.InputSize <= SmoothGradCamMaxInputSide ? "smoothgradcam++" : "gradcam";

    /// <summary>
    /// Paper 6.1 (Alice): several models × one class × one image. For each model (default: every session model, in
    /// session order) its overall and class accuracy, prediction and confidence on the image (from the store), and its
    /// explanation by <paramref name="method"/> as a heatmap with contours at <paramref name="threshold"/> with its ROI
    /// size; the similarity matrix of the models' maps under <paramref name="rule"/>; the first
    /// <paramref name="stripImages"/> images of the class. The image defaults to the class's first (readable) image;
    /// one given must be of that class. Every model must have been evaluated. One explainer call per model, checked for
    /// cancellation between and inside them. Models stay loaded for the next call (see <see cref="ReleaseModels"/>).
    /// </summary>
    public Comparison Compare(string @class, IEnumerable<string>? models = null, int? image = null,
        string method = DefaultCompareMethod, double threshold = 0.5, SimilarityRule rule = SimilarityRule.Ssim,
        ExplainTarget target = ExplainTarget.Predicted, int stripImages = DefaultStripImages,
        IProgress<ExplainJobProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        lock (_explainLock) return CompareLocked(@class, models, image, method, threshold, rule, target, stripImages, progress, cancellationToken);
    }

    private Comparison CompareLocked(string @class, IEnumerable<string>? models, int? image, string method, double threshold,
        SimilarityRule rule, ExplainTarget target, int stripImages, IProgress<ExplainJobProgress>? progress, CancellationToken cancellationToken)
    {
        CheckThreshold(threshold);
        if (stripImages < 0) throw new ArgumentException($"The number of strip images must be at least 0 (got {stripImages}).");
        EnsureModels();
        var selected = SelectModels(models);
        var explainer = ExplainerCatalog.Create(method);
        var classIndex = ResolveClass(@class);
        var entries = EntriesOf(selected);
        TorchRuntime.Initialize();
        var hierarchy = Hierarchy;
        var className = hierarchy.ClassNames[classIndex];
        var classImages = ImagesOf(entries[0], new HashSet<int> { classIndex });
        if (classImages.Count == 0)
            throw new InvalidOperationException($"Class '{className}' has no readable images in {Dataset.Name}.");
        var chosen = image ?? classImages[0];
        CheckImageOfClasses(chosen, entries[0], new[] { classIndex }, classImages);

        var device = TorchRuntime.DefaultDevice;
        var rows = new List<ComparisonRow>();
        using var raw = Dataset.Load(chosen);
        for (var i = 0; i < selected.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var model = selected[i];
            var entry = entries[i];
            progress?.Report(new ExplainJobProgress($"explaining {model.Name}", i, selected.Count));
            var accuracy = AccuracyMetrics.Compute(entry);
            var key = KeyOf("compare", model, chosen, explainer.Name, target == ExplainTarget.Label ? classIndex : -1);
            if (!_explanations.TryGet(key, out var explanation))
            {
                var loaded = Loaded(model, device);
                using (NewDisposeScope())
                {
                    var input = model.Reference.Preprocessing.Apply(raw).unsqueeze(0).to(device);
                    explanation = explainer.ExplainBatch(loaded, input, target == ExplainTarget.Label ? new[] { classIndex } : null,
                        cancellationToken: cancellationToken)[0];
                }
                _explanations.Add(key, explanation);
            }
            if (!_explanations.TryGet(key, threshold, out var drawing))
            {
                using (NewDisposeScope())
                {
                    var contours = Contours.Compute(explanation.Map, threshold);
                    drawing = new ExplanationDrawing(contours.RoiSize, null, Pictures.Overlay(model.Reference.Preprocessing.Geometry(raw), contours));
                }
                _explanations.Add(key, threshold, drawing);
            }
            var predicted = (int)entry.Predictions[chosen];
            var (trueConfidence, predictedConfidence) = Confidences(entry, chosen, classIndex, predicted);
            rows.Add(new ComparisonRow(model.Name, model.Architecture, accuracy.Overall, accuracy.PerClass[classIndex].Accuracy,
                trueConfidence, className, hierarchy.ClassNames[predicted], predictedConfidence, predicted == classIndex,
                hierarchy.ClassNames[explanation.TargetClass], drawing.RoiSize, Mean(explanation.Map), drawing.Heatmap, explanation.Map));
        }
        progress?.Report(new ExplainJobProgress("comparing maps", selected.Count, selected.Count));

        var first = rows[0].Map;
        var maps = rows.Select(r => r.Map.Height == first.Height && r.Map.Width == first.Width ? r.Map : r.Map.ResizeBilinear(first.Height, first.Width)).ToList();
        var similarity = MapSimilarity.Matrix(maps, rule, SimilarityTransform.Absolute, rows.Select(r => r.Model).ToList());
        var strip = classImages.Take(stripImages).Select(index =>
        {
            using var picture = index == chosen ? raw.alias() : Dataset.Load(index);
            return new ClassImage(index, Dataset.Describe(index), Pictures.Image(picture, Pictures.StripSide));
        }).ToList();
        return new Comparison(Dataset.Name, className, classIndex, hierarchy.RootNameOf(classIndex), classImages.Count, strip,
            chosen, Dataset.Describe(chosen), Pictures.Image(raw, Pictures.LargeSide), explainer.Name, threshold, target, similarity, rows);
    }

    /// <summary>
    /// Paper 6.2 (Bob): one model × one or more classes. The classes' readable images in dataset order, page
    /// <paramref name="page"/> (1-based) of <paramref name="rows"/>: per image its label, the model's prediction and
    /// confidence (from the store), its explanation by <paramref name="method"/> (default
    /// <see cref="DefaultInspectMethod"/>) as a heatmap with contours, its ROI size, and the colour-intensity histogram
    /// (CIH) of the image where saliency ≥ <paramref name="threshold"/>. With <paramref name="sortByCih"/> (a dataset index
    /// of one of the classes' images; explained too when not on the page, and shown first) the rows are ordered by CIH
    /// distance to that image. The page is explained in one batched call. The model must have been evaluated.
    /// </summary>
    public Inspection Inspect(string model, IEnumerable<string> classes, string? method = null, double threshold = 0.5,
        int page = 1, int rows = DefaultPageRows, int? sortByCih = null, HistogramDistance distance = HistogramDistance.ChiSquare,
        ExplainTarget target = ExplainTarget.Predicted, IProgress<ExplainJobProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        lock (_explainLock) return InspectLocked(model, classes, method, threshold, page, rows, sortByCih, distance, target, progress, cancellationToken);
    }

    private Inspection InspectLocked(string model, IEnumerable<string> classes, string? method, double threshold, int page, int rows,
        int? sortByCih, HistogramDistance distance, ExplainTarget target, IProgress<ExplainJobProgress>? progress,
        CancellationToken cancellationToken)
    {
        CheckThreshold(threshold);
        if (page < 1) throw new ArgumentException($"The page must be at least 1 (got {page}).");
        if (rows < 1) throw new ArgumentException($"The rows per page must be at least 1 (got {rows}).");
        EnsureModels();
        var sessionModel = Model(model);
        var explainer = ExplainerCatalog.Create(method ?? DefaultInspectMethod(sessionModel));
        var classIndices = (classes ?? throw new ArgumentNullException(nameof(classes))).Select(ResolveClass).Distinct().ToList();
        if (classIndices.Count == 0) throw new ArgumentException("Give at least one class to inspect.");
        var entry = EntriesOf(new[] { sessionModel })[0];
        TorchRuntime.Initialize();
        var hierarchy = Hierarchy;
        var images = ImagesOf(entry, classIndices.ToHashSet());
        var names = string.Join(", ", classIndices.Select(c => $"'{hierarchy.ClassNames[c]}'"));
        if (images.Count == 0) throw new InvalidOperationException($"{names} {(classIndices.Count == 1 ? "has" : "have")} no readable images in {Dataset.Name}.");
        var pageCount = (images.Count + rows - 1) / rows;
        if (page > pageCount)
            throw new ArgumentException($"Page {page} is past the end: the {images.Count} images of {names} make {pageCount} " +
                                        $"page{(pageCount == 1 ? "" : "s")} of {rows} rows.");
        var pageImages = images.Skip((page - 1) * rows).Take(rows).ToList();
        var batch = pageImages.ToList();
        if (sortByCih is { } reference)
        {
            CheckImageOfClasses(reference, entry, classIndices, images);
            if (!batch.Contains(reference)) batch.Insert(0, reference);
        }

        var accuracy = AccuracyMetrics.Compute(entry);
        var device = TorchRuntime.DefaultDevice;
        var preprocessing = sessionModel.Reference.Preprocessing;
        var result = new List<InspectionRow>();
        cancellationToken.ThrowIfCancellationRequested();
        // Explanations and drawings computed before in this session are reused; the rest of the page is explained in
        // one batched call.
        var keys = batch.Select(i => KeyOf("inspect", sessionModel, i, explainer.Name, target == ExplainTarget.Label ? (int)entry.Labels[i] : -1)).ToList();
        var explanations = new Explanation?[batch.Count];
        for (var k = 0; k < batch.Count; k++)
            if (_explanations.TryGet(keys[k], out var hit)) explanations[k] = hit;
        var missing = Enumerable.Range(0, batch.Count).Where(k => explanations[k] is null).ToList();
        using var pageScope = NewDisposeScope();
        var raws = new Tensor?[batch.Count];
        Tensor Raw(int k) => raws[k] ??= Dataset.Load(batch[k]);
        if (missing.Count > 0)
        {
            progress?.Report(new ExplainJobProgress($"loading {sessionModel.Name}", 0, 1));
            var loaded = Loaded(sessionModel, device);
            using (NewDisposeScope())
            {
                var inputs = preprocessing.Stack(missing.Select(k => Raw(k).MoveToOuterDisposeScope()).ToList()).to(device);
                var targets = target == ExplainTarget.Label ? missing.Select(k => (int)entry.Labels[batch[k]]).ToArray() : null;
                var engineProgress = progress is null ? null : new InlineProgress<ExplainProgress>(p =>
                    progress.Report(new ExplainJobProgress($"explaining {missing.Count} images with {p.Method}", p.Done, p.Total)));
                var computed = explainer.ExplainBatch(loaded, inputs, targets, progress: engineProgress, cancellationToken: cancellationToken);
                for (var m = 0; m < missing.Count; m++)
                {
                    explanations[missing[m]] = computed[m];
                    _explanations.Add(keys[missing[m]], computed[m]);
                }
            }
        }
        progress?.Report(new ExplainJobProgress("drawing", 0, batch.Count));
        for (var k = 0; k < batch.Count; k++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var index = batch[k];
            var e = explanations[k]!;
            if (!_explanations.TryGet(keys[k], threshold, out var drawing) || drawing.Histogram is null)
            {
                using (NewDisposeScope())
                {
                    var geometry = preprocessing.Geometry(Raw(k));
                    var contours = Contours.Compute(e.Map, threshold);
                    drawing = new ExplanationDrawing(contours.RoiSize, ColorHistogram.Compute(geometry, e.Map, threshold),
                        Pictures.Overlay(geometry, contours));
                }
                _explanations.Add(keys[k], threshold, drawing);
            }
            var label = (int)entry.Labels[index];
            var predicted = (int)entry.Predictions[index];
            var (trueConfidence, predictedConfidence) = Confidences(entry, index, label, predicted);
            result.Add(new InspectionRow(index, Dataset.Describe(index), hierarchy.ClassNames[label], hierarchy.ClassNames[predicted],
                predictedConfidence, trueConfidence, predicted == label, hierarchy.ClassNames[e.TargetClass], drawing.RoiSize,
                drawing.Histogram!, null, false, drawing.Heatmap, e.Map));
        }
        IReadOnlyList<InspectionRow> ordered = result;
        if (sortByCih is { } r) ordered = Inspection.OrderByCih(result, result.Single(x => x.Index == r).Histogram, r, distance);
        var classAccuracies = classIndices.Select(c => new ClassAccuracy(c, hierarchy.ClassNames[c], accuracy.PerClass[c].Accuracy,
            accuracy.PerClass[c].Correct, accuracy.PerClass[c].Total)).ToList();
        return new Inspection(Dataset.Name, sessionModel.Name, sessionModel.Architecture, accuracy.Overall, classAccuracies,
            explainer.Name, threshold, target, page, rows, images.Count, sortByCih, distance, ordered);
    }

    /// <summary>Runs <see cref="Compare"/> on a worker thread.</summary>
    public Task<Comparison> CompareAsync(string @class, IEnumerable<string>? models = null, int? image = null,
        string method = DefaultCompareMethod, double threshold = 0.5, SimilarityRule rule = SimilarityRule.Ssim,
        ExplainTarget target = ExplainTarget.Predicted, int stripImages = DefaultStripImages,
        IProgress<ExplainJobProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Task.Run(() => Compare(@class, models, image, method, threshold, rule, target, stripImages, progress, cancellationToken), cancellationToken);

    /// <summary>Runs <see cref="Inspect"/> on a worker thread.</summary>
    public Task<Inspection> InspectAsync(string model, IEnumerable<string> classes, string? method = null, double threshold = 0.5,
        int page = 1, int rows = DefaultPageRows, int? sortByCih = null, HistogramDistance distance = HistogramDistance.ChiSquare,
        ExplainTarget target = ExplainTarget.Predicted, IProgress<ExplainJobProgress>? progress = null,
        CancellationToken cancellationToken = default) =>
        Task.Run(() => Inspect(model, classes, method, threshold, page, rows, sortByCih, distance, target, progress, cancellationToken), cancellationToken);

    /// <summary>
    /// Writes a standalone offline HTML report of this session (<see cref="Report.Build"/>) to <paramref name="path"/>
    /// (atomically) and returns the full path.
    /// </summary>
    public string WriteReport(string path, ReportOptions? options = null, CancellationToken cancellationToken = default)
    {
        var html = Report.Build(this, options, cancellationToken);
        var full = Path.GetFullPath(path);
        Cnnc.Engine.IO.AtomicFile.WriteAllText(full, html);
        return full;
    }

    /// <summary>
    /// Frees the models that <see cref="Compare"/> and <see cref="Inspect"/> keep loaded between calls (the most recently
    /// used ones, up to <see cref="LoadedModelBudget"/> parameters in all).
    /// </summary>
    public void ReleaseModels()
    {
        lock (_loadedModels)
        {
            foreach (var (_, model, _) in _loadedModels) model.Dispose();
            _loadedModels.Clear();
        }
    }

    // Explanations and drawings of compare and inspect, reused by later calls (ExplanationCache). Each command keeps its
    // own: compare explains an image alone, inspect a page in one batch, and batching may change the last float bits of
    // a map, so a command's output never depends on which other command ran before.
    private readonly ExplanationCache _explanations = new();

    private ExplanationKey KeyOf(string command, SessionModel model, int image, string method, int target) =>
        new(command, model.Identity.Key + "|" + model.Reference.Preprocessing.Key, Dataset.Fingerprint, image, method, target);

    /// <summary>Parameters (all loaded models together) that compare and inspect keep loaded between calls.</summary>
    public const long LoadedModelBudget = 200_000_000;

    // Most recently used first. Explainers need one call at a time per model: compare and inspect hold the lock for the
    // whole call, so a model is never explained by two calls at once.
    private readonly LinkedList<(ModelReference Reference, LoadedModel Model, long Parameters)> _loadedModels = new();
    private readonly object _explainLock = new();

    private LoadedModel Loaded(SessionModel model, Device device)
    {
        lock (_loadedModels)
        {
            for (var node = _loadedModels.First; node is not null; node = node.Next)
                if (node.Value.Reference == model.Reference)
                {
                    _loadedModels.Remove(node);
                    _loadedModels.AddFirst(node);
                    return node.Value.Model;
                }
            var loaded = model.Reference.Load(device);
            var parameters = loaded.Module.parameters().Sum(p => p.numel());
            _loadedModels.AddFirst((model.Reference, loaded, parameters));
            while (_loadedModels.Count > 1 && _loadedModels.Sum(m => m.Parameters) > LoadedModelBudget)
            {
                _loadedModels.Last!.Value.Model.Dispose();
                _loadedModels.RemoveLast();
            }
            return loaded;
        }
    }

    /// <summary>The class index of a class key or display name; an unknown one is an error listing the classes.</summary>
    public int ResolveClass(string name)
    {
        var hierarchy = Hierarchy;
        if (hierarchy.TryIndexOfClass(name, out var index, out var error)) return index;
        throw new ArgumentException($"{error} Classes: {string.Join(", ", hierarchy.ClassNames.Take(20))}" +
                                    (hierarchy.ClassCount > 20 ? $", … ({hierarchy.ClassCount} in all)." : "."));
    }

    private static void CheckThreshold(double threshold)
    {
        if (!(threshold >= 0 && threshold <= 1))
            throw new ArgumentException($"The threshold must be in [0, 1] (got {threshold.ToString(CultureInfo.InvariantCulture)}).");
    }

    private List<SessionModel> SelectModels(IEnumerable<string>? names)
    {
        var list = names?.ToList() ?? new List<string>();
        if (list.Count == 0) return _models.ToList();
        var selected = new List<SessionModel>();
        foreach (var name in list)
        {
            var model = Model(name);
            if (!selected.Contains(model)) selected.Add(model);
        }
        return selected;
    }

    private List<StoreEntry> EntriesOf(IReadOnlyList<SessionModel> models)
    {
        var entries = models.Select(EntryOf).ToList();
        var missing = models.Where((_, i) => entries[i] is null).Select(m => m.Name).ToList();
        if (missing.Count > 0)
            throw new InvalidOperationException($"No evaluation on '{Dataset.Name}' yet for {string.Join(", ", missing)}: " +
                                                "run '#!cnnc evaluate' (or cnnc.Evaluate()) first.");
        return entries.Select(e => e!).ToList();
    }

    /// <summary>Readable dataset indices whose label is in <paramref name="classes"/>, ascending.</summary>
    private static List<int> ImagesOf(StoreEntry entry, IReadOnlySet<int> classes)
    {
        var images = new List<int>();
        for (var i = 0; i < entry.Labels.Length; i++)
            if (entry.Readable[i] && classes.Contains((int)entry.Labels[i])) images.Add(i);
        return images;
    }

    private void CheckImageOfClasses(int index, StoreEntry entry, IReadOnlyList<int> classes, IReadOnlyList<int> images)
    {
        var hierarchy = Hierarchy;
        if (index < 0 || index >= entry.Labels.Length)
            throw new ArgumentException($"Image {index} is not in {Dataset.Name}: indices run from 0 to {entry.Labels.Length - 1}.");
        var label = (int)entry.Labels[index];
        var names = string.Join(" or ", classes.Select(c => $"'{hierarchy.ClassNames[c]}'"));
        if (!classes.Contains(label))
            throw new ArgumentException($"Image {index} is a '{hierarchy.ClassNames[label]}', not {names}: " +
                                        $"pick one of {string.Join(", ", images.Take(5))}{(images.Count > 5 ? ", …" : "")}.");
        if (!entry.Readable[index])
            throw new ArgumentException($"Image {index} ({Dataset.Describe(index)}) could not be read when the models were evaluated.");
    }

    private static (double TrueClass, double Predicted) Confidences(StoreEntry entry, int index, int label, int predicted)
    {
        using var scope = NewDisposeScope();
        var row = entry.Probabilities[index];
        return (row[label].item<float>(), row[predicted].item<float>());
    }

    private static double Mean(Map2D map)
    {
        double sum = 0;
        foreach (var v in map.Data) sum += v;
        return sum / map.Length;
    }
}
