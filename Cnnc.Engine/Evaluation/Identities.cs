using System.Security.Cryptography;
using System.Text;

namespace Cnnc.Engine.Evaluation;

/// <summary>Which model produced predictions: its name, architecture and the hash of its weights.</summary>
/// <param name="Name">Display name (zoo name, or a user's label).</param>
/// <param name="Architecture">Architecture name.</param>
/// <param name="WeightsSha256">SHA-256 (hex) of the weights; a changed file gives a new key, never stale results.</param>
public sealed record ModelIdentity(string Name, string Architecture, string WeightsSha256)
{
    /// <summary>Folder name in the store: name plus the first 16 hex digits of the weights hash.</summary>
    public string Key => $"{Sanitize(Name)}-{WeightsSha256[..Math.Min(16, WeightsSha256.Length)].ToLowerInvariant()}";

    internal static string Sanitize(string text)
    {
        var sb = new StringBuilder();
        foreach (var c in text) sb.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_');
        return sb.ToString();
    }
}

/// <summary>Which data was evaluated.</summary>
/// <param name="Name">Dataset name, e.g. "fashion-mnist-test".</param>
/// <param name="Fingerprint">Stable hash of the exact data (files and labels).</param>
/// <param name="Count">Number of images.</param>
/// <param name="Classes">Leaf class names in label order.</param>
public sealed record DatasetIdentity(string Name, string Fingerprint, int Count, IReadOnlyList<string> Classes)
{
    /// <summary>Folder name in the store: name plus the first 16 hex digits of the fingerprint.</summary>
    public string Key => $"{ModelIdentity.Sanitize(Name)}-{Fingerprint[..Math.Min(16, Fingerprint.Length)].ToLowerInvariant()}";

    /// <summary>A fingerprint from arbitrary parts (e.g. file hashes and labels).</summary>
    public static string FingerprintOf(params string[] parts) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n", parts)))).ToLowerInvariant();
}
