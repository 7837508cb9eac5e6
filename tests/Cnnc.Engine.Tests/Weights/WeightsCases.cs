using Cnnc.Engine.IO;
using Cnnc.Engine.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Tests.Weights;

/// <summary>The PyTorch-written weights fixtures of tests/fixtures/weights_cases.py, generated once per machine.</summary>
public static class WeightsCases
{
    /// <summary>The fixture folder (generated on first use).</summary>
    public static string Directory
    {
        get
        {
            var dir = Path.Combine(PyTorchFixtures.Directory, "weights_cases_v2");
            PyTorchFixtures.Generate(Path.Combine(dir, "complete"),
                () => PyTorchFixtures.Run(Path.Combine(PyTorchFixtures.RepoRoot(), "tests", "fixtures", "weights_cases.py"), $"--out \"{dir}\""));
            return dir;
        }
    }

    public static string File_(string name) => Path.Combine(Directory, name);

    /// <summary>(key, torch dtype name) in the order the state dict was saved.</summary>
    public static IReadOnlyList<(string Key, string DType)> Expected() =>
        File.ReadAllLines(Path.Combine(Directory, "expected", "dtypes.txt"))
            .Where(l => l.Length > 0).Select(l => l.Split(' ')).Select(p => (p[0], p[1])).ToList();

    public static Tensor ExpectedValue(string key) => Npy.Read(Path.Combine(Directory, "expected", key + ".npy"));

    public static ScalarType DType(string torchName) => torchName switch
    {
        "float32" => ScalarType.Float32, "float64" => ScalarType.Float64, "float16" => ScalarType.Float16,
        "bfloat16" => ScalarType.BFloat16, "int64" => ScalarType.Int64, "int32" => ScalarType.Int32,
        "int16" => ScalarType.Int16, "int8" => ScalarType.Int8, "uint8" => ScalarType.Byte, "bool" => ScalarType.Bool,
        _ => throw new ArgumentException(torchName),
    };

    /// <summary>Same dtype, shape and bytes (compared through contiguous copies).</summary>
    public static void AssertIdentical(Tensor expected, Tensor actual, string key)
    {
        Assert.True(expected.dtype == actual.dtype, $"{key}: dtype {actual.dtype}, expected {expected.dtype}");
        Assert.True(expected.shape.SequenceEqual(actual.shape),
                    $"{key}: shape [{string.Join(",", actual.shape)}], expected [{string.Join(",", expected.shape)}]");
        using var e = expected.contiguous();
        using var a = actual.contiguous();
        Assert.True(e.bytes.SequenceEqual(a.bytes), $"{key}: values differ");
    }

    /// <summary>A copy of a file under a fresh temporary name (optionally cut to <paramref name="length"/> bytes).</summary>
    public static string CopyToTemp(string source, string extension, long? length = null)
    {
        var bytes = File.ReadAllBytes(source);
        var path = TempPath(extension);
        File.WriteAllBytes(path, length is { } n ? bytes[..(int)n] : bytes);
        return path;
    }

    public static string TempPath(string extension)
    {
        var dir = Path.Combine(Path.GetTempPath(), "cnnc-weights-tests");
        System.IO.Directory.CreateDirectory(dir);
        return Path.Combine(dir, Guid.NewGuid().ToString("N") + extension);
    }
}
