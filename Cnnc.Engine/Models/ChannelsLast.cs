using System.Runtime.CompilerServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Models;

/// <summary>
/// Channels-last ("NHWC") memory layout for inference. On CPU, libtorch's oneDNN convolutions run faster on it than on
/// the default NCHW layout for ResNet, DenseNet, MobileNet V2, AlexNet and SqueezeNet (ShuffleNet V2 is slower on it,
/// so it is left as it is: <see cref="IMemoryLayoutPreference"/>), with the same results up to
/// float rounding. The measured figures are in BENCHMARKS.md ("Runtime settings").
/// </summary>
/// <remarks>
/// <para>TorchSharp 0.107 has no <c>memory_format</c> API, so the layout is made by strides: permute to NHWC, make
/// contiguous, permute back — the tensor keeps its NCHW shape and indexing; only its memory order changes.</para>
/// <para><see cref="Apply"/> converts a model's 4-D parameters and buffers in place and marks the model; the
/// architectures of this library then convert their input on entry (<see cref="Prepare"/>), so callers pass ordinary
/// tensors. Loading a model for use (<see cref="ModelReference.Load"/>, <see cref="Zoo.ZooCatalog.Load"/>) applies
/// it; training does not. Set the environment variable <c>CNNC_CHANNELS_LAST=0</c> to turn it off (to compare).</para>
/// <para>Activations captured by explainers may have channels-last strides; shapes and values are unchanged.</para>
/// </remarks>
public static class ChannelsLast
{
    private static readonly ConditionalWeakTable<nn.Module, object> Marked = new();

    /// <summary>False when <c>CNNC_CHANNELS_LAST=0</c>; default true.</summary>
    public static bool IsEnabled => Environment.GetEnvironmentVariable("CNNC_CHANNELS_LAST") != "0";

    /// <summary>
    /// Converts the model's 4-D parameters and buffers to channels-last memory and marks it so that this library's
    /// architectures convert their input too. No effect when disabled (<see cref="IsEnabled"/>), for a model that
    /// runs slower in this layout (<see cref="IMemoryLayoutPreference"/>: ShuffleNet V2), or when already applied.
    /// Returns whether the model is now channels-last.
    /// </summary>
    public static bool Apply(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!IsEnabled || model is IMemoryLayoutPreference { PrefersChannelsLast: false }) return false;
        if (Marked.TryGetValue(model, out _)) return true;
        using (no_grad())
        {
            foreach (var p in model.parameters())
                if (p.dim() == 4 && !Is(p)) p.set_(Convert(p));
            foreach (var b in model.buffers())
                if (b.dim() == 4 && !Is(b)) b.set_(Convert(b));
        }
        Marked.AddOrUpdate(model, new object());
        return true;
    }

    /// <summary>Whether <see cref="Apply"/> has converted this model.</summary>
    public static bool IsApplied(nn.Module model) => Marked.TryGetValue(model, out _);

    /// <summary>
    /// The input as the model wants it: channels-last when <see cref="Apply"/> converted <paramref name="model"/> and
    /// the input is a 4-D tensor not already in that layout; otherwise the input itself.
    /// </summary>
    public static Tensor Prepare(nn.Module model, Tensor input) =>
        input.dim() == 4 && Marked.TryGetValue(model, out _) && !Is(input) ? Convert(input) : input;

    /// <summary>
    /// Whether a 4-D tensor's memory is channels-last: N, C, H, W strides HWC, 1, WC, C, ignoring dimensions of size 1
    /// (whose stride does not matter, as in libtorch).
    /// </summary>
    public static bool Is(Tensor t)
    {
        if (t.dim() != 4) return false;
        var (c, h, w) = (t.shape[1], t.shape[2], t.shape[3]);
        long[] expected = [h * w * c, 1, w * c, c];
        for (var d = 0; d < 4; d++)
            if (t.shape[d] > 1 && t.stride(d) != expected[d]) return false;
        return true;
    }

    /// <summary>A channels-last copy of a 4-D tensor (same shape and values).</summary>
    public static Tensor Convert(Tensor t)
    {
        using var nhwc = t.permute(0, 2, 3, 1);
        using var dense = nhwc.contiguous();
        return dense.permute(0, 3, 1, 2);
    }
}

/// <summary>
/// An architecture that knows whether the channels-last layout speeds it up (the default for this library's
/// architectures, which need not implement this). ShuffleNet V2 does not: its channel shuffle (a transpose of the
/// channel dimension, then <c>contiguous</c>) turns every unit's output back into NCHW memory, so each unit converts
/// back and forth.
/// </summary>
public interface IMemoryLayoutPreference
{
    /// <summary>False when <see cref="ChannelsLast.Apply"/> should leave the model in the default layout.</summary>
    bool PrefersChannelsLast { get; }
}
