using System.Globalization;
using System.Text;
using Cnnc.Engine.Explain;
using Cnnc.Engine.Rendering;
using Cnnc.Engine.Runtime;

namespace Cnnc.Engine.Studies;

/// <summary>What <see cref="Study.Explanations"/> explains: a model, an image (or a class's first image), methods.</summary>
public sealed record ExamplesOptions
{
    /// <summary>The study model to explain (required).</summary>
    public required string Model { get; init; }

    /// <summary>Dataset item to explain. Default: the first image of <see cref="Class"/>, else item 0.</summary>
    public int? Image { get; init; }

    /// <summary>A class whose first image is explained (when <see cref="Image"/> is not given).</summary>
    public string? Class { get; init; }

    /// <summary>Explainers (names or default / paper / all). Default <see cref="StudyDefaults.Explainers"/>.</summary>
    public IReadOnlyList<string>? Methods { get; init; }

    /// <summary>Threshold, contours, colours and picture size. Default <see cref="ExampleRenderOptions.Default"/>.</summary>
    public ExampleRenderOptions? Render { get; init; }
}

/// <summary>
/// View D of the paper (section 5.1, "Visual Explanation View" before a task runs): how each explanation method's
/// result looks, for one model and one test image, explaining the image's own class. Each entry is the engine's
/// <see cref="ExplainerExample"/> (explanation, contour set, PNG, time). The views draw it as a row of images.
/// </summary>
public sealed class ExplanationExamples
{
    internal ExplanationExamples(string model, int image, string imageDescription, int classIndex, string className, string root,
        IReadOnlyList<string> classNames, PngImage imagePng, double threshold,
        IReadOnlyList<ExplainerExample> examples, IReadOnlyList<bool> cached)
    {
        Model = model;
        Image = image;
        ImageDescription = imageDescription;
        ClassIndex = classIndex;
        ClassName = className;
        Root = root;
        ClassNames = classNames;
        ImagePng = imagePng;
        Threshold = threshold;
        Examples = examples;
        Cached = cached;
    }

    /// <summary>The model explained.</summary>
    public string Model { get; }

    /// <summary>Dataset item index of the image.</summary>
    public int Image { get; }

    /// <summary>The dataset's description of the item (file path, or e.g. "test[17]").</summary>
    public string ImageDescription { get; }

    /// <summary>The image's class, which every method explains.</summary>
    public int ClassIndex { get; }

    /// <summary>Name of <see cref="ClassIndex"/>.</summary>
    public string ClassName { get; }

    /// <summary>Root class of <see cref="ClassIndex"/>.</summary>
    public string Root { get; }

    /// <summary>Class names, to name predictions.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The image as the model sees it, enlarged as the overlays are.</summary>
    public PngImage ImagePng { get; }

    /// <summary>Width of the pictures in pixels.</summary>
    public int PixelWidth => ImagePng.Width;

    /// <summary>Height of the pictures in pixels.</summary>
    public int PixelHeight => ImagePng.Height;

    /// <summary>Saliency threshold of the heatmaps and contours.</summary>
    public double Threshold { get; }

    /// <summary>One example per method, in the order asked.</summary>
    public IReadOnlyList<ExplainerExample> Examples { get; }

    /// <summary>Whether each example came from the study's cache (its time is that of the first computation).</summary>
    public IReadOnlyList<bool> Cached { get; }

    /// <summary>The methods, in order.</summary>
    public IReadOnlyList<string> Methods => Examples.Select(e => e.Method).ToList();

    /// <summary>The example of <paramref name="method"/> (canonical name), or null.</summary>
    public ExplainerExample? this[string method] => Examples.FirstOrDefault(e => e.Method == method);

    /// <summary>The model's prediction on the image (from the first method that succeeded), or null.</summary>
    public (int Class, float Probability)? Prediction =>
        Examples.FirstOrDefault(e => e.Explanation is not null)?.Explanation is { } x ? (x.PredictedClass, x.PredictedProbability) : null;

    /// <summary>Total explainer time in milliseconds (first computations, cached ones included).</summary>
    public double Milliseconds => Examples.Sum(e => e.Milliseconds);

    public override string ToString()
    {
        var text = new StringBuilder($"Explanations of {Model}, image {Image} ({ImageDescription}), class {ClassName} ({Root})");
        if (Prediction is { } p) text.Append($", predicted {ClassNames[p.Class]} ({Format.Percent(p.Probability)})");
        foreach (var (e, i) in Examples.Select((e, i) => (e, i)))
            text.Append('\n').Append(e.Explanation is { } x
                ? $"  {e.Method,-16} score {x.Score.ToString("F3", CultureInfo.InvariantCulture)}, p {Format.Percent(x.Probability)}, " +
                  $"ROI {Format.Percent(e.Contours!.RoiSize)}, {Format.Milliseconds(e.Milliseconds)}{(Cached[i] ? " (cached)" : "")}"
                : $"  {e.Method,-16} failed: {e.Error}");
        return text.ToString();
    }

    /// <summary>View D of <paramref name="options"/>' model.</summary>
    internal static ExplanationExamples Compute(Study study, ExamplesOptions options, CancellationToken cancellationToken)
    {
        var model = study.Model(options.Model);
        var methods = StudyDefaults.ParseExplainers(options.Methods);
        int item;
        if (options.Image is { } index)
        {
            study.CheckImage(index);
            item = index;
        }
        else if (options.Class is not null)
        {
            if (!study.Hierarchy.TryIndexOfClass(options.Class, out var c, out var error)) throw new ArgumentException(error);
            item = study.FirstImageOf(c);
        }
        else item = 0;
        return Compute(study, model, item, methods, options.Render, cancellationToken);
    }

    /// <summary>View D of one model on one item; examples computed before in the study are reused.</summary>
    internal static ExplanationExamples Compute(Study study, StudyModel model, int item, IReadOnlyList<string> methods,
        ExampleRenderOptions? render, CancellationToken cancellationToken)
    {
        render ??= ExampleRenderOptions.Default;
        var dataset = study.Dataset;
        var hierarchy = study.Hierarchy;
        var target = dataset.Label(item);
        var keys = methods.Select(m => study.KeyOf("examples", model, item, m, target)).ToList();
        var results = new ExplainerExample?[methods.Count];
        var cached = new bool[methods.Count];
        for (var i = 0; i < methods.Count; i++)
            if (study.ExplanationCache.TryGet(keys[i], render, out var hit)) (results[i], cached[i]) = (hit, true);
        TorchRuntime.Initialize();
        using var image = dataset.Load(item);
        using var display = model.Reference.Preprocessing.Geometry(image);
        if (results.Any(r => r is null))
        {
            lock (study.ExplainLock)
            {
                var loaded = study.LoadedModels.Get(model.Reference, TorchRuntime.DefaultDevice);
                for (var i = 0; i < methods.Count; i++)
                {
                    if (results[i] is not null) continue;
                    cancellationToken.ThrowIfCancellationRequested();
                    var example = ExplainerExamples.Explain(loaded, display, target, methods[i], render, cancellationToken);
                    results[i] = example;
                    if (example.Succeeded) study.ExplanationCache.Add(keys[i], render, example);
                }
            }
        }
        return new ExplanationExamples(model.Name, item, dataset.Describe(item), target, hierarchy.ClassNames[target],
            hierarchy.RootNameOf(target), hierarchy.ClassNames, Pictures.Image(display, render.Size), render.Threshold,
            results.Select(r => r!).ToList(), cached);
    }
}
