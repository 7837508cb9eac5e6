using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Weights;

/// <summary>Saves a module's state dict (parameters and persistent buffers) to safetensors or TorchSharp's format.</summary>
public static class WeightsWriter
{
    /// <summary>
    /// Writes <c>module.state_dict()</c> atomically (temporary file, then rename); the <paramref name="metadata"/> are
    /// safetensors' <c>__metadata__</c> (none for the TorchSharp format).
    /// </summary>
    public static void Save(nn.Module module, string path, WeightsFormat format = WeightsFormat.SafeTensors,
                            IReadOnlyDictionary<string, string>? metadata = null)
    {
        Runtime.TorchRuntime.Initialize();
        Save(module.state_dict(), path, format, metadata);
    }

    /// <summary>Writes named tensors atomically in the given format.</summary>
    public static void Save(IEnumerable<KeyValuePair<string, Tensor>> tensors, string path, WeightsFormat format,
                            IReadOnlyDictionary<string, string>? metadata = null)
    {
        switch (format)
        {
            case WeightsFormat.SafeTensors:
                SafeTensors.Write(path, tensors, metadata);
                break;
            case WeightsFormat.TorchSharp:
                if (metadata is { Count: > 0 }) throw new ArgumentException("TorchSharp's format has no place for metadata.", nameof(metadata));
                TorchSharpFormat.Write(path, tensors);
                break;
            default:
                throw new NotSupportedException($"Writing {format} is not supported: use SafeTensors or TorchSharp.");
        }
    }
}
