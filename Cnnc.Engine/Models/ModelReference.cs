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
    /// <summary>A zoo model by name.</summary>
    public static ModelReference Zoo(string name)
    {
        var card = ZooCatalog.Card(name);
        return new ModelReference(card.Name, card.Architecture, ZooCatalog.WeightsPath(card.Name), card.Recipe.Options,
            ZooCatalog.Preprocessing, IsZoo: true);
    }

    /// <summary>
    /// A user's weights file for an architecture. Defaults: ImageNet options and preprocessing (torchvision's).
    /// </summary>
    public static ModelReference FromFile(string architecture, string weightsPath, ArchitectureOptions? options = null,
        Preprocessing? preprocessing = null, string? name = null)
    {
        var arch = ArchitectureCatalog.Get(architecture);
        if (!File.Exists(weightsPath)) throw new FileNotFoundException($"Weights file '{weightsPath}' does not exist.", weightsPath);
        return new ModelReference(name ?? $"{arch.Name}:{Path.GetFileName(weightsPath)}", arch.Name, Path.GetFullPath(weightsPath),
            (options ?? ArchitectureOptions.ImageNet).Validate(), preprocessing ?? Data.Preprocessing.ImageNet, IsZoo: false);
    }

    /// <summary>Builds the model, loads its weights strictly, and returns it in eval mode (channels-last layout, see <see cref="ChannelsLast"/>) with its identity.</summary>
    public LoadedModel Load(Device? device = null)
    {
        var module = ArchitectureCatalog.Create(Architecture, Options);
        try
        {
            WeightsLoader.Load(module, WeightsPath);
            module.eval();
            ChannelsLast.Apply(module);
            if (device is not null) module = module.to(device);
            return new LoadedModel(this, module, new ModelIdentity(Name, Architecture, WeightsFile.Sha256(WeightsPath)));
        }
        catch
        {
            module.Dispose();
            throw;
        }
    }
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
