using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Models.Architectures;

// Placeholder while the architecture is being written; replaced by the real implementation.
public sealed class AlexNet : nn.Module<Tensor, Tensor>
{
    public AlexNet(ArchitectureOptions options) : base("AlexNet") => throw new NotImplementedException("AlexNet is being written");
    public override Tensor forward(Tensor input) => throw new NotImplementedException();
}
