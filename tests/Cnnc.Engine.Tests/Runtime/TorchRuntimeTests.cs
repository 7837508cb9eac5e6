using Cnnc.Engine.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Tests.Runtime;

public sealed class TorchRuntimeTests
{
    [Fact]
    public void TensorOpAndModuleForwardRun()
    {
        TorchRuntime.Initialize();
        using var a = tensor(new float[] { 1, 2, 3, 4 }).reshape(2, 2);
        using var b = a.matmul(a);
        Assert.Equal(new float[] { 7, 10, 15, 22 }, b.data<float>().ToArray());

        manual_seed(1);
        using var conv = nn.Conv2d(3, 4, 3, padding: 1);
        using var x = ones(2, 3, 8, 8);
        using var y = conv.call(x);
        Assert.Equal(new long[] { 2, 4, 8, 8 }, y.shape);
    }

    [Fact]
    public void ReportSaysWhatWasPatched()
    {
        var report = TorchRuntime.Initialize();
        // This machine's libstdc++ (Debian 12: GLIBCXX_3.4.30) lacks 3.4.32, so the patched copy must be in use;
        // on a system with GCC 13+ nothing is patched and TorchSharp's own loader is used.
        var systemIsOld = !File.ReadAllText("/proc/self/maps").Contains("libstdc++") ||
                          !System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(FindLibStdCxx())).Contains("GLIBCXX_3.4.32\0");
        if (systemIsOld)
        {
            Assert.Contains("GLIBCXX_3.4.32", report.RelaxedVersions);
            Assert.NotNull(report.NativeLibraryPath);
            Assert.True(File.Exists(report.NativeLibraryPath));
        }
        else
        {
            Assert.Empty(report.RelaxedVersions);
            Assert.Null(report.NativeLibraryPath);
        }
    }

    private static string FindLibStdCxx() =>
        File.ReadLines("/proc/self/maps").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(p => p.Length >= 6 && p[5].Contains("libstdc++.so.6")).Select(p => p[5]).First();
}
