using System.Text.Json.Serialization;
using Microsoft.DotNet.Interactive.Commands;

namespace Cnnc.Interactive.Directives;

// The kernel binds each #!cnnc option to the property of the same name (--batch-size → BatchSize). Type names must be
// unique in the host (commands are registered by short name), hence the Cnnc prefix.

/// <summary>Options every <c>#!cnnc</c> command accepts.</summary>
public abstract class CnncDirectiveCommand : KernelDirectiveCommand
{
    /// <summary><c>--help</c>: show help instead of running.</summary>
    public bool Help { get; set; }

    /// <summary><c>-h</c>: same as <c>--help</c>.</summary>
    [JsonPropertyName("h")]
    public bool ShortHelp { get; set; }

    internal bool WantsHelp => Help || ShortHelp;
}

/// <summary><c>#!cnnc</c> alone: lists the subcommands.</summary>
public sealed class CnncRootCommand : CnncDirectiveCommand;

/// <summary><c>#!cnnc setup</c>: a fresh session on the zoo (default) and a dataset.</summary>
public sealed class CnncSetupCommand : CnncDirectiveCommand
{
    public string? Models { get; set; }
    public string? Data { get; set; }
    public string? Store { get; set; }
    public string? Hierarchy { get; set; }
}

/// <summary><c>#!cnnc add</c>: one of your own models (architecture + weights).</summary>
public sealed class CnncAddCommand : CnncDirectiveCommand
{
    public string? Arch { get; set; }
    public string? Weights { get; set; }
    public string? Name { get; set; }
    public string? NumClasses { get; set; }
    public string? InChannels { get; set; }
    public string? InputSize { get; set; }
    public string? Width { get; set; }
}

/// <summary><c>#!cnnc evaluate</c>: evaluates the session's models that the store does not have yet.</summary>
public sealed class CnncEvaluateCommand : CnncDirectiveCommand
{
    public string? BatchSize { get; set; }
}

/// <summary><c>#!cnnc overview</c>: Phase 1 views.</summary>
public sealed class CnncOverviewCommand : CnncDirectiveCommand
{
    public string? Complexity { get; set; }
    public string? Pin { get; set; }
    public string? Root { get; set; }
    public string? Top { get; set; }
    public string? Class { get; set; }
    public string? Explain { get; set; }
    public string? Methods { get; set; }
    public string? Image { get; set; }
    public bool InlinePlotly { get; set; }
}

/// <summary><c>#!cnnc models</c>: the session's models.</summary>
public sealed class CnncModelsCommand : CnncDirectiveCommand;

/// <summary><c>#!cnnc export</c>: the overview tables as CSV files.</summary>
public sealed class CnncExportCommand : CnncDirectiveCommand
{
    public string? Out { get; set; }
}

/// <summary><c>#!cnnc compare</c>: several models × one class × one image (paper 6.1).</summary>
public sealed class CnncCompareCommand : CnncDirectiveCommand
{
    public string? Models { get; set; }
    public string? Class { get; set; }
    public string? Image { get; set; }
    public string? Method { get; set; }
    public string? Threshold { get; set; }
    public string? Rule { get; set; }
    public string? Target { get; set; }
    public string? Strip { get; set; }
    public bool InlinePlotly { get; set; }
}

/// <summary><c>#!cnnc inspect</c>: one model × one or more classes, a page of images with CIHs (paper 6.2).</summary>
public sealed class CnncInspectCommand : CnncDirectiveCommand
{
    public string? Model { get; set; }
    public string? Classes { get; set; }
    public string? Method { get; set; }
    public string? Threshold { get; set; }
    public string? Page { get; set; }
    public string? Rows { get; set; }
    public string? SortByCih { get; set; }
    public string? Distance { get; set; }
    public string? Target { get; set; }
    public bool InlinePlotly { get; set; }
}
