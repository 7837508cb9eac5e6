using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Models.Architectures;

// Placeholder while the architecture is being written; replaced by the real implementation.
public sealed class ShuffleNetV2 : nn.Module<Tensor, Tensor>
{
    private ShuffleNetV2() : base("ShuffleNetV2") => throw new NotImplementedException("ShuffleNetV2 is being written");
    public override Tensor forward(Tensor input) => throw new NotImplementedException();
    public static ShuffleNetV2 X0_5(ArchitectureOptions o) => new();
}
