#!/usr/bin/env bash
# Runs the benchmarks and writes BENCHMARKS.md and benchmarks.jsonl (not part of the tests: numbers depend on the
# machine; run it on a quiet machine). Each figure is measured for CNNC and for a plain PyTorch program
# (tools/bench/pytorch_reference.py, Debian's python3-torch) in the same run, on the same weights and inputs.
#
# Sections (all by default): malloc forward families evaluate explain analysis memory runtime soak notebook input scale. A partial run names some of them:
#   CNNC_BENCH_ONLY="explain analysis" bash tools/benchmark.sh
# and then writes .bench/benchmarks-partial.jsonl and .bench/BENCHMARKS-partial.md, leaving the full results alone.
# CNNC_BENCH_DIR: working folder (default .bench); CNNC_BENCH_OUT: the .jsonl to write (the .md goes beside it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
py=/usr/bin/python3
ref=tools/bench/pytorch_reference.py
work="${CNNC_BENCH_DIR:-$PWD/.bench}"
mkdir -p "$work"
only="${CNNC_BENCH_ONLY:-}"
for s in $only; do
  case $s in malloc|forward|families|evaluate|explain|analysis|memory|runtime|soak|notebook|input|scale) ;; *) echo "unknown section '$s' in CNNC_BENCH_ONLY" >&2; exit 2 ;; esac
done
if [ -n "$only" ]; then out="${CNNC_BENCH_OUT:-$work/benchmarks-partial.jsonl}"; md="$(dirname "$out")/BENCHMARKS-partial.md"
else out="${CNNC_BENCH_OUT:-benchmarks.jsonl}"; md="$([ -n "${CNNC_BENCH_OUT:-}" ] && echo "$(dirname "$out")/BENCHMARKS.md" || echo BENCHMARKS.md)"; fi
: > "$out"
want() { [ -z "$only" ] || [[ " $only " == *" $1 "* ]]; }
cnnc() { bash tools/cnnc "$@"; }
record() { local label=$1; shift; echo "$label" >&2; "$@" | tail -n 1 | sed "s/^{/{\"label\": \"$label\", /" >> "$out"; }
# Peak resident memory of the whole process by /usr/bin/time (GNU time, "%M" = max RSS in KiB), added as max_rss_mb.
record_mem() {
  local label=$1; shift; echo "$label" >&2
  local line; line=$(/usr/bin/time -f %M -o "$work/rss.txt" "$@" | tail -n 1)
  local kib; kib=$(tail -n 1 "$work/rss.txt")
  echo "$line" | sed "s/^{/{\"label\": \"$label\", \"max_rss_mb\": $((kib / 1024)), /" >> "$out"
}
# Same-result check: largest absolute difference between two .npy arrays (CNNC's and the reference's).
check() {
  $py -c 'import json, sys, numpy as np
a, b = (np.load(f).astype(np.float64) for f in sys.argv[2:4])
print(json.dumps({"label": sys.argv[1], "check": True, "shape": list(a.shape), "max_abs_diff": float(np.abs(a - b).max())}))' "$@" >> "$out"
}
tuned="env MALLOC_MMAP_THRESHOLD_=4294967296 MALLOC_TRIM_THRESHOLD_=4294967296 MALLOC_TOP_PAD_=1073741824"

# Reference weights: torchvision models written by PyTorch (the parity fixtures), and the zoo's own weights.
if want malloc || want forward || want evaluate || want explain || want runtime || want input; then
  $py tests/fixtures/torchvision_parity.py --out "$work/fixtures" resnet18 resnet50 densenet121 >/dev/null
fi
zoo_weights() { cnnc zoo weights "$1"; }
# The explainers' input: a Fashion-MNIST test image as an ImageNet-style 1x3x224x224 tensor.
! want explain && ! want runtime && ! want families || $py $ref make-image --out "$work/fashion-224.npy"
! want evaluate || [ -f "$work/imagenet-256.npy" ] || $py -c "import numpy as np; np.random.seed(0); np.save('$work/imagenet-256.npy', np.random.randn(256,3,224,224).astype(np.float32))"

# 1. glibc malloc tuning (issue 2): resnet18, batch 32, 224x224.
if want malloc; then
w="$work/fixtures/resnet18.pth"
record "malloc tuning off: cnnc forward resnet18 b32" env CNNC_MALLOC_TUNING=0 bash tools/cnnc bench forward --arch resnet18 --weights "$w" --batch 32 --repeat 5
record "malloc tuning on: cnnc forward resnet18 b32" cnnc bench forward --arch resnet18 --weights "$w" --batch 32 --repeat 5
record "pytorch forward resnet18 b32 (default malloc)" $py $ref forward --arch resnet18 --weights "$w" --batch 32 --repeat 5
record "pytorch forward resnet18 b32 (MALLOC_* tuned)" $tuned $py $ref forward --arch resnet18 --weights "$w" --batch 32 --repeat 5
fi

# 2. Forward latency (batch 1) and throughput (batch 32) at ImageNet scale.
# forward_pairs ARCH WEIGHTS [LABEL-SUFFIX]: batch 1 (15 repetitions) and 32 (5), CNNC then PyTorch for each.
forward_pairs() {
  local arch=$1 w=$2 suffix=${3:-} b r
  for b in 1 32; do
    r=$([ $b = 1 ] && echo 15 || echo 5)
    record "cnnc forward $arch b$b$suffix" cnnc bench forward --arch $arch --weights "$w" --batch $b --repeat $r
    record "pytorch forward $arch b$b$suffix" $tuned $py $ref forward --arch $arch --weights "$w" --batch $b --repeat $r
  done
}
if want forward; then
for arch in resnet18 resnet50 densenet121; do
  forward_pairs $arch "$work/fixtures/$arch.pth"
done
fi

# 2b. Issue 13: one member of each new family — forward at batch 1 and 32, and Grad-CAM at its default layer
# (`cnnc models list`) against the torch-cam-style PyTorch Grad-CAM (token layouts turned into a grid as
# pytorch-grad-cam does), on the parity fixture's weights.
declare -A layer13=([mobilenet_v3_large]=features.16 [convnext_tiny]=features.7 [efficientnet_b0]=features.8
  [regnet_y_400mf]=trunk_output [vit_b_16]=encoder.layers.encoder_layer_11.ln_1 [swin_t]=features.7)
declare -A layout13=([vit_b_16]=class_token [swin_t]=channels_last)
models13="${CNNC_BENCH_MODELS13:-mobilenet_v3_large convnext_tiny efficientnet_b0 regnet_y_400mf vit_b_16 swin_t}"
# Alternating sides per figure, two rounds (the VM drifts within minutes). Section "families".
if want families; then
  $py tests/fixtures/torchvision_parity.py --out "$work/fixtures" $models13 >/dev/null
  x="$work/fashion-224.npy"
  for round in 1 2; do
    for arch in $models13; do
      w="$work/fixtures/$arch.pth"
      forward_pairs $arch "$w" ", round $round"
      record "cnnc explain gradcam $arch, round $round" cnnc bench explain --arch $arch --weights "$w" --tensor "$x" --methods gradcam --repeat 31
      record "pytorch explain gradcam $arch, round $round" $tuned $py $ref gradcam --arch $arch --layer "${layer13[$arch]}" \
        --layout "${layout13[$arch]:-channels_first}" --weights "$w" --tensor "$x" --repeat 31 --out "$work/gradcam-$arch-pytorch.npy"
    done
  done
  for arch in $models13; do
    w="$work/fixtures/$arch.pth"
    cnnc explain --method gradcam --arch $arch --weights "$w" --tensor "$x" --out "$work/gradcam-$arch-cnnc.npy" >/dev/null 2>&1
    check "check explain gradcam $arch map (CNNC vs PyTorch)" "$work/gradcam-$arch-cnnc.npy" "$work/gradcam-$arch-pytorch.npy"
  done
fi

# 3. Evaluation throughput (issue 3): zoo scale on the Fashion-MNIST test set, ImageNet scale on 256 images.
declare -A width=([resnet18]=0.25 [densenet121]=0.125)
if want evaluate; then
for arch in resnet18 densenet121; do
  record "cnnc evaluate zoo $arch (10000 images, b64)" cnnc bench evaluate --model $arch --batch-size 64 --repeat 3
  record "pytorch evaluate zoo $arch (10000 images, b64)" $py $ref evaluate --arch $arch --zoo-width ${width[$arch]} --weights "$(zoo_weights $arch)" --data fashion-mnist --batch 64 --repeat 3
  record "cnnc evaluate imagenet-scale $arch (256 images, b32)" cnnc bench evaluate --arch $arch --weights "$work/fixtures/$arch.pth" --tensor "$work/imagenet-256.npy" --batch-size 32 --repeat 3
  record "pytorch evaluate imagenet-scale $arch (256 images, b32)" $tuned $py $ref evaluate --arch $arch --weights "$work/fixtures/$arch.pth" --tensor "$work/imagenet-256.npy" --batch 32 --repeat 3
done
fi

# 4. Explainers (issue 4): latency of one explanation per method, resnet18 at 224x224 and a zoo model.
if want explain; then
# Against the plain PyTorch explainers, on one real-looking input (a Fashion-MNIST test image upsampled to 224, three
# channels, ImageNet mean/std): Grad-CAM the torch-cam way; Score-CAM with CNNC's default (measured) batch size
# against one pass per 16 masks (pytorch-grad-cam) and per 32 (torch-cam). Then both maps are compared.
w="$work/fixtures/resnet18.pth"; x="$work/fashion-224.npy"
record "cnnc explain gradcam resnet18" cnnc bench explain --arch resnet18 --weights "$w" --tensor "$x" --methods gradcam --repeat 31
record "pytorch explain gradcam resnet18" $tuned $py $ref gradcam --arch resnet18 --weights "$w" --tensor "$x" --repeat 31 --out "$work/gradcam-pytorch.npy"
record "cnnc explain scorecam resnet18" cnnc bench explain --arch resnet18 --weights "$w" --tensor "$x" --methods scorecam --repeat 3
record "pytorch explain scorecam resnet18 b16" $tuned $py $ref scorecam --arch resnet18 --weights "$w" --tensor "$x" --batch 16 --repeat 3 --out "$work/scorecam-pytorch.npy"
record "pytorch explain scorecam resnet18 b32" $tuned $py $ref scorecam --arch resnet18 --weights "$w" --tensor "$x" --batch 32 --repeat 3
for m in gradcam scorecam; do
  cnnc explain --method $m --arch resnet18 --weights "$w" --tensor "$x" --out "$work/$m-cnnc.npy" >/dev/null 2>&1
  check "check explain $m resnet18 map (CNNC vs PyTorch)" "$work/$m-cnnc.npy" "$work/$m-pytorch.npy"
done
fast="gradcam,gradcam++,xgradcam,layercam,eigencam,smoothgradcam++"
slow="scorecam,ablationcam,bbmp"  # RISE at 224 (4000 forwards) is measured at zoo scale only
cnnc bench explain --arch resnet18 --weights "$work/fixtures/resnet18.pth" --methods "$fast" --repeat 5 | sed 's/^{/{"label": "explain imagenet-scale resnet18", /' >> "$out"
cnnc bench explain --arch resnet18 --weights "$work/fixtures/resnet18.pth" --methods "$slow" --repeat 1 | sed 's/^{/{"label": "explain imagenet-scale resnet18", /' >> "$out"
cnnc bench explain --model resnet18 --repeat 5 | sed 's/^{/{"label": "explain zoo resnet18", /' >> "$out"
record "cnnc forward resnet18 b1 (explain baseline)" cnnc bench forward --arch resnet18 --weights "$work/fixtures/resnet18.pth" --batch 1 --repeat 15
fi

# 5. Algorithm 1, t-SNE and the similarity matrix: CNNC against numpy / scikit-learn / scikit-image on the same inputs.
# Zoo scale: resnet18's store entry on the Fashion-MNIST test set (exported by CNNC). ImageNet scale: a synthetic,
# seeded 50,000 x 1000 confidence matrix and 13 saliency maps of 224x224 (written by the reference script). t-SNE runs
# on CNNC's distance matrix on both sides.
if want analysis; then
z="$work/zoo-resnet18"; i="$work/analysis"
mkdir -p "$z"
[ -f "$i/maps.npy" ] || $py $ref make-analysis-inputs --out "$i"
record "cnnc algorithm1 zoo resnet18 (10000 images, 10 classes)" cnnc bench algorithm1 --model resnet18 --export "$z" --out "$z/distances-cnnc.npy" --repeat 7
record "pytorch algorithm1 zoo resnet18 (10000 images, 10 classes)" $py $ref algorithm1 --probabilities "$z/probabilities.npy" --labels "$z/labels.npy" --out "$z/distances-numpy.npy" --repeat 7
check "check algorithm1 zoo resnet18 distances (CNNC vs numpy)" "$z/distances-cnnc.npy" "$z/distances-numpy.npy"
record "cnnc tsne zoo resnet18 (10 classes, 1000 iterations)" cnnc bench tsne --distances "$z/distances-cnnc.npy" --repeat 5
record "pytorch tsne zoo resnet18 (10 classes, 1000 iterations)" $py $ref tsne --distances "$z/distances-cnnc.npy" --repeat 5
record "cnnc algorithm1 imagenet-scale (50000 images, 1000 classes)" cnnc bench algorithm1 --probabilities "$i/probabilities.npy" --labels "$i/labels.npy" --out "$i/distances-cnnc.npy" --repeat 5
record "pytorch algorithm1 imagenet-scale (50000 images, 1000 classes)" $py $ref algorithm1 --probabilities "$i/probabilities.npy" --labels "$i/labels.npy" --out "$i/distances-numpy.npy" --repeat 5
check "check algorithm1 imagenet-scale distances (CNNC vs numpy)" "$i/distances-cnnc.npy" "$i/distances-numpy.npy"
record "cnnc tsne imagenet-scale (1000 classes, 1000 iterations)" cnnc bench tsne --distances "$i/distances-cnnc.npy" --repeat 3
record "pytorch tsne imagenet-scale (1000 classes, 1000 iterations)" $py $ref tsne --distances "$i/distances-cnnc.npy" --repeat 3
record "cnnc similarity ssim (13 maps 224x224)" cnnc bench similarity --maps "$i/maps.npy" --rule ssim --out "$i/ssim-cnnc.npy" --repeat 5
record "pytorch similarity ssim (13 maps 224x224)" $py $ref similarity --maps "$i/maps.npy" --out "$i/ssim-skimage.npy" --repeat 5
check "check similarity ssim scores (CNNC vs skimage)" "$i/ssim-cnnc.npy" "$i/ssim-skimage.npy"
fi

# 6. Peak memory of a 10,000-image evaluation (resnet18 zoo model, Fashion-MNIST test set), whole process.
if want memory; then
record_mem "cnnc peak memory evaluate zoo resnet18 (10000 images, b64)" bash tools/cnnc bench evaluate --model resnet18 --batch-size 64 --repeat 1
record_mem "pytorch peak memory evaluate zoo resnet18 (10000 images, b64)" $py $ref evaluate --arch resnet18 --zoo-width 0.25 --weights "$(zoo_weights resnet18)" --data fashion-mnist --batch 64 --repeat 1
fi

# 7. Runtime settings, CNNC alone, A/B in the same run: the channels-last layout of loaded models, and libgomp's wait
# spin count (its default 300,000, CNNC's 10,000, 0 = sleep at once), on a quiet machine and beside two busy processes.
if want runtime; then
  for spec in "resnet18 1 15" "resnet18 32 5" "resnet50 32 3" "densenet121 32 3"; do
    set -- $spec
    record "runtime: channels-last off: forward $1 b$2" env CNNC_CHANNELS_LAST=0 bash tools/cnnc bench forward --arch $1 --weights "$work/fixtures/$1.pth" --batch $2 --repeat $3
    record "runtime: channels-last on: forward $1 b$2" cnnc bench forward --arch $1 --weights "$work/fixtures/$1.pth" --batch $2 --repeat $3
  done
  w="$work/fixtures/resnet18.pth"
  # .NET's dynamic PGO (on by default; off in cnnc's runtimeconfig): the first 100 Grad-CAM calls, no warm-up.
  for pgo in 1 0; do
    record "runtime: tiered PGO $([ $pgo = 1 ] && echo on || echo "off (cnnc's setting)"): explain resnet18 gradcam, calls 1-100" \
      env DOTNET_TieredPGO=$pgo bash tools/cnnc bench explain --arch resnet18 --weights "$w" --tensor "$work/fashion-224.npy" \
      --methods gradcam --warmup-seconds 0 --repeat 100
  done
  omp() { # label, then the command; once per libgomp setting: its default (300,000 spins), CNNC's 10,000, 0 (= passive)
    local label=$1; shift
    for n in default 10000 0; do record "runtime: openmp spin count $n: $label" env CNNC_OMP_SPINCOUNT=$n "$@"; done
  }
  busy() { for _ in 1 2; do (while :; do :; done) & done; }  # two shell loops, each keeping a core busy
  for load in quiet "2 busy processes"; do
    if [ "$load" != quiet ]; then busy; trap 'kill $(jobs -p) 2>/dev/null || true' EXIT; fi
    omp "forward resnet18 b1, $load" bash tools/cnnc bench forward --arch resnet18 --weights "$w" --batch 1 --repeat 15
    omp "evaluate zoo resnet18 (10000 images, b64), $load" bash tools/cnnc bench evaluate --model resnet18 --batch-size 64 --repeat $([ "$load" = quiet ] && echo 3 || echo 1)
    omp "explain zoo resnet18 gradcam, $load" bash tools/cnnc bench explain --model resnet18 --methods gradcam --repeat 9
  done
  kill $(jobs -p) 2>/dev/null || true; trap - EXIT
fi

# 8. Load (issue 7's hardening): resident memory over 10,000 consecutive Grad-CAM explanations, then three full
# Fashion-MNIST evaluations, of the zoo resnet18 in one process.
if want soak; then
  record "soak zoo resnet18" cnnc bench soak --model resnet18 --method gradcam --explanations 10000 --evaluations 3
fi

# 9. Notebook command latencies (issue 6): #!cnnc overview / compare / inspect in an in-process notebook host on the
# zoo (tools/bench/NotebookLatency, not part of Cnnc.sln), cold and warm, with the size of the HTML each displays.
if want notebook; then
  dotnet build tools/bench/NotebookLatency -c Release -nologo -v quiet >&2
  echo "notebook command latencies" >&2
  dotnet tools/bench/NotebookLatency/bin/Release/net10.0/NotebookLatency.dll --repeat 5 >> "$out"
fi

# 10. Input pipeline (issue 14): JPEG files -> tensor (-> resnet50) over 506 full-size JPEGs (~500x375 crops of the real
# photographs), against torchvision's ImageFolder + DataLoader(num_workers = cores) in the same run, alternating, two
# rounds. The weights file carries resnet50 IMAGENET1K_V2's published name and --trust-names, so CNNC applies that
# preset's preprocessing (232 / 224), the same as the reference's transforms(). CNNC evaluates the same files through
# the ImageNet-val layout (1000 classes, as the model has); ImageFolder's class count does not matter to PyTorch.
if want input; then
  j="$work/jpegs"
  [ -f "$j/.done" ] || { rm -rf "$j"; $py $ref make-jpegs --out "$j" --count 506 && touch "$j/.done"; }
  w50="$work/resnet50-11ad3fa6.pth"; cp "$work/fixtures/resnet50.pth" "$w50"
  for round in 1 2; do
    record "cnnc input pipeline: decode + preprocess (506 JPEGs, b64), round $round" cnnc bench input --data "folder:$j/folder" --preset ResNet50_Weights.IMAGENET1K_V2 --batch-size 64 --repeat 3
    record "pytorch input pipeline: decode + preprocess (506 JPEGs, b64), round $round" $tuned $py $ref imagefolder --data "$j/folder" --preset ResNet50_Weights.IMAGENET1K_V2 --batch 64 --repeat 3
    record "cnnc input pipeline: JPEG file to resnet50 probabilities (506 JPEGs, b32), round $round" cnnc bench evaluate --weights "$w50" --trust-names --data "imagenet-val:$j/val" --batch-size 32 --repeat 1
    record "pytorch input pipeline: JPEG file to resnet50 probabilities (506 JPEGs, b32), round $round" $tuned $py $ref imagefolder --arch resnet50 --weights "$w50" --data "$j/folder" --preset ResNet50_Weights.IMAGENET1K_V2 --batch 32 --repeat 1
  done
fi


# 11. Scale (issue 16): the warm overview of a study of 10, 21 and 100 models on Fashion-MNIST's test set (the zoo's
# weights in turn, under other names from the 22nd on), default options, rendered as the notebook's HTML fragment. CNNC
# alone (no reference tool draws this). The store in $work keeps the evaluations: only the first run evaluates.
if want scale; then
  for n in 10 21 100; do
    record "scale: warm overview, $n models (Fashion-MNIST test)" cnnc bench overview --models $n --store "$work/scale-store" --repeat 5
  done
fi

$py tools/bench/report.py "$out" > "$md"
echo "wrote $md and $out" >&2
