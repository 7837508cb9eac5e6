#!/usr/bin/python3
"""Makes the inputs of notebooks/04-bring-your-own.ipynb with PyTorch, as a user would bring them:

  OUT/images/<class>/<n>.png   an ImageFolder (torchvision's layout) of Fashion-MNIST test images, PER_CLASS per class,
                               in folders named so that sorting them gives the labels' order (00-t-shirt-top, ...)
  OUT/roots.csv                root classes for that folder (class,root), the zoo's four roots
  OUT/shufflenet-pytorch.pth   a torchvision shufflenet_v2_x0_5 state dict (10 classes, 1 input channel, the usual
                               small-image stem: stride-1 conv1, no max-pool), trained from scratch by PyTorch for one
                               short epoch on Fashion-MNIST training images, saved with torch.save (about 20 CPU
                               seconds; a full-width resnet18 would take minutes at 28x28)

Needs Debian's python3-torch, python3-torchvision, python3-pil and dataset-fashion-mnist (tools/setup.sh installs
them). Nothing is downloaded. Deterministic (fixed seeds, one thread) and idempotent: when OUT/inputs.json records the
same parameters, nothing is redone.

Usage: /usr/bin/python3 notebooks/make_byo_inputs.py OUT [--per-class 100] [--train-images 6000] [--epochs 1]
"""
import argparse, gzip, json, os, shutil, sys, time

import numpy as np

FASHION = "/usr/share/datasets/fashion-mnist"
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
ROOTS = {"T-shirt/top": "tops", "Pullover": "tops", "Coat": "tops", "Shirt": "tops", "Trouser": "bottoms & dresses",
         "Dress": "bottoms & dresses", "Sandal": "footwear", "Sneaker": "footwear", "Ankle boot": "footwear", "Bag": "bags"}
MEAN, STD = 0.2860, 0.3530  # the Fashion-MNIST training set's pixel statistics (what the zoo models use too)
VERSION = 1


def folder_name(label):
    return "%02d-%s" % (label, CLASSES[label].lower().replace("/", "-").replace(" ", "-"))


def read_idx(kind, split):
    name = {"train": "train", "test": "t10k"}[split] + "-" + kind + "-idx%d-ubyte.gz" % (3 if kind == "images" else 1)
    with gzip.open(os.path.join(FASHION, name), "rb") as f:
        data = f.read()
    if kind == "images":
        return np.frombuffer(data, np.uint8, offset=16).reshape(-1, 28, 28)
    return np.frombuffer(data, np.uint8, offset=8)


def write_images(out, per_class):
    from PIL import Image
    images, labels = read_idx("images", "test"), read_idx("labels", "test")
    shutil.rmtree(os.path.join(out, "images"), ignore_errors=True)
    for label in range(len(CLASSES)):
        folder = os.path.join(out, "images", folder_name(label))
        os.makedirs(folder, exist_ok=True)
        for n, index in enumerate(np.flatnonzero(labels == label)[:per_class]):
            Image.fromarray(images[index], mode="L").save(os.path.join(folder, "%04d.png" % n))
    with open(os.path.join(out, "roots.csv"), "w", encoding="utf-8") as f:
        f.write("class,root\n")
        for label, name in enumerate(CLASSES):
            f.write("%s,%s\n" % (folder_name(label), ROOTS[name]))


def small_image_shufflenet():
    """torchvision's shufflenet_v2_x0_5 as people adapt it to 28x28 grey images (what CNNC builds for an input below
    64 pixels); parameter names and shapes stay torchvision's."""
    import torch, torchvision
    model = torchvision.models.shufflenet_v2_x0_5(num_classes=len(CLASSES))
    model.conv1[0] = torch.nn.Conv2d(1, 24, kernel_size=3, stride=1, padding=1, bias=False)
    model.maxpool = torch.nn.Identity()
    return model


def train(path, train_images, epochs):
    import torch
    torch.manual_seed(0)
    torch.set_num_threads(1)  # deterministic, and faster than 2 threads on a busy 2-core machine
    images, labels = read_idx("images", "train"), read_idx("labels", "train")
    order = np.random.default_rng(0).permutation(len(labels))[:train_images]
    x = (torch.from_numpy(images[order].astype(np.float32) / 255.0).unsqueeze(1) - MEAN) / STD
    y = torch.from_numpy(labels[order].astype(np.int64))
    model = small_image_shufflenet()
    batch = 64
    steps = epochs * ((len(y) + batch - 1) // batch)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.2, total_steps=steps)
    model.train()
    start = time.time()
    for epoch in range(epochs):
        permutation = torch.randperm(len(y))
        for i in range(0, len(y), batch):
            idx = permutation[i:i + batch]
            loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
        print("make_byo_inputs: shufflenet_v2_x0_5 epoch %d/%d, last loss %.3f, %.0f s" % (epoch + 1, epochs, loss.item(), time.time() - start),
              flush=True)
    model.eval()
    tmp = path + ".tmp"
    torch.save(model.state_dict(), tmp)
    os.replace(tmp, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--per-class", type=int, default=100)
    parser.add_argument("--train-images", type=int, default=6000)
    parser.add_argument("--epochs", type=int, default=1)
    args = parser.parse_args()
    out = os.path.abspath(args.out)
    stamp = os.path.join(out, "inputs.json")
    wanted = {"version": VERSION, "per_class": args.per_class, "train_images": args.train_images, "epochs": args.epochs}
    if os.path.exists(stamp):
        with open(stamp, encoding="utf-8") as f:
            if json.load(f) == wanted:
                print("make_byo_inputs: %s is up to date" % out)
                return 0
    os.makedirs(out, exist_ok=True)
    write_images(out, args.per_class)
    train(os.path.join(out, "shufflenet-pytorch.pth"), args.train_images, args.epochs)
    with open(stamp, "w", encoding="utf-8") as f:
        json.dump(wanted, f)
    print("make_byo_inputs: wrote %s (images/, roots.csv, shufflenet-pytorch.pth)" % out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
