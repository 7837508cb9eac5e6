// After torchvision 0.14's torchvision/ops/misc.py MLP (BSD-3-Clause, the PyTorch vision authors).

using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Cnnc.Engine.Models.Layers;

/// <summary>
/// torchvision's <c>MLP</c> (and ViT's <c>MLPBlock</c>, which is one): for every hidden width but the last a Linear,
/// the activation and a Dropout; then the last Linear and a Dropout — a <see cref="Sequential"/> indexed 0, 1, 2, …,
/// so state-dict keys are torchvision's (<c>mlp.0.weight</c>, <c>mlp.3.bias</c>). Dropout is inactive in eval mode.
/// </summary>
public static class Mlp
{
    /// <summary>Builds the block.</summary>
    /// <param name="inChannels">Input features.</param>
    /// <param name="hiddenChannels">Widths of the Linear layers, the last one being the output width.</param>
    /// <param name="activation">Activation factory; default GELU (exact, as <c>torch.nn.GELU()</c>).</param>
    /// <param name="dropout">Dropout probability after each Linear.</param>
    public static Sequential Create(long inChannels, IReadOnlyList<long> hiddenChannels,
        Func<nn.Module<Tensor, Tensor>>? activation = null, double dropout = 0.0)
    {
        ArgumentNullException.ThrowIfNull(hiddenChannels);
        if (hiddenChannels.Count == 0) throw new ArgumentException("An MLP needs at least one Linear layer.");
        var layers = new List<nn.Module<Tensor, Tensor>>();
        var width = inChannels;
        for (var i = 0; i < hiddenChannels.Count - 1; i++)
        {
            layers.Add(nn.Linear(width, hiddenChannels[i]));
            layers.Add(activation?.Invoke() ?? nn.GELU());
            layers.Add(nn.Dropout(dropout));
            width = hiddenChannels[i];
        }
        layers.Add(nn.Linear(width, hiddenChannels[^1]));
        layers.Add(nn.Dropout(dropout));
        return nn.Sequential(layers);
    }
}
