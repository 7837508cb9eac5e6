using System.Text.Json;

namespace Cnnc.Engine.Evaluation;

/// <summary>One entry found in a store folder.</summary>
/// <param name="Kind">"predictions" or "explanations".</param>
/// <param name="Dataset">The dataset's folder (its key).</param>
/// <param name="Model">The model's folder (its key).</param>
/// <param name="Name">For explanations, the entry's key (method[@layer]-target-selection); null for predictions.</param>
/// <param name="Complete">Whether meta.json exists.</param>
/// <param name="Rows">Rows (images) of the entry, when known.</param>
/// <param name="ChunksStored">Chunks stored so far (0 for a complete entry: its chunks are merged).</param>
/// <param name="Chunks">Chunks of the whole entry, when a layout is recorded.</param>
/// <param name="Directory">The entry's folder.</param>
public sealed record StoreItem(string Kind, string Dataset, string Model, string? Name, bool Complete, int? Rows, int ChunksStored,
    int? Chunks, string Directory);

/// <summary>What a store folder holds, read from its files alone (no dataset or model needed): for a copied store too.</summary>
public static class StoreContents
{
    /// <summary>Every predictions and explanation entry under <paramref name="root"/>, complete or not, in folder order.</summary>
    public static IReadOnlyList<StoreItem> Scan(string root)
    {
        var items = new List<StoreItem>();
        foreach (var dataset in Sorted(root))
            foreach (var model in Sorted(dataset))
            {
                if (Item("predictions", dataset, model, null, model) is { } predictions) items.Add(predictions);
                foreach (var entry in Sorted(Path.Combine(model, ExplanationStore.Folder)))
                    if (Item("explanations", dataset, model, Path.GetFileName(entry), entry) is { } explanations) items.Add(explanations);
            }
        return items;
    }

    private static IEnumerable<string> Sorted(string directory) =>
        System.IO.Directory.Exists(directory)
            ? System.IO.Directory.EnumerateDirectories(directory).Where(d => !Path.GetFileName(d).StartsWith('.')).Order(StringComparer.Ordinal)
            : Enumerable.Empty<string>();

    private static StoreItem? Item(string kind, string dataset, string model, string? name, string directory)
    {
        var chunks = new ChunkedEntry(directory);
        if (chunks.IsComplete)
        {
            using var meta = JsonDocument.Parse(File.ReadAllText(chunks.MetaPath));
            var rows = meta.RootElement.TryGetProperty("count", out var count) ? count.GetInt32()
                : meta.RootElement.GetProperty("dataset").GetProperty("count").GetInt32();
            return new(kind, Path.GetFileName(dataset), Path.GetFileName(model), name, true, rows, 0, null, directory);
        }
        if (!System.IO.Directory.Exists(chunks.Parts)) return null;
        var layout = chunks.ReadLayout();
        var stored = System.IO.Directory.EnumerateFiles(chunks.Parts, "chunk-*.npz").Count();
        return new(kind, Path.GetFileName(dataset), Path.GetFileName(model), name, false, layout?.Count, stored, layout?.Chunks, directory);
    }
}
