#!/usr/bin/python3
"""Writes the state-dict layouts (names and shapes) of every torchvision classification builder, the engine resource
Cnnc.Engine/Models/Resources/torchvision-state-dicts.tsv.gz, from which CNNC tells which architecture a checkpoint's
keys belong to ("these weights look like resnet50, not resnet18"). Built as tests/fixtures/torchvision_builders.py
builds them (no data, nothing downloaded), for each published weights entry; a builder's distinct layouts are kept
(ViT's position embedding differs per image size; GoogLeNet's published file has its aux heads).

Format (text, gzip with no timestamp so that the bytes are reproducible): a line "> builder" opens a layout, then one
"key<TAB>shape" line per tensor, shape as comma-separated sizes (empty for a scalar).

Usage: /usr/bin/python3 tools/state_dict_layouts.py [--out FILE]   (default: the engine resource)
"""
import argparse
import gzip
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "tests", "fixtures"))
from torchvision_builders import describe  # noqa: E402  (the one place that builds torchvision's models without data)


def text(description) -> str:
    lines = [f"# torchvision {description['torchvision']} state-dict layouts; written by tools/state_dict_layouts.py (do not edit)."]
    for builder in description["builders"]:
        seen = []
        for weights in builder["weights"]:
            for layout in (weights["state_dict"], weights.get("file_state_dict")):
                if layout is None or layout in seen:
                    continue
                seen.append(layout)
                lines.append(f"> {builder['name']}")
                lines += [f"{key}\t{','.join(str(s) for s in shape)}" for key, shape in layout.items()]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=os.path.join(here, "..", "Cnnc.Engine", "Models", "Resources", "torchvision-state-dicts.tsv.gz"))
    args = parser.parse_args()
    data = text(describe()).encode("utf-8")
    with open(args.out, "wb") as f:
        f.write(gzip.compress(data, compresslevel=9, mtime=0))
    print(f"{sum(1 for line in data.splitlines() if line.startswith(b'> '))} layouts written to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
