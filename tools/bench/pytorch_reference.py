#!/usr/bin/python3
"""Plain PyTorch reference for BENCHMARKS.md: the same computations as `cnnc bench`, written the ordinary way.

  forward  --arch A [--weights F.pth] --batch N --size S --repeat R
  evaluate --arch A --weights F.pth --tensor X.npy --batch-size N --repeat R           (ImageNet scale, torchvision)
  evaluate --arch A --weights F.safetensors --zoo-width W --data fashion-mnist ...      (zoo scale, our small models)

  gradcam  --arch A --weights F.pth --tensor X.npy [--layer layer4] [--layout L] [--out MAP.npy]   (one image, 1xCxHxW;
           --layout channels_last for Swin's NxhxwxC stages, class_token for ViT's Nx(1+hw)xC tokens: both turned
           into an NxCxhxw grid, activations and gradients alike, as pytorch-grad-cam's reshape_transform)
  scorecam --arch A --weights F.pth --tensor X.npy --batch 16|32 [--out MAP.npy]
  algorithm1 --probabilities P.npy --labels L.npy [--out D.npy]                          (numpy, float64)
  tsne     --distances D.npy [--iterations 1000]                  (scikit-learn TSNE, method="exact")
  similarity --maps M.npy                                         (skimage structural_similarity, all pairs)
  make-image --out X.npy [--index 0] [--size 224]   a Fashion-MNIST test image as an ImageNet-style input
  make-analysis-inputs --out DIR                     synthetic ImageNet-scale confidence matrix and saliency maps

Prints one JSON line with the same fields as `cnnc bench`. Run with Debian's /usr/bin/python3 (python3-torch).
The evaluation loop is what a PyTorch user writes: eval(), inference_mode(), batches, softmax, argmax, results
collected into numpy arrays (no files written, unlike cnnc's store). The explainers are written plainly, the way
torch-cam and pytorch-grad-cam do it (no package: neither is in Debian); see gradcam() and scorecam().
"""
import argparse
import gzip
import json
import math
import os
import sys
import resource
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


def timed(action, repeat, warmups, warmup_seconds=0.0, first=None):
    """Sorted times (ms) of `repeat` calls after at least `warmups` untimed calls, and more until `warmup_seconds` have
    passed (the same warm-up rule as `cnnc bench`); the first call's time goes into first["ms"] when given."""
    start = time.perf_counter()
    done = 0
    while done < warmups or time.perf_counter() - start < warmup_seconds:
        call = time.perf_counter()
        action()
        if done == 0 and first is not None:
            first["ms"] = round((time.perf_counter() - call) * 1000, 2)
        done += 1
    if first is not None:
        first["calls"] = done
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
              "p90_ms": round(times[math.ceil(len(times) * 0.9) - 1], 2),
              "images_per_second": round(images / (median / 1000), 1), "threads": torch.get_num_threads(),
              "torch": torch.__version__,
              "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    result.update(extra or {})
    print(json.dumps(result), flush=True)

IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def make_image(args):
    """A Fashion-MNIST test image as an ImageNet-style input: [0, 1], bilinear upsampling to size², 3 channels,
    ImageNet mean/std. A real-looking image (an object on a flat background), unlike randn."""
    names = os.listdir(FASHION_MNIST)
    images = read_idx(os.path.join(FASHION_MNIST, next(n for n in names if n.startswith("t10k-images"))))
    x = torch.from_numpy(images[args.index].astype(np.float32) / 255.0)[None, None]
    x = torch.nn.functional.interpolate(x, size=(args.size, args.size), mode="bilinear", align_corners=False)
    x = x.clamp(0, 1).repeat(1, 3, 1, 1)
    x = (x - torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)) / torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    np.save(args.out, x.numpy().astype(np.float32))


def make_analysis_inputs(args):
    """Synthetic inputs at ImageNet scale, seeded: a confidence matrix of 50,000 images × 1000 classes (softmax of
    random logits with the true class raised) with labels (50 per class), and 13 smooth saliency maps of 224² in
    [0, 1] (sums of Gaussian blobs), one per paper architecture."""
    rng = np.random.default_rng(0)
    m, n = 50000, 1000
    labels = np.repeat(np.arange(n), m // n).astype(np.int64)
    probabilities = np.empty((m, n), dtype=np.float32)
    for start in range(0, m, 5000):
        logits = rng.standard_normal((5000, n)).astype(np.float32) * 2
        logits[np.arange(5000), labels[start:start + 5000]] += 6
        e = np.exp(logits - logits.max(1, keepdims=True))
        probabilities[start:start + 5000] = e / e.sum(1, keepdims=True)
    os.makedirs(args.out, exist_ok=True)
    np.save(os.path.join(args.out, "probabilities.npy"), probabilities)
    np.save(os.path.join(args.out, "labels.npy"), labels)
    yy, xx = np.mgrid[0:224, 0:224].astype(np.float64)
    maps = np.zeros((13, 224, 224), dtype=np.float64)
    for i in range(13):
        for _ in range(3):
            cy, cx, s = rng.uniform(40, 184), rng.uniform(40, 184), rng.uniform(15, 50)
            maps[i] += rng.uniform(0.3, 1) * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * s * s))
        maps[i] = (maps[i] - maps[i].min()) / (maps[i].max() - maps[i].min())
    np.save(os.path.join(args.out, "maps.npy"), maps.astype(np.float32))


def module_at(model, path):
    for part in path.split("."):
        model = getattr(model, part)
    return model


def postprocess(raw, size):
    """ReLU, bilinear upsampling to the input size (align_corners=False), min-max to [0, 1] (constant map → 0)."""
    cam = torch.relu(raw)[None, None]
    cam = torch.nn.functional.interpolate(cam, size=size, mode="bilinear", align_corners=False)[0, 0]
    low, high = cam.min(), cam.max()
    return (cam - low) / (high - low) if high > low else torch.zeros_like(cam)


def to_grid(t, layout):
    """A layer output (or its gradient) as NxCxhxw: pytorch-grad-cam's reshape_transform for Swin and ViT."""
    if layout == "channels_last":
        return t.permute(0, 3, 1, 2)
    if layout == "class_token":
        n, length, c = t.shape
        side = math.isqrt(length - 1)
        return t[:, 1:, :].reshape(n, side, side, c).permute(0, 3, 1, 2)
    return t


def gradcam(model, layer, x, layout="channels_first"):
    """Grad-CAM the torch-cam way: a forward hook replaces the layer's output by a detached copy that requires grad,
    parameters are frozen, so autograd.grad(score, activation) runs the backward pass from the target logit down to the
    layer only; weights = spatial mean of the gradient; raw map = ReLU(Σ_k w_k A_k), upsampled, min-max. Token
    layouts are turned into a grid first (to_grid)."""
    captured = {}

    def hook(_, __, out):
        captured["a"] = out.detach().requires_grad_(True)
        return captured["a"]
    handle = layer.register_forward_hook(hook)
    try:
        logits = model(x)
    finally:
        handle.remove()
    a = captured["a"]
    score = logits[0, logits[0].argmax()]  # the predicted class's logit
    (grad,) = torch.autograd.grad(score, a)
    a, grad = to_grid(a, layout), to_grid(grad, layout)
    weights = grad.mean((2, 3), keepdim=True)
    with torch.no_grad():
        return postprocess((weights * a).sum(1)[0], x.shape[2:])


def scorecam(model, layer, x, batch):
    """Score-CAM the pytorch-grad-cam / torch-cam way (both batch the masked inputs: 16 per pass in pytorch-grad-cam,
    32 in torch-cam), with the mask definition CNNC's ScoreCam.cs documents: each channel of the target layer's
    activation upsampled to the input size (bilinear, align_corners=False), then min-max normalised per channel (a
    constant channel gives an all-zero mask); the masked inputs x·M_k are forwarded `batch` at a time; the scores are
    the target class's raw logits (pre-softmax, no per-input softmax over classes) of the masked inputs, and the
    channel weights are a softmax over the K channels of those logits: what CNNC's ScoreCam.cs computes, and what
    pytorch-grad-cam does (ClassifierOutputTarget gives the raw logit, then Softmax over the channel scores).
    torch-cam subtracts the clean input's logit first, which a softmax ignores (shift-invariant), so none is
    subtracted here. raw = Σ_k w_k A_k, then ReLU, upsampling, min-max."""
    captured = {}
    handle = layer.register_forward_hook(lambda _, __, out: captured.__setitem__("a", out))
    with torch.inference_mode():
        try:
            logits = model(x)
        finally:
            handle.remove()
        target = int(logits[0].argmax())
        a = captured["a"][0]  # K×h×w
        k = a.shape[0]
        masks = torch.nn.functional.interpolate(a[:, None], size=x.shape[2:], mode="bilinear", align_corners=False)
        flat = masks.flatten(1)
        low, high = flat.min(1, keepdim=True).values, flat.max(1, keepdim=True).values
        span = high - low
        masks = torch.where(span > 0, (flat - low) / torch.where(span > 0, span, torch.ones_like(span)),
                            torch.zeros_like(flat)).view_as(masks)
        scores = torch.empty(k)
        for start in range(0, k, batch):
            scores[start:start + batch] = model(x * masks[start:start + batch])[:, target]
        weights = torch.softmax(scores, 0)
        return postprocess((weights[:, None, None] * a).sum(0), x.shape[2:])


def algorithm1(probabilities, labels):
    """The paper's Algorithm 1, plainly in numpy (float64): D[c, j] = mean over the images of class c of (1 − p_j),
    D[c, c] = 0, D ← (D + Dᵀ)/2. (A class without images would give NaN here; CNNC sets its row to 1.)"""
    n = probabilities.shape[1]
    d = np.zeros((n, n))
    for c in range(n):
        rows = probabilities[labels == c].astype(np.float64)
        d[c] = 1.0 - rows.mean(0)
        d[c, c] = 0.0
    return (d + d.T) / 2


def tsne(distances, iterations):
    """scikit-learn 1.2's exact t-SNE with the settings CNNC uses (VAC-CNN's): precomputed distances, perplexity 5,
    early exaggeration 25, learning rate 800, random init, seed 2000, 1000 iterations."""
    from sklearn.manifold import TSNE
    model = TSNE(n_components=2, perplexity=5, early_exaggeration=25, learning_rate=800, n_iter=iterations,
                 metric="precomputed", init="random", method="exact", random_state=2000)
    model.fit_transform(distances)
    return model


def similarity(maps):
    """All pairs' SSIM, skimage's structural_similarity with the settings CNNC's MapSimilarity.Ssim documents."""
    from skimage.metrics import structural_similarity
    count = len(maps)
    scores = np.ones((count, count))
    for i in range(count):
        for j in range(i + 1, count):
            scores[i, j] = scores[j, i] = structural_similarity(maps[i], maps[j], gaussian_weights=True, sigma=1.5,
                                                                use_sample_covariance=False, data_range=1.0)
    return scores


def make_jpegs(args):
    """ImageNet-like JPEG files from the real photographs of tests/fixtures/photographs.py: random crops of about
    500x375 (either orientation), PIL-encoded at quality 75-95, mostly 4:2:0, in an ImageFolder layout (one folder per
    source photograph) under folder/, and the same files (hard links) in the ImageNet validation layout under val/ with Kaggle's LOC
    files, source photograph k labelled as the k-th ImageNet class (arbitrary: only the 1000-class layout matters)."""
    from PIL import Image
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "fixtures"))
    from photographs import PHOTOGRAPHS
    rng = np.random.default_rng(0)
    for i in range(args.count):
        name, path = PHOTOGRAPHS[i % len(PHOTOGRAPHS)]
        im = Image.open(path).convert("RGB")
        w, h = (500, 375) if rng.random() < 0.75 else (375, 500)
        scale = max(w / im.width, h / im.height) * rng.uniform(1.0, 1.6)
        im = im.resize((max(w, round(im.width * scale)), max(h, round(im.height * scale))), Image.BICUBIC)
        x, y = rng.integers(0, im.width - w + 1), rng.integers(0, im.height - h + 1)
        folder = os.path.join(args.out, "folder", name)
        os.makedirs(folder, exist_ok=True)
        file = os.path.join(folder, f"{i:04d}.JPEG")
        im.crop((x, y, x + w, y + h)).save(file, quality=int(rng.integers(75, 96)), subsampling=2 if rng.random() < 0.8 else 0)
        val = os.path.join(args.out, "val")
        os.makedirs(val, exist_ok=True)
        os.link(file, os.path.join(val, f"ILSVRC2012_val_{i + 1:08d}.JPEG"))
    tsv = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Cnnc.Engine", "Data", "Resources", "imagenet1k.tsv")
    wnids = [l.split("\t")[0] for l in open(tsv) if l.strip() and not l.startswith("#")]
    with open(os.path.join(args.out, "val", "LOC_synset_mapping.txt"), "w") as f:
        f.writelines(f"{w} class {w}\n" for w in wnids)
    with open(os.path.join(args.out, "val", "LOC_val_solution.csv"), "w") as f:
        f.write("ImageId,PredictionString\n")
        f.writelines(f"ILSVRC2012_val_{i + 1:08d},{wnids[i % len(PHOTOGRAPHS)]} 0 0 1 1\n" for i in range(args.count))


def imagefolder(args):
    """torchvision's ImageFolder + DataLoader(num_workers) with the preset's transforms(); with --arch, the model's
    forward pass on every batch too (the PyTorch evaluation loop people write)."""
    enum, member = args.preset.split(".")
    transform = getattr(torchvision.models, enum)[member].transforms()
    dataset = torchvision.datasets.ImageFolder(args.data, transform=transform)
    model = build(args) if args.arch else None

    def run():
        loader = torch.utils.data.DataLoader(dataset, batch_size=args.batch, num_workers=args.workers, shuffle=False)
        with torch.inference_mode():
            for x, _ in loader:
                if model is not None:
                    torch.softmax(model(x), 1)
    times = timed(run, args.repeat, 1)
    report("imagefolder evaluate" if model is not None else "imagefolder input", args.arch or args.preset, args.batch,
           times, len(dataset), {"workers": args.workers, "preset": args.preset})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["forward", "evaluate", "gradcam", "scorecam", "algorithm1", "tsne", "similarity",
                                         "make-image", "make-analysis-inputs", "make-jpegs", "imagefolder"])
    parser.add_argument("--preset", default="ResNet50_Weights.IMAGENET1K_V2", help="imagefolder: the weights whose transforms() apply")
    parser.add_argument("--count", type=int, default=506, help="make-jpegs: number of files")
    parser.add_argument("--workers", type=int, default=os.cpu_count(), help="imagefolder: DataLoader workers")
    parser.add_argument("--arch")
    parser.add_argument("--weights")
    parser.add_argument("--zoo-width", type=float, default=0.0)
    parser.add_argument("--batch", "--batch-size", type=int, default=1, dest="batch")
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--tensor")
    parser.add_argument("--data")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--layer", default="layer4")
    parser.add_argument("--layout", default="channels_first", choices=["channels_first", "channels_last", "class_token"],
                        help="gradcam: how the layer's output is laid out (see to_grid)")
    parser.add_argument("--out")
    parser.add_argument("--index", type=int, default=0)
    parser.add_argument("--probabilities")
    parser.add_argument("--labels")
    parser.add_argument("--distances")
    parser.add_argument("--iterations", type=int, default=1000)
    parser.add_argument("--maps")
    parser.add_argument("--warmup-seconds", type=float, default=3.0,
                        help="forward, gradcam, scorecam: untimed calls until this many seconds have passed (at least 1)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)  # PyTorch's default here is 1; use every core, as libtorch in .NET does
    if args.mode == "make-image":
        return make_image(args)
    if args.mode == "make-jpegs":
        return make_jpegs(args)
    if args.mode == "imagefolder":
        return imagefolder(args)
    if args.mode == "make-analysis-inputs":
        return make_analysis_inputs(args)
    if args.mode == "algorithm1":
        p, y = np.load(args.probabilities), np.load(args.labels)
        state = {}
        times = timed(lambda: state.__setitem__("d", algorithm1(p, y)), args.repeat, 1)
        if args.out:
            np.save(args.out, state["d"])
        report("algorithm1", os.path.basename(args.probabilities)[:-4], len(p), times, len(p), {"classes": p.shape[1]})
        return
    if args.mode == "tsne":
        d = np.load(args.distances).astype(np.float64)
        state = {}
        times = timed(lambda: state.__setitem__("m", tsne(d, args.iterations)), args.repeat, 1)
        m = state["m"]
        report("tsne", f"{len(d)} points", len(d), times, len(d),
               {"kl_divergence": round(float(m.kl_divergence_), 5), "sklearn_method": "exact",
                "iterations": int(m.n_iter_) + 1})  # n_iter_ is the last iteration's index
        return
    if args.mode == "similarity":
        maps = np.load(args.maps).astype(np.float64)
        state = {}
        times = timed(lambda: state.__setitem__("s", similarity(maps)), args.repeat, 1)
        if args.out:
            np.save(args.out, state["s"])
        report("similarity ssim", f"{len(maps)} maps {maps.shape[1]}x{maps.shape[2]}", len(maps), times, len(maps),
               {"pairs": len(maps) * (len(maps) - 1) // 2})
        return
    model = build(args)
    if args.mode in ("gradcam", "scorecam"):
        for p in model.parameters():
            p.requires_grad_(False)
        x = torch.from_numpy(np.load(args.tensor))
        layer = module_at(model, args.layer)
        state = {}
        if args.mode == "gradcam":
            action = lambda: state.__setitem__("map", gradcam(model, layer, x, args.layout))
        else:
            action = lambda: state.__setitem__("map", scorecam(model, layer, x, args.batch))
        first = {}
        times = timed(action, args.repeat, 1, args.warmup_seconds, first)
        if args.out:
            np.save(args.out, state["map"].numpy().astype(np.float32))
        report(f"explain {args.mode}", args.arch, args.batch if args.mode == "scorecam" else 1, times, 1,
               {"first_ms": first["ms"], "warmup_calls": first["calls"]})
        return
    if args.mode == "forward":
        torch.manual_seed(0)
        x = torch.randn(args.batch, 3, args.size, args.size)

        def forward():
            with torch.inference_mode():
                model(x)
        first = {}
        times = timed(forward, args.repeat, 2, args.warmup_seconds, first)
        report("forward", args.arch, args.batch, times, args.batch, {"first_ms": first["ms"], "warmup_calls": first["calls"]})
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
