using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Models;

/// <summary>One architecture the engine can build.</summary>
/// <param name="Name">torchvision name, e.g. "resnet18".</param>
/// <param name="Family">Family name, e.g. "ResNet".</param>
/// <param name="DefaultTargetLayer">Module path of the last convolutional block, the default explanation layer.</param>
/// <param name="Factory">Builds a fresh, randomly initialised model in training mode.</param>
public sealed record ArchitectureInfo(
    string Name, string Family, string DefaultTargetLayer, Func<ArchitectureOptions, nn.Module<Tensor, Tensor>> Factory)
{
    /// <summary>Builds the model after validating the options.</summary>
    public nn.Module<Tensor, Tensor> Create(ArchitectureOptions? options = null)
    {
        Runtime.TorchRuntime.Initialize();
        return Factory((options ?? ArchitectureOptions.ImageNet).Validate());
    }
}

/// <summary>The paper's 13 architectures, by torchvision name.</summary>
public static class ArchitectureCatalog
{
    private static readonly Lazy<IReadOnlyList<ArchitectureInfo>> Entries = new(() => new List<ArchitectureInfo>
    {
        new("alexnet", "AlexNet", "features.11", o => new Architectures.AlexNet(o)),
        new("mobilenet_v2", "MobileNetV2", "features.18", o => new Architectures.MobileNetV2(o)),
        new("resnet18", "ResNet", "layer4", o => Architectures.ResNet.ResNet18(o)),
        new("resnet34", "ResNet", "layer4", o => Architectures.ResNet.ResNet34(o)),
        new("resnet50", "ResNet", "layer4", o => Architectures.ResNet.ResNet50(o)),
        new("resnet101", "ResNet", "layer4", o => Architectures.ResNet.ResNet101(o)),
        new("resnet152", "ResNet", "layer4", o => Architectures.ResNet.ResNet152(o)),
        new("densenet121", "DenseNet", "features.norm5", o => Architectures.DenseNet.DenseNet121(o)),
        new("densenet161", "DenseNet", "features.norm5", o => Architectures.DenseNet.DenseNet161(o)),
        new("densenet169", "DenseNet", "features.norm5", o => Architectures.DenseNet.DenseNet169(o)),
        new("densenet201", "DenseNet", "features.norm5", o => Architectures.DenseNet.DenseNet201(o)),
        new("squeezenet1_1", "SqueezeNet", "features.12", o => new Architectures.SqueezeNet11(o)),
        new("shufflenet_v2_x0_5", "ShuffleNetV2", "conv5", o => Architectures.ShuffleNetV2.X0_5(o)),
    });

    /// <summary>All architectures, in the paper's order.</summary>
    public static IReadOnlyList<ArchitectureInfo> All => Entries.Value;

    /// <summary>Names of all architectures.</summary>
    public static IEnumerable<string> Names => All.Select(a => a.Name);

    /// <summary>Finds an architecture by name (case-insensitive); an unknown name is an error listing the valid ones.</summary>
    public static ArchitectureInfo Get(string name) =>
        All.FirstOrDefault(a => a.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"Unknown architecture '{name}'. Known: {string.Join(", ", Names)}.");

    /// <summary>Builds an architecture by name.</summary>
    public static nn.Module<Tensor, Tensor> Create(string name, ArchitectureOptions? options = null) => Get(name).Create(options);
}
