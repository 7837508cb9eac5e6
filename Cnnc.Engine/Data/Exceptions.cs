namespace Cnnc.Engine.Data;

/// <summary>Why an image could not be decoded (see <see cref="ImageDecodeException.Reason"/>).</summary>
public enum ImageDecodeError
{
    /// <summary>No file at the path.</summary>
    Missing,
    /// <summary>The path is a directory.</summary>
    IsDirectory,
    /// <summary>The file has 0 bytes.</summary>
    Empty,
    /// <summary>The content is not a format the decoder knows (the file extension is not consulted).</summary>
    UnknownFormat,
    /// <summary>The header declares more pixels (or the file has more bytes) than the configured limit.</summary>
    TooLarge,
    /// <summary>The data ends before the image does.</summary>
    Truncated,
    /// <summary>The content is malformed in another way.</summary>
    Corrupt,
    /// <summary>The file could not be read (permissions, I/O error).</summary>
    Unreadable,
}

/// <summary>
/// The one exception <see cref="ImageDecoder"/> throws (an <see cref="IOException"/>; <c>InvalidDataException</c> is sealed). The message names the file and the reason, e.g.
/// <c>Cannot decode image '/data/cat.png': the file is empty (0 bytes).</c>
/// </summary>
public sealed class ImageDecodeException : IOException
{
    /// <summary>Creates the exception; <paramref name="detail"/> completes "Cannot decode image 'path': ".</summary>
    public ImageDecodeException(string path, ImageDecodeError reason, string detail, Exception? inner = null)
        : base($"Cannot decode image '{path}': {detail}", inner)
    {
        FilePath = path;
        Reason = reason;
    }

    /// <summary>The file that failed.</summary>
    public string FilePath { get; }

    /// <summary>The category of the failure.</summary>
    public ImageDecodeError Reason { get; }
}

/// <summary>
/// A dataset, ground-truth or hierarchy file (or folder layout) that is malformed or inconsistent: wrong IDX magic
/// number, image/label count mismatch, empty class folder, hierarchy naming an unknown class, … The message names the
/// file or folder.
/// </summary>
public sealed class DatasetFormatException : IOException
{
    /// <summary>Creates the exception with a complete message.</summary>
    public DatasetFormatException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}
