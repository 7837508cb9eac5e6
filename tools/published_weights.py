#!/usr/bin/python3
"""Writes CNNC's catalog of torchvision's published ImageNet-1k classification weights from torchvision's own metadata
(Debian's python3-torchvision 0.14.1: 115 weights of 80 builders), the engine resource
Cnnc.Engine/Weights/Resources/torchvision-weights.tsv. Nothing is downloaded: the URLs, hashes, accuracies and
transforms are attributes of torchvision's Weights enums.

One row per weights: architecture (builder name), weights (Enum.MEMBER), default (1 for the builder's DEFAULT), file
(the hub cache's file name, the URL's last segment), sha256 (its hash prefix: torch.hub's HASH_REGEX, the first hex
digits of the file's SHA-256), num_params, acc@1, acc@5 (ImageNet-1K, published), resize, crop, interpolation,
mean, std (the ImageClassification preset of weights.transforms()), min_size (meta["min_size"], height,width).

Usage: /usr/bin/python3 tools/published_weights.py [--out FILE]   (default: the engine resource)
"""
import argparse
import os
import re
import sys

import torchvision
from torchvision.models import get_model_weights, list_models

HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")  # torch.hub's rule for the hash prefix in a file name
HEADER = ["architecture", "weights", "default", "file", "sha256", "num_params", "acc1", "acc5", "resize", "crop",
          "interpolation", "mean", "std", "min_size"]


def rows():
    for arch in sorted(list_models(module=torchvision.models)):
        enum = get_model_weights(arch)
        default = enum.DEFAULT
        for weights in enum:
            file = weights.url.rsplit("/", 1)[-1]
            prefix = HASH_REGEX.search(file).group(1)
            metrics = weights.meta["_metrics"]["ImageNet-1K"]
            t = weights.transforms()
            min_size = weights.meta.get("min_size", (1, 1))
            yield [arch, f"{type(weights).__name__}.{weights.name}", "1" if weights == default else "0", file, prefix,
                   str(weights.meta["num_params"]), repr(metrics["acc@1"]), repr(metrics["acc@5"]),
                   str(t.resize_size[0]), str(t.crop_size[0]), t.interpolation.value,
                   ",".join(repr(v) for v in t.mean), ",".join(repr(v) for v in t.std), f"{min_size[0]},{min_size[1]}"]


def main() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=os.path.join(here, "..", "Cnnc.Engine", "Weights", "Resources", "torchvision-weights.tsv"))
    args = parser.parse_args()
    lines = [f"# torchvision {torchvision.__version__} published ImageNet-1k weights; written by tools/published_weights.py (do not edit).",
             "\t".join(HEADER)]
    lines += ["\t".join(r) for r in rows()]
    with open(args.out, "w", newline="\n") as f:
        f.write("\n".join(lines) + "\n")
    print(f"{len(lines) - 2} weights written to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
