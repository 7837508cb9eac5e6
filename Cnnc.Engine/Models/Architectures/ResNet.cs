using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Models.Architectures;

// Placeholder while the architecture is being written; replaced by the real implementation.
public sealed class ResNet : nn.Module<Tensor, Tensor>
{
    private ResNet() : base("ResNet") => throw new NotImplementedException("ResNet is being written");
    public override Tensor forward(Tensor input) => throw new NotImplementedException();
    public static ResNet ResNet18(ArchitectureOptions o) => new();
    public static ResNet ResNet34(ArchitectureOptions o) => new();
    public static ResNet ResNet50(ArchitectureOptions o) => new();
    public static ResNet ResNet101(ArchitectureOptions o) => new();
    public static ResNet ResNet152(ArchitectureOptions o) => new();
}
