using System.Globalization;
using Cnnc.Engine.Data;

namespace Cnnc.Engine.Models;

/// <summary>Models of a study that share one preprocessing.</summary>
/// <param name="Preprocessing">The transform.</param>
/// <param name="Description">Short text, e.g. "resize 232, crop 224, bilinear".</param>
/// <param name="Models">Names of the models using it, in study order.</param>
public sealed record PreprocessingGroup(Preprocessing Preprocessing, string Description, IReadOnlyList<string> Models);

/// <summary>
/// Which preprocessing each model of a study uses. Published weights each bring their own (resnet50 V2 resizes to 232,
/// ViT-B/16 SWAG to 384 bicubic): a study that mixes them is allowed, and labelled, never silent.
/// </summary>
public static class PreprocessingMix
{
    /// <summary>The distinct preprocessings, in order of first use.</summary>
    public static IReadOnlyList<PreprocessingGroup> Groups(IEnumerable<ModelReference> models) =>
        models.GroupBy(m => m.Preprocessing)
            .Select(g => new PreprocessingGroup(g.Key, Describe(g.Key), g.Select(m => m.Name).ToList()))
            .ToList();

    /// <summary>
    /// "mixed preprocessings: resize 232, crop 224, bilinear (resnet50:IMAGENET1K_V2); resize 256, crop 224, bilinear
    /// (resnet18:IMAGENET1K_V1)" when the models do not all share one; null when they do.
    /// </summary>
    public static string? Label(IEnumerable<ModelReference> models)
    {
        var groups = Groups(models);
        return groups.Count <= 1
            ? null
            : "mixed preprocessings: " + string.Join("; ", groups.Select(g => $"{g.Description} ({string.Join(", ", g.Models)})"));
    }

    /// <summary>"resize 232, crop 224, bilinear" (+ ", mean … std …" when not ImageNet's statistics).</summary>
    public static string Describe(Preprocessing p)
    {
        var parts = new List<string>();
        if (p.ResizeShorterSide is { } s) parts.Add($"resize {s}");
        if (p.ResizeExact is { } e) parts.Add($"resize {e.Height}x{e.Width}");
        if (p.CenterCrop is { } c) parts.Add(c.Height == c.Width ? $"crop {c.Height}" : $"crop {c.Height}x{c.Width}");
        if (p.ResizeShorterSide is not null || p.ResizeExact is not null) parts.Add(p.Interpolation.ToString().ToLowerInvariant());
        if (p.Channels == 1) parts.Add("grey");
        if (!p.Mean.SequenceEqual(Preprocessing.ImageNetMean) || !p.Std.SequenceEqual(Preprocessing.ImageNetStd))
            parts.Add(p.Mean.Count == 0 ? "not normalised"
                : $"mean {string.Join("/", p.Mean.Select(F))} std {string.Join("/", p.Std.Select(F))}");
        return string.Join(", ", parts);

        static string F(float v) => v.ToString("0.#####", CultureInfo.InvariantCulture);
    }
}
