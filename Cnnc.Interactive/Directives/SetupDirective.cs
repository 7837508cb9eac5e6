using Cnnc.Engine.Studies;
using Cnnc.Engine.Zoo;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Directives;

namespace Cnnc.Interactive.Directives;

/// <summary><c>#!cnnc setup</c>: a fresh study on the zoo (default) and a dataset.</summary>
public sealed class CnncSetupCommand : CnncDirectiveCommand
{
    public string? Models { get; set; }
    public string? Data { get; set; }
    public string? Store { get; set; }
    public string? Hierarchy { get; set; }
}

internal static class SetupDirective
{
    public static KernelActionDirective Definition => new("setup",
        "Starts a fresh session: zoo models (default: all shipped), a dataset, a store. Add your own with 'add'.")
    {
        Parameters =
        [
            new KernelDirectiveParameter("--models", "Zoo models, comma-separated: all (default), none, or names.")
                .AddCompletions(() => new[] { "all", "none" }.Concat(Study.ZooModelNames)),
            new KernelDirectiveParameter("--data", $"Dataset: {DataSpec.Forms}.").AddCompletions(() => DataSpec.Examples),
            new KernelDirectiveParameter("--store", "Predictions store folder (default $CNNC_STORE or ~/.cache/cnnc/store)."),
            new KernelDirectiveParameter("--hierarchy", "Root classes from a .json ({\"roots\": {...}}) or CSV (class,root) file."),
        ],
    };

    public static Task Run(CnncSetupCommand command, KernelInvocationContext context)
    {
        var study = new Study();
        if (command.Store is { Length: > 0 } store) study.UseStore(store);
        study.UseData(command.Data is { Length: > 0 } data ? data : DataSpec.Default);
        if (command.Hierarchy is { Length: > 0 } hierarchy) study.UseHierarchy(hierarchy);
        var names = Choices.List(command.Models);
        string? note = null;
        if (names.Count == 0 || names is ["all"])
        {
            if (ZooCatalog.Cards.Count == 0)
                note = "This build ships no zoo weights: add your own models with '#!cnnc add --arch ARCH --weights FILE'.";
            else study.UseZoo();
        }
        else if (names is not ["none"])
        {
            study.UseZoo(names.ToArray());
        }
        Notebook.Study = study;
        context.Display(study.Summary("CNNC session ready", note), "text/html", "text/plain");
        return Task.CompletedTask;
    }
}
