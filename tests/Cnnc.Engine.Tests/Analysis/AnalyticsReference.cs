using System.Text.Json;
using Cnnc.Engine.IO;
using Cnnc.Engine.Runtime;
using Cnnc.Engine.Tests.Support;
using TorchSharp;

namespace Cnnc.Engine.Tests.Analysis;

/// <summary>A scratch folder for one test class and a bridge to tests/fixtures/analytics_reference.py.</summary>
public sealed class AnalyticsReference : IDisposable
{
    public AnalyticsReference()
    {
        TorchRuntime.Initialize();
        Directory.CreateDirectory(Folder);
    }

    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "cnnc-analytics-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(Folder)) Directory.Delete(Folder, recursive: true);
    }

    public string Save(string name, double[] values, params long[] shape)
    {
        var path = Path.Combine(Folder, name + ".npy");
        using var t = torch.tensor(values, shape);
        Npy.Write(path, t);
        return path;
    }

    public string Save(string name, float[] values, params long[] shape)
    {
        var path = Path.Combine(Folder, name + ".npy");
        using var t = torch.tensor(values, shape);
        Npy.Write(path, t);
        return path;
    }

    public string Save(string name, long[] values)
    {
        var path = Path.Combine(Folder, name + ".npy");
        using var t = torch.tensor(values);
        Npy.Write(path, t);
        return path;
    }

    public string Save(string name, bool[] values)
    {
        var path = Path.Combine(Folder, name + ".npy");
        using var t = torch.tensor(values);
        Npy.Write(path, t);
        return path;
    }

    public string Out(string name) => Path.Combine(Folder, name + ".npy");

    /// <summary>Runs the jobs in one Python process; one JSON result per job.</summary>
    public IReadOnlyList<JsonElement> Run(params object[] jobs)
    {
        var file = Path.Combine(Folder, "jobs-" + Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(file, JsonSerializer.Serialize(jobs));
        var script = Path.Combine(PyTorchFixtures.RepoRoot(), "tests", "fixtures", "analytics_reference.py");
        var output = PyTorchFixtures.Run(script, $"\"{file}\"", timeoutSeconds: 300);
        return JsonDocument.Parse(output).RootElement.EnumerateArray().ToArray();
    }

    public static double[] Load(string path)
    {
        using var t = Npy.Read(path);
        using var d = t.to(torch.ScalarType.Float64);
        return d.data<double>().ToArray();
    }
}
