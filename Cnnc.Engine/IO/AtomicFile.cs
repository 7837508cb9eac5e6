namespace Cnnc.Engine.IO;

/// <summary>Writes files atomically: into a temporary file beside the target, flushed, then renamed over it.</summary>
public static class AtomicFile
{
    /// <summary>Writes through <paramref name="write"/>; readers see the old file or the whole new one, never a part.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>
    /// Deletes the temporary files in <paramref name="directory"/> that writers of this class left behind when they
    /// were killed mid-write (SIGKILL, power loss): those whose writing process no longer runs. Files of live
    /// processes are left alone, so concurrent writers are safe. Returns how many were deleted.
    /// </summary>
    public static int DeleteStaleTemporaryFiles(string directory)
    {
        if (!Directory.Exists(directory)) return 0;
        var deleted = 0;
        foreach (var file in Directory.EnumerateFiles(directory, ".*.tmp"))
        {
            // .{name}.{pid}.{guid}.tmp
            var parts = Path.GetFileName(file).Split('.');
            if (parts.Length < 5 || !int.TryParse(parts[^3], out var pid) || IsRunning(pid)) continue;
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
