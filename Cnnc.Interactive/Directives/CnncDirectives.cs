using System.Text.RegularExpressions;
using Cnnc.Engine.Studies;
using Cnnc.Interactive.Views;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.Directives;

namespace Cnnc.Interactive.Directives;

/// <summary>
/// The <c>#!cnnc</c> magic command and its subcommands (setup, add, evaluate, overview, compare, inspect, models,
/// latency, export, confusion, significance, calibration, agreement, robustness), each a typed command the host binds and one small handler (<c>*Directive.cs</c>), with <c>-h</c>/<c>--help</c>,
/// value completions and one-line errors. All work happens in the engine's <see cref="Study"/>.
/// </summary>
public static class CnncDirectives
{
    /// <summary>The magic command's name.</summary>
    public const string Name = "#!cnnc";

    private const string RootDescription = "CNNC: comparative studies of many CNN models (paper: Xiao, Kim et al., 2021).";

    /// <summary>
    /// Adds <c>#!cnnc</c> to <paramref name="kernel"/> (in a notebook host: the root composite kernel). Returns false,
    /// changing nothing, when the kernel has it already (loading the package twice is harmless).
    /// </summary>
    public static bool Register(Kernel kernel)
    {
        if (kernel.KernelInfo.SupportedDirectives.Any(d => d.Name == Name)) return false;
        var root = new KernelActionDirective(Name, RootDescription)
        {
            Parameters =
            [
                new KernelDirectiveParameter("--help", "Shows help for the command.") { Flag = true },
                new KernelDirectiveParameter("-h", "Shows help for the command.") { Flag = true },
            ],
        };
        var subcommands = new List<Action>();
        void Add<T>(KernelActionDirective directive, Func<T, KernelInvocationContext, Task> handler) where T : CnncDirectiveCommand
        {
            root.Subcommands.Add(directive);
            subcommands.Add(() => kernel.AddDirective<T>(directive, Guard(root, directive, handler)));
        }
        Add<CnncSetupCommand>(SetupDirective.Definition, SetupDirective.Run);
        Add<CnncAddCommand>(AddDirective.Definition, AddDirective.Run);
        Add<CnncEvaluateCommand>(EvaluateDirective.Definition, EvaluateDirective.Run);
        Add<CnncOverviewCommand>(OverviewDirective.Definition, OverviewDirective.Run);
        Add<CnncCompareCommand>(CompareDirective.Definition, CompareDirective.Run);
        Add<CnncInspectCommand>(InspectDirective.Definition, InspectDirective.Run);
        Add<CnncModelsCommand>(ModelsDirective.Definition, ModelsDirective.Run);
        Add<CnncLatencyCommand>(LatencyDirective.Definition, LatencyDirective.Run);
        Add<CnncExportCommand>(ExportDirective.Definition, ExportDirective.Run);
        Add<CnncConfusionCommand>(ConfusionDirective.Definition, ConfusionDirective.Run);
        Add<CnncSignificanceCommand>(SignificanceDirective.Definition, SignificanceDirective.Run);
        Add<CnncCalibrationCommand>(CalibrationDirective.Definition, CalibrationDirective.Run);
        Add<CnncAgreementCommand>(AgreementDirective.Definition, AgreementDirective.Run);
        Add<CnncRobustnessCommand>(RobustnessDirective.Definition, RobustnessDirective.Run);

        kernel.AddDirective<CnncRootCommand>(root, (_, context) =>
        {
            context.Display(HelpFor(root, null), "text/html", "text/plain");
            return Task.CompletedTask;
        });
        foreach (var register in subcommands) register();
        return true;
    }

    /// <summary>The worker task of the latest evaluate, compare or inspect (tests check that an interrupt stops it).</summary>
    internal static Task? LastJob => JobStatus.LastJob;

    /// <summary>The help card of <c>#!cnnc</c> (subcommand null) or of one subcommand.</summary>
    internal static HelpCard HelpFor(KernelActionDirective root, KernelActionDirective? subcommand)
    {
        var common = root.Parameters.Select(p => (p.Name, p.Description)).ToList();
        if (subcommand is null)
            return new HelpCard(Name, RootDescription + " Run '#!cnnc <command> -h' for a command's options.", common,
                root.Subcommands.Select(s => (s.Name, s.Description ?? "")).ToList());
        return new HelpCard($"{Name} {subcommand.Name}", subcommand.Description ?? "",
            subcommand.Parameters.Select(p => (p.Name, p.Description)).Concat(common).ToList(), Array.Empty<(string, string)>());
    }

    private static Func<T, KernelInvocationContext, Task> Guard<T>(KernelActionDirective root, KernelActionDirective directive,
        Func<T, KernelInvocationContext, Task> handler) where T : CnncDirectiveCommand =>
        async (command, context) =>
        {
            if (command.WantsHelp)
            {
                context.Display(HelpFor(root, directive), "text/html", "text/plain");
                return;
            }
            try
            {
                CheckOptions(root, directive, command);
                await handler(command, context);
            }
            catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
            {
                context.Fail(command, message: $"{Name} {directive.Name}: cancelled.");
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                context.Fail(command, message: $"{Name} {directive.Name}: {Describe(e)}");
            }
        };

    /// <summary>
    /// One line, no stack trace: these are the user's errors (bad values, missing files, no models). The engine's
    /// "do this first" errors are said in the notebook's words.
    /// </summary>
    private static string Describe(Exception e) => e switch
    {
        StudyHasNoModelsException { ZooShipped: true } =>
            "The session has no models: run '#!cnnc setup' (the zoo) or '#!cnnc add --arch ARCH --weights FILE'.",
        StudyHasNoModelsException =>
            "The session has no models, and this build ships no zoo weights: add your own with '#!cnnc add --arch ARCH --weights FILE' (or cnnc.AddModel(...)).",
        StudyNotEvaluatedException x =>
            $"No evaluation on '{x.Dataset}' yet for {string.Join(", ", x.Models)}: run '#!cnnc evaluate' (or cnnc.Evaluate()) first.",
        ArgumentException or InvalidOperationException or IOException or UnauthorizedAccessException or InvalidDataException
            or FormatException => e.Message,
        _ => $"{e.GetType().Name}: {e.Message}",
    };

    // An option word: a dash or two, a letter, then letters, digits and dashes, standing alone on the line.
    private static readonly Regex OptionWord = new(@"(?<=\s)--?[A-Za-z][A-Za-z0-9-]*(?=\s|$)", RegexOptions.CultureInvariant);

    /// <summary>
    /// The host ignores options a directive does not declare; a misspelt option must not be ignored silently, so the
    /// option words of the command's line in the submission are checked against the declared options.
    /// </summary>
    private static void CheckOptions(KernelActionDirective root, KernelActionDirective directive, KernelCommand command)
    {
        var line = DirectiveLine(command, directive.Name);
        if (line is null) return;
        var known = directive.Parameters.Concat(root.Parameters).Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        foreach (Match word in OptionWord.Matches(line))
            if (!known.Contains(word.Value))
                throw new ArgumentException($"Unknown option '{word.Value}'. Options of {Name} {directive.Name}: " +
                                            $"{string.Join(", ", directive.Parameters.Select(p => p.Name))} (and -h).");
    }

    /// <summary>The line of the submission that carried the command (its parent <see cref="SubmitCode"/>), or null.</summary>
    private static string? DirectiveLine(KernelCommand command, string subcommand)
    {
        var start = new Regex($@"^\s*{Regex.Escape(Name)}\s+{Regex.Escape(subcommand)}(\s|$)");
        for (var parent = command.Parent; parent is not null; parent = parent.Parent)
            if (parent is SubmitCode submit)
                return submit.Code.Split('\n').FirstOrDefault(l => start.IsMatch(l));
        return null;
    }

    // ---- completions shared by the directives ----

    internal static IEnumerable<string> ModelNames() => Notebook.Study.Models.Select(m => m.Name);

    internal static IReadOnlyList<string> RootNames()
    {
        try { return Notebook.Study.Hierarchy.Roots; }
        catch (Exception) { return Array.Empty<string>(); }
    }

    internal static IReadOnlyList<string> ClassNames()
    {
        try { return Notebook.Study.Hierarchy.ClassNames; }
        catch (Exception) { return Array.Empty<string>(); }
    }

    internal static KernelDirectiveParameter InlinePlotly() =>
        new("--inline-plotly", "Inline plotly.js again (if the output that carried it was cleared).") { Flag = true };
}
