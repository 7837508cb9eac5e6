using Cnnc.Engine.Studies;

namespace Cnnc.Interactive;

/// <summary>
/// The study the notebook's <c>#!cnnc</c> commands act on. C# cells use it too
/// (<c>var cnnc = Cnnc.Interactive.Notebook.Study; cnnc.Overview()</c>) or make their own <see cref="Engine.Studies.Study"/>.
/// </summary>
public static class Notebook
{
    private static Study _study = new();


    /// <summary>
    /// The current study: an empty one until <c>#!cnnc setup</c> (or code) sets another. The one replaced is not
    /// disposed (a cell may still hold it): dispose it yourself to free its models and store entries at once.
    /// </summary>
    public static Study Study
    {
        get => Volatile.Read(ref _study);
        set => Volatile.Write(ref _study, value ?? throw new ArgumentNullException(nameof(value)));
    }
}
