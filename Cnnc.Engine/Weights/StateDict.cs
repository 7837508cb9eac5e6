using System.Collections;
using static TorchSharp.torch;

namespace Cnnc.Engine.Weights;

/// <summary>The on-disk weight formats this namespace reads (and, for two of them, writes).</summary>
public enum WeightsFormat
{
    /// <summary><c>torch.save</c> since PyTorch 1.6: a zip archive with <c>data.pkl</c> and <c>data/&lt;key&gt;</c> storages.</summary>
    PyTorchZip,
    /// <summary><c>torch.save(..., _use_new_zipfile_serialization=False)</c>: magic-number pickle, pickles, raw storages.</summary>
    PyTorchLegacy,
    /// <summary>Hugging Face <c>.safetensors</c>: 8-byte header length, JSON header, one data section.</summary>
    SafeTensors,
    /// <summary>What TorchSharp's <c>Module.save</c> writes and <c>Module.load</c> reads (LEB128 counts, no magic).</summary>
    TorchSharp,
}

/// <summary>
/// Named CPU tensors read from a weights file, in file order. Owns its tensors: dispose it (tensors taken out of it
/// and kept must be <c>alias()</c>ed or cloned first).
/// </summary>
public sealed class StateDict : IReadOnlyDictionary<string, Tensor>, IDisposable
{
    private readonly List<string> _order;
    private readonly Dictionary<string, Tensor> _tensors;

    internal StateDict(IEnumerable<KeyValuePair<string, Tensor>> entries, string? sourcePath, WeightsFormat format,
                       IReadOnlyDictionary<string, string>? metadata = null)
    {
        _order = new List<string>();
        _tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, tensor) in entries)
        {
            if (!_tensors.TryAdd(key, tensor))
            {
                tensor.Dispose();
                Dispose();
                throw new InvalidDataException($"duplicate tensor name '{key}'.");
            }
            _order.Add(key);
        }
        SourcePath = sourcePath;
        Format = format;
        Metadata = metadata ?? new Dictionary<string, string>();
    }

    /// <summary>The file it was read from.</summary>
    public string? SourcePath { get; }

    /// <summary>The format that file was in.</summary>
    public WeightsFormat Format { get; }

    /// <summary>Free-form string metadata (safetensors' <c>__metadata__</c>); empty for other formats.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    public Tensor this[string key] => _tensors[key];
    public IEnumerable<string> Keys => _order;
    public IEnumerable<Tensor> Values => _order.Select(k => _tensors[k]);
    public int Count => _order.Count;
    public bool ContainsKey(string key) => _tensors.ContainsKey(key);
    public bool TryGetValue(string key, out Tensor value) => _tensors.TryGetValue(key, out value!);

    public IEnumerator<KeyValuePair<string, Tensor>> GetEnumerator() =>
        _order.Select(k => new KeyValuePair<string, Tensor>(k, _tensors[k])).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public void Dispose()
    {
        foreach (var tensor in _tensors.Values) tensor.Dispose();
        _tensors.Clear();
        _order.Clear();
    }
}
