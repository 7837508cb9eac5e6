using TorchSharp;

namespace Cnnc.Engine.Models;

/// <summary>Addresses submodules by their state-dict style path, e.g. "layer4" or "features.norm5".</summary>
public static class ModulePaths
{
    /// <summary>All submodule paths of <paramref name="root"/>, in registration order.</summary>
    public static IReadOnlyList<string> All(torch.nn.Module root) =>
        root.named_modules().Select(m => m.name).Where(n => n.Length > 0).ToList();

    /// <summary>The submodule at <paramref name="path"/>; an unknown path is an error listing valid ones.</summary>
    public static torch.nn.Module Find(torch.nn.Module root, string path)
    {
        foreach (var (name, module) in root.named_modules())
            if (name == path) return module;
        var all = All(root);
        var prefix = path.Contains('.') ? path[..path.LastIndexOf('.')] : "";
        var near = all.Where(p => prefix.Length > 0 && p.StartsWith(prefix, StringComparison.Ordinal)).Take(20).ToList();
        var top = all.Where(p => !p.Contains('.')).ToList();
        throw new ArgumentException(
            $"Unknown layer '{path}'. Top-level layers: {string.Join(", ", top)}" +
            (near.Count > 0 ? $"; under '{prefix}': {string.Join(", ", near)}" : "") +
            $" ({all.Count} paths in all).");
    }
}
