using System.CommandLine;
using Cnnc.Engine.Runtime;
using TorchSharp;

namespace Cnnc.Cli.Commands;

/// <summary><c>cnnc doctor</c>: shows how TorchSharp was loaded and which device and threads are used.</summary>
internal static class DoctorCommand
{
    public static Command Create()
    {
        var doctor = new Command("doctor", "Check that libtorch loads here; print the native library, malloc tuning, device and threads.");
        doctor.SetAction(_ =>
        {
            var report = TorchRuntime.Initialize();
            using var probe = torch.ones(2, 2).matmul(torch.ones(2, 2));
            Console.WriteLine($"libtorch:      loaded, 2x2 matmul sum = {probe.sum().item<float>()}");
            Console.WriteLine($"native:        {report.NativeLibraryPath ?? "TorchSharp default loader (no patch needed)"}");
            Console.WriteLine($"relaxed:       {(report.RelaxedVersions.Count == 0 ? "none" : string.Join(", ", report.RelaxedVersions))}");
            Console.WriteLine($"malloc tuning: {(report.MallocSettings.Count == 0 ? "off" : string.Join(", ", report.MallocSettings))}");
            Console.WriteLine($"openmp wait: {report.OpenMpWait}");
            Console.WriteLine($"device:        {TorchRuntime.DefaultDevice} (cuda available: {torch.cuda.is_available()})");
            Console.WriteLine($"threads:       {torch.get_num_threads()}");
            return 0;
        });
        return doctor;
    }
}
