using System.Globalization;

namespace Cnnc.Interactive.Directives;

/// <summary>The checks of option values that the host's typed binding leaves to the extension: ranges and words.</summary>
internal static class Choices
{
    /// <summary>A word option: one of <paramref name="words"/> (case-insensitive; the first word of each entry is the one shown).</summary>
    public static T Word<T>(string? value, string option, T fallback, params (string[] Words, T Value)[] words)
    {
        if (value is null || value.Trim().Length == 0) return fallback;
        var word = value.Trim().ToLowerInvariant();
        foreach (var (names, result) in words)
            if (names.Contains(word)) return result;
        var shown = words.Select(w => w.Words[0]).ToList();
        throw new ArgumentException($"Unknown {option} '{value.Trim()}': use {string.Join(", ", shown.Take(shown.Count - 1))} or {shown[^1]}.");
    }

    public static int? Positive(int? value, string option) =>
        value is null or > 0 ? value : throw new ArgumentException($"{option} must be a positive integer (got '{value}').");

    public static double? Positive(double? value, string option) =>
        value is null || (value > 0 && double.IsFinite(value.Value))
            ? value
            : throw new ArgumentException($"{option} must be a positive number (got '{value.Value.ToString(CultureInfo.InvariantCulture)}').");

    public static int? Index(int? value, string option) =>
        value is null or >= 0 ? value : throw new ArgumentException($"{option} must be a dataset item index, 0 or more (got '{value}').");

    public static double Threshold(double? value) =>
        value is null ? Engine.Studies.StudyDefaults.Threshold
        : value is >= 0 and <= 1 ? value.Value
        : throw new ArgumentException($"--threshold must be a number in [0, 1] (got '{value.Value.ToString(CultureInfo.InvariantCulture)}').");

    public static string Required(string? value, string option, string example) =>
        value is { Length: > 0 } ? value : throw new ArgumentException($"{option} is required: give {example}.");

    /// <summary>A comma-separated list ("all" and "none" lower-cased).</summary>
    public static List<string> List(string? value) =>
        (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(s => s.ToLowerInvariant() is "all" or "none" ? s.ToLowerInvariant() : s).ToList();

    /// <summary>The explainer's canonical name (an unknown one is an error listing the methods), or null when not given.</summary>
    public static string? Method(string? value) =>
        value is { Length: > 0 } m ? Engine.Explain.ExplainerCatalog.Create(m).Name : null;
}
