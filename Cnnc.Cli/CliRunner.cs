using System.CommandLine;

namespace Cnnc.Cli;

/// <summary>Runs the command line: one clear line on stderr for an error, a stack trace only with CNNC_DEBUG=1.</summary>
internal static class CliRunner
{
    public const int ExitError = 1;
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
            return ExitError;
        }
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
