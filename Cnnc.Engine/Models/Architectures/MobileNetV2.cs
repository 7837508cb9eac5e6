using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Models.Architectures;

// Placeholder while the architecture is being written; replaced by the real implementation.
public sealed class MobileNetV2 : nn.Module<Tensor, Tensor>
{
    public MobileNetV2(ArchitectureOptions options) : base("MobileNetV2") => throw new NotImplementedException("MobileNetV2 is being written");
    public override Tensor forward(Tensor input) => throw new NotImplementedException();
}
