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

/// <summary>
/// A model whose layers do not all give N×C×h×w activations (ViT's token sequences, Swin's N×h×w×C stages) says how
/// each is laid out; explainers convert such an output to a grid before any CAM. Models without it are channels-first.
/// </summary>
public interface IActivationLayout
{
    /// <summary>The layout of the output of the module at <paramref name="modulePath"/>.</summary>
    ActivationLayout LayoutOf(string modulePath);
}

/// <summary>
/// How a target layer's output is laid out. Class activation maps need an N×C×h×w grid; explainers convert the other
/// layouts first (what pytorch-grad-cam's <c>reshape_transform</c> does), and convert gradients the same way.
/// </summary>
public enum ActivationLayout
{
    /// <summary>N×C×h×w, as convolutions give it.</summary>
    ChannelsFirst,

    /// <summary>N×h×w×C (Swin's and Swin V2's stages): permuted to N×C×h×w.</summary>
    ChannelsLast,

    /// <summary>N×(1+h·w)×C with a leading class token (ViT's encoder blocks): class token dropped, the rest a square grid.</summary>
    ClassTokenThenGrid,
}

/// <summary>The architectures the engine builds, by torchvision name (torchvision 0.14's classification builders).</summary>
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
        new("squeezenet1_1", "SqueezeNet", "features.12", o => new Architectures.SqueezeNet("1_1", o)),
        new("shufflenet_v2_x0_5", "ShuffleNetV2", "conv5", o => Architectures.ShuffleNetV2.X0_5(o)),
        // Issue 13, classic CNNs (cnn branch).
        new("vgg11", "VGG", Architectures.VGG.DefaultLayerOf('A', false), o => new Architectures.VGG('A', false, o)),
        new("vgg11_bn", "VGG", Architectures.VGG.DefaultLayerOf('A', true), o => new Architectures.VGG('A', true, o)),
        new("vgg13", "VGG", Architectures.VGG.DefaultLayerOf('B', false), o => new Architectures.VGG('B', false, o)),
        new("vgg13_bn", "VGG", Architectures.VGG.DefaultLayerOf('B', true), o => new Architectures.VGG('B', true, o)),
        new("vgg16", "VGG", Architectures.VGG.DefaultLayerOf('D', false), o => new Architectures.VGG('D', false, o)),
        new("vgg16_bn", "VGG", Architectures.VGG.DefaultLayerOf('D', true), o => new Architectures.VGG('D', true, o)),
        new("vgg19", "VGG", Architectures.VGG.DefaultLayerOf('E', false), o => new Architectures.VGG('E', false, o)),
        new("vgg19_bn", "VGG", Architectures.VGG.DefaultLayerOf('E', true), o => new Architectures.VGG('E', true, o)),
        new("googlenet", "GoogLeNet", "inception5b", o => new Architectures.GoogLeNet(o)),
        new("inception_v3", "Inception", "Mixed_7c", o => new Architectures.Inception3(o)),
        new("resnext50_32x4d", "ResNet", "layer4", o => Architectures.ResNet.ResNeXt50_32x4d(o)),
        new("resnext101_32x8d", "ResNet", "layer4", o => Architectures.ResNet.ResNeXt101_32x8d(o)),
        new("resnext101_64x4d", "ResNet", "layer4", o => Architectures.ResNet.ResNeXt101_64x4d(o)),
        new("wide_resnet50_2", "ResNet", "layer4", o => Architectures.ResNet.WideResNet50_2(o)),
        new("wide_resnet101_2", "ResNet", "layer4", o => Architectures.ResNet.WideResNet101_2(o)),
        new("squeezenet1_0", "SqueezeNet", "features.12", o => new Architectures.SqueezeNet("1_0", o)),
        new("shufflenet_v2_x1_0", "ShuffleNetV2", "conv5", o => Architectures.ShuffleNetV2.X1_0(o)),
        new("shufflenet_v2_x1_5", "ShuffleNetV2", "conv5", o => Architectures.ShuffleNetV2.X1_5(o)),
        new("shufflenet_v2_x2_0", "ShuffleNetV2", "conv5", o => Architectures.ShuffleNetV2.X2_0(o)),
        new("mnasnet0_5", "MNASNet", "layers.16", o => new Architectures.MNASNet(0.5, o)),
        new("mnasnet0_75", "MNASNet", "layers.16", o => new Architectures.MNASNet(0.75, o)),
        new("mnasnet1_0", "MNASNet", "layers.16", o => new Architectures.MNASNet(1.0, o)),
        new("mnasnet1_3", "MNASNet", "layers.16", o => new Architectures.MNASNet(1.3, o)),
        new("mobilenet_v3_large", "MobileNetV3", "features.16", o => Architectures.MobileNetV3.MobileNetV3Large(o)),
        new("mobilenet_v3_small", "MobileNetV3", "features.12", o => Architectures.MobileNetV3.MobileNetV3Small(o)),
        // Issue 13, EfficientNet and EfficientNetV2.
        new("efficientnet_b0", "EfficientNet", "features.8", o => Architectures.EfficientNet.Create("efficientnet_b0", o)),
        new("efficientnet_b1", "EfficientNet", "features.8", o => Architectures.EfficientNet.Create("efficientnet_b1", o)),
        new("efficientnet_b2", "EfficientNet", "features.8", o => Architectures.EfficientNet.Create("efficientnet_b2", o)),
        new("efficientnet_b3", "EfficientNet", "features.8", o => Architectures.EfficientNet.Create("efficientnet_b3", o)),
        new("efficientnet_b4", "EfficientNet", "features.8", o => Architectures.EfficientNet.Create("efficientnet_b4", o)),
        new("efficientnet_b5", "EfficientNet", "features.8", o => Architectures.EfficientNet.Create("efficientnet_b5", o)),
        new("efficientnet_b6", "EfficientNet", "features.8", o => Architectures.EfficientNet.Create("efficientnet_b6", o)),
        new("efficientnet_b7", "EfficientNet", "features.8", o => Architectures.EfficientNet.Create("efficientnet_b7", o)),
        new("efficientnet_v2_s", "EfficientNetV2", "features.7", o => Architectures.EfficientNet.Create("efficientnet_v2_s", o)),
        new("efficientnet_v2_m", "EfficientNetV2", "features.8", o => Architectures.EfficientNet.Create("efficientnet_v2_m", o)),
        new("efficientnet_v2_l", "EfficientNetV2", "features.8", o => Architectures.EfficientNet.Create("efficientnet_v2_l", o)),
        // Issue 13, MaxViT
        new("maxvit_t", "MaxViT", "blocks.3", o => Architectures.MaxVit.MaxVitT(o)),
        // Issue 13, ViT
        new("vit_b_16", "ViT", Architectures.ViT.DefaultLayerOf(Architectures.ViT.B16), o => Architectures.ViT.ViT_B_16(o)),
        new("vit_b_32", "ViT", Architectures.ViT.DefaultLayerOf(Architectures.ViT.B32), o => Architectures.ViT.ViT_B_32(o)),
        new("vit_l_16", "ViT", Architectures.ViT.DefaultLayerOf(Architectures.ViT.L16), o => Architectures.ViT.ViT_L_16(o)),
        new("vit_l_32", "ViT", Architectures.ViT.DefaultLayerOf(Architectures.ViT.L32), o => Architectures.ViT.ViT_L_32(o)),
        new("vit_h_14", "ViT", Architectures.ViT.DefaultLayerOf(Architectures.ViT.H14), o => Architectures.ViT.ViT_H_14(o)),
        // Issue 13, Swin
        new("swin_t", "Swin", "features.7", o => Architectures.SwinTransformer.SwinT(o)),
        new("swin_s", "Swin", "features.7", o => Architectures.SwinTransformer.SwinS(o)),
        new("swin_b", "Swin", "features.7", o => Architectures.SwinTransformer.SwinB(o)),
        // Issue 13, SwinV2
        new("swin_v2_t", "SwinV2", "features.7", o => Architectures.SwinTransformer.SwinV2T(o)),
        new("swin_v2_s", "SwinV2", "features.7", o => Architectures.SwinTransformer.SwinV2S(o)),
        new("swin_v2_b", "SwinV2", "features.7", o => Architectures.SwinTransformer.SwinV2B(o)),
        // Issue 13, RegNet
        new("regnet_y_400mf", "RegNet", "trunk_output.block4", o => Architectures.RegNet.RegNetY400MF(o)),
        new("regnet_y_800mf", "RegNet", "trunk_output.block4", o => Architectures.RegNet.RegNetY800MF(o)),
        new("regnet_y_1_6gf", "RegNet", "trunk_output.block4", o => Architectures.RegNet.RegNetY1_6GF(o)),
        new("regnet_y_3_2gf", "RegNet", "trunk_output.block4", o => Architectures.RegNet.RegNetY3_2GF(o)),
        new("regnet_y_8gf", "RegNet", "trunk_output.block4", o => Architectures.RegNet.RegNetY8GF(o)),
        new("regnet_y_16gf", "RegNet", "trunk_output.block4", o => Architectures.RegNet.RegNetY16GF(o)),
        new("regnet_y_32gf", "RegNet", "trunk_output.block4", o => Architectures.RegNet.RegNetY32GF(o)),
        new("regnet_y_128gf", "RegNet", "trunk_output.block4", o => Architectures.RegNet.RegNetY128GF(o)),
        new("regnet_x_400mf", "RegNet", "trunk_output.block4", o => Architectures.RegNet.RegNetX400MF(o)),
        new("regnet_x_800mf", "RegNet", "trunk_output.block4", o => Architectures.RegNet.RegNetX800MF(o)),
        new("regnet_x_1_6gf", "RegNet", "trunk_output.block4", o => Architectures.RegNet.RegNetX1_6GF(o)),
        new("regnet_x_3_2gf", "RegNet", "trunk_output.block4", o => Architectures.RegNet.RegNetX3_2GF(o)),
        new("regnet_x_8gf", "RegNet", "trunk_output.block4", o => Architectures.RegNet.RegNetX8GF(o)),
        new("regnet_x_16gf", "RegNet", "trunk_output.block4", o => Architectures.RegNet.RegNetX16GF(o)),
        new("regnet_x_32gf", "RegNet", "trunk_output.block4", o => Architectures.RegNet.RegNetX32GF(o)),
        // Issue 13, ConvNeXt
        new("convnext_tiny", "ConvNeXt", "features.7", o => Architectures.ConvNeXt.ConvNeXtTiny(o)),
        new("convnext_small", "ConvNeXt", "features.7", o => Architectures.ConvNeXt.ConvNeXtSmall(o)),
        new("convnext_base", "ConvNeXt", "features.7", o => Architectures.ConvNeXt.ConvNeXtBase(o)),
        new("convnext_large", "ConvNeXt", "features.7", o => Architectures.ConvNeXt.ConvNeXtLarge(o)),
    });

    /// <summary>All architectures, in the paper's order.</summary>
    public static IReadOnlyList<ArchitectureInfo> All => Entries.Value;

    /// <summary>Names of all architectures.</summary>
    public static IEnumerable<string> Names => All.Select(a => a.Name);

    /// <summary>Families in catalog order, each with its architectures.</summary>
    public static IReadOnlyList<IGrouping<string, ArchitectureInfo>> Families => All.GroupBy(a => a.Family).ToList();

    /// <summary>
    /// Finds an architecture by name (case-insensitive); an unknown name is an error listing the known ones grouped by
    /// family.
    /// </summary>
    public static ArchitectureInfo Get(string name) =>
        All.FirstOrDefault(a => a.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"Unknown architecture '{name}'. Known ({All.Count}): " +
                                       string.Join("; ", Families.Select(f => $"{f.Key}: {string.Join(", ", f.Select(a => a.Name))}")) + ".");

    /// <summary>Builds an architecture by name.</summary>
    public static nn.Module<Tensor, Tensor> Create(string name, ArchitectureOptions? options = null) => Get(name).Create(options);
}
