namespace Cnnc.Views;

/// <summary>
/// Where a view is shown, so its texts name what the reader can do there: a notebook's <c>#!cnnc</c> commands, or,
/// in a standalone report (no kernel), the <c>cnnc report</c> options that made it.
/// </summary>
public enum ViewHost
{
    /// <summary>A notebook output (default).</summary>
    Notebook,

    /// <summary>A standalone report page.</summary>
    Report,
}
