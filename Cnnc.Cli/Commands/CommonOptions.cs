using System.CommandLine;
using Cnnc.Engine.Data;
using Cnnc.Engine.Models;
using Cnnc.Engine.Runtime;
using Cnnc.Engine.Studies;
using Cnnc.Engine.Zoo;

namespace Cnnc.Cli.Commands;

/// <summary>Options naming a model: a zoo name, or an architecture plus a weights file and how it was built.</summary>
internal sealed class ModelOptions
{
    public Option<string?> Model { get; } = new("--model") { Description = "Zoo model name (see 'cnnc zoo list')." };
    public Option<string?> Arch { get; } = new("--arch") { Description = "Architecture (see 'cnnc models list'); with --weights. Not needed for torchvision's published files (recognised by content) or files named <arch>-….pth." };
    public Option<FileInfo?> Weights { get; } = new("--weights") { Description = "Weights file: torchvision .pth, .safetensors or TorchSharp format." };
    public Option<string?> StripPrefix { get; } = new("--strip-prefix") { Description = "Remove this prefix from the file's keys, e.g. module. (DataParallel / DDP checkpoints)." };
    public Option<string?> CheckpointEntry { get; } = new("--checkpoint-entry") { Description = "Entry of a training checkpoint to load, e.g. model_ema (default: state_dict, model, … in that order)." };
    public Option<bool> TrustNames { get; } = new("--trust-names") { Description = "Take a file named like a torchvision published file for it without hashing its content." };
    public Option<int> NumClasses { get; } = new("--num-classes") { Description = "Classes of the model built for --weights.", DefaultValueFactory = _ => 1000 };
    public Option<int> InChannels { get; } = new("--in-channels") { Description = "Input channels of the model built for --weights.", DefaultValueFactory = _ => 3 };
    public Option<int> InputSize { get; } = new("--input-size") { Description = "Input side of the model built for --weights.", DefaultValueFactory = _ => 224 };
    public Option<double> Width { get; } = new("--width") { Description = "Width multiplier of the model built for --weights.", DefaultValueFactory = _ => 1.0 };
    public Option<string> Device { get; } = new("--device") { Description = "cpu, cuda, cuda:N or auto.", DefaultValueFactory = _ => "auto" };

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Model, Arch, Weights, StripPrefix, CheckpointEntry, TrustNames, NumClasses, InChannels, InputSize, Width, Device })
            command.Options.Add(o);
    }

    public ModelReference Resolve(ParseResult parse)
    {
        var model = parse.GetValue(Model);
        var arch = parse.GetValue(Arch);
        var weights = parse.GetValue(Weights);
        if (model is not null && (arch is not null || weights is not null))
            throw new ArgumentException("Give either --model NAME or --arch A --weights FILE, not both.");
        if (model is not null) return ModelReference.Zoo(model);
        if (weights is null)
            throw new ArgumentException("Name a model: --model NAME (zoo) or --weights FILE (with --arch A unless it is a torchvision published file).");
        // Build options given on the command line win; otherwise the published weights' (or ImageNet's) apply.
        var custom = parse.GetResult(NumClasses) is { Implicit: false } || parse.GetResult(InChannels) is { Implicit: false } ||
                     parse.GetResult(InputSize) is { Implicit: false } || parse.GetResult(Width) is { Implicit: false };
        var options = custom
            ? new ArchitectureOptions
            {
                NumClasses = parse.GetValue(NumClasses), InputChannels = parse.GetValue(InChannels),
                InputSize = parse.GetValue(InputSize), Width = parse.GetValue(Width),
            }
            : null;
        var reference = ModelReference.FromWeights(weights.FullName, new WeightsReferenceOptions
        {
            Architecture = arch, Options = options, TrustNames = parse.GetValue(TrustNames),
            StripPrefix = parse.GetValue(StripPrefix), CheckpointEntry = parse.GetValue(CheckpointEntry),
        });
        foreach (var note in reference.Notes) Console.Error.WriteLine($"note: {note}");
        if (reference.Published is { } published) Console.Error.WriteLine($"{weights.Name}: torchvision's {published}; preprocessing {reference.Preprocessing.Key}");
        return reference;
    }

    public TorchSharp.torch.Device ResolveDevice(ParseResult parse) => TorchRuntime.ParseDevice(parse.GetValue(Device));
}
