using System.Text.Json;

namespace Cnnc.Engine.Tests.Support;

/// <summary>torchvision's classification builders and their published weights, as Debian's torchvision builds them.</summary>
public sealed record TorchvisionBuilders(string Torchvision, IReadOnlyList<TorchvisionBuilder> Builders)
{
    /// <summary>The builder of that name; an unknown name fails the test.</summary>
    public TorchvisionBuilder this[string name] =>
        Builders.SingleOrDefault(b => b.Name == name) ?? throw new KeyNotFoundException($"torchvision has no builder '{name}'.");

    internal static TorchvisionBuilders Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        var builders = root.GetProperty("builders").EnumerateArray().Select(b => new TorchvisionBuilder(
            b.GetProperty("name").GetString()!,
            b.GetProperty("module").GetString()!,
            b.GetProperty("weights").EnumerateArray().Select(w => new TorchvisionWeights(
                w.GetProperty("name").GetString()!,
                w.GetProperty("url").GetString()!,
                w.GetProperty("num_params").GetInt64(),
                w.GetProperty("crop_size")[0].GetInt32(),
                Shapes(w.GetProperty("state_dict")),
                w.TryGetProperty("file_state_dict", out var file) ? Shapes(file) : null)).ToList())).ToList();
        return new TorchvisionBuilders(root.GetProperty("torchvision").GetString()!, builders);
    }

    private static IReadOnlyDictionary<string, long[]> Shapes(JsonElement element) =>
        element.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(d => d.GetInt64()).ToArray());
}

/// <summary>One builder (e.g. "resnet50") and the module it lives in (e.g. "resnet").</summary>
public sealed record TorchvisionBuilder(string Name, string Module, IReadOnlyList<TorchvisionWeights> Weights);

/// <summary>
/// One published weights entry: its crop size, torchvision's <c>num_params</c>, the finished model's state-dict names
/// and shapes, and — where it differs — the layout of the published file (e.g. GoogLeNet's aux heads).
/// </summary>
public sealed record TorchvisionWeights(
    string Name, string Url, long NumParams, int CropSize,
    IReadOnlyDictionary<string, long[]> StateDict, IReadOnlyDictionary<string, long[]>? FileStateDict);
