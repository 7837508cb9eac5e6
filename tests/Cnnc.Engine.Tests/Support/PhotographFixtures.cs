using System.Text.Json;

namespace Cnnc.Engine.Tests.Support;

/// <summary>One file of tests/fixtures/photographs.py.</summary>
public sealed record PhotographCase(string Name, string File, string Source, string Variant, string PilMode)
{
    public override string ToString() => Name;
}

/// <summary>A torchvision preset the fixture applied (weights.transforms()).</summary>
public sealed record PhotographPreset(string Key, string Arch, string Weights, int Resize, int Crop, string Interpolation);

/// <summary>
/// Real photographs from Debian packages and what PIL / torchvision make of them, written by
/// <c>tests/fixtures/photographs.py</c> on first use into tests/fixtures/.generated/photographs.
/// </summary>
public static class PhotographFixtures
{
    private static readonly Lazy<string> Root = new(() =>
    {
        var dir = Path.Combine(PyTorchFixtures.Directory, "photographs");
        PyTorchFixtures.Generate(Path.Combine(dir, "manifest.json"),
            () => PyTorchFixtures.Run(Path.Combine(PyTorchFixtures.RepoRoot(), "tests", "fixtures", "photographs.py"), $"--out \"{dir}\""));
        return dir;
    });

    private static readonly Lazy<JsonDocument> Manifest = new(() => JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, "manifest.json"))));

    /// <summary>The fixture folder (generated when missing).</summary>
    public static string Directory => Root.Value;

    public static IReadOnlyList<PhotographCase> Cases => Manifest.Value.RootElement.GetProperty("cases").EnumerateArray()
        .Select(c => new PhotographCase(c.GetProperty("name").GetString()!, c.GetProperty("file").GetString()!,
            c.GetProperty("source").GetString()!, c.GetProperty("variant").GetString()!, c.GetProperty("pil_mode").GetString()!))
        .ToList();

    public static PhotographPreset Preset(string key)
    {
        var p = Manifest.Value.RootElement.GetProperty("presets").GetProperty(key);
        return new PhotographPreset(key, p.GetProperty("arch").GetString()!, p.GetProperty("weights").GetString()!,
            p.GetProperty("resize")[0].GetInt32(), p.GetProperty("crop")[0].GetInt32(), p.GetProperty("interpolation").GetString()!);
    }

    public static string PathOf(PhotographCase c) => Path.Combine(Directory, c.File);

    public static string Decoded(PhotographCase c) => Path.Combine(Directory, "decoded", c.Name + ".npy");

    public static string Tensor(PhotographCase c, string preset) => Path.Combine(Directory, "tensors", $"{c.Name}.{preset}.npy");

    /// <summary>Case names for xunit theories (generates the fixture on enumeration).</summary>
    public static IEnumerable<object[]> Names() => Cases.Select(c => new object[] { c.Name });

    public static PhotographCase Case(string name) => Cases.Single(c => c.Name == name);
}
