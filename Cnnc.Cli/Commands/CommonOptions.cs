using System.CommandLine;
using Cnnc.Engine.Data;
using Cnnc.Engine.Models;
using Cnnc.Engine.Runtime;
using Cnnc.Engine.Zoo;

namespace Cnnc.Cli.Commands;

/// <summary>Options naming a model: a zoo name, or an architecture plus a weights file and how it was built.</summary>
internal sealed class ModelOptions
{
    public Option<string?> Model { get; } = new("--model") { Description = "Zoo model name (see 'cnnc zoo list')." };
    public Option<string?> Arch { get; } = new("--arch") { Description = "Architecture (see 'cnnc models list'); with --weights." };
    public Option<FileInfo?> Weights { get; } = new("--weights") { Description = "Weights file: torchvision .pth, .safetensors or TorchSharp format." };
    public Option<int> NumClasses { get; } = new("--num-classes") { Description = "Classes of the model built for --weights.", DefaultValueFactory = _ => 1000 };
    public Option<int> InChannels { get; } = new("--in-channels") { Description = "Input channels of the model built for --weights.", DefaultValueFactory = _ => 3 };
    public Option<int> InputSize { get; } = new("--input-size") { Description = "Input side of the model built for --weights.", DefaultValueFactory = _ => 224 };
    public Option<double> Width { get; } = new("--width") { Description = "Width multiplier of the model built for --weights.", DefaultValueFactory = _ => 1.0 };
    public Option<string> Device { get; } = new("--device") { Description = "cpu, cuda, cuda:N or auto.", DefaultValueFactory = _ => "auto" };

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Model, Arch, Weights, NumClasses, InChannels, InputSize, Width, Device })
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
        if (arch is null || weights is null)
            throw new ArgumentException("Name a model: --model NAME (zoo) or --arch A --weights FILE.");
        var options = new ArchitectureOptions
        {
            NumClasses = parse.GetValue(NumClasses), InputChannels = parse.GetValue(InChannels),
            InputSize = parse.GetValue(InputSize), Width = parse.GetValue(Width),
        };
        var preprocessing = options.InputChannels == 1 && options.InputSize == 28 ? ZooCatalog.Preprocessing : Preprocessing.ImageNet;
        return ModelReference.FromFile(arch, weights.FullName, options, preprocessing);
    }

    public TorchSharp.torch.Device ResolveDevice(ParseResult parse) => TorchRuntime.ParseDevice(parse.GetValue(Device));
}

/// <summary>Parses <c>--data</c>: fashion-mnist[:train|test], folder:PATH, imagenet-val:PATH.</summary>
internal static class DataSpec
{
    public const string Help = "Dataset: fashion-mnist[:test|:train] (default), folder:PATH (one sub-folder per class), " +
                               "imagenet-val:PATH (ILSVRC2012 validation layout).";

    public const string HierarchyHelp = "Your own class hierarchy: JSON {\"roots\": {\"root\": [classes]}} or CSV class,root lines.";

    /// <summary>Opens a dataset; with <paramref name="hierarchyFile"/>, its classes are grouped by that file instead.</summary>
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
            _ => throw new ArgumentException($"Unknown dataset '{spec}'. {Help}"),
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
        path.Length > 0 ? path : throw new ArgumentException($"Dataset '{spec}' needs a path, e.g. {spec}:/data/images.");
}
