using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Models.Architectures;

// Placeholder while the architecture is being written; replaced by the real implementation.
public sealed class SqueezeNet11 : nn.Module<Tensor, Tensor>
{
    public SqueezeNet11(ArchitectureOptions options) : base("SqueezeNet11") => throw new NotImplementedException("SqueezeNet11 is being written");
    public override Tensor forward(Tensor input) => throw new NotImplementedException();
}
