using System.Globalization;
using Cnnc.Engine.Analysis;
using Cnnc.Engine.Explain;
using Cnnc.Engine.Models;
using Cnnc.Engine.Zoo;
using Cnnc.Interactive.Html;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.Directives;
using Microsoft.DotNet.Interactive.Formatting;

namespace Cnnc.Interactive.Directives;

/// <summary>
/// The <c>#!cnnc</c> magic command and its subcommands (setup, add, evaluate, overview, compare, inspect, models, export), each with
/// <c>-h</c>/<c>--help</c>, value completions and one-line errors. All work happens in <see cref="CnncSession"/> and
/// the engine; these handlers parse, call, and display.
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

        var setup = new KernelActionDirective("setup",
            "Starts a fresh session: zoo models (default: all shipped), a dataset, a store. Add your own with 'add'.")
        {
            Parameters =
            [
                new KernelDirectiveParameter("--models", "Zoo models, comma-separated: all (default), none, or names.")
                    .AddCompletions(() => new[] { "all", "none" }.Concat(CnncSession.ZooModelNames)),
                new KernelDirectiveParameter("--data", $"Dataset: {DataSpec.Help}.").AddCompletions(() => DataSpec.Examples),
                new KernelDirectiveParameter("--store", "Predictions store folder (default $CNNC_STORE or ~/.cache/cnnc/store)."),
                new KernelDirectiveParameter("--hierarchy", "Root classes from a .json ({\"roots\": {...}}) or CSV (class,root) file."),
            ],
        };
        var add = new KernelActionDirective("add", "Adds one of your own models: an architecture and a weights file.")
        {
            Parameters =
            [
                new KernelDirectiveParameter("--arch", "Architecture (torchvision name), e.g. resnet18.")
                    .AddCompletions(() => ArchitectureCatalog.Names),
                new KernelDirectiveParameter("--weights", "Weights: torchvision .pth, .safetensors or TorchSharp format."),
                new KernelDirectiveParameter("--name", "Display name (default arch:file-name)."),
                new KernelDirectiveParameter("--num-classes", "Classes the model was built with (default: the dataset's)."),
                new KernelDirectiveParameter("--in-channels", "Input channels (default 1 for Fashion-MNIST, else 3)."),
                new KernelDirectiveParameter("--input-size", "Input side in pixels (default 28 for Fashion-MNIST, else 224)."),
                new KernelDirectiveParameter("--width", "Width multiplier the model was built with (default 1)."),
            ],
        };
        var evaluate = new KernelActionDirective("evaluate",
            "Evaluates every session model the store does not have yet, with live progress; interrupt the kernel to stop (resumable).")
        {
            Parameters = [new KernelDirectiveParameter("--batch-size", "Images per forward pass (default 64).")],
        };
        var overview = new KernelActionDirective("overview",
            "Phase 1: A1 accuracy × complexity, A2 radar per root class, B distribution graph, A3/A4 ranked leaf classes of the pinned model / root, D explanation examples, E class spotlights. Click to pin.")
        {
            Parameters =
            [
                new KernelDirectiveParameter("--complexity", "x axis of A1: params (default) or macs.")
                    .AddCompletions(() => new[] { "params", "macs" }),
                new KernelDirectiveParameter("--pin", "Model pinned at first (default: the first).")
                    .AddCompletions(() => CnncSession.Current.Models.Select(m => m.Name)),
                new KernelDirectiveParameter("--root", "Root class pinned at first (default: the first).")
                    .AddCompletions(() => SafeRoots()),
                new KernelDirectiveParameter("--class", "A leaf class to mark in A3/A4 (its root is pinned unless --root is given).")
                    .AddCompletions(() => SafeClasses()),
                new KernelDirectiveParameter("--top", "Classes per group in the E charts (default 3).")
                    .AddCompletions(() => new[] { "2", "3", "5" }),
                new KernelDirectiveParameter("--explain", "Which models D explains: pinned (default), all (D follows the pin in the page) or none.")
                    .AddCompletions(() => new[] { "pinned", "all", "none" }),
                new KernelDirectiveParameter("--methods",
                        $"D's explainers, comma-separated (default {string.Join(",", CnncSession.DefaultExplainers)}); paper = the paper's five (adds the slow bbmp), all = every one: {string.Join(", ", ExplainerCatalog.Names)}.")
                    .AddCompletions(() => new[] { "default", "paper", "all" }.Concat(ExplainerCatalog.Names)),
                new KernelDirectiveParameter("--image", "D's image: a dataset item index (default: the first image of --class, else of the pinned root's first class).")
                    .AddCompletions(() => new[] { "0" }),
                new KernelDirectiveParameter("--inline-plotly", "Inline plotly.js again (if the output that carried it was cleared).") { Flag = true },
            ],
        };
        var compare = new KernelActionDirective("compare",
            "Phase 2/3 (paper 6.1): several models × one class × one image: accuracies, prediction, confidence, heatmap with contours and ROI size per model (sortable, searchable), similarity of the models' maps, accuracy on the class.")
        {
            Parameters =
            [
                new KernelDirectiveParameter("--class", "The class to compare the models on (required).")
                    .AddCompletions(() => SafeClasses()),
                new KernelDirectiveParameter("--models", "Models, comma-separated (default: all of the session's).")
                    .AddCompletions(() => CnncSession.Current.Models.Select(m => m.Name)),
                new KernelDirectiveParameter("--image", "Dataset index of an image of the class (default: its first image; the strip shows indices)."),
                new KernelDirectiveParameter("--method", $"Explanation method (default {CnncSession.DefaultCompareMethod}).")
                    .AddCompletions(() => ExplainerCatalog.Names),
                new KernelDirectiveParameter("--threshold", "Saliency threshold of the contours and the ROI, in [0, 1] (default 0.5).")
                    .AddCompletions(() => new[] { "0.3", "0.5", "0.7" }),
                new KernelDirectiveParameter("--rule", "Similarity of the maps: ssim (default), mse, l1, ahash, phash.")
                    .AddCompletions(() => RuleNames),
                new KernelDirectiveParameter("--target", "Class the maps explain: predicted (default) or label.")
                    .AddCompletions(() => new[] { "predicted", "label" }),
                new KernelDirectiveParameter("--strip", $"Images of the class shown in the strip (default {CnncSession.DefaultStripImages}).")
                    .AddCompletions(() => new[] { "0", "12", "24" }),
                new KernelDirectiveParameter("--inline-plotly", "Inline plotly.js again (if the output that carried it was cleared).") { Flag = true },
            ],
        };
        var inspect = new KernelActionDirective("inspect",
            "Phase 2/3 (paper 6.2): one model × one or more classes: a page of images with label, prediction, confidence, heatmap with contours, ROI size and colour-intensity histogram (sortable, searchable, sort by CIH distance to any row).")
        {
            Parameters =
            [
                new KernelDirectiveParameter("--model", "The model to inspect (required).")
                    .AddCompletions(() => CnncSession.Current.Models.Select(m => m.Name)),
                new KernelDirectiveParameter("--classes", "Classes, comma-separated (required).")
                    .AddCompletions(() => SafeClasses()),
                new KernelDirectiveParameter("--method",
                        $"Explanation method (default smoothgradcam++ for inputs up to {CnncSession.SmoothGradCamMaxInputSide} px, as the zoo's; gradcam for larger).")
                    .AddCompletions(() => ExplainerCatalog.Names),
                new KernelDirectiveParameter("--threshold", "Saliency threshold of the contours, the ROI and the CIH, in [0, 1] (default 0.5).")
                    .AddCompletions(() => new[] { "0.3", "0.5", "0.7" }),
                new KernelDirectiveParameter("--page", "Page of the classes' images, from 1 (default 1).")
                    .AddCompletions(() => new[] { "1", "2", "3" }),
                new KernelDirectiveParameter("--rows", $"Rows per page (default {CnncSession.DefaultPageRows}).")
                    .AddCompletions(() => new[] { "20", "50", "100" }),
                new KernelDirectiveParameter("--sort-by-cih", "Dataset index of one of the classes' images: order the rows by CIH distance to it (shown first)."),
                new KernelDirectiveParameter("--distance", "CIH distance: chisquare (default) or intersection.")
                    .AddCompletions(() => new[] { "chisquare", "intersection" }),
                new KernelDirectiveParameter("--target", "Class the maps explain: predicted (default) or label.")
                    .AddCompletions(() => new[] { "predicted", "label" }),
                new KernelDirectiveParameter("--inline-plotly", "Inline plotly.js again (if the output that carried it was cleared).") { Flag = true },
            ],
        };
        var models = new KernelActionDirective("models", "Lists the session's models, their complexity and accuracy.");
        var export = new KernelActionDirective("export", "Writes the overview tables (models, classes, roots, spotlights) as CSV files.")
        {
            Parameters = [new KernelDirectiveParameter("--out", "Folder for the CSV files (default: cnnc-export).")],
        };

        var root = new KernelActionDirective(Name, RootDescription)
        {
            Parameters =
            [
                new KernelDirectiveParameter("--help", "Shows help for the command.") { Flag = true },
                new KernelDirectiveParameter("-h", "Shows help for the command.") { Flag = true },
            ],
            Subcommands = [setup, add, evaluate, overview, compare, inspect, models, export],
        };

        kernel.AddDirective<CnncRootCommand>(root, (_, context) =>
        {
            context.Display(HelpFor(root, null), "text/html", "text/plain");
            return Task.CompletedTask;
        });
        kernel.AddDirective<CnncSetupCommand>(setup, Guard<CnncSetupCommand>(root, setup, Setup));
        kernel.AddDirective<CnncAddCommand>(add, Guard<CnncAddCommand>(root, add, Add));
        kernel.AddDirective<CnncEvaluateCommand>(evaluate, Guard<CnncEvaluateCommand>(root, evaluate, Evaluate));
        kernel.AddDirective<CnncOverviewCommand>(overview, Guard<CnncOverviewCommand>(root, overview, ShowOverview));
        kernel.AddDirective<CnncCompareCommand>(compare, Guard<CnncCompareCommand>(root, compare, Compare));
        kernel.AddDirective<CnncInspectCommand>(inspect, Guard<CnncInspectCommand>(root, inspect, Inspect));
        kernel.AddDirective<CnncModelsCommand>(models, Guard<CnncModelsCommand>(root, models, (_, context) =>
        {
            context.Display(SessionView.Of(CnncSession.Current, "CNNC session"), "text/html", "text/plain");
            return Task.CompletedTask;
        }));
        kernel.AddDirective<CnncExportCommand>(export, Guard<CnncExportCommand>(root, export, Export));
        return true;
    }

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
                // One line, no stack trace: these are the user's errors (bad values, missing files, no models).
                var message = e is ArgumentException or InvalidOperationException or IOException or UnauthorizedAccessException
                                  or InvalidDataException or FormatException
                    ? e.Message
                    : $"{e.GetType().Name}: {e.Message}";
                context.Fail(command, message: $"{Name} {directive.Name}: {message}");
            }
        };

    /// <summary>
    /// The host ignores options a directive does not declare; a misspelt option must not be ignored silently, so the
    /// directive's own text is checked against the declared options (root options included).
    /// </summary>
    private static void CheckOptions(KernelActionDirective root, KernelActionDirective directive, KernelCommand command)
    {
        var text = DirectiveText(command, directive);
        if (text is null) return;
        var parameters = directive.Parameters.Concat(root.Parameters).ToDictionary(p => p.Name, StringComparer.Ordinal);
        var tokens = Tokenize(text);
        var start = tokens.FindIndex(t => t == directive.Name);
        for (var i = start + 1; i > 0 && i < tokens.Count; i++)
        {
            var token = tokens[i];
            if (!token.StartsWith('-')) continue;
            if (!parameters.TryGetValue(token, out var parameter))
                throw new ArgumentException($"Unknown option '{token}'. Options of {Name} {directive.Name}: " +
                                            $"{string.Join(", ", directive.Parameters.Select(p => p.Name))} (and -h).");
            if (!parameter.Flag) i++; // skip the value
        }
    }

    private static string? DirectiveText(KernelCommand command, KernelActionDirective directive)
    {
        // KernelDirectiveCommand.DirectiveNode is internal: read its text where the host has it, else find the line in
        // the submission that carried the command.
        var node = typeof(KernelDirectiveCommand).GetProperty("DirectiveNode",
            System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public)?.GetValue(command);
        if (node?.ToString() is { Length: > 0 } nodeText && nodeText.TrimStart().StartsWith(Name, StringComparison.Ordinal)) return nodeText;
        for (var parent = command.Parent; parent is not null; parent = parent.Parent)
            if (parent is SubmitCode submit)
                return submit.Code.Split('\n').Select(l => l.Trim())
                    .FirstOrDefault(l => Tokenize(l) is [Name, var sub, ..] && sub == directive.Name);
        return null;
    }

    private static List<string> Tokenize(string line)
    {
        var tokens = new List<string>();
        var current = new System.Text.StringBuilder();
        var quoted = false;
        foreach (var c in line)
        {
            if (c == '"') { quoted = !quoted; current.Append(c); continue; }
            if (!quoted && char.IsWhiteSpace(c))
            {
                if (current.Length > 0) tokens.Add(current.ToString());
                current.Clear();
                continue;
            }
            current.Append(c);
        }
        if (current.Length > 0) tokens.Add(current.ToString());
        return tokens;
    }

    private static Task Setup(CnncSetupCommand command, KernelInvocationContext context)
    {
        var session = new CnncSession();
        if (command.Store is { Length: > 0 } store) session.UseStore(store);
        session.UseData(command.Data is { Length: > 0 } data ? data : "fashion-mnist");
        if (command.Hierarchy is { Length: > 0 } hierarchy) session.UseHierarchy(hierarchy);
        var names = SplitList(command.Models);
        string? note = null;
        if (names.Count == 0 || names is ["all"])
        {
            if (ZooCatalog.Cards.Count == 0)
                note = "This build ships no zoo weights: add your own models with '#!cnnc add --arch ARCH --weights FILE'.";
            else session.UseZoo();
        }
        else if (names is not ["none"])
        {
            session.UseZoo(names.ToArray());
        }
        CnncSession.Current = session;
        context.Display(SessionView.Of(session, "CNNC session ready", note), "text/html", "text/plain");
        return Task.CompletedTask;
    }

    private static Task Add(CnncAddCommand command, KernelInvocationContext context)
    {
        var arch = Required(command.Arch, "--arch", "an architecture, e.g. --arch resnet18");
        var weights = Required(command.Weights, "--weights", "a weights file, e.g. --weights resnet18.pth");
        var session = CnncSession.Current;
        var dataset = session.Dataset;
        var small = dataset.Channels == 1;
        var options = new ArchitectureOptions
        {
            NumClasses = PositiveInt(command.NumClasses, "--num-classes") ?? dataset.Classes.Count,
            InputChannels = PositiveInt(command.InChannels, "--in-channels") ?? (small ? 1 : 3),
            InputSize = PositiveInt(command.InputSize, "--input-size") ?? (small ? 28 : 224),
            Width = PositiveDouble(command.Width, "--width") ?? 1.0,
        }.Validate();
        var model = session.AddModel(arch, weights, options, name: command.Name is { Length: > 0 } n ? n : null);
        context.Display(SessionView.Of(session, $"Added {model.Name}"), "text/html", "text/plain");
        return Task.CompletedTask;
    }

    private static async Task Evaluate(CnncEvaluateCommand command, KernelInvocationContext context)
    {
        var batch = PositiveInt(command.BatchSize, "--batch-size") ?? 64;
        var session = CnncSession.Current;
        var names = session.Models.Select(m => m.Name).ToList();
        var displayed = context.Display(new EvaluationStatus(names, null, "running"), "text/html", "text/plain");
        SessionProgress? latest = null;
        var progress = new LatestProgress(p => Volatile.Write(ref latest, p));
        var task = session.EvaluateAsync(progress, context.CancellationToken, batch);
        SessionProgress? shown = null;
        while (!task.IsCompleted)
        {
            await Task.WhenAny(task, Task.Delay(1000)); // hosts such as dotnet-repl keep every update as an output
            var now = Volatile.Read(ref latest);
            if (now is not null && !ReferenceEquals(now, shown))
            {
                displayed.Update(new EvaluationStatus(names, now, "running"));
                shown = now;
            }
        }
        try
        {
            var entries = await task;
            var results = entries.Select(e => (e.Meta.Model.Name, AccuracyMetrics.Compute(e).Overall, e.Meta.Timing?.Batch1Milliseconds)).ToList();
            displayed.Update(new EvaluationStatus(names, null, "done", results));
        }
        catch (OperationCanceledException)
        {
            displayed.Update(new EvaluationStatus(names, Volatile.Read(ref latest), "cancelled"));
            throw;
        }
        catch
        {
            displayed.Update(new EvaluationStatus(names, Volatile.Read(ref latest), "failed"));
            throw;
        }
    }

    private static Task ShowOverview(CnncOverviewCommand command, KernelInvocationContext context)
    {
        var complexity = (command.Complexity ?? "params").Trim().ToLowerInvariant() switch
        {
            "params" or "parameters" => ComplexityMeasure.Parameters,
            "macs" or "flops" => ComplexityMeasure.Macs,
            var other => throw new ArgumentException($"Unknown --complexity '{other}': use params or macs."),
        };
        var top = PositiveInt(command.Top, "--top") ?? 3;
        var explain = (command.Explain ?? "pinned").Trim().ToLowerInvariant() switch
        {
            "pinned" or "" => ExplainScope.Pinned,
            "all" => ExplainScope.All,
            "none" => ExplainScope.None,
            var other => throw new ArgumentException($"Unknown --explain '{other}': use pinned, all or none."),
        };
        var methods = CnncSession.ParseExplainers(command.Methods);
        int? image = null;
        if (command.Image is { Length: > 0 } imageText)
        {
            if (!int.TryParse(imageText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var index) || index < 0)
                throw new ArgumentException($"--image must be a dataset item index, 0 or more (got '{imageText}').");
            image = index;
        }
        var session = CnncSession.Current;
        if (command.Pin is { Length: > 0 } pin) session.Model(pin);
        if (command.Root is { Length: > 0 } rootName && !session.Hierarchy.Roots.Any(r => r.Equals(rootName, StringComparison.OrdinalIgnoreCase)))
            throw new ArgumentException($"Unknown root class '{rootName}'. Root classes: {string.Join(", ", session.Hierarchy.Roots)}.");
        var overview = session.Overview(complexity, command.Pin is { Length: > 0 } p ? p : null,
            command.Root is { Length: > 0 } r ? r : null, top, command.Class is { Length: > 0 } c ? c : null,
            explain, image, methods, context.CancellationToken);
        if (command.InlinePlotly) PlotlyJs.ResetNotebook();
        context.Display(overview, "text/html", "text/plain");
        return Task.CompletedTask;
    }

    private static async Task Compare(CnncCompareCommand command, KernelInvocationContext context)
    {
        var session = CnncSession.Current;
        var className = Unquote(Required(command.Class, "--class", "a class, e.g. --class Sneaker"));
        var names = SplitList(command.Models).Select(Unquote).ToList();
        IReadOnlyList<string>? models = names.Count == 0 || names is ["all"] ? null : names;
        var image = NonNegativeInt(command.Image, "--image");
        var method = MethodName(command.Method) ?? CnncSession.DefaultCompareMethod;
        var threshold = Threshold(command.Threshold);
        var rule = ParseRule(command.Rule);
        var target = ParseTarget(command.Target);
        var strip = NonNegativeInt(command.Strip, "--strip") ?? CnncSession.DefaultStripImages;
        var result = await RunWithStatus(context, "compare", (progress, token) =>
            session.CompareAsync(className, models, image, method, threshold, rule, target, strip, progress, token));
        if (command.InlinePlotly) PlotlyJs.ResetNotebook();
        result.Displayed.Update(result.Value);
    }

    private static async Task Inspect(CnncInspectCommand command, KernelInvocationContext context)
    {
        var session = CnncSession.Current;
        var model = Unquote(Required(command.Model, "--model", "a model, e.g. --model resnet18"));
        var classes = SplitList(Required(command.Classes, "--classes", "one or more classes, e.g. --classes Sneaker,Sandal")).Select(Unquote).ToList();
        var method = MethodName(command.Method);
        var threshold = Threshold(command.Threshold);
        var page = PositiveInt(command.Page, "--page") ?? 1;
        var rows = PositiveInt(command.Rows, "--rows") ?? CnncSession.DefaultPageRows;
        var reference = NonNegativeInt(command.SortByCih, "--sort-by-cih");
        var distance = (command.Distance ?? "chisquare").Trim().ToLowerInvariant() switch
        {
            "chisquare" or "chi-square" or "chi2" => HistogramDistance.ChiSquare,
            "intersection" => HistogramDistance.Intersection,
            var other => throw new ArgumentException($"Unknown --distance '{other}': use chisquare or intersection."),
        };
        var target = ParseTarget(command.Target);
        session.Model(model);
        var result = await RunWithStatus(context, "inspect", (progress, token) =>
            session.InspectAsync(model, classes, method, threshold, page, rows, reference, distance, target, progress, token));
        if (command.InlinePlotly) PlotlyJs.ResetNotebook();
        result.Displayed.Update(result.Value);
    }

    /// <summary>
    /// Shows a status line that follows the work's progress (interrupting the kernel cancels it); the caller replaces it
    /// with the result.
    /// </summary>
    private static async Task<(T Value, DisplayedValue Displayed)> RunWithStatus<T>(KernelInvocationContext context, string command,
        Func<IProgress<ExplainJobProgress>, CancellationToken, Task<T>> work)
    {
        var displayed = context.Display(new ExplainStatus(command, null, "running"), "text/html", "text/plain");
        ExplainJobProgress? latest = null;
        var task = work(new JobProgress(p => Volatile.Write(ref latest, p)), context.CancellationToken);
        LastJob = task;
        ExplainJobProgress? shown = null;
        while (!task.IsCompleted)
        {
            await Task.WhenAny(task, Task.Delay(500));
            var now = Volatile.Read(ref latest);
            if (now is not null && !ReferenceEquals(now, shown) && !task.IsCompleted)
            {
                displayed.Update(new ExplainStatus(command, now, "running"));
                shown = now;
            }
        }
        try
        {
            return (await task, displayed);
        }
        catch (OperationCanceledException)
        {
            displayed.Update(new ExplainStatus(command, Volatile.Read(ref latest), "cancelled"));
            throw;
        }
        catch
        {
            displayed.Update(new ExplainStatus(command, Volatile.Read(ref latest), "failed"));
            throw;
        }
    }

    /// <summary>The worker task of the latest compare or inspect (tests check that an interrupt really stops it).</summary>
    internal static Task? LastJob { get; private set; }

    private static IReadOnlyList<string> RuleNames { get; } =
        Enum.GetValues<SimilarityRule>().Select(r => r.ToString().ToLowerInvariant()).ToArray();

    private static SimilarityRule ParseRule(string? value)
    {
        if (value is null || value.Trim().Length == 0) return SimilarityRule.Ssim;
        return Enum.TryParse<SimilarityRule>(value.Trim(), ignoreCase: true, out var rule) && Enum.IsDefined(rule)
               && !int.TryParse(value, out _)
            ? rule
            : throw new ArgumentException($"Unknown --rule '{value}': use {string.Join(", ", RuleNames)}.");
    }

    private static ExplainTarget ParseTarget(string? value) => (value ?? "predicted").Trim().ToLowerInvariant() switch
    {
        "predicted" or "prediction" => ExplainTarget.Predicted,
        "label" or "true" or "ground-truth" => ExplainTarget.Label,
        var other => throw new ArgumentException($"Unknown --target '{other}': use predicted or label."),
    };

    /// <summary>The method's canonical name (an unknown one is an error listing the methods), or null when not given.</summary>
    private static string? MethodName(string? value) =>
        value is { Length: > 0 } m ? ExplainerCatalog.Create(Unquote(m)).Name : null;

    private static double Threshold(string? value)
    {
        if (value is null || value.Length == 0) return 0.5;
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var t) && t >= 0 && t <= 1) return t;
        throw new ArgumentException($"--threshold must be a number in [0, 1] (got '{value}').");
    }

    private static int? NonNegativeInt(string? value, string option)
    {
        if (value is null || value.Length == 0) return null;
        if (int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 0) return n;
        throw new ArgumentException($"{option} must be a dataset index, a whole number from 0 (got '{value}').");
    }

    private static string Unquote(string value) =>
        value.Length >= 2 && value[0] == '"' && value[^1] == '"' ? value[1..^1] : value;

    private sealed class JobProgress(Action<ExplainJobProgress> report) : IProgress<ExplainJobProgress>
    {
        public void Report(ExplainJobProgress value) => report(value);
    }

    private static Task Export(CnncExportCommand command, KernelInvocationContext context)
    {
        var folder = command.Out is { Length: > 0 } o ? o : "cnnc-export";
        var paths = CnncSession.Current.Overview(explain: ExplainScope.None).WriteCsv(folder);
        KernelInvocationContextExtensions.Display(context, "Wrote " + string.Join(", ", paths), "text/plain");
        return Task.CompletedTask;
    }

    private static IReadOnlyList<string> SafeRoots()
    {
        try { return CnncSession.Current.Hierarchy.Roots; }
        catch (Exception) { return Array.Empty<string>(); }
    }

    private static IReadOnlyList<string> SafeClasses()
    {
        try { return CnncSession.Current.Hierarchy.ClassNames; }
        catch (Exception) { return Array.Empty<string>(); }
    }

    private static List<string> SplitList(string? value) =>
        (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(s => s.ToLowerInvariant() is "all" or "none" ? s.ToLowerInvariant() : s).ToList();

    private static string Required(string? value, string option, string example) =>
        value is { Length: > 0 } ? value : throw new ArgumentException($"{option} is required: give {example}.");

    private static int? PositiveInt(string? value, string option)
    {
        if (value is null || value.Length == 0) return null;
        if (int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0) return n;
        throw new ArgumentException($"{option} must be a positive integer (got '{value}').");
    }

    private static double? PositiveDouble(string? value, string option)
    {
        if (value is null || value.Length == 0) return null;
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && x > 0 && double.IsFinite(x)) return x;
        throw new ArgumentException($"{option} must be a positive number (got '{value}').");
    }

    private sealed class LatestProgress(Action<SessionProgress> report) : IProgress<SessionProgress>
    {
        public void Report(SessionProgress value) => report(value);
    }
}
