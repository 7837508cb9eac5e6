using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Events;

namespace Cnnc.Interactive.Tests;

/// <summary>The in-process notebook host the kernel tests share: a C# kernel in a composite, and reading its events.</summary>
internal static class NotebookHost
{
    /// <summary>A fresh <c>CompositeKernel { CSharpKernel }</c> with helpers and value sharing, C# by default.</summary>
    public static CompositeKernel NewKernel()
    {
        var kernel = new CompositeKernel { new CSharpKernel().UseKernelHelpers().UseValueSharing() };
        kernel.DefaultKernelName = "csharp";
        return kernel;
    }

    /// <summary>Submits <paramref name="code"/> and returns the events it produced.</summary>
    public static async Task<IReadOnlyList<KernelEvent>> Submit(this Kernel kernel, string code) =>
        (await kernel.SendAsync(new SubmitCode(code))).Events;

    /// <summary>All displayed text/html values, joined by newlines.</summary>
    public static string DisplayedHtml(IEnumerable<KernelEvent> events) => string.Join("\n", events
        .OfType<DisplayEvent>().SelectMany(e => e.FormattedValues).Where(v => v.MimeType == "text/html").Select(v => v.Value));

    /// <summary>The failure message of the command, or "" when it succeeded.</summary>
    public static string Failure(IEnumerable<KernelEvent> events) =>
        events.OfType<CommandFailed>().SingleOrDefault()?.Message ?? "";

    /// <summary>What the kernel offers to complete at the end of <paramref name="code"/>.</summary>
    public static async Task<IReadOnlyList<string>> Completions(this Kernel kernel, string code)
    {
        var result = await kernel.SendAsync(new RequestCompletions(code, new LinePosition(0, code.Length)));
        return result.Events.OfType<CompletionsProduced>().SelectMany(c => c.Completions).Select(c => c.InsertText ?? c.DisplayText).ToList();
    }
}

/// <summary>Calls <paramref name="onNext"/> for every event the kernel publishes (subscribe with <c>KernelEvents.Subscribe</c>).</summary>
internal sealed class EventObserver(Action<KernelEvent> onNext) : IObserver<KernelEvent>
{
    public void OnNext(KernelEvent value) => onNext(value);
    public void OnError(Exception error) { }
    public void OnCompleted() { }
}
