using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Models.Architectures;

// Placeholder while the architecture is being written; replaced by the real implementation.
public sealed class DenseNet : nn.Module<Tensor, Tensor>
{
    private DenseNet() : base("DenseNet") => throw new NotImplementedException("DenseNet is being written");
    public override Tensor forward(Tensor input) => throw new NotImplementedException();
    public static DenseNet DenseNet121(ArchitectureOptions o) => new();
    public static DenseNet DenseNet161(ArchitectureOptions o) => new();
    public static DenseNet DenseNet169(ArchitectureOptions o) => new();
    public static DenseNet DenseNet201(ArchitectureOptions o) => new();
}
