using Cnnc.Engine.Models;
using static TorchSharp.torch;

namespace Cnnc.Engine.Studies;

/// <summary>
/// The models a study keeps loaded between explanation calls: the most recently used ones, up to
/// <see cref="StudyDefaults.LoadedModelBudget"/> parameters in all (the latest one always stays). Thread-safe.
/// </summary>
internal sealed class ModelCache : IDisposable
{
    private readonly long _budget;

    // Most recently used first.
    private readonly LinkedList<(ModelReference Reference, LoadedModel Model, long Parameters)> _models = new();

    public ModelCache(long budget = StudyDefaults.LoadedModelBudget) => _budget = budget;

    /// <summary>The loaded model of <paramref name="reference"/>, loading it (and evicting others) when needed.</summary>
    public LoadedModel Get(ModelReference reference, Device device)
    {
        lock (_models)
        {
            for (var node = _models.First; node is not null; node = node.Next)
                if (node.Value.Reference == reference)
                {
                    _models.Remove(node);
                    _models.AddFirst(node);
                    return node.Value.Model;
                }
            var loaded = reference.Load(device);
            var parameters = loaded.Module.parameters().Sum(p => p.numel());
            _models.AddFirst((reference, loaded, parameters));
            while (_models.Count > 1 && _models.Sum(m => m.Parameters) > _budget)
            {
                _models.Last!.Value.Model.Dispose();
                _models.RemoveLast();
            }
            return loaded;
        }
    }

    /// <summary>Frees every model.</summary>
    public void Clear()
    {
        lock (_models)
        {
            foreach (var (_, model, _) in _models) model.Dispose();
            _models.Clear();
        }
    }

    public void Dispose() => Clear();
}
