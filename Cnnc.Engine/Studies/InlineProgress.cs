namespace Cnnc.Engine.Studies;

/// <summary>
/// Reports on the calling thread, at once (<see cref="Progress{T}"/> would post to the thread pool, out of order and
/// after the work may have ended). The one adapter the study, the notebook's job status and long loops share.
/// </summary>
public sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
{
    /// <inheritdoc/>
    public void Report(T value) => report(value);
}
