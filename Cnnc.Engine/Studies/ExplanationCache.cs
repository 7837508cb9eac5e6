using Cnnc.Engine.Analysis;
using Cnnc.Engine.Explain;
using Cnnc.Engine.Rendering;

namespace Cnnc.Engine.Studies;

/// <summary>
/// What one explanation is of: the view that made it (view D's examples, compare or inspect), model (weights and
/// preprocessing), dataset, image, method, target (-1: predicted). Each view keeps its own entries: compare explains an
/// image alone, inspect a page in one batch, and batching may change the last float bits of a map, so a view's output
/// never depends on which other view ran before.
/// </summary>
internal readonly record struct ExplanationKey(string View, string Model, string Data, int Image, string Method, int Target);

/// <summary>How one explained image is drawn at one threshold: ROI size, colour-intensity histogram, contour view.</summary>
internal sealed record ExplanationDrawing(double RoiSize, ColorHistogram? Histogram, PngImage Heatmap);

/// <summary>
/// The one explanation cache of a study: the explanations view D, compare and inspect computed, and their drawings per
/// threshold (view D: per render options), so that running a view again (or with another threshold, rule, distance,
/// sort or strip) explains nothing it explained before. The explainers are deterministic (seeded where random), so a
/// cached map is the map the call would compute. Least recently used entries go first once the budget (maps,
/// histograms and PNGs together) is exceeded. Thread-safe.
/// </summary>
internal sealed class ExplanationCache(long budgetBytes = StudyDefaults.ExplanationCacheBytes)
{
    private readonly object _lock = new();
    private readonly Dictionary<object, LinkedListNode<(object Key, object Value, long Bytes)>> _entries = new();
    private readonly LinkedList<(object Key, object Value, long Bytes)> _order = new(); // most recently used first
    private long _bytes;

    public bool TryGet(ExplanationKey key, out Explanation explanation) => TryGet<Explanation>(key, out explanation);

    public bool TryGet(ExplanationKey key, double threshold, out ExplanationDrawing drawing) =>
        TryGet<ExplanationDrawing>((key, threshold), out drawing);

    public bool TryGet(ExplanationKey key, ExampleRenderOptions render, out ExplainerExample example) =>
        TryGet<ExplainerExample>((key, render), out example);

    public void Add(ExplanationKey key, Explanation explanation) =>
        Add(key, explanation, MapBytes(explanation));

    public void Add(ExplanationKey key, double threshold, ExplanationDrawing drawing) =>
        Add((key, threshold), drawing, drawing.Heatmap.Bytes.Length + (drawing.Histogram is null ? 0 : 4 * 256 * 4) + 256);

    public void Add(ExplanationKey key, ExampleRenderOptions render, ExplainerExample example) =>
        Add((key, render), example, (example.Explanation is { } e ? MapBytes(e) : 0) + (example.Png?.Bytes.Length ?? 0) + 256);

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

    private static long MapBytes(Explanation e) => 4L * (e.Map.Length + e.Raw.Length) + 256;

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
            while (_bytes > budgetBytes && _order.Count > 1)
            {
                var last = _order.Last!;
                _order.RemoveLast();
                _entries.Remove(last.Value.Key);
                _bytes -= last.Value.Bytes;
            }
        }
    }
}
