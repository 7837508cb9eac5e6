using Cnnc.Engine.Analysis;
using Cnnc.Engine.Explain;

namespace Cnnc.Interactive;

/// <summary>
/// What one explanation is of: the command that made it (compare or inspect), model (weights and preprocessing),
/// dataset, image, method, target (-1: predicted).
/// </summary>
internal readonly record struct ExplanationKey(string Command, string Model, string Data, int Image, string Method, int Target);

/// <summary>How one explained image is drawn at one threshold: ROI size, colour-intensity histogram, contour-view PNG.</summary>
internal sealed record ExplanationDrawing(double RoiSize, ColorHistogram? Histogram, string Heatmap);

/// <summary>
/// The explanations compare and inspect computed in a session, and their drawings per threshold, so that running a
/// command again (or with another threshold, rule, distance, sort or strip) explains nothing it explained before. The
/// explainers are deterministic (seeded where random), so a cached map is the map the call would compute. Least recently
/// used entries go first once <see cref="BudgetBytes"/> (maps, histograms and PNGs together) is exceeded. Thread-safe.
/// </summary>
internal sealed class ExplanationCache
{
    /// <summary>Memory the cache may hold (about): 64 MB, e.g. ~300 explanations at 224×224 or ~6,000 at the zoo's 28×28.</summary>
    public const long BudgetBytes = 64L << 20;

    private readonly object _lock = new();
    private readonly Dictionary<object, LinkedListNode<(object Key, object Value, long Bytes)>> _entries = new();
    private readonly LinkedList<(object Key, object Value, long Bytes)> _order = new(); // most recently used first
    private long _bytes;

    public bool TryGet(ExplanationKey key, out Explanation explanation) => TryGet<Explanation>(key, out explanation);

    public bool TryGet(ExplanationKey key, double threshold, out ExplanationDrawing drawing) =>
        TryGet<ExplanationDrawing>((key, threshold), out drawing);

    public void Add(ExplanationKey key, Explanation explanation) =>
        Add(key, explanation, 4L * (explanation.Map.Length + explanation.Raw.Length) + 256);

    public void Add(ExplanationKey key, double threshold, ExplanationDrawing drawing) =>
        Add((key, threshold), drawing, 2L * drawing.Heatmap.Length + (drawing.Histogram is null ? 0 : 4 * 256 * 4) + 256);

    /// <summary>Drops everything.</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _entries.Clear();
            _order.Clear();
            _bytes = 0;
        }
    }

    private bool TryGet<T>(object key, out T value) where T : class
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var node))
            {
                _order.Remove(node);
                _order.AddFirst(node);
                value = (T)node.Value.Value;
                return true;
            }
        }
        value = null!;
        return false;
    }

    private void Add(object key, object value, long bytes)
    {
        lock (_lock)
        {
            if (_entries.Remove(key, out var old))
            {
                _order.Remove(old);
                _bytes -= old.Value.Bytes;
            }
            _entries[key] = _order.AddFirst((key, value, bytes));
            _bytes += bytes;
            while (_bytes > BudgetBytes && _order.Count > 1)
            {
                var last = _order.Last!;
                _order.RemoveLast();
                _entries.Remove(last.Value.Key);
                _bytes -= last.Value.Bytes;
            }
        }
    }
}
