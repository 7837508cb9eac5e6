#!/usr/bin/python3
"""Turns benchmarks.jsonl (written by tools/benchmark.sh) into BENCHMARKS.md."""
import json
import os
import platform
import subprocess
import sys


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    mem = next((int(l.split()[1]) // 1024 // 1024 for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0)
    dotnet = subprocess.run(["dotnet", "--version"], capture_output=True, text=True).stdout.strip()
    os_name = next((l.split("=", 1)[1].strip().strip('"') for l in open("/etc/os-release") if l.startswith("PRETTY_NAME")), "?")
    return f"{cpu}, {os.cpu_count()} cores, {mem} GiB RAM, {os_name}, kernel {platform.release()}, .NET SDK {dotnet}"


def main():
    rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
    by = {r["label"]: r for r in rows}
    torch_version = next((r["torch"] for r in rows if "torch" in r), "?")
    print("# Benchmarks\n")
    # Rows carry the machine they were measured on (rows of several runs may come from different VMs).
    machines = list(dict.fromkeys(r.get("machine") or machine() for r in rows))
    where = machines[0] if len(machines) == 1 else "; ".join(
        f"{m} ({', '.join(dict.fromkeys(r.get('run', '?') for r in rows if (r.get('machine') or machine()) == m))})" for m in machines)
    print(f"Machine{'s' if len(machines) > 1 else ''}: {where}. CNNC: TorchSharp 0.107 / libtorch 2.10 (CPU). Reference: PyTorch {torch_version} "
          "(Debian's python3-torch), run by `tools/bench/pytorch_reference.py` in the same run, with the same weights "
          "and inputs. Both use every core. Medians of several repetitions after warm-up, min–max in brackets. Forward "
          "and explainer figures warm up for 3 s first (at least one call), the same rule on both sides: .NET's tiered JIT "
          "recompiles the hot managed path in the first seconds, and those background compilations take cores from "
          "libtorch's threads; the first call's time is given separately (\"first call\"). "
          "Written by `bash tools/benchmark.sh`.")
    runs = {}
    for r in rows:
        if "run" in r:
            runs[r["run"]] = runs.get(r["run"], 0) + 1
    if len(runs) > 1:
        print("\nThe rows come from " + "; ".join(f"{name} ({n} rows)" for name, n in runs.items()) +
              ". Compare figures within one run: the VM's speed drifts between runs (PyTorch's own figures too).")
    pairs = {}
    for r in rows:
        label = r["label"]
        if label.startswith(("explain ", "runtime: ", "soak ")) or "explain baseline" in label or "peak memory" in label:
            continue
        if label.startswith("cnnc "):
            pairs.setdefault(label[5:], [None, None])[0] = r
        elif label.startswith("pytorch "):
            key = label[8:].replace(" (MALLOC_* tuned)", "")
            if "(default malloc)" in key:
                continue
            pairs.setdefault(key, [None, None])[1] = r
    # A reference figure without a CNNC figure of the same name is compared with the CNNC figure whose name is the
    # longest prefix of it (e.g. "explain scorecam resnet18 b16" with CNNC's "explain scorecam resnet18", which
    # chooses its own batch size).
    own = {k: v[0] for k, v in pairs.items() if v[0] is not None}
    borrowed = set()
    for key, pair in pairs.items():
        if pair[0] is None and pair[1] is not None:
            prefixes = [k for k in own if key.startswith(k + " ")]
            if prefixes:
                best = max(prefixes, key=len)
                pair[0] = own[best]
                pair.append(best)
                borrowed.add(best)
    pairs = {k: v for k, v in pairs.items() if v[1] is not None or k not in borrowed}

    def cell(r):
        if r is None:
            return "–"
        text = f"{r['median_ms']:.1f} ms [{r['min_ms']:.1f}–{r['max_ms']:.1f}]"
        if r["what"] in ("forward", "evaluate", "input", "imagefolder input", "imagefolder evaluate"):
            text += f", {r['images_per_second']:.0f} img/s"
        return text

    def note(ours, theirs):
        notes = []
        if "kl_divergence" in (ours or {}) and "kl_divergence" in (theirs or {}):
            notes.append(f"KL {ours['kl_divergence']:.3f} / {theirs['kl_divergence']:.3f} after "
                         f"{ours['iterations']} / {theirs['iterations']} iterations")
        if ours and theirs and ours["what"] == "explain scorecam":
            notes.append(f"masks per pass: CNNC measured, reference {theirs['batch']}")
        if ours and theirs and "first_ms" in ours and "first_ms" in theirs and ours["median_ms"] < 5000:
            notes.append(f"first call {ours['first_ms']:.0f} / {theirs['first_ms']:.0f} ms")
        return "; ".join(notes)

    groups = [("Inference", ("forward", "evaluate"), ""),
              ("Input pipeline: JPEG files as torchvision sees them", ("input pipeline",),
               "506 JPEG files of about 500×375 (crops of the real photographs of tests/fixtures/photographs.py, "
               "re-encoded by PIL at quality 75–95, 80 % 4:2:0), ImageFolder layout, resnet50 IMAGENET1K_V2's "
               "preprocessing (resize 232 bilinear, crop 224). CNNC: libjpeg-turbo decoding and Pillow's resample "
               "reproduced, on all cores straight into each batch, the next batch loaded while the model runs "
               "(`cnnc bench input` / `cnnc bench evaluate`, store writes included). Reference: torchvision's "
               "`ImageFolder` + `DataLoader(num_workers = cores)` with `weights.transforms()` (PIL), alone or with the "
               "same resnet50's forward pass. The two sides alternate, two rounds. Both produce the same input "
               "tensors (tests: bit for bit)."),
              ("Explainers against plain PyTorch (resnet18, 224×224, layer4, one Fashion-MNIST test image upsampled)",
               ("explain",),
               "The reference explainers are written plainly in `pytorch_reference.py`: Grad-CAM as torch-cam does it "
               "(the layer's output replaced by a detached leaf, `torch.autograd.grad` of the target logit), Score-CAM "
               "as pytorch-grad-cam / torch-cam batch it (16 or 32 masked inputs per forward pass; softmax over the "
               "channels of the masked inputs' target logits, as CNNC). CNNC's Score-CAM picks its batch size by "
               "measurement. The maps are compared under “Same results”."),
              ("Analysis: Algorithm 1, t-SNE, similarity matrix", ("algorithm1", "tsne", "similarity"),
               "References: Algorithm 1 in plain numpy (float64, a loop over classes); t-SNE by scikit-learn "
               "`TSNE(method=\"exact\", metric=\"precomputed\", init=\"random\")` with CNNC's settings (perplexity 5, "
               "early exaggeration 25, learning rate 800, 1000 iterations, seed 2000), on CNNC's distance matrix; the "
               "similarity matrix as all pairs of scikit-image `structural_similarity` (Gaussian weights, σ 1.5, data "
               "range 1). The ImageNet-scale inputs are synthetic and seeded (`pytorch_reference.py "
               "make-analysis-inputs`). The reference column is numpy / scikit-learn / scikit-image here, not PyTorch.")]
    groups.insert(1, ("Every family: one member each (224×224, torchvision's ImageNet build, random weights)", ("family",),
                      "Forward at batch 1 and 32 and Grad-CAM at the family's default layer (`cnnc models list`) of one "
                      "member of each family added for issue 13, on the parity fixtures' weights (written by PyTorch). "
                      "The reference Grad-CAM is torch-cam's way (above) with pytorch-grad-cam's reshape of token "
                      "outputs into a grid (ViT: class token dropped; Swin: N×H×W×C permuted). The sides alternate per "
                      "figure, two rounds. Targets of the issue: CNNC ≤ 1.0× at batch 32, ≤ 1.1× at batch 1, Grad-CAM "
                      "≤ 1.1×. From this run on, Debian's torch runs on OpenBLAS (`tools/setup.sh` installs it): it is "
                      "built with BLAS_INFO=generic, and on netlib's reference BLAS, which the earlier runs had, its "
                      "matrix products were several times slower (ViT-B/16 batch 1: 16.6 s against 2.6 s under load); "
                      "its convolutions go through oneDNN either way."))
    def family_order(key):
        # "forward vit_b_16 b32, round 2" / "explain gradcam vit_b_16, round 1": by model, figure, round.
        words = key.split(", round ")[0].split()
        arch, figure = (words[1], words[2]) if words[0] == "forward" else (words[2], "~" + words[1])
        return arch, figure.replace("b1", "b01"), key[-1]

    for title, whats, text in groups:
        if whats == ("input pipeline",):
            chosen = [(k, v) for k, v in pairs.items() if k.startswith("input pipeline")]
        elif whats == ("family",):
            chosen = sorted(((k, v) for k, v in pairs.items() if k.endswith((", round 1", ", round 2"))
                             and not k.startswith("input pipeline")), key=lambda kv: family_order(kv[0]))
        else:
            chosen = [(k, v) for k, v in pairs.items()
                      if not k.startswith("input pipeline") and not k.endswith((", round 1", ", round 2"))
                      and any((v[0] or v[1])["what"].startswith(w) for w in whats)]
        if not chosen:
            continue
        print(f"\n## {title}\n")
        if text:
            print(text + "\n")
        print("| figure | CNNC | reference | CNNC / reference time | notes |\n| --- | --- | --- | --- | --- |")
        for key, pair in chosen:
            ours, theirs = pair[0], pair[1]
            ratio = f"{ours['median_ms'] / theirs['median_ms']:.2f}" if ours and theirs else "–"
            figure = key if len(pair) < 3 else f"{key} (CNNC: {pair[2]})"
            print(f"| {figure} | {cell(ours)} | {cell(theirs)} | {ratio} | {note(ours, theirs)} |")

    checks = [r for r in rows if r.get("check")]
    if checks:
        print("\n## Same results\n")
        print("Largest absolute difference between CNNC's output and the reference's, same inputs, same run.\n")
        print("| check | shape | max abs difference |\n| --- | --- | --- |")
        for r in checks:
            print(f"| {r['label'].replace('check ', '')} | {'×'.join(map(str, r['shape']))} | {r['max_abs_diff']:.3g} |")

    memory = {}
    for r in rows:
        if "peak memory" in r["label"]:
            side, key = r["label"].split(" ", 1)
            memory.setdefault(key.replace("peak memory ", ""), {})[side] = r
    if memory:
        print("\n## Peak memory\n")
        print("Maximum resident set of the whole process (GNU time's `%M`), one evaluation after one warm-up "
              "evaluation; in brackets the time of that evaluation.\n")
        print("| figure | CNNC | PyTorch | CNNC / PyTorch memory |\n| --- | --- | --- | --- |")
        for key, sides in memory.items():
            ours, theirs = sides.get("cnnc"), sides.get("pytorch")
            mem = lambda r: "–" if r is None else f"{r['max_rss_mb']} MiB ({r['median_ms'] / 1000:.1f} s)"
            ratio = f"{ours['max_rss_mb'] / theirs['max_rss_mb']:.2f}" if ours and theirs else "–"
            print(f"| {key} | {mem(ours)} | {mem(theirs)} | {ratio} |")

    runtime = [r for r in rows if r["label"].startswith("runtime: ")]
    if runtime:
        print("\n## Runtime settings (CNNC alone, A/B in the same run)\n")
        print("Channels-last: loaded models keep 4-D weights and inputs in NHWC memory (`CNNC_CHANNELS_LAST=0` turns it "
              "off). OpenMP: libgomp's threads spin 300,000 times before they sleep; CNNC sets `GOMP_SPINCOUNT=10000` "
              "unless the user set it (`CNNC_OMP_SPINCOUNT=N|default` overrides; 0 sleeps at once, like "
              "`OMP_WAIT_POLICY=PASSIVE`). \"Busy\" runs beside two shell loops that each keep a core "
              "busy.\n")
        print("Tiered PGO: .NET's dynamic profile-guided optimisation re-JITs every hot managed method through an "
              "instrumented tier first; the `cnnc` command line turns it off (`TieredPGO=false` in its runtimeconfig; "
              "`DOTNET_TieredPGO=1` turns it on again). Those rows time the first calls, without warm-up.\n")
        print("| setting | figure | median | 90th percentile | min–max |\n| --- | --- | --- | --- | --- |")
        for r in runtime:
            setting, figure = r["label"][len("runtime: "):].split(": ", 1)
            p90 = f"{r['p90_ms']:.1f} ms" if "p90_ms" in r else "–"
            print(f"| {setting} | {figure} | {r['median_ms']:.1f} ms | {p90} | {r['min_ms']:.1f}–{r['max_ms']:.1f} ms |")

    for r in (r for r in rows if r.get("what") == "soak"):
        e, v = r["explain_rss_mb"], r["evaluate_rss_mb"]
        warm = e[min(2, len(e) - 1)]
        print(f"\n## Load: memory over {r['explanations']:,} explanations and {r['evaluations']} full evaluations\n")
        print(f"{r['model']}, {r['method']}, one image per call cycling over the {r['images']:,} test images, then "
              f"{r['evaluations']} evaluations of all of them into a temporary store, in one process "
              f"(`cnnc bench soak`). Resident memory (VmRSS) in MiB.\n")
        print("| phase | start | after warm-up | end | growth after warm-up | time |\n| --- | --- | --- | --- | --- | --- |")
        print(f"| explanations | {e[0]} | {warm} (sample 3) | {e[-1]} | {e[-1] - warm:+.1f} | {r['explain_seconds']} s |")
        first = v[min(len(v) - 1, len(v) // max(1, r['evaluations']))]
        print(f"| evaluations | {v[0]} | {first} (end of the first) | {v[-1]} | {v[-1] - first:+.1f} | {r['evaluate_seconds']} s |")
        print(f"\nPeak resident memory: {r['peak_rss_mb']} MiB. Samples: explanations every "
              f"{r['explanations'] // max(1, len(e) - 1):,} calls {e}; evaluations every 2,500 images {v}.")

    scale = [r for r in rows if r["label"].startswith("scale: ")]
    if scale:
        print("\n## Scale: the warm overview of many models\n")
        print("`cnnc bench overview`: the study's overview with its default options (B, D and E included), rendered as the "
              "notebook's HTML fragment (without plotly.js), after a first, cold call; the zoo's weights in turn on "
              "Fashion-MNIST's test set. Target (issue 16): ≤ 1 s at 100 models. CNNC alone.\n")
        print("| figure | median | min–max | of which engine / HTML | first (cold) call | fragment size |\n"
              "| --- | --- | --- | --- | --- | --- |")
        for r in scale:
            split = f"{r['overview_ms']:.1f} / {r['render_ms']:.1f} ms" if "overview_ms" in r else "–"
            print(f"| {r['label'][len('scale: '):]} | {r['median_ms']:.1f} ms | {r['min_ms']:.1f}–{r['max_ms']:.1f} ms | {split} | "
                  f"{r['first_ms']:.0f} ms | {r['html_bytes'] / 1024:.1f} KiB |")
    notebook = [r for r in rows if r["label"].startswith("notebook ")]
    if notebook:
        print("\n## Notebook commands\n")
        print("| figure | median | min–max | output size |\n| --- | --- | --- | --- |")
        for r in notebook:
            size = r.get("output_bytes")
            size = "–" if size is None else (f"{size / 1024:.1f} KiB" if size >= 1024 else f"{size} B")
            print(f"| {r['label'][len('notebook '):]} | {r['median_ms']:.1f} ms | {r['min_ms']:.1f}–{r['max_ms']:.1f} ms | {size} |")
    malloc = [label for label in ["malloc tuning off: cnnc forward resnet18 b32", "malloc tuning on: cnnc forward resnet18 b32",
                                  "pytorch forward resnet18 b32 (default malloc)", "pytorch forward resnet18 b32 (MALLOC_* tuned)"]
              if label in by]
    if malloc:
        print("\n## glibc malloc tuning (resnet18, batch 32, 224×224)\n")
        print("| run | median | min–max |\n| --- | --- | --- |")
    for label in malloc:
        if label in by:
            r = by[label]
            print(f"| {label} | {r['median_ms']:.1f} ms | {r['min_ms']:.1f}–{r['max_ms']:.1f} ms |")
    explains = [r for r in rows if r["label"].startswith("explain ")]
    if explains:
        print("\n## Explainers (one image, median latency)\n")
        print("Reference points measured on this kind of machine for the issue (resnet18, 224×224): torch-cam Grad-CAM "
              "21 ms, pytorch-grad-cam Grad-CAM 117 ms, Score-CAM 8.8 s (torch-cam, batch 32) and 10.1 s "
              "(pytorch-grad-cam, batch 16), plain forward 19.5 ms.\n")
        print("| model | method | median | min–max | first call |\n| --- | --- | --- | --- | --- |")
        for r in explains:
            first = f"{r['first_ms']:.1f} ms" if "first_ms" in r else "–"
            print(f"| {r['label'].replace('explain ', '')} | {r['what'].replace('explain ', '')} | {r['median_ms']:.1f} ms | "
                  f"{r['min_ms']:.1f}–{r['max_ms']:.1f} ms | {first} |")
        base = by.get("cnnc forward resnet18 b1 (explain baseline)")
        if base:
            print(f"\nPlain forward, resnet18 224×224 batch 1, in the same run: {base['median_ms']:.1f} ms.")
    if any("accuracy" in r and "zoo" in r["label"] and "peak memory" not in r["label"] for r in rows):
        print("\nAccuracy reached by the PyTorch reference loop on the zoo weights (must equal the model cards): " +
              ", ".join(f"{r['label'].split()[3]} {r['accuracy']:.4f}" for r in rows
                        if "accuracy" in r and "zoo" in r["label"] and "peak memory" not in r["label"]) + ".")

    print(WHERE_TIME_GOES)


# Static text: a hand profile of the three slowest CNNC figures (per-image explanations at 224²), not regenerated by a
# run. Update it when the explainers change.
WHERE_TIME_GOES = """
## Where time goes (the three slowest CNNC figures)

Worked out on 2026-11-26 on this 2-core VM by counting passes and timing the parts (figures from the tables above).

* **BBMP at 224×224** (about 32 s in the second run): 300 Adam steps at batch 1, each one forward pass of the
  blurred/original blend and a backward pass down to the 28×28 input mask — about 100 ms a step, twice the batch-1
  forward, i.e. the time is the 300 forward/backward pairs the method defines. Ours to change only by changing the
  method (fewer steps, a smaller input); the defaults are the paper's, so they stay.
* **Score-CAM at 224×224** (15–16 s in the second run, 12 s in the first): all 512 channels of resnet18's layer4 vary
  for the benchmark image, so 512 masked forward passes are needed (skipping constant channels saves nothing here; on
  the zoo models 1–2 % of the channels are constant, and fewer than 1 % of the channels repeat another's normalised
  mask). Those passes are most of the time (16 × a batch-32 forward). What was ours to fix is done: inference mode,
  the batch size chosen by measurement, and the channels-last layout (forward at batch 32 about 1.2–1.3× faster than
  NCHW, see "Runtime settings"); that makes it 1.15–1.4× faster than the plain PyTorch loop with 16 or 32 masks per
  pass (1.15× in the second run), with the same map (1.4e-6 at most). The issue's 3× is out of reach while giving the
  same map: it would need 3× fewer masked passes, and the data gives no channels to skip. Not even a bounded error
  helps: the map is Σ_k e^(s_k) A_k up to normalisation, with each unknown score s_k in [0, 1], so a channel may go
  unscored only if its largest activation is small against the map's range — only 2–4 % of the channels qualify for a
  1e-3–1e-2 error bound (zoo resnet18, 20 test images; 0.2–1 % for resnet18 at 224).
* **RISE on the zoo model** (about 2.7 s): 4,000 random masks, i.e. 4,000 forward passes of a 28×28 image, in
  batches — again the method's own cost (about 0.7 ms per masked image).
* **Gradient methods** are one forward pass plus a backward pass that stops at the target layer; after the 3-s
  warm-up Grad-CAM takes as long as PyTorch's torch-cam-style code (43.8 vs 43.6 ms in the second run); before it,
  .NET's JIT makes the first calls slower (first call about 150 ms vs 70 ms).

Fixed on the way: **Ablation-CAM** re-ran the whole network for each batch of ablated copies only to have a hook
replace layer4's output (18.5 s at 224×224); it now runs only the architecture's head (pooling and classifier,
`IClassifierHead`) on them: 42 ms. The **libgomp spin** (see "Runtime settings") made every figure on a busy machine
5–10× slower.
"""


if __name__ == "__main__":
    main()
