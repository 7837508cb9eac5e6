using System.CommandLine;

namespace Cnnc.Cli;

/// <summary>
/// Runs the command line: one clear line on stderr for an error, a stack trace only with CNNC_DEBUG=1. Exit codes say
/// what a scheduler (sacct's ExitCode) or a retry loop should do: 0 done; 1 an error that a rerun repeats (fix the
/// input first); 75 (EX_TEMPFAIL) out of disk space or quota — free some and rerun, it resumes; 130 interrupted
/// (Ctrl+C) and 143 terminated (SIGTERM: scancel, a time limit) — rerun, it resumes.
/// </summary>
internal static class CliRunner
{
    public const int ExitError = 1;
    public const int ExitTemporary = 75;
    public const int ExitCancelled = 130;

    public static async Task<int> RunAsync(RootCommand root, string[] args)
    {
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
        var parse = root.Parse(args);
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }, cancel.Token);
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("cancelled");
            return ExitCancelled;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"error: {Describe(e)}");
            if (Environment.GetEnvironmentVariable("CNNC_DEBUG") == "1") Console.Error.WriteLine(e);
            return IsOutOfSpace(e) ? ExitTemporary : ExitError;
        }
    }

    /// <summary>ENOSPC (28) or EDQUOT (122): the IOException's HResult is the errno on Linux.</summary>
    private static bool IsOutOfSpace(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
            if (e is IOException { HResult: 28 or 122 }) return true;
        return false;
    }

    private static string Describe(Exception e)
    {
        // Type initialisers and reflection wrap the real error: show the innermost message that says something.
        while (e is TypeInitializationException or System.Reflection.TargetInvocationException or AggregateException
               && e.InnerException is not null)
            e = e.InnerException;
        return e.Message.ReplaceLineEndings(" ");
    }
}

/// <summary>Synchronous actions that still receive the cancellation token (Ctrl+C).</summary>
internal static class CommandExtensions
{
    public static void SetCancellableAction(this Command command, Func<ParseResult, CancellationToken, int> action) =>
        command.SetAction((parse, token) => Task.FromResult(action(parse, token)));
}
