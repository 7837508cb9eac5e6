using System.Runtime.CompilerServices;
using Cnnc.Engine.Runtime;
using Cnnc.Engine.Studies;
using Cnnc.Interactive.Directives;
using Cnnc.Interactive.Views;
using Cnnc.Views;
using Microsoft.DotNet.Interactive;

namespace Cnnc.Interactive;

/// <summary>
/// The .NET Interactive extension (the package's only loading mechanism: this type, in
/// <c>interactive-extensions/dotnet/Cnnc.Interactive.dll</c>). Loading it installs the FSharp.Core resolver (before any
/// Plotly.NET type is touched), registers the formatters and <c>#!cnnc</c>, and shows a "how to start" card.
/// </summary>
public sealed class CnncKernelExtension : IKernelExtension
{
    /// <inheritdoc />
    public Task OnLoadAsync(Kernel kernel)
    {
        FSharpCoreResolver.Install();
        Load(kernel);
        return Task.CompletedTask;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Load(Kernel kernel)
    {
        var root = kernel.RootKernel;
        CnncFormatters.Register();
        var added = CnncDirectives.Register(root);
        // libtorch is loaded now (patched where the system libstdc++ is old, see the engine's TorchRuntime), so that
        // notebook code may use TorchSharp directly, before any #!cnnc command did.
        string? problem = null;
        try { TorchRuntime.Initialize(); }
        catch (Exception e) { problem = $"libtorch could not be loaded: {e.Message}"; }
        if (added) KernelInvocationContext.Current?.Display(new StartCard(Study.ZooModelNames, problem), "text/html", "text/plain");
    }
}
