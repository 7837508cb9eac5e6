using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Cnnc.Engine.Models;

/// <summary>Size and cost of a model for one input.</summary>
/// <param name="Parameters">All parameters (trainable or not).</param>
/// <param name="Macs">
/// Multiply-accumulates of one forward pass on a single image, counted from the shapes seen by every convolution and
/// linear layer during a real forward (the convention of torchvision's "GFLOPS" column, which is MACs). Element-wise
/// ops, normalisation and pooling are not counted.
/// </param>
/// <param name="InputShape">The single-image input shape (C, H, W) the MACs are counted for.</param>
public sealed record ModelComplexity(long Parameters, long Macs, IReadOnlyList<long> InputShape)
{
    /// <summary>Parameters in millions.</summary>
    public double ParametersMillions => Parameters / 1e6;

    /// <summary>MACs in billions (G).</summary>
    public double GigaMacs => Macs / 1e9;

    /// <summary>Counts parameters, and MACs with forward hooks on a zero input of the given shape (C, H, W).</summary>
    public static ModelComplexity Measure(nn.Module<Tensor, Tensor> model, long channels, long height, long width)
    {
        Runtime.TorchRuntime.Initialize();
        long parameters = model.parameters().Sum(p => p.numel());
        long macs = 0;
        var removers = new List<Action>();
        var wasTraining = model.training;
        try
        {
            foreach (var (_, module) in model.named_modules())
            {
                switch (module)
                {
                    case Conv2d conv:
                        removers.Add(conv.register_forward_hook((m, _, output) =>
                        {
                            var c = (Conv2d)m;
                            macs += output.numel() / output.shape[0] * (c.in_channels / c.groups) *
                                    c.kernel_size.Aggregate(1L, (a, k) => a * k);
                            return output;
                        }).remove);
                        break;
                    case IMacCounted when module is nn.Module<Tensor, Tensor> own:
                        removers.Add(own.register_forward_hook((m, input, output) =>
                        {
                            macs += ((IMacCounted)m).OwnMacs(input, output);
                            return output;
                        }).remove);
                        break;
                    case Linear linear:
                        removers.Add(linear.register_forward_hook((m, _, output) =>
                        {
                            macs += output.numel() / output.shape[0] * ((Linear)m).in_features;
                            return output;
                        }).remove);
                        break;
                }
            }
            model.eval();
            var device = model.parameters().FirstOrDefault()?.device ?? CPU;
            using var scope = NewDisposeScope();
            using var _ = inference_mode();
            model.call(zeros(1, channels, height, width, device: device));
        }
        finally
        {
            foreach (var remove in removers) remove();
            model.train(wasTraining);
        }
        return new ModelComplexity(parameters, macs, new[] { channels, height, width });
    }
}

/// <summary>
/// A module that multiplies and accumulates outside its Conv2d and Linear submodules (attention's query-key and
/// attention-value products): <see cref="ModelComplexity.Measure"/> adds what it reports to the hooked count.
/// </summary>
public interface IMacCounted
{
    /// <summary>MACs per sample of this module's own products for this call, not counting its Conv2d / Linear submodules.</summary>
    long OwnMacs(Tensor input, Tensor output);
}
