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
    print(f"Machine: {machine()}. CNNC: TorchSharp 0.107 / libtorch 2.10 (CPU). Reference: PyTorch {torch_version} "
          "(Debian's python3-torch), run by `tools/bench/pytorch_reference.py` in the same run, with the same weights "
          "and inputs. Both use every core. Medians of several repetitions after warm-up, min–max in brackets. "
          "Written by `bash tools/benchmark.sh`.\n")
    print("| figure | CNNC | PyTorch | CNNC / PyTorch time |\n| --- | --- | --- | --- |")
    pairs = {}
    for r in rows:
        label = r["label"]
        if label.startswith("explain ") or "explain baseline" in label:
            continue
        if label.startswith("cnnc "):
            pairs.setdefault(label[5:], [None, None])[0] = r
        elif label.startswith("pytorch "):
            key = label[8:].replace(" (MALLOC_* tuned)", "")
            if "(default malloc)" in key:
                continue
            pairs.setdefault(key, [None, None])[1] = r

    def cell(r):
        if r is None:
            return "–"
        return f"{r['median_ms']:.1f} ms [{r['min_ms']:.1f}–{r['max_ms']:.1f}], {r['images_per_second']:.0f} img/s"
    for key, (ours, theirs) in pairs.items():
        ratio = f"{ours['median_ms'] / theirs['median_ms']:.2f}" if ours and theirs else "–"
        print(f"| {key} | {cell(ours)} | {cell(theirs)} | {ratio} |")
    print("\n## glibc malloc tuning (resnet18, batch 32, 224×224)\n")
    print("| run | median | min–max |\n| --- | --- | --- |")
    for label in ["malloc tuning off: cnnc forward resnet18 b32", "malloc tuning on: cnnc forward resnet18 b32",
                  "pytorch forward resnet18 b32 (default malloc)", "pytorch forward resnet18 b32 (MALLOC_* tuned)"]:
        if label in by:
            r = by[label]
            print(f"| {label} | {r['median_ms']:.1f} ms | {r['min_ms']:.1f}–{r['max_ms']:.1f} ms |")
    explains = [r for r in rows if r["label"].startswith("explain ")]
    if explains:
        print("\n## Explainers (one image, median latency)\n")
        print("Reference points measured on this kind of machine for the issue (resnet18, 224×224): torch-cam Grad-CAM "
              "21 ms, pytorch-grad-cam Grad-CAM 117 ms, Score-CAM 8.8 s (torch-cam, batch 32) and 10.1 s "
              "(pytorch-grad-cam, batch 16), plain forward 19.5 ms.\n")
        print("| model | method | median | min–max |\n| --- | --- | --- | --- |")
        for r in explains:
            print(f"| {r['label'].replace('explain ', '')} | {r['what'].replace('explain ', '')} | {r['median_ms']:.1f} ms | "
                  f"{r['min_ms']:.1f}–{r['max_ms']:.1f} ms |")
        base = by.get("cnnc forward resnet18 b1 (explain baseline)")
        if base:
            print(f"\nPlain forward, resnet18 224×224 batch 1, in the same run: {base['median_ms']:.1f} ms.")
    if any("accuracy" in r for r in rows):
        print("\nAccuracy reached by the PyTorch reference loop on the zoo weights (must equal the model cards): " +
              ", ".join(f"{r['label'].split()[3]} {r['accuracy']:.4f}" for r in rows
                        if "accuracy" in r and "zoo" in r["label"]) + ".")


if __name__ == "__main__":
    main()
