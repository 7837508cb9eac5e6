using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Cnnc.Engine.Tests.Support;

namespace Cnnc.Engine.Tests.Data;

/// <summary>A temporary folder removed on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "cnnc-data-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string relative, byte[] content)
    {
        var full = Combine(relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        System.IO.File.WriteAllBytes(full, content);
        return full;
    }

    public string Text(string relative, string content) => File(relative, Encoding.UTF8.GetBytes(content));

    public string Combine(string relative) => System.IO.Path.Combine(Path, relative);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Writes PNG files byte by byte, so tests control colour type, bit depth and header fields exactly.</summary>
public static class Png
{
    private static readonly uint[] CrcTable = Enumerable.Range(0, 256).Select(n =>
    {
        var c = (uint)n;
        for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    /// <summary>A PNG with the given IHDR and unfiltered rows (each row: filter byte 0 is added here).</summary>
    public static byte[] Build(int width, int height, byte colorType, byte bitDepth, byte[][] rows, byte[]? palette = null, byte[]? transparency = null)
    {
        using var output = new MemoryStream();
        output.Write(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A });
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = bitDepth;
        ihdr[9] = colorType;
        Chunk(output, "IHDR", ihdr);
        if (palette is not null) Chunk(output, "PLTE", palette);
        if (transparency is not null) Chunk(output, "tRNS", transparency);
        using (var raw = new MemoryStream())
        {
            using (var z = new ZLibStream(raw, CompressionLevel.Optimal, leaveOpen: true))
                foreach (var row in rows)
                {
                    z.WriteByte(0);
                    z.Write(row);
                }
            Chunk(output, "IDAT", raw.ToArray());
        }
        Chunk(output, "IEND", Array.Empty<byte>());
        return output.ToArray();
    }

    /// <summary>Only the signature, an IHDR declaring width × height (RGB 8-bit), a tiny IDAT and IEND.</summary>
    public static byte[] HeaderOnly(int width, int height) => Build(width, height, 2, 8, new[] { new byte[3] });

    public static void Chunk(Stream output, string type, byte[] data)
    {
        var header = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(header, data.Length);
        Encoding.ASCII.GetBytes(type, header.AsSpan(4));
        output.Write(header);
        output.Write(data);
        var crc = 0xFFFFFFFFu;
        foreach (var b in header.AsSpan(4).ToArray().Concat(data)) crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        var crcBytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crcBytes, crc ^ 0xFFFFFFFFu);
        output.Write(crcBytes);
    }
}

/// <summary>Runs a Python snippet with Debian's interpreter (torch, torchvision, numpy, PIL).</summary>
public static class Py
{
    public static string Run(string code, string arguments = "")
    {
        var script = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"cnnc-data-{Guid.NewGuid():N}.py");
        System.IO.File.WriteAllText(script, code);
        try
        {
            return PyTorchFixtures.Run(script, arguments, timeoutSeconds: 300).Trim();
        }
        finally
        {
            System.IO.File.Delete(script);
        }
    }
}
