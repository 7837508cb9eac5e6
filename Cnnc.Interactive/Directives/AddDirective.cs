using Cnnc.Engine.Models;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Directives;

namespace Cnnc.Interactive.Directives;

/// <summary><c>#!cnnc add</c>: one of your own models (a weights file; its architecture unless torchvision published it).</summary>
public sealed class CnncAddCommand : CnncDirectiveCommand
{
    public string? Arch { get; set; }
    public string? Weights { get; set; }
    public string? Name { get; set; }
    public string? StripPrefix { get; set; }
    public string? CheckpointEntry { get; set; }
    public bool TrustNames { get; set; }
    public int? NumClasses { get; set; }
    public int? InChannels { get; set; }
    public int? InputSize { get; set; }
    public double? Width { get; set; }
}

internal static class AddDirective
{
    public static KernelActionDirective Definition => new("add",
        "Adds one of your own models: a weights file (torchvision's published files are recognised and need no --arch).")
    {
        Parameters =
        [
            new KernelDirectiveParameter("--weights", "Weights: torchvision .pth, .safetensors or TorchSharp format."),
            new KernelDirectiveParameter("--arch", "Architecture (torchvision name), e.g. resnet18; not needed for a torchvision published file.")
                .AddCompletions(() => ArchitectureCatalog.Names),
            new KernelDirectiveParameter("--name", "Display name (default arch:file-name, or arch:WEIGHTS for a published file)."),
            new KernelDirectiveParameter("--strip-prefix", "Remove this prefix from the file's keys, e.g. module. (DataParallel / DDP checkpoints)."),
            new KernelDirectiveParameter("--checkpoint-entry", "Entry of a training checkpoint to load, e.g. model_ema (default: state_dict, model, … in that order)."),
            new KernelDirectiveParameter("--trust-names", "Take a file named like a torchvision published file for it without hashing its content.") { Flag = true },
            new KernelDirectiveParameter("--num-classes", "Classes the model was built with (default: the dataset's)."),
            new KernelDirectiveParameter("--in-channels", "Input channels (default 1 for Fashion-MNIST, else 3)."),
            new KernelDirectiveParameter("--input-size", "Input side in pixels (default 28 for Fashion-MNIST, else 224)."),
            new KernelDirectiveParameter("--width", "Width multiplier the model was built with (default 1)."),
        ],
    };

    public static Task Run(CnncAddCommand command, KernelInvocationContext context)
    {
        var weights = Choices.Required(command.Weights, "--weights", "a weights file, e.g. --weights resnet18.pth");
        var study = Notebook.Study;
        // The dataset's build options unless given (none on an ImageNet-like dataset: a published file's own crop size).
        var options = study.BuildOptions(
            Choices.Positive(command.NumClasses, "--num-classes"), Choices.Positive(command.InChannels, "--in-channels"),
            Choices.Positive(command.InputSize, "--input-size"), Choices.Positive(command.Width, "--width"));
        var model = study.AddWeights(weights, new WeightsReferenceOptions
        {
            Architecture = command.Arch is { Length: > 0 } a ? a : null,
            Options = options,
            Name = command.Name is { Length: > 0 } n ? n : null,
            StripPrefix = command.StripPrefix is { Length: > 0 } p ? p : null,
            CheckpointEntry = command.CheckpointEntry is { Length: > 0 } e ? e : null,
            TrustNames = command.TrustNames,
        });
        var reference = model.Reference;
        var lines = reference.Notes.Select(note => $"note: {note}").ToList();
        if (reference.Published is { } published)
            lines.Add($"{Path.GetFileName(reference.WeightsPath)}: torchvision's {published}; preprocessing {PreprocessingMix.Describe(reference.Preprocessing)}");
        if (lines.Count > 0) KernelInvocationContextExtensions.Display(context, string.Join("\n", lines), "text/plain");
        context.Display(new Views.AddedModel(model, study.Models.Count), "text/html", "text/plain");
        return Task.CompletedTask;
    }
}
