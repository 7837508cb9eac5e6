using System.Text.Json.Serialization;
using Microsoft.DotNet.Interactive.Commands;

namespace Cnnc.Interactive.Directives;

// The kernel binds each #!cnnc option to the property of the same name and type (--batch-size 16 → BatchSize = 16; a
// value that is not a number fails in the host before the handler runs). Type names must be unique in the host
// (commands are registered by short name), hence the Cnnc prefix.

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
