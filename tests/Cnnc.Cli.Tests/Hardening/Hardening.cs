using System.Text;
using Cnnc.Engine.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace Cnnc.Cli.Tests.Hardening;

/// <summary>
/// Shared parts of the hardening suite: a scratch folder, the one-line-error check every case ends in, and makers of
/// valid and broken inputs.
/// </summary>
public abstract class Hardening : IDisposable
{
    /// <summary>Scratch folder of one test class instance.</summary>
    protected string Dir { get; } = Directory.CreateTempSubdirectory("cnnc-hardening").FullName;

    /// <inheritdoc />
    public virtual void Dispose() => Directory.Delete(Dir, recursive: true);

    /// <summary>Path of a file in <see cref="Dir"/>, written with <paramref name="bytes"/>.</summary>
    protected string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(Dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>
    /// Runs cnnc and asserts the outcome every bad input must have: exit code 1, exactly one line on stderr that starts
    /// with "error: " and contains each of <paramref name="expected"/>, no stack trace. Returns that line.
    /// </summary>
    protected static string FailsWithOneLine(string[] args, params string[] expected)
    {
        var result = CliProcess.Run(args);
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(result.ExitCode == 1, $"exit {result.ExitCode}; stdout: {result.Stdout}; stderr: {result.Stderr}");
        Assert.True(lines.Length == 1, "expected one line on stderr, got:\n" + result.Stderr);
        Assert.StartsWith("error: ", lines[0]);
        foreach (var text in expected) Assert.Contains(text, lines[0]);
        Assert.DoesNotContain("   at ", result.Stderr);
        Assert.DoesNotContain("Exception", lines[0]);
        return lines[0];
    }

    /// <summary>Runs cnnc and asserts success; returns stdout.</summary>
    protected static string Succeeds(params string[] args)
    {
        var result = CliProcess.Run(args);
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}; stderr: {result.Stderr}");
        return result.Stdout;
    }

    /// <summary>A PNG of a <paramref name="width"/>×<paramref name="height"/> RGB gradient.</summary>
    protected static byte[] Png(int width, int height, PngEncoder? encoder = null)
    {
        using var image = new Image<Rgb24>(width, height);
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
                image[x, y] = new Rgb24((byte)(x * 9), (byte)(y * 9), (byte)((x + y) * 5));
        using var ms = new MemoryStream();
        image.Save(ms, encoder ?? new PngEncoder());
        return ms.ToArray();
    }

    /// <summary>A PNG whose header declares <paramref name="width"/>×<paramref name="height"/> and which holds no pixels.</summary>
    protected static byte[] PngHeaderOnly(int width, int height)
    {
        var ihdr = new byte[13];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 2; // RGB
        var chunk = new List<byte>();
        chunk.AddRange(new byte[] { 0, 0, 0, 13 });
        chunk.AddRange(Encoding.ASCII.GetBytes("IHDR"));
        chunk.AddRange(ihdr);
        var crc = Crc32(chunk.Skip(4).ToArray());
        var crcBytes = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(crcBytes, crc);
        chunk.AddRange(crcBytes);
        return new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }.Concat(chunk).ToArray();
    }

    private static uint Crc32(byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
        return ~crc;
    }

    /// <summary>Runs a Python snippet with Debian's interpreter (python3-torch, python3-pil); returns stdout.</summary>
    protected string Python(string code, params string[] arguments)
    {
        var script = Path.Combine(Dir, $"script-{Guid.NewGuid():N}.py");
        File.WriteAllText(script, code);
        return PyTorchFixtures.Run(script, string.Join(' ', arguments.Select(a => $"\"{a}\"")));
    }

    /// <summary>The zoo resnet18's safetensors file (extracted by the CLI, SHA-256 checked).</summary>
    protected static string ZooWeights(string model = "resnet18") => Succeeds("zoo", "weights", model).Trim();
}
