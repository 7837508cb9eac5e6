using System.Security.Cryptography;

namespace Cnnc.Engine.Weights;

/// <summary>Format detection, reading any supported format, and content hashing of weights files.</summary>
public static class WeightsFile
{
    /// <summary>
    /// The file's format, from its bytes (never its extension): zip magic <c>PK\x03\x04</c> → PyTorch zip; the legacy
    /// pickle magic number → PyTorch legacy; an 8-byte header length followed by <c>{</c> → safetensors; a byte layout
    /// that TorchSharp's format accounts for completely → TorchSharp. Anything else is an error naming the file.
    /// </summary>
    public static WeightsFormat DetectFormat(string path)
    {
        return FileErrors.Wrap(path, () =>
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            var head = new byte[PyTorchCheckpoint.LegacyMagic.Length];
            var n = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            stream.Position = 0;
            if (n >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) return WeightsFormat.PyTorchZip;
            if (n == head.Length && head.AsSpan().SequenceEqual(PyTorchCheckpoint.LegacyMagic)) return WeightsFormat.PyTorchLegacy;
            if (SafeTensors.LooksLike(stream)) return WeightsFormat.SafeTensors;
            if (TorchSharpFormat.LooksLike(stream, out var entries, out var error)) return WeightsFormat.TorchSharp;
            if (entries > 0) throw new InvalidDataException($"looks like a TorchSharp weights file, but: {error}");
            throw new InvalidDataException(
                $"unrecognised weights format (first bytes {Convert.ToHexString(head, 0, n)}): expected a torch.save " +
                ".pth/.pt (zip or legacy), .safetensors, or a TorchSharp Module.save file.");
        });
    }

    /// <summary>
    /// Reads the state dict of a file in any supported format (detected from its bytes); <paramref name="entry"/> names
    /// the entry of a torch.save checkpoint dict to take (e.g. "model_ema"; other formats have none).
    /// </summary>
    public static StateDict Read(string path, string? entry = null) => DetectFormat(path) switch
    {
        WeightsFormat.PyTorchZip or WeightsFormat.PyTorchLegacy => PyTorchCheckpoint.Read(path, entry),
        _ when entry is not null => throw new InvalidDataException($"{path}: only torch.save checkpoints have entries (asked for '{entry}')."),
        WeightsFormat.SafeTensors => SafeTensors.Read(path),
        _ => TorchSharpFormat.Read(path),
    };

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string, long, DateTime), string> Hashes = new();

    /// <summary>
    /// SHA-256 of the file's bytes, lowercase hex (for keying caches on weights content, and recognising published
    /// files). Remembered per path, size and modification time for the process: recognising a file and loading it
    /// read it once.
    /// </summary>
    public static string Sha256(string path)
    {
        var file = new FileInfo(path);
        var key = (file.FullName, file.Length, file.LastWriteTimeUtc);
        if (Hashes.TryGetValue(key, out var known)) return known;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        var hash = Convert.ToHexStringLower(SHA256.HashData(stream));
        Hashes[key] = hash;
        return hash;
    }
}
