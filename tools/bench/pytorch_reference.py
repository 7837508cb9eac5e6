#!/usr/bin/python3
"""Plain PyTorch reference for BENCHMARKS.md: the same computations as `cnnc bench`, written the ordinary way.

  forward  --arch A [--weights F.pth] --batch N --size S --repeat R
  evaluate --arch A --weights F.pth --tensor X.npy --batch-size N --repeat R           (ImageNet scale, torchvision)
  evaluate --arch A --weights F.safetensors --zoo-width W --data fashion-mnist ...      (zoo scale, our small models)

Prints one JSON line with the same fields as `cnnc bench`. Run with Debian's /usr/bin/python3 (python3-torch).
The evaluation loop is what a PyTorch user writes: eval(), inference_mode(), batches, softmax, argmax, results
collected into numpy arrays (no files written, unlike cnnc's store).
"""
import argparse
import gzip
import json
import os
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torchvision

FASHION_MNIST = "/usr/share/datasets/fashion-mnist"
MEAN, STD = 0.2860, 0.3530


def scale(channels, width, minimum=4):
    return max(minimum, int(round(channels * width)))


class BasicBlock(nn.Module):
    def __init__(self, inplanes, planes, stride, downsample):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + identity)


class SmallResNet18(nn.Module):
    """torchvision's resnet18 names; widths scaled; 3x3 stride-1 stem without max-pool (CNNC's small-input stem)."""

    def __init__(self, width, num_classes=10, in_channels=1):
        super().__init__()
        self.inplanes = scale(64, width)
        self.conv1 = nn.Conv2d(in_channels, self.inplanes, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.Identity()
        self.layer1 = self._layer(scale(64, width), 2, 1)
        self.layer2 = self._layer(scale(128, width), 2, 2)
        self.layer3 = self._layer(scale(256, width), 2, 2)
        self.layer4 = self._layer(scale(512, width), 2, 2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(scale(512, width), num_classes)

    def _layer(self, planes, blocks, stride):
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(nn.Conv2d(self.inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))
        layers = [BasicBlock(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes
        layers += [BasicBlock(planes, planes, 1, None) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def small_densenet121(width, num_classes=10, in_channels=1):
    init = scale(64, width)
    model = torchvision.models.DenseNet(growth_rate=scale(32, width), block_config=(6, 12, 24, 16),
                                        num_init_features=init, num_classes=num_classes)
    model.features.conv0 = nn.Conv2d(in_channels, init, 3, 1, 1, bias=False)
    model.features.pool0 = nn.Identity()
    return model


def read_safetensors(path):
    dtypes = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32, "F16": np.float16, "U8": np.uint8}
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        array = np.frombuffer(data[start:end], dtype=dtypes[info["dtype"]]).reshape(info["shape"])
        out[name] = torch.from_numpy(array.copy())
    return out


def read_idx(path):
    opener = gzip.open if open(path, "rb").read(2) == b"\x1f\x8b" else open
    with opener(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def fashion_mnist_test():
    names = os.listdir(FASHION_MNIST)
    images = next(n for n in names if n.startswith("t10k-images"))
    labels = next(n for n in names if n.startswith("t10k-labels"))
    x = read_idx(os.path.join(FASHION_MNIST, images)).astype(np.float32) / 255.0
    x = torch.from_numpy(((x - MEAN) / STD).astype(np.float32)).unsqueeze(1)
    return x, torch.from_numpy(read_idx(os.path.join(FASHION_MNIST, labels)).astype(np.int64))


def build(args):
    if args.zoo_width:
        model = {"resnet18": SmallResNet18, "densenet121": small_densenet121}[args.arch](args.zoo_width)
    else:
        model = getattr(torchvision.models, args.arch)(weights=None)
    if args.weights:
        state = read_safetensors(args.weights) if args.weights.endswith(".safetensors") else torch.load(args.weights)
        model.load_state_dict(state, strict=True)
    return model.eval()


def timed(action, repeat, warmups):
    for _ in range(warmups):
        action()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return sorted(times)


def report(what, model, batch, times, images, extra=None):
    median = float(np.median(times))
    result = {"what": what, "model": model, "batch": batch, "images": images, "median_ms": round(median, 2),
              "min_ms": round(times[0], 2), "max_ms": round(times[-1], 2),
              "images_per_second": round(images / (median / 1000), 1), "threads": torch.get_num_threads(),
              "torch": torch.__version__}
    result.update(extra or {})
    print(json.dumps(result), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["forward", "evaluate"])
    parser.add_argument("--arch", required=True)
    parser.add_argument("--weights")
    parser.add_argument("--zoo-width", type=float, default=0.0)
    parser.add_argument("--batch", "--batch-size", type=int, default=1, dest="batch")
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--tensor")
    parser.add_argument("--data")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)  # PyTorch's default here is 1; use every core, as libtorch in .NET does
    model = build(args)
    if args.mode == "forward":
        torch.manual_seed(0)
        x = torch.randn(args.batch, 3, args.size, args.size)

        def forward():
            with torch.inference_mode():
                model(x)
        report("forward", args.arch, args.batch, timed(forward, args.repeat, 2), args.batch)
        return

    if args.data == "fashion-mnist":
        x, y = fashion_mnist_test()
    else:
        x = torch.from_numpy(np.load(args.tensor))
        y = torch.zeros(len(x), dtype=torch.int64)
    n = len(x)
    state = {}

    def evaluate():
        probabilities = np.empty((n, 1000 if not args.zoo_width else 10), dtype=np.float32)
        predictions = np.empty(n, dtype=np.int64)
        with torch.inference_mode():
            for start in range(0, n, args.batch):
                p = torch.softmax(model(x[start:start + args.batch]), 1)
                probabilities[start:start + len(p)] = p.numpy()
                predictions[start:start + len(p)] = p.argmax(1).numpy()
        state["accuracy"] = float((predictions == y.numpy()).mean())
    times = timed(evaluate, args.repeat, 1)
    report("evaluate", args.arch, args.batch, times, n, {"accuracy": state["accuracy"]})


if __name__ == "__main__":
    main()
