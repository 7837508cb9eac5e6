#!/usr/bin/env bash
# Runs the benchmarks and writes BENCHMARKS.md and benchmarks.jsonl (not part of the tests: numbers depend on the
# machine; run it on a quiet machine). Each figure is measured for CNNC and for a plain PyTorch program
# (tools/bench/pytorch_reference.py, Debian's python3-torch) in the same run, on the same weights and inputs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
py=/usr/bin/python3
ref=tools/bench/pytorch_reference.py
work="${CNNC_BENCH_DIR:-$PWD/.bench}"
mkdir -p "$work"
out=benchmarks.jsonl
: > "$out"
cnnc() { bash tools/cnnc "$@"; }
record() { local label=$1; shift; echo "$label" >&2; "$@" | tail -n 1 | sed "s/^{/{\"label\": \"$label\", /" >> "$out"; }

# Reference weights: torchvision models written by PyTorch (the parity fixtures), and the zoo's own weights.
$py tests/fixtures/torchvision_parity.py --out "$work/fixtures" resnet18 densenet121 >/dev/null
zoo_weights() { cnnc zoo weights "$1"; }
$py -c "import numpy as np; np.random.seed(0); np.save('$work/imagenet-256.npy', np.random.randn(256,3,224,224).astype(np.float32))"

# 1. glibc malloc tuning (issue 2): resnet18, batch 32, 224x224.
w="$work/fixtures/resnet18.pth"
record "malloc tuning off: cnnc forward resnet18 b32" env CNNC_MALLOC_TUNING=0 bash tools/cnnc bench forward --arch resnet18 --weights "$w" --batch 32 --repeat 5
record "malloc tuning on: cnnc forward resnet18 b32" cnnc bench forward --arch resnet18 --weights "$w" --batch 32 --repeat 5
record "pytorch forward resnet18 b32 (default malloc)" $py $ref forward --arch resnet18 --weights "$w" --batch 32 --repeat 5
record "pytorch forward resnet18 b32 (MALLOC_* tuned)" env MALLOC_MMAP_THRESHOLD_=4294967296 MALLOC_TRIM_THRESHOLD_=4294967296 MALLOC_TOP_PAD_=1073741824 $py $ref forward --arch resnet18 --weights "$w" --batch 32 --repeat 5

# 2. Forward latency (batch 1) and throughput (batch 32) at ImageNet scale.
for arch in resnet18 densenet121; do
  w="$work/fixtures/$arch.pth"
  for b in 1 32; do
    r=$([ $b = 1 ] && echo 15 || echo 5)
    record "cnnc forward $arch b$b" cnnc bench forward --arch $arch --weights "$w" --batch $b --repeat $r
    record "pytorch forward $arch b$b" env MALLOC_MMAP_THRESHOLD_=4294967296 MALLOC_TRIM_THRESHOLD_=4294967296 MALLOC_TOP_PAD_=1073741824 $py $ref forward --arch $arch --weights "$w" --batch $b --repeat $r
  done
done

# 3. Evaluation throughput (issue 3): zoo scale on the Fashion-MNIST test set, ImageNet scale on 256 images.
declare -A width=([resnet18]=0.25 [densenet121]=0.125)
for arch in resnet18 densenet121; do
  record "cnnc evaluate zoo $arch (10000 images, b64)" cnnc bench evaluate --model $arch --batch-size 64 --repeat 3
  record "pytorch evaluate zoo $arch (10000 images, b64)" $py $ref evaluate --arch $arch --zoo-width ${width[$arch]} --weights "$(zoo_weights $arch)" --data fashion-mnist --batch 64 --repeat 3
  record "cnnc evaluate imagenet-scale $arch (256 images, b32)" cnnc bench evaluate --arch $arch --weights "$work/fixtures/$arch.pth" --tensor "$work/imagenet-256.npy" --batch-size 32 --repeat 3
  record "pytorch evaluate imagenet-scale $arch (256 images, b32)" env MALLOC_MMAP_THRESHOLD_=4294967296 MALLOC_TRIM_THRESHOLD_=4294967296 MALLOC_TOP_PAD_=1073741824 $py $ref evaluate --arch $arch --weights "$work/fixtures/$arch.pth" --tensor "$work/imagenet-256.npy" --batch 32 --repeat 3
done

# 4. Explainers (issue 4): latency of one explanation per method, resnet18 at 224x224 and a zoo model.
fast="gradcam,gradcam++,xgradcam,layercam,eigencam,smoothgradcam++"
slow="scorecam,ablationcam,bbmp"  # RISE at 224 (4000 forwards) is measured at zoo scale only
cnnc bench explain --arch resnet18 --weights "$work/fixtures/resnet18.pth" --methods "$fast" --repeat 5 | sed 's/^{/{"label": "explain imagenet-scale resnet18", /' >> "$out"
cnnc bench explain --arch resnet18 --weights "$work/fixtures/resnet18.pth" --methods "$slow" --repeat 1 | sed 's/^{/{"label": "explain imagenet-scale resnet18", /' >> "$out"
cnnc bench explain --model resnet18 --repeat 5 | sed 's/^{/{"label": "explain zoo resnet18", /' >> "$out"
record "cnnc forward resnet18 b1 (explain baseline)" cnnc bench forward --arch resnet18 --weights "$work/fixtures/resnet18.pth" --batch 1 --repeat 15

# 5. Notebook command latencies (issue 6): #!cnnc overview / compare / inspect in an in-process notebook host on the
# zoo (tools/bench/NotebookLatency, not part of Cnnc.sln), cold and warm, with the size of the HTML each displays.
dotnet build tools/bench/NotebookLatency -c Release -nologo -v quiet >&2
echo "notebook command latencies" >&2
dotnet tools/bench/NotebookLatency/bin/Release/net10.0/NotebookLatency.dll --repeat 5 >> "$out"

$py tools/bench/report.py "$out" > BENCHMARKS.md
echo "wrote BENCHMARKS.md and $out" >&2
