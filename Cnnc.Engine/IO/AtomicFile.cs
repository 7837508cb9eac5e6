namespace Cnnc.Engine.IO;

/// <summary>Writes files atomically: into a temporary file beside the target, flushed, then renamed over it.</summary>
/// <remarks>
/// Temporary files are named <c>.NAME.@HOST.PID.GUID.tmp</c>: on a folder shared by several machines (a cluster's
/// store) a process id only means something on its own host, so only the writer's host judges whether it still runs.
/// </remarks>
public static class AtomicFile
{
    /// <summary>How long a temporary file of another host must stay untouched before it counts as abandoned.</summary>
    public static readonly TimeSpan ForeignTemporaryFileAge = TimeSpan.FromMinutes(30);

    /// <summary>Writes through <paramref name="write"/>; readers see the old file or the whole new one, never a part.</summary>
    public static void Write(string path, Action<Stream> write) => Write(path, write, overwrite: true);

    /// <summary>
    /// Creates <paramref name="path"/> with <paramref name="text"/> (UTF-8) unless it exists: of several processes
    /// creating it at once exactly one succeeds, the others leave the winner's file as it is. Returns whether this
    /// call created it.
    /// </summary>
    public static bool CreateNew(string path, string text)
    {
        try
        {
            Write(path, s => { using var w = new StreamWriter(s, leaveOpen: true); w.Write(text); }, overwrite: false);
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            return false;
        }
    }

    private static void Write(string path, Action<Stream> write, bool overwrite)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, $".{Path.GetFileName(full)}.@{Host}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>This machine's short host name, as it appears in temporary file names (dots and odd characters as '_').</summary>
    internal static string Host { get; } = new(Environment.MachineName.Split('.')[0]
        .Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' ? c : '_').ToArray());

    /// <summary>
    /// Deletes the temporary files in <paramref name="directory"/> that writers of this class left behind when they
    /// were killed mid-write (SIGKILL, power loss, a cancelled cluster job): this host's files whose writing process no
    /// longer runs, and other hosts' files untouched for <see cref="ForeignTemporaryFileAge"/>. Files of live
    /// processes are left alone, so concurrent writers are safe. Returns how many were deleted.
    /// </summary>
    public static int DeleteStaleTemporaryFiles(string directory)
    {
        if (!Directory.Exists(directory)) return 0;
        var deleted = 0;
        foreach (var file in Directory.EnumerateFiles(directory, ".*.tmp"))
        {
            // .{name}.@{host}.{pid}.{guid}.tmp, or (older writers) .{name}.{pid}.{guid}.tmp
            var parts = Path.GetFileName(file).Split('.');
            if (parts.Length < 5 || !int.TryParse(parts[^3], out var pid)) continue;
            var host = parts[^4].StartsWith('@') ? parts[^4][1..] : Host;
            var stale = host == Host
                ? !IsRunning(pid)
                : DateTime.UtcNow - File.GetLastWriteTimeUtc(file) > ForeignTemporaryFileAge;
            if (!stale) continue;
            try
            {
                File.Delete(file);
                deleted++;
            }
            catch (IOException)
            {
                // Another process cleaned it first.
            }
        }
        return deleted;
    }

    private static bool IsRunning(int pid)
    {
        if (pid == Environment.ProcessId) return true;
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>Writes text atomically (UTF-8).</summary>
    public static void WriteAllText(string path, string text) =>
        Write(path, s => { using var w = new StreamWriter(s, leaveOpen: true); w.Write(text); });
}
