using Cnnc.Engine.Data;

namespace Cnnc.Engine.Studies;

/// <summary>
/// The one parser of dataset specs: <c>fashion-mnist[:test|:train]</c>, <c>folder:PATH</c> (one sub-folder per class)
/// and <c>imagenet-val:PATH</c> (ILSVRC2012 validation layout), optionally with a hierarchy file that groups the
/// classes into roots. The CLI's <c>--data</c>, the notebook's <c>--data</c> and <see cref="Study.UseData(string, string?)"/> use it.
/// </summary>
public static class DataSpec
{
    /// <summary>The forms, for help texts and errors.</summary>
    public const string Forms = "fashion-mnist[:test|:train] (default), folder:PATH (one sub-folder per class), " +
                                "imagenet-val:PATH (ILSVRC2012 validation layout)";

    /// <summary>Help of a <c>--data</c> option.</summary>
    public const string Help = "Dataset: " + Forms + ".";

    /// <summary>Help of a <c>--hierarchy</c> option.</summary>
    public const string HierarchyHelp = "Your own class hierarchy: JSON {\"roots\": {\"root\": [classes]}} or CSV class,root lines.";

    /// <summary>The spec of the zoo's dataset.</summary>
    public const string Default = "fashion-mnist";

    /// <summary>Spec values offered as completions.</summary>
    public static IReadOnlyList<string> Examples { get; } = new[] { "fashion-mnist", "fashion-mnist:train", "folder:", "imagenet-val:" };

    /// <summary>
    /// Opens the dataset a spec names; with <paramref name="hierarchyFile"/> its classes are grouped by that file
    /// instead of the dataset's own roots. An unknown spec is an error showing the forms.
    /// </summary>
    public static IImageDataset Open(string spec, string? hierarchyFile = null)
    {
        var (kind, argument) = spec.IndexOf(':') is var i and > 0 ? (spec[..i], spec[(i + 1)..]) : (spec, "");
        kind = kind.ToLowerInvariant();
        var split = argument switch
        {
            "" or "test" => DatasetSplit.Test,
            "train" => DatasetSplit.Train,
            _ when kind == "fashion-mnist" => throw new ArgumentException($"Unknown Fashion-MNIST split '{argument}': use test or train."),
            _ => DatasetSplit.Test,
        };
        IImageDataset dataset = kind switch
        {
            "fashion-mnist" => IdxDataset.FashionMnist(split),
            "folder" => new ImageFolderDataset(Required(argument, spec)),
            "imagenet-val" => new ImageNetValDataset(Required(argument, spec)),
            _ => throw new ArgumentException($"Unknown dataset '{spec}'. Use {Forms}."),
        };
        if (hierarchyFile is null) return dataset;
        var hierarchy = ClassHierarchy.Load(hierarchyFile, dataset.Classes, dataset.Hierarchy.ClassNames);
        return kind switch
        {
            "fashion-mnist" => IdxDataset.Open(IdxDataset.FashionMnistDefaultRoot, split, dataset.Name, dataset.Classes, hierarchy),
            "folder" => new ImageFolderDataset(argument, hierarchy),
            _ => new ImageNetValDataset(argument, hierarchy: hierarchy),
        };
    }

    private static string Required(string path, string spec) =>
        path.Length > 0 ? path : throw new ArgumentException($"Dataset '{spec}' needs a path, e.g. {spec}/data/images.");
}
