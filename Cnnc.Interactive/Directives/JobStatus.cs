using Cnnc.Engine.Studies;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Formatting;

namespace Cnnc.Interactive.Directives;

/// <summary>
/// The one progress helper of the directives: shows a status value, runs the work on a worker thread, and replaces the
/// status with a newer one whenever the work reported progress (polled, so a host that keeps every update as an output
/// gets few). Interrupting the kernel cancels the work; the status then says "cancelled" (or "failed").
/// </summary>
internal static class JobStatus
{
    /// <summary>The worker task of the latest job (tests check that an interrupt really stops it).</summary>
    internal static Task? LastJob { get; private set; }

    /// <param name="context">The command's context (its token cancels the work).</param>
    /// <param name="status">The status view of the latest progress (null before the first) and a state: "running", "cancelled" or "failed".</param>
    /// <param name="poll">How often the status is refreshed.</param>
    /// <param name="work">The work, given the progress sink and the token.</param>
    /// <returns>The result and the displayed status, which the caller replaces with the result.</returns>
    public static async Task<(T Value, DisplayedValue Displayed)> Run<TProgress, T>(KernelInvocationContext context,
        Func<TProgress?, string, object> status, TimeSpan poll, Func<IProgress<TProgress>, CancellationToken, Task<T>> work)
        where TProgress : class
    {
        var displayed = context.Display(status(null, "running"), "text/html", "text/plain");
        TProgress? latest = null;
        var task = work(new InlineProgress<TProgress>(p => Volatile.Write(ref latest, p)), context.CancellationToken);
        LastJob = task;
        TProgress? shown = null;
        while (!task.IsCompleted)
        {
            await Task.WhenAny(task, Task.Delay(poll));
            var now = Volatile.Read(ref latest);
            if (now is not null && !ReferenceEquals(now, shown) && !task.IsCompleted)
            {
                displayed.Update(status(now, "running"));
                shown = now;
            }
        }
        try
        {
            return (await task, displayed);
        }
        catch (OperationCanceledException)
        {
            displayed.Update(status(Volatile.Read(ref latest), "cancelled"));
            throw;
        }
        catch
        {
            displayed.Update(status(Volatile.Read(ref latest), "failed"));
            throw;
        }
    }
}
