using Cnnc.Engine.Data;
using Cnnc.Engine.Evaluation;
using Cnnc.Engine.Weights;
using Cnnc.Engine.Zoo;
using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Models;

/// <summary>
/// Names a model the way users do: by zoo name ("resnet18"), or by architecture plus a weights file (a torchvision
/// <c>resnet50.pth</c>, a <c>.safetensors</c>, a TorchSharp <c>.bin</c>) with the options it was built with.
/// </summary>
/// <param name="Name">Display name: the zoo name, or by default "arch:file-name".</param>
/// <param name="Architecture">Architecture name.</param>
/// <param name="WeightsPath">Weights file; for zoo models, the extracted embedded file.</param>
/// <param name="Options">Architecture options the weights were trained with.</param>
/// <param name="Preprocessing">Transform the model expects.</param>
/// <param name="IsZoo">True for embedded zoo models.</param>
public sealed record ModelReference(
    string Name, string Architecture, string WeightsPath, ArchitectureOptions Options, Preprocessing Preprocessing, bool IsZoo)
{
    /// <summary>The torchvision published weights this file is (recognised by content, or by name when trusted); null otherwise.</summary>
    public PublishedWeightsInfo? Published { get; init; }

    /// <summary>How the file's state dict is applied (prefix to strip, checkpoint entry). Default: strict, as stored.</summary>
    public WeightsLoadOptions LoadOptions { get; init; } = new();

    /// <summary>One-line remarks about how the reference was resolved (e.g. "named like X but is not it").</summary>
    public IReadOnlyList<string> Notes { get; init; } = Array.Empty<string>();

    /// <summary>
    /// A weights file, with as little said as possible: a torchvision published file (by content hash, or by name
    /// with <see cref="WeightsReferenceOptions.TrustNames"/>) needs no architecture and gets that weights'
    /// preprocessing; another file takes its architecture from <see cref="WeightsReferenceOptions.Architecture"/> or
    /// from a published file name it carries or a name starting with "&lt;architecture&gt;-".
    /// </summary>
    /// <exception cref="FileNotFoundException">When the file does not exist.</exception>
    /// <exception cref="ArgumentException">When the architecture cannot be told or is not built by the engine (yet).</exception>
    public static ModelReference FromWeights(string weightsPath, WeightsReferenceOptions? options = null)
    {
        options ??= new WeightsReferenceOptions();
        if (options.Architecture is { } named) ArchitectureCatalog.Get(named); // an unknown name fails first, before any hashing
        if (!File.Exists(weightsPath)) throw new FileNotFoundException($"Weights file '{weightsPath}' does not exist.", weightsPath);
        var fileName = Path.GetFileName(weightsPath);
        var catalog = options.Catalog ?? PublishedWeightsCatalog.Torchvision;
        var recognition = catalog.Recognize(weightsPath, options.TrustNames);
        var published = recognition.Published;
        var notes = new List<string>();
        if (recognition.Note is { } note) notes.Add(note);

        string architecture;
        if (published is not null)
        {
            if (options.Architecture is { } given && !given.Equals(published.Architecture, StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException(
                    $"{fileName} is torchvision's {published.Name}, weights of {published.Architecture}, not of '{given}': drop the architecture or name the right one.");
            architecture = published.Architecture;
        }
        else
            architecture = options.Architecture ?? recognition.NamedLike?.Architecture ?? ArchitectureFromName(fileName, catalog)
                ?? throw new ArgumentException(
                    $"Cannot tell the architecture of {fileName}: it is not one of torchvision's published weights files " +
                    $"(checked by content hash) and its name does not start with an architecture. Name it (--arch). " +
                    $"Known: {string.Join(", ", ArchitectureCatalog.Names)}.");

        var info = ArchitectureCatalog.All.FirstOrDefault(a => a.Name.Equals(architecture, StringComparison.OrdinalIgnoreCase));
        if (info is null && published is not null)
            throw new ArgumentException(
                $"{fileName} is torchvision's {published.Name}; its architecture '{architecture}' is not built by CNNC yet. " +
                $"Known: {string.Join(", ", ArchitectureCatalog.Names)}.");
        info ??= ArchitectureCatalog.Get(architecture);
        // A model built for 1×28×28 greyscale reads Fashion-MNIST's normalisation (the zoo's), unless told otherwise.
        var preprocessing = options.Preprocessing ?? published?.Preprocessing
            ?? (options.Options is { InputChannels: 1, InputSize: 28 } ? Data.Preprocessing.FashionMnist : Data.Preprocessing.ImageNet);
        var archOptions = options.Options ?? ArchitectureOptions.ImageNet with { InputSize = preprocessing.CenterCrop?.Height ?? 224 };
        var name = options.Name ?? (published is not null ? $"{info.Name}:{published.Name.Split('.')[^1]}" : $"{info.Name}:{fileName}");
        return new ModelReference(name, info.Name, Path.GetFullPath(weightsPath), archOptions.Validate(), preprocessing, IsZoo: false)
        {
            Published = published,
            LoadOptions = new WeightsLoadOptions(StripPrefix: options.StripPrefix, Entry: options.CheckpointEntry),
            Notes = notes,
        };
    }

    /// <summary>"densenet121-a639ec97.pth" → "densenet121": the part before the first '-' when it names an architecture
    /// (of the engine or of the published catalog).</summary>
    private static string? ArchitectureFromName(string fileName, PublishedWeightsCatalog catalog)
    {
        var stem = Path.GetFileNameWithoutExtension(fileName);
        var dash = stem.IndexOf('-');
        if (dash <= 0) return null;
        var candidate = stem[..dash];
        return ArchitectureCatalog.Names.Concat(catalog.All.Select(e => e.Architecture))
            .FirstOrDefault(n => n.Equals(candidate, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>A zoo model by name.</summary>
    public static ModelReference Zoo(string name)
    {
        var card = ZooCatalog.Card(name);
        return new ModelReference(card.Name, card.Architecture, ZooCatalog.WeightsPath(card.Name), card.Recipe.Options,
            ZooCatalog.Preprocessing, IsZoo: true);
    }

    /// <summary>
    /// A user's weights file for an architecture: <see cref="FromWeights"/> with the architecture given. Defaults:
    /// ImageNet options; the published weights' preprocessing when the file is one of them, else ImageNet's.
    /// </summary>
    public static ModelReference FromFile(string architecture, string weightsPath, ArchitectureOptions? options = null,
        Preprocessing? preprocessing = null, string? name = null)
    {
        return FromWeights(weightsPath, new WeightsReferenceOptions
        {
            Architecture = architecture, Options = options, Preprocessing = preprocessing, Name = name,
        });
    }

    /// <summary>Builds the model, loads its weights strictly, and returns it in eval mode (channels-last layout, see <see cref="ChannelsLast"/>) with its identity.</summary>
    public LoadedModel Load(Device? device = null)
    {
        var module = ArchitectureCatalog.Create(Architecture, Options);
        try
        {
            WeightsLoader.Load(module, WeightsPath, LoadOptions);
            module.eval();
            ChannelsLast.Apply(module);
            if (device is not null) module = module.to(device);
            return new LoadedModel(this, module, new ModelIdentity(Name, Architecture, WeightsFile.Sha256(WeightsPath)));
        }
        catch (WeightsMismatchException mismatch)
        {
            module.Dispose();
            // The commonest cause: weights of another builder (resnet50's file with --arch resnet18). Say whose they are.
            if (ArchitectureRecognition.LookAlikeHint(Architecture, ArchitectureRecognition.ShapesOf(WeightsPath, LoadOptions), LoadOptions) is { } hint)
                throw mismatch.WithHint(hint);
            throw;
        }
        catch
        {
            module.Dispose();
            throw;
        }
    }
}

/// <summary>How <see cref="ModelReference.FromWeights"/> resolves a weights file; every member optional.</summary>
public sealed record WeightsReferenceOptions
{
    /// <summary>Architecture name. Default null: the published weights' one, or the one the file name starts with.</summary>
    public string? Architecture { get; init; }

    /// <summary>Build options. Default null: ImageNet's, with the input size of the preprocessing's crop.</summary>
    public ArchitectureOptions? Options { get; init; }

    /// <summary>
    /// Input transform. Default null: the published weights' <c>transforms()</c>; for a model built for 1×28×28
    /// <see cref="Data.Preprocessing.FashionMnist"/>; else <see cref="Data.Preprocessing.ImageNet"/>.
    /// </summary>
    public Preprocessing? Preprocessing { get; init; }

    /// <summary>Display name. Default null: "arch:WEIGHTS" for published weights, else "arch:file-name".</summary>
    public string? Name { get; init; }

    /// <summary>Take a file with a published file name for that file without hashing it. Default false: hash it.</summary>
    public bool TrustNames { get; init; }

    /// <summary>Prefix removed from the file's keys, e.g. "module." (DataParallel / DDP). Default null.</summary>
    public string? StripPrefix { get; init; }

    /// <summary>Entry of a training checkpoint to load, e.g. "model_ema". Default null: the documented search order.</summary>
    public string? CheckpointEntry { get; init; }

    /// <summary>Published weights to recognise. Default null: <see cref="PublishedWeightsCatalog.Torchvision"/>.</summary>
    public PublishedWeightsCatalog? Catalog { get; init; }
}

/// <summary>A model ready to run: the module (eval mode), where it came from, and its store identity.</summary>
public sealed class LoadedModel : IDisposable
{
    private readonly Lazy<ModelComplexity> _complexity;

    internal LoadedModel(ModelReference reference, nn.Module<Tensor, Tensor> module, ModelIdentity identity)
    {
        Reference = reference;
        Module = module;
        Identity = identity;
        _complexity = new(() => ModelComplexity.Measure(module, reference.Options.InputChannels,
            reference.Options.InputSize, reference.Options.InputSize));
    }

    /// <summary>How the model was named and built.</summary>
    public ModelReference Reference { get; }

    /// <summary>The module, in eval mode.</summary>
    public nn.Module<Tensor, Tensor> Module { get; }

    /// <summary>Name, architecture and weights hash: the predictions-store key.</summary>
    public ModelIdentity Identity { get; }

    /// <summary>Parameters and MACs at the model's input size (measured on first use).</summary>
    public ModelComplexity Complexity => _complexity.Value;

    public void Dispose() => Module.Dispose();
}
