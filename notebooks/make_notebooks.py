#!/usr/bin/env python3
"""Writes the walkthrough notebooks (.ipynb, C# kernel) from the cell lists below: one source of truth, reviewable
as code. Run: python3 notebooks/make_notebooks.py"""
import json, os

HERE = os.path.dirname(os.path.abspath(__file__))
# The embedded zoo's size: one model card per shipped model (Cnnc.Engine/Zoo/Weights/<name>.json).
ZOO_MODELS = len([f for f in os.listdir(os.path.join(HERE, "..", "Cnnc.Engine", "Zoo", "Weights")) if f.endswith(".json")])


def md(text):
    return {"cell_type": "markdown", "metadata": {}, "source": text.strip("\n").splitlines(keepends=True)}


def cs(text, expect=None):
    """A C# cell. `expect`: texts that must appear in the cell's outputs once executed (cell metadata cnnc.expect,
    checked by tests/Cnnc.Notebooks.Tests in both hosts, beside "no error output")."""
    metadata = {"dotnet_interactive": {"language": "csharp"}, "polyglot_notebook": {"kernelName": "csharp"}}
    if expect:
        metadata["cnnc"] = {"expect": list(expect)}
    return {
        "cell_type": "code", "execution_count": None, "outputs": [], "metadata": metadata,
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


# What a user types: the package reference alone. A local build's feed (tools/pack.sh) reaches the host through
# RestoreAdditionalProjectSources, which tools/notebooks.sh sets (docs/notebooks.md); a published package needs nothing.
LOAD = cs('''
#r "nuget:Cnnc.Interactive,0.1.0-preview.1"
''')

OVERVIEW = [
    md('''
# 01 · Overview: many CNNs at a glance

This notebook walks through **Phase 1** of the paper *CNNC: A Visual Analytics System for Comparative Studies of Deep
CNNs* (section 5.1, "Information Overview"): before looking at any single image, get a feel for how a whole family of
models behaves — which are accurate, which are cheap, and on which classes they agree or diverge.

It uses CNNC's embedded default: the paper's 13 architectures and more families beside them (''' + str(ZOO_MODELS) + '''
models), at small scale, trained on Fashion-MNIST (the project cannot ship ImageNet). Everything runs on a CPU.

**Run it** from the repository root with `bash tools/notebooks.sh notebooks/01-overview.ipynb` (packs the extension
into `.local-feed/` and runs the notebook headless in Jupyter and dotnet-repl), or open it in VS Code (Polyglot
Notebooks) or Jupyter with the .NET kernel as `docs/notebooks.md` describes.

## Load the extension

One cell: the package. Loading it prints a short "how to start" card. (With a GPU, reference a CUDA build of libtorch in
a cell before this one: `docs/runtime.md`.)
'''),
    LOAD,
    md('''
## Set up the study

`#!cnnc setup` starts a session on the embedded zoo (all of its models, the Fashion-MNIST test set with its four root
classes: tops, bottoms & dresses, footwear, bags). Your own models come in with
`#!cnnc add --arch resnet50 --weights resnet50.pth` and your own data with `--data folder:PATH`; every command explains
itself with `-h`.
'''),
    cs('#!cnnc setup', expect=['CNNC session ready']),
    md('''
## Evaluate

Each model classifies all 10,000 test images once; predictions, confidences and the measured latency go into the
predictions store (`~/.cache/cnnc/store`), so this is fast the second time. The progress line updates live; interrupt
the kernel to stop — finished chunks are kept and the next run resumes.
'''),
    cs('#!cnnc evaluate', expect=[f'Evaluated {ZOO_MODELS} models.']),
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
    cs('#!cnnc overview', expect=['cnnc-overview', 'data-chart="a1"']),
    md('''
The same view with MACs on the x axis, ResNet-18 and the footwear root pinned:
'''),
    cs('#!cnnc overview --complexity macs --pin resnet18 --root footwear', expect=['cnnc-overview']),
    md('''
Marking a class (`--class`) outlines it in A3, A4 and B, and D explains its first test image:
'''),
    cs('#!cnnc overview --pin densenet121 --class Sneaker --methods gradcam,scorecam,layercam'),
    md('''
The zoo's two transformers explained the same way. ViT-B/16 has no feature map: its default layer is the last encoder
block's token sequence, which CNNC turns into a grid before any CAM (the class token dropped, 7×7 patches at 28 px),
as pytorch-grad-cam's `reshape_transform` does; Swin-T's last stage is already a grid, 2×2 at this size. Compare their
maps with the CNNs' above: coarser grids give blockier heatmaps.
'''),
    cs('#!cnnc overview --pin vit_b_16 --class Sneaker --methods gradcam,layercam', expect=['cnnc-overview', 'vit_b_16']),
    md('''
## The same from C#

Each command has a C# twin that returns engine objects, so views and code mix freely. `Overview` holds every model's
`ModelAccuracy` (overall, top-5, per class, per root), complexity and latency.
'''),
    cs('''
var cnnc = Cnnc.Interactive.Notebook.Study;
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
cnnc.Explanations(new() { Model = "resnet18", Class = "Ankle boot", Methods = ["gradcam", "eigencam"] })
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
    cs('#!cnnc export --out cnnc-export', expect=['Wrote ']),
]

# Notebook 04: your own weights and images. The inputs are made on the spot (nothing can be downloaded here): PyTorch
# writes an ImageFolder of Fashion-MNIST test PNGs and trains a torchvision shufflenet (.pth); the zoo's resnet18
# safetensors file stands in for a colleague's model. Paths are literal so that a reader can swap in their own.
BYO_DIR = "/tmp/cnnc-byo"

BRING_YOUR_OWN = [
    md('''
# 04 · Bring your own models and data

The zoo is a stand-in. A real study compares **your** models on **your** images. This notebook shows what CNNC needs,
how to hand it over, and — most of all — what to look at to be sure that the numbers mean what you think.

What you bring:

* **Weights** for any of torchvision's classification architectures (`cnnc models list`), with torchvision's parameter names: a `.pth`
  written by `torch.save(model.state_dict())`, or a `.safetensors` file. CNNC loads strictly: every tensor must be
  there, with the right shape.
* **Images** in torchvision's `ImageFolder` layout: `root/<class>/<image>.png|jpg|…`. The class index of a folder is
  its position in the **sorted** folder names — exactly as `torchvision.datasets.ImageFolder` numbers them.
* Optionally **root classes** (a CSV of `class,root` lines) for the per-root views (A2, A4).

## Load the extension
'''),
    LOAD,
    md(f'''
## Your files (made here as stand-ins)

This machine cannot download anything, so the next cell makes the inputs from what is installed, in `{BYO_DIR}`:

* `notebooks/make_byo_inputs.py` runs with Debian's PyTorch (`/usr/bin/python3`). It writes 100 Fashion-MNIST test
  images per class as PNG files into `images/00-t-shirt-top/`, `images/01-trouser/`, … (the two-digit prefix makes the
  sorted order equal to the label order — remember this), a `roots.csv`, and it **trains** a torchvision
  `shufflenet_v2_x0_5` from scratch for one short epoch (about 20 CPU seconds), saved with `torch.save` as
  `shufflenet-pytorch.pth`. The model is adapted the way people adapt torchvision models to 28×28 grey images: one
  input channel, a stride-1 first convolution, no max-pool — which is what CNNC builds for inputs below 64 pixels.
* `resnet18-zoo.safetensors` is the zoo's ResNet-18 weights file (`cnnc zoo weights resnet18` prints where it lives),
  copied as if a colleague had sent it.

The script does nothing when its outputs are already there. To use your own files, skip this cell and change the
paths in the commands below.
'''),
    cs(f'''
using System.IO;
var byo = "{BYO_DIR}";
var script = new[] {{ "notebooks/make_byo_inputs.py", "make_byo_inputs.py" }}.Select(Path.GetFullPath).FirstOrDefault(File.Exists)
             ?? throw new Exception("make_byo_inputs.py not found: run this notebook from the repository root or from notebooks/.");
var python = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("/usr/bin/python3")
{{
    ArgumentList = {{ script, byo }}, RedirectStandardOutput = true, RedirectStandardError = true,
}})!;
var (stdout, stderr) = (python.StandardOutput.ReadToEndAsync(), python.StandardError.ReadToEndAsync());
python.WaitForExit();
if (python.ExitCode != 0) throw new Exception($"make_byo_inputs.py failed ({{python.ExitCode}}):\\n{{await stdout}}{{await stderr}}");
File.Copy(Cnnc.Engine.Zoo.ZooCatalog.WeightsPath("resnet18"), Path.Combine(byo, "resnet18-zoo.safetensors"), overwrite: true);
new
{{
    Script = (await stdout).Trim(),
    ClassFolders = Directory.GetDirectories(Path.Combine(byo, "images")).Order()
        .Select(d => $"{{Path.GetFileName(d)}}: {{Directory.GetFiles(d, "*.png").Length}} PNG files").ToArray(),
    Weights = Directory.GetFiles(byo).Where(f => f.EndsWith(".pth") || f.EndsWith(".safetensors")).Order()
        .Select(f => $"{{Path.GetFileName(f)}} ({{new FileInfo(f).Length / 1024}} KiB)").ToArray(),
}}
''', expect=["00-t-shirt-top: 100 PNG files", "09-ankle-boot: 100 PNG files", "resnet18-zoo.safetensors", "shufflenet-pytorch.pth"]),
    md('''
## A session on your images

`--data folder:PATH` opens the ImageFolder; `--hierarchy` groups its classes into roots (the CSV names the folders).
`--models shufflenet_v2_x0_5` also brings the zoo's ShuffleNet: the same architecture as your `.pth`, trained longer —
a reference to compare against (`--models none` starts without any zoo model).
'''),
    cs(f"#!cnnc setup --models shufflenet_v2_x0_5 --data folder:{BYO_DIR}/images --hierarchy {BYO_DIR}/roots.csv",
       expect=["CNNC session ready", "shufflenet_v2_x0_5"]),
    md('''
## Add the models

`#!cnnc add` takes the architecture and the weights file, plus what the model was **built for**. The folder's PNG
files decode as RGB, so without options CNNC would assume an ImageNet model (3 channels, 224 pixels, ImageNet
normalisation). Both models here take one 28×28 grey channel: say so with `--in-channels 1 --input-size 28` (for
1×28×28 CNNC then applies the Fashion-MNIST normalisation, mean 0.2860, std 0.3530; the C# twin
`AddModel(..., preprocessing: ...)` takes any other). `--width` is the channel multiplier the model was built with
(the zoo's ResNet-18 is a quarter-width one). A wrong option fails — here or at evaluation — naming the tensor whose
shape does not match.
'''),
    cs(f"#!cnnc add --arch resnet18 --weights {BYO_DIR}/resnet18-zoo.safetensors --name resnet18-safetensors --in-channels 1 --input-size 28 --width 0.25",
       expect=["Added resnet18-safetensors"]),
    cs(f"#!cnnc add --arch shufflenet_v2_x0_5 --weights {BYO_DIR}/shufflenet-pytorch.pth --name shufflenet-pytorch --in-channels 1 --input-size 28",
       expect=["Added shufflenet-pytorch"]),
    md('''
## Evaluate and look

1,000 images, three models: a few seconds.
'''),
    cs("#!cnnc evaluate", expect=["Evaluated 3 models."]),
    md('''
What to look at, in this order:

1. **A1 — is any model near chance?** With 10 classes chance is 10 %. A model far below its known accuracy almost
   always means the inputs are not what it was trained on: channels, size, normalisation — or the class order (below).
2. **Same architecture, different training.** `shufflenet-pytorch` and the zoo's `shufflenet_v2_x0_5` sit at the same
   x (the same parameter count) in A1; the vertical gap is what the longer training bought.
3. **A2 — where the gap is.** Per root class: does your model lose everywhere, or on one root (tops are the hard one
   in Fashion-MNIST)? Click its line to pin it.
4. **A3 / A4 — which leaf classes.** Your model is pinned below; its weakest classes are at the right end of A3.
5. **E — the classes that divide the models** (range) and those hard for all (average): the candidates for a closer,
   image-level look.
'''),
    cs("#!cnnc overview --pin shufflenet-pytorch", expect=["cnnc-overview", "shufflenet-pytorch", "resnet18-safetensors"]),
    md('''
## Check against a number you trust

The zoo's model card records ResNet-18's accuracy on the whole Fashion-MNIST test set. This folder holds the first
100 test images of each class, so the two should be close (not equal: a 1,000-image sample). A large difference would
mean that the folder's images are not preprocessed the way the model expects.
'''),
    cs('''
var overview = Cnnc.Interactive.Notebook.Study.Overview();
new
{
    CardAccuracy = Cnnc.Engine.Zoo.ZooCatalog.Card("resnet18").TestAccuracy.ToString("P2"),
    ThisFolder = overview.ModelNamed("resnet18-safetensors").Accuracy.Overall.ToString("P2"),
    Models = overview.Models.Select(m => $"{m.Name}: {m.Accuracy.Overall:P1}").ToArray(),
}
''', expect=["CardAccuracy", "ThisFolder"]),
    md('''
## The class-order trap

`ImageFolder` numbers classes by **sorted folder name**. Name the same folders after the classes (`ankle-boot`, `bag`,
`coat`, …) and index 0 becomes "ankle-boot", while the model's output 0 still means "T-shirt/top". Nothing fails; the
numbers are just wrong. Here is the same ResNet-18 on the same images, folders renamed, through the C# twin:
'''),
    cs('''
var named = Path.Combine(byo, "images-by-name");
if (!Directory.Exists(named))
{
    foreach (var dir in Directory.GetDirectories(Path.Combine(byo, "images")))
    {
        var target = Path.Combine(named, Path.GetFileName(dir)[3..]); // "00-t-shirt-top" -> "t-shirt-top"
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(dir)) File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
    }
}
var trap = new Cnnc.Engine.Studies.Study().UseData("folder:" + named);
trap.AddModel("resnet18", Path.Combine(byo, "resnet18-zoo.safetensors"),
    new Cnnc.Engine.Models.ArchitectureOptions { NumClasses = 10, InputChannels = 1, InputSize = 28, Width = 0.25 }, name: "resnet18-safetensors");
trap.Evaluate();
var wrong = trap.Overview();
new
{
    Overall = wrong.ModelNamed("resnet18-safetensors").Accuracy.Overall.ToString("P1"),
    ClassOrder = string.Join(", ", trap.Dataset.Classes),
    PerClass = wrong.RankedClasses("resnet18-safetensors").Select(g => $"{g.Name}: {g.Accuracy:P0}").ToArray(),
}
''', expect=["ankle-boot, bag, coat, dress, pullover, sandal, shirt, sneaker, t-shirt-top, trouser"]),
    md('''
Four folders happen to keep their index (dress, sandal, shirt, sneaker), so the overall accuracy lands well above
chance (about a third) — it looks like a poor model rather than a broken setup. **Per-class accuracies near 0 % next to
high ones are the signature of a class-order mismatch.** Fix it by naming the folders so that they sort in label order (as above), or by
reordering the classifier's rows.

## Your own ImageNet-scale models

Everything above works unchanged at full scale: `#!cnnc setup --models none --data imagenet-val:/data/ILSVRC2012_val`
(or `folder:` with RGB images), then `#!cnnc add --arch resnet50 --weights resnet50.pth`. Without options CNNC assumes
an ImageNet model: 3 channels, 224 pixels (resize 256, center crop 224, ImageNet normalisation), and as many classes
as the dataset has unless `--num-classes` says otherwise.

## Export

The tables behind the views, as CSV files:
'''),
    cs(f"#!cnnc export --out {BYO_DIR}/export", expect=["Wrote "]),
]

# Notebook 02: the paper's Alice (6.1) on the zoo. Class and image were picked from the store: Shirt is the class whose
# accuracy varies most across these seven models (resnet101 24% ... resnet18 / mobilenet_v2 65%), and on image 7 the
# two deepest ResNets say Pullover while the others are right.
ALICE_MODELS = "resnet18,resnet34,resnet50,resnet101,resnet152,alexnet,mobilenet_v2"

COMPARE = [
    md('''
# 02 · Compare several models on one image

This notebook follows **Alice**, the first use case of the CNNC paper (section 6.1). Alice is not a deep-learning
expert; she wants to know *why* some models get a class right and others do not, by looking at where each model looks.
In the paper she compares the ResNet family plus AlexNet and MobileNet-v2 on the ImageNet class "crayfish" with
Grad-CAM, and finds that the models that see a **larger region** (a bigger ROI) are the ones that classify the
cluttered images correctly.

We do the same on CNNC's embedded zoo (Fashion-MNIST, small models, CPU only). The steps:

1. pick the models and a class on which they **disagree** (view E of the overview, or the engine);
2. `#!cnnc compare` one image of that class: a table with one row per model, the similarity matrix of their heatmaps,
   the accuracy scatter;
3. the same from C# (`Notebook.Study.Compare(...)`) and a LINQ question over the rows.

Run it like notebook 01.

## Load the extension
'''),
    LOAD,
    md('''
## The models

Alice's choice: the five ResNets (18 to 152 layers), AlexNet and MobileNet-v2. `#!cnnc setup --models` takes any
subset of the zoo (`cnnc models list`, or the completions after `--models`). The predictions come from the store, so
if notebook 01 ran, evaluating is instant.
'''),
    cs(f"#!cnnc setup --models {ALICE_MODELS}", expect=["CNNC session ready", "resnet152", "mobilenet_v2"]),
    cs("#!cnnc evaluate", expect=["Evaluated 7 models."]),
    md('''
## Which class divides them?

The overview's **E** view ranks the classes by the *range* of the models' accuracies (notebook 01 shows it). The same
numbers come from the engine: the class with the widest range is where a comparison has the most to tell.
'''),
    cs('''
var cnnc = Cnnc.Interactive.Notebook.Study;
cnnc.Overview().Spotlights.MostDivergent(3)
    .Select(c => new { Class = c.ClassName, Lowest = c.Min.ToString("P1"), Highest = c.Max.ToString("P1"), Range = (c.Max - c.Min).ToString("P1") })
''', expect=["Shirt"]),
    md('''
**Shirt** it is: some models recognise barely a quarter of the shirts, others two thirds (shirts look like T-shirts,
pullovers and coats — the "complicated background" of this data set).

## Compare the models on one image

`#!cnnc compare --class Shirt` shows, from top to bottom:

* **the strip** — the first 12 images of the class with their dataset indices. Pick one with `--image INDEX`. Image 7
  is one where the models disagree (the first shirt, image 4, is right for every one of them — try it).
* **view E** — the image; the **similarity matrix** of the models' heatmaps (SSIM by default, `--rule` for others:
  high values = models that look at the same place); the **accuracy scatter**: each model's accuracy on *Shirt* against
  its overall accuracy, ● where it got *this* image right, × where it got it wrong.
* **the table** — one row per model: overall and class accuracy, the confidence in the true class, ground truth,
  prediction (red when wrong), the Grad-CAM heatmap with its contours (threshold 0.5), and the **ROI size** — the
  share of the image whose saliency is above the threshold.
'''),
    cs(f"#!cnnc compare --class Shirt --models {ALICE_MODELS} --image 7 --method gradcam",
       expect=["cnnc-compare", 'data-cnnc-class="Shirt"', 'data-cnnc-image="7"', 'data-chart="similarity"']),
    md('''
### What to look at

1. **Sort by "class accuracy"** (click the header; again for descending), as Alice does. Are the models that are good
   at shirts in general also right on this image?
2. **Sort by "confidence"** (of the true class). A wrong model can still give the true class a fair share — or none.
3. **Sort by "ROI size".** Alice's finding was that the models with a larger ROI were the correct ones. Do the wrong
   rows (red predictions) sit at one end? Check a few more images (`--image 40`, `--image 89`) before you believe it —
   that is what she did.
4. **The similarity matrix.** Do the models that are right look at the same place as each other? Is AlexNet (no
   residual connections, a coarse last feature map) an outlier row?
5. **The search box** filters rows: type `Pullover` to keep only the models that took the shirt for a pullover.

The explanation method is a choice too: `--method gradcam++`, `scorecam`, `smoothgrad`, … (completions list all ten);
`--target label` explains the true class instead of each model's prediction.

## The same from C#

`Compare` returns the rows as records (`ComparisonRow`): ask them questions with LINQ. Here: the models ordered by
ROI size, and the mean ROI of the right and of the wrong models.
'''),
    cs(f'''
var comparison = cnnc.Compare(new() {{ Class = "Shirt", Models = "{ALICE_MODELS}".Split(','), Image = 7, Method = "gradcam" }});
comparison.Rows
    .OrderByDescending(r => r.RoiSize)
    .Select(r => new {{ r.Model, r.Prediction, r.Correct, ClassAccuracy = r.ClassAccuracy.ToString("P1"), Confidence = r.TrueClassConfidence.ToString("P1"), Roi = r.RoiSize.ToString("P1") }})
''', expect=["resnet101", "Pullover"]),
    cs('''
comparison.Rows
    .GroupBy(r => r.Correct ? "right on image 7" : "wrong on image 7")
    .Select(g => new { Group = g.Key, Models = string.Join(", ", g.Select(r => r.Model)), MeanRoi = g.Average(r => r.RoiSize).ToString("P1"), MeanClassAccuracy = g.Average(r => r.ClassAccuracy).ToString("P1") })
''', expect=["right on image 7", "wrong on image 7"]),
    md('''
The similarity matrix as numbers (CSV, also what the heatmap shows), e.g. for a spreadsheet:
'''),
    cs("comparison.SimilarityCsv()", expect=["resnet18"]),
    md('''
One image proves little. A loop over the first shirts answers Alice's question for the whole strip — is the ROI of a
correct model larger, on average, than that of a wrong one?
'''),
    cs(f'''
var rows = comparison.ClassImages.Take(6)
    .SelectMany(img => cnnc.Compare(new() {{ Class = "Shirt", Models = "{ALICE_MODELS}".Split(','), Image = img.Index, Method = "gradcam", StripImages = 0 }}).Rows)
    .ToList();
new
{{
    Comparisons = rows.Count,
    MeanRoiRight = rows.Where(r => r.Correct).Average(r => r.RoiSize).ToString("P1"),
    MeanRoiWrong = rows.Where(r => !r.Correct).Select(r => r.RoiSize).DefaultIfEmpty().Average().ToString("P1"),
}}
''', expect=["MeanRoiRight", "MeanRoiWrong"]),
    md('''
In our runs the answer is **no**: on image 7 the two wrong models have the *larger* ROIs (about 62 % of the image on
average, against 40 % for the right ones), and over the first six shirts the wrong rows still average a slightly
larger ROI (about 41 % against 36 %). Alice's rule came from photographs where the object sits in a cluttered scene;
a 28×28 garment on a black background has no clutter to see past, and a wide ROI here rather means a diffuse,
unsure map. That is the point of the method — a hypothesis from one image, checked on many, on *your* data.
Next: notebook 03 follows Bob, who looks at **one** model on many images.
'''),
]

# Notebook 03: the paper's Bob (6.2) on the zoo: the most accurate zoo model (resnet18, 90.5%) on Coat (89%): on the
# first page of 20 images it misclassifies 25 and 127 (as Pullover) and 150 (as Dress).
INSPECT = [
    md('''
# 03 · Investigate one model

This notebook follows **Bob**, the second use case of the CNNC paper (section 6.2). Bob builds an app and wants to
understand the best model he has: on which images of a class it fails, and why. In the paper he takes ResNet-152 on
"flamingo" with **Smooth Grad-CAM++**, finds that the explanation locates the bird even on misclassified images, and
that the misclassified images have a **colour-intensity histogram (CIH)** of the salient region unlike the correct
ones.

We do the same on CNNC's embedded zoo (Fashion-MNIST, small models, CPU only) with `#!cnnc inspect`: one model, one
class, a page of images, each with its heatmap and CIH, sortable by CIH distance to any image.

Run it like notebook 01.

## Load the extension
'''),
    LOAD,
    cs("#!cnnc setup --models resnet18,resnet34,resnet50,resnet101,resnet152", expect=["CNNC session ready"]),
    cs("#!cnnc evaluate", expect=["Evaluated 5 models."]),
    md('''
## The model and the class

Bob picks the most accurate model (view A1 of the overview; here from the engine), then a class it gets *mostly*
right — the interesting failures are the few.
'''),
    cs('''
var cnnc = Cnnc.Interactive.Notebook.Study;
var overview = cnnc.Overview();
var best = overview.Models.MaxBy(m => m.Accuracy.Overall)!;
new
{
    Best = $"{best.Name}: {best.Accuracy.Overall:P1}",
    Classes = overview.RankedClasses(best.Name).Select(g => $"{g.Name}: {g.Accuracy:P1}").ToArray(),
}
''', expect=["resnet18", "Coat"]),
    md('''
ResNet-18 is the best of the family on this small data set (the deep ones were trained for one epoch on half the
images). **Coat**: about nine in ten right.

## Inspect

`#!cnnc inspect --model resnet18 --classes Coat` explains a page of the class's images (`--rows`, `--page`) in one
batched call with Bob's method, Smooth Grad-CAM++ (the default for small inputs; `--method` takes any of the ten).
Per row: dataset index, label, prediction (red when wrong), confidence, p(label), the heatmap with contours, the ROI
size and the **CIH** — the histogram of the grey levels of the pixels whose saliency is at least the threshold,
with its pixel count and mean intensity. View E on top: the model's accuracy on the class, beside its overall
accuracy (the line).
'''),
    cs("#!cnnc inspect --model resnet18 --classes Coat --method smoothgradcam++ --rows 20",
       expect=["cnnc-inspect", 'data-cnnc-model="resnet18"', "smoothgradcam++"]),
    md('''
### What to look at

1. **The misclassified rows.** Sort by "prediction" (or type `Pullover` in the search box): on this page images 25 and
   127 are taken for pullovers, 150 for a dress. Does the heatmap still sit on the garment — as Bob found for his
   flamingos — or somewhere else?
2. **Sort by confidence.** The wrong rows have low p(label); are there right rows that are nearly as unsure?
3. **"sort by this CIH"** — the button under each histogram orders the page by CIH distance (chi-square) to that row:
   click it on a wrong row. Do the other wrong rows come next (similar intensities in the salient region), or are the
   closest images correct ones? Bob's observation was that the failures had CIHs *unlike* the correct images of the
   class. The CIH column header sorts by mean intensity.

The same ordering can be asked for up front, with the reference image first:
'''),
    cs("#!cnnc inspect --model resnet18 --classes Coat --rows 20 --sort-by-cih 25",
       expect=["cnnc-inspect", 'data-cnnc-cih-ref="25"', "sorted by CIH distance"]),
    md('''
## The same from C#

`Inspect` returns the rows as records (`InspectionRow`, with the `ColorHistogram` and the saliency `Map`);
`SortByCih` reorders them without explaining again.
'''),
    cs('''
var inspection = cnnc.Inspect(new() { Model = "resnet18", Classes = ["Coat"], Method = "smoothgradcam++", Rows = 20 });
inspection.Rows
    .Where(r => !r.Correct)
    .Select(r => new { r.Index, r.Prediction, Confidence = r.Confidence.ToString("P1"), PLabel = r.TrueClassConfidence.ToString("P1"), Roi = r.RoiSize.ToString("P1") })
''', expect=["Pullover"]),
    md('''
Bob's question in numbers: ordered by CIH distance to the misclassified image 25, which images are nearest, and where
do the other wrong ones rank?
'''),
    cs('''
var byCih = inspection.SortByCih(25).Rows.Select((r, rank) => (Row: r, Rank: rank)).ToList();
new
{
    Nearest = byCih.Take(6).Select(x => $"{x.Rank}: image {x.Row.Index} ({(x.Row.Correct ? "right" : "wrong: " + x.Row.Prediction)}), distance {x.Row.CihDistance:F3}").ToArray(),
    OtherWrong = byCih.Where(x => !x.Row.Correct && x.Row.Index != 25).Select(x => $"image {x.Row.Index} ({x.Row.Prediction}) at rank {x.Rank} of {byCih.Count - 1}").ToArray(),
}
''', expect=["Nearest", "OtherWrong", "0: image 25"]),
    md('''
In our runs the images nearest to 25 are correctly classified coats, and the other wrong ones rank in the middle of
the page: at this scale the CIH of the salient region does not single out the failures the way Bob's flamingo CIHs
did. Try the buttons on another wrong row, or `--threshold 0.3` (a larger salient region, a different histogram).
'''),
    md('''
## Smooth Grad-CAM++ at the ResNets' last block

Smooth Grad-CAM++ averages Grad-CAM++'s gradients over 25 noisy copies of the image. The explainers use the model's
default target layer — for the ResNets `layer4`, the last residual block — and neither `#!cnnc inspect` nor
`Inspect(...)` has an option to choose another layer. After `layer4` come only a global average pool and the linear
classifier, so the gradient of a class score with respect to `layer4`'s activations is the classifier's weight for
that class divided by the number of positions: **it does not depend on the input**. Averaging it over noisy copies
changes nothing, and at this layer Smooth Grad-CAM++ gives exactly Grad-CAM++'s maps, at 25 times the cost. Measured:
'''),
    cs('''
var plain = cnnc.Inspect(new() { Model = "resnet18", Classes = ["Coat"], Method = "gradcam++", Rows = 20 });
var maxDifference = inspection.Rows.Zip(plain.Rows, (s, p) => s.Map.Data.Zip(p.Map.Data, (a, b) => Math.Abs(a - b)).Max()).Max();
new
{
    Images = plain.Rows.Count,
    MaxDifference = maxDifference,
    Verdict = maxDifference < 1e-4 ? "identical maps (max difference below 1e-4)" : "the maps differ",
}
''', expect=["identical maps"]),
    md('''
The smoothing pays off at layers whose gradient does depend on the input (an earlier block, or models whose head is
not linear after pooling) — with the maps as they are here, choose `--method gradcam++` for the same picture faster.
'''),
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
var o = Cnnc.Interactive.Notebook.Study.Overview();
o.Models.Select(m => new { m.Name, m.Accuracy.Overall, m.Parameters, m.Macs, m.LatencyMs })
'''),
    cs("#!cnnc export --out /tmp/cnnc-smoke/export"),
]


if __name__ == "__main__":
    write("01-overview.ipynb", OVERVIEW)
    write("02-compare-models-on-one-image.ipynb", COMPARE)
    write("03-investigate-one-model.ipynb", INSPECT)
    write("04-bring-your-own.ipynb", BRING_YOUR_OWN)
    write(os.path.join("tests", "smoke-own-models.ipynb"), SMOKE)
