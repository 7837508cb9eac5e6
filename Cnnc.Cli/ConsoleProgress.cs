namespace Cnnc.Cli;

/// <summary>Reports progress on stderr, at most twice a second, on one line when stderr is a terminal.</summary>
internal sealed class ConsoleProgress<T>(Func<T, string> format) : IProgress<T>
{
    private DateTime _last = DateTime.MinValue;

    /// <summary>The last value reported (printed or not).</summary>
    public T? Last { get; private set; }

    /// <summary>Whether anything was reported (then the line needs ending).</summary>
    public bool Reported { get; private set; }

    public void Report(T value)
    {
        Last = value;
        Reported = true;
        var now = DateTime.UtcNow;
        if ((now - _last).TotalMilliseconds < 500) return;
        _last = now;
        var line = format(value);
        if (Console.IsErrorRedirected) Console.Error.WriteLine(line);
        else Console.Error.Write("\r" + line.PadRight(Math.Max(0, Console.WindowWidth - 1)));
    }
}
