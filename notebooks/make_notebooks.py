#!/usr/bin/env python3
"""Writes the walkthrough notebooks (.ipynb, C# kernel) from the cell lists below: one source of truth, reviewable
as code. Run: python3 notebooks/make_notebooks.py"""
import json, os

HERE = os.path.dirname(os.path.abspath(__file__))


def md(text):
    return {"cell_type": "markdown", "metadata": {}, "source": text.strip("\n").splitlines(keepends=True)}


def cs(text):
    return {
        "cell_type": "code", "execution_count": None, "outputs": [],
        "metadata": {"dotnet_interactive": {"language": "csharp"}, "polyglot_notebook": {"kernelName": "csharp"}},
        "source": text.strip("\n").splitlines(keepends=True),
    }


def notebook(cells):
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": ".NET (C#)", "language": "C#", "name": ".net-csharp"},
            "language_info": {"name": "polyglot-notebook", "file_extension": ".cs", "mimetype": "text/x-csharp", "pygments_lexer": "csharp"},
            "polyglot_notebook": {"kernelInfo": {"defaultKernelName": "csharp", "items": [{"name": "csharp", "aliases": []}]}},
        },
        "nbformat": 4, "nbformat_minor": 5,
    }


# `#i` needs an absolute folder (a relative one fails with "Invalid URI"), and the notebook runs from the repository
# root (dotnet-repl) or from notebooks/ (Jupyter, VS Code): find the feed, then submit `#i "nuget:<folder>"` for it.
FEED = cs('''
var feed = new[] { ".local-feed", "../.local-feed" }.Select(System.IO.Path.GetFullPath).FirstOrDefault(System.IO.Directory.Exists)
           ?? throw new Exception("No .local-feed folder: run 'bash tools/pack.sh' at the repository root first.");
await Microsoft.DotNet.Interactive.Kernel.Root.SendAsync(new Microsoft.DotNet.Interactive.Commands.SubmitCode($"#i \\"nuget:{feed}\\"", "csharp"));
''')

LOAD = cs('''
#r "nuget:Cnnc.Interactive,0.1.0"
''')

OVERVIEW = [
    md('''
# 01 · Overview: many CNNs at a glance

This notebook walks through **Phase 1** of the paper *CNNC: A Visual Analytics System for Comparative Studies of Deep
CNNs* (section 5.1, "Information Overview"): before looking at any single image, get a feel for how a whole family of
models behaves — which are accurate, which are cheap, and on which classes they agree or diverge.

It uses CNNC's embedded default: the paper's 13 architectures at small scale, trained on Fashion-MNIST (the project
cannot ship ImageNet). Everything runs on a CPU.

**Run it** from the repository root: `bash tools/pack.sh` (packs the extension into `.local-feed/`), then open this
notebook in VS Code (Polyglot Notebooks) or Jupyter with the .NET kernel — or headless:

```
dotnet-repl --run notebooks/01-overview.ipynb --exit-after-run --output-path notebooks/.executed/01-overview.ipynb </dev/null
```

## Load the extension

The package comes from the local feed that `tools/pack.sh` wrote (the first cell finds it and runs
`#i "nuget:<folder>"` with its absolute path). Loading the package prints a short "how to start" card.
'''),
    FEED,
    LOAD,
    md('''
## Set up the study

`#!cnnc setup` starts a session on the embedded zoo (all of its models, the Fashion-MNIST test set with its four root
classes: tops, bottoms & dresses, footwear, bags). Your own models come in with
`#!cnnc add --arch resnet50 --weights resnet50.pth` and your own data with `--data folder:PATH`; every command explains
itself with `-h`.
'''),
    cs('#!cnnc setup'),
    md('''
## Evaluate

Each model classifies all 10,000 test images once; predictions, confidences and the measured latency go into the
predictions store (`~/.cache/cnnc/store`), so this is fast the second time. The progress line updates live; interrupt
the kernel to stop — finished chunks are kept and the next run resumes.
'''),
    cs('#!cnnc evaluate'),
    md('''
## The overview

* **A1** — accuracy against complexity (parameters; `--complexity macs` for multiply-accumulates). Hover for latency.
  Models up and to the left are the efficient ones. **Click a point to pin that model.**
* **A2** — accuracy per root class, one line per model. The legend is selectable: click names to hide or show models.
  **Click a line** to pin that model and the root class under the pointer.
* **B** — the pinned model's distribution graph (paper 4.2): every class placed by t-SNE of the model's class distances
  (Algorithm 1 on its confidence matrix), coloured by root class. Classes the model confuses sit together; drag to
  zoom, hover for a class's accuracy. It follows the pin.
* **A3** — the pinned model's leaf classes ranked by accuracy (drag to zoom); **A4** — the same, restricted to the
  pinned root class.
* **D** — explanation examples: how each explanation method's result looks (Grad-CAM, Grad-CAM++, Smooth Grad-CAM++,
  Score-CAM by default; `--methods paper` adds BBMP, which takes seconds per model), as heatmaps with contour lines on
  one test image of the pinned root (`--class C` or `--image INDEX` choose another), with the class explained, its
  score and the time taken. They are computed in the kernel for the pinned model; `--explain all` computes them for
  every model so that D follows the pin too.
* **E** — "Range of class accuracy": the classes where the models disagree most, then where they agree; "Average of
  class accuracy": the classes all models find easy, then hard. These are the classes worth a closer look in the next
  notebook.

All linking happens in the page itself, so it keeps working in an exported HTML file.
'''),
    cs('#!cnnc overview'),
    md('''
The same view with MACs on the x axis, ResNet-18 and the footwear root pinned:
'''),
    cs('#!cnnc overview --complexity macs --pin resnet18 --root footwear'),
    md('''
Marking a class (`--class`) outlines it in A3, A4 and B, and D explains its first test image:
'''),
    cs('#!cnnc overview --pin densenet121 --class Sneaker --methods gradcam,scorecam,layercam'),
    md('''
## The same from C#

Each command has a C# twin that returns engine objects, so views and code mix freely. `Overview` holds every model's
`ModelAccuracy` (overall, top-5, per class, per root), complexity and latency.
'''),
    cs('''
var cnnc = Cnnc.Interactive.CnncSession.Current;
var overview = cnnc.Overview();
overview.Models
    .OrderByDescending(m => m.Accuracy.Overall)
    .Select(m => new { m.Name, Accuracy = Math.Round(m.Accuracy.Overall, 4), ParamsM = Math.Round(m.Parameters / 1e6, 3), m.LatencyMs })
'''),
    md('''
One model's distribution graph and explanation examples on their own (the engine's `DistributionGraph`, with its
points, and `ExplainerExample`s, with maps, contours and timings):
'''),
    cs('''
cnnc.DistributionGraph("resnet18")
'''),
    cs('''
cnnc.Explanations("resnet18", className: "Ankle boot", methods: new[] { "gradcam", "eigencam" })
'''),
    md('''
Which classes divide the models most, and which are hard for all of them?
'''),
    cs('''
new {
    Divergent = overview.Spotlights.MostDivergent(3).Select(c => $"{c.ClassName}: {c.Min:P1} to {c.Max:P1}").ToArray(),
    Hardest = overview.Spotlights.Hardest(3).Select(c => $"{c.ClassName}: mean {c.Mean:P1}").ToArray(),
}
'''),
    md('''
## Export

The tables behind the views (models, per class, per root, class spotlights) as CSV files — for a spreadsheet or pandas:
'''),
    cs('#!cnnc export --out cnnc-export'),
]


def write(name, cells):
    path = os.path.join(HERE, name)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(notebook(cells), f, indent=1, ensure_ascii=False)
        f.write("\n")
    print("wrote", path)


# A smoke test of the real hosts on models built on the spot (random weights, so accuracies are near 10%): every
# command of the overview phase, independent of the zoo weights. Run by tools/notebooks.sh, not a walkthrough.
SMOKE = [
    md("# Smoke test: the #!cnnc commands in a real host, on three small random models"),
    FEED,
    LOAD,
    cs('''
using Cnnc.Engine.Models;
using Cnnc.Engine.Weights;
var dir = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "cnnc-smoke");
System.IO.Directory.CreateDirectory(dir);
var options = new ArchitectureOptions { NumClasses = 10, InputChannels = 1, InputSize = 28, Width = 0.125 };
foreach (var (arch, seed) in new[] { ("alexnet", 1), ("resnet18", 2), ("squeezenet1_1", 3) })
{
    TorchSharp.torch.manual_seed(seed);
    using var module = ArchitectureCatalog.Create(arch, options);
    WeightsWriter.Save(module, System.IO.Path.Combine(dir, arch + ".safetensors"), WeightsFormat.SafeTensors);
}
dir
'''),
    cs("#!cnnc setup --models none --data fashion-mnist --store /tmp/cnnc-smoke/store"),
    cs("#!cnnc add --arch alexnet --weights /tmp/cnnc-smoke/alexnet.safetensors --name tiny-alexnet --width 0.125"),
    cs("#!cnnc add --arch resnet18 --weights /tmp/cnnc-smoke/resnet18.safetensors --name tiny-resnet18 --width 0.125"),
    cs("#!cnnc add --arch squeezenet1_1 --weights /tmp/cnnc-smoke/squeezenet1_1.safetensors --name tiny-squeezenet --width 0.125"),
    cs("#!cnnc evaluate --batch-size 256"),
    cs("#!cnnc overview --pin tiny-resnet18 --root Footwear"),
    cs("#!cnnc overview --complexity macs --explain all --methods gradcam,scorecam"),
    cs('''
var o = Cnnc.Interactive.CnncSession.Current.Overview();
o.Models.Select(m => new { m.Name, m.Accuracy.Overall, m.Parameters, m.Macs, m.LatencyMs })
'''),
    cs("#!cnnc export --out /tmp/cnnc-smoke/export"),
]


if __name__ == "__main__":
    write("01-overview.ipynb", OVERVIEW)
    write(os.path.join("tests", "smoke-own-models.ipynb"), SMOKE)
