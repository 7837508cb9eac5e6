#!/bin/bash
# CNNC on CUDA, run on a GPU machine from the folder tools/cuda/bundle.sh filled (bundle.tar.xz, fashion/, input):
# the cnnc command line (self-contained, trimmed) on that machine's own PyTorch libtorch, found through python3's
# torch package. Evaluates the zoo resnet18 and runs every explainer on the CPU and on CUDA, compares the outputs,
# then times the GPU. Writes device.log (and missing-symbols.txt) to $OUT.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
O="${OUT:-/tmp/out}"; mkdir -p "$O"
exec > >(tee "$O/device.log") 2>&1
T0=$(date +%s)
step() { echo; echo "=== [$(( $(date +%s) - T0 )) s] $*"; }
mkdir -p /tmp/cnnc && tar -xJf "$here/bundle.tar.xz" -C /tmp/cnnc
mkdir -p /usr/share/datasets/fashion-mnist && cp "$here"/fashion/* /usr/share/datasets/fashion-mnist/
TL=$(python3 -c "import torch,os;print(os.path.join(os.path.dirname(torch.__file__),'lib'))")
NV=$(python3 -c "import glob,os,nvidia;print(':'.join(sorted(d for p in nvidia.__path__ for d in glob.glob(os.path.join(p,'*','lib')))))" 2>/dev/null)
export LD_LIBRARY_PATH="$TL:$NV"
step "python torch"; python3 -c "import torch; print(torch.__version__, torch.version.cuda, torch.cuda.get_device_name(0))"
step "ABI: LibTorchSharp 0.107 (built for libtorch 2.10) symbols that this libtorch does not define"
if command -v nm >/dev/null; then
  nm -D --undefined-only /tmp/cnnc/app/libLibTorchSharp.so | awk '{print $NF}' | sed 's/@.*//' | sort -u > /tmp/und
  nm -D --defined-only "$TL"/libtorch*.so "$TL"/libc10*.so 2>/dev/null | awk '{print $NF}' | sed 's/@.*//' | sort -u > /tmp/def
  comm -23 /tmp/und /tmp/def | grep -v -E '^(_?_?cxa|_ZdlPv|_Znwm|_ZSt|_ZNSt|_ZNKSt|_ZTV|_ZTI|_ZTS|__gxx|__stack|_Unwind|__tls|__dso|_ITM|__gmon)' > "$O/missing-symbols.txt" || true
  grep -v -E '^(mem|str|f|p|m|c|s|a|r|l|g|d|_ZN9__gnu_cxx|__cxa)' "$O/missing-symbols.txt" > /tmp/miss || true
  echo "undefined: $(wc -l < /tmp/und); not defined by torch/c10 libs (libc/libstdc++ filtered roughly): $(wc -l < /tmp/miss)"
  head -25 /tmp/miss | (command -v c++filt >/dev/null && c++filt || cat)
else echo "no nm here"; fi
C=/tmp/cnnc/app/cnnc
cd /tmp
python3 - <<'PY'
import gzip, numpy as np
raw = gzip.open('/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz').read()[16:]
x = np.frombuffer(raw, np.uint8).reshape(-1, 1, 28, 28)[0:1].astype(np.float32) / 255
np.save('/tmp/zoo-input.npy', ((x - 0.2860) / 0.3530).astype(np.float32))
PY
cp "$here/fashion-224.npy" /tmp/r18-input.npy
python3 -c "import torch, torchvision; torch.manual_seed(0); torch.save(torchvision.models.resnet18(weights=None).state_dict(), '/tmp/r18.pth')"
step "doctor"; timeout 120 $C doctor
step "zoo resnet18: evaluate Fashion-MNIST test on cpu and cuda"
for d in cpu cuda; do
  timeout 300 $C evaluate --model resnet18 --device $d --store /tmp/store-$d --json > /tmp/eval-$d.json 2> /tmp/eval-$d.err; echo "rc $?"
  tail -3 /tmp/eval-$d.err
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(sys.argv[2], {k:v for k,v in d.items() if not isinstance(v,(dict,list))})" /tmp/eval-$d.json $d
done
python3 - <<'PY'
import glob, numpy as np
for d in ("cpu", "cuda"):
    files = sorted(glob.glob(f"/tmp/store-{d}/**/*.npy", recursive=True))
    print(d, [f.split("/")[-1] for f in files][:6])
a = sorted(glob.glob("/tmp/store-cpu/**/*prob*.npy", recursive=True)); b = sorted(glob.glob("/tmp/store-cuda/**/*prob*.npy", recursive=True))
if a and b:
    x, y = np.load(a[0]), np.load(b[0]); print("store probabilities max|cuda-cpu|", float(np.abs(x - y).max()), x.shape)
PY
step "explain, every method, zoo resnet18 and random-init resnet18 at 224, cpu and cuda"
for m in gradcam gradcam++ smoothgradcam++ scorecam bbmp xgradcam layercam eigencam ablationcam rise; do
  for d in cpu cuda; do
    timeout 200 $C explain --model resnet18 --device $d --method $m --tensor /tmp/zoo-input.npy --out /tmp/zoo-$m-$d.npy 2>&1 | tail -1 | cut -c1-300
  done
done
for m in gradcam gradcam++ smoothgradcam++ xgradcam layercam eigencam ablationcam scorecam; do
  for d in cpu cuda; do
    timeout 200 $C explain --arch resnet18 --weights /tmp/r18.pth --device $d --method $m --tensor /tmp/r18-input.npy --out /tmp/r18-$m-$d.npy 2>&1 | tail -1 | cut -c1-300
  done
done
python3 - <<'PY'
import glob, numpy as np, os
for f in sorted(glob.glob('/tmp/*-cuda.npy')):
    g = f.replace('-cuda.npy', '-cpu.npy')
    if os.path.exists(g):
        a, b = np.load(f), np.load(g)
        print(f"{os.path.basename(f)[:-9]:28s} shape {a.shape} max|cuda-cpu| {np.abs(a-b).max():.3g}  in[0,1] {a.min()>=0 and a.max()<=1}")
PY
step "GPU timings (bench, warm-up 3 s)"
timeout 240 $C bench explain --arch resnet18 --weights /tmp/r18.pth --device cuda --tensor /tmp/r18-input.npy --methods gradcam,gradcam++,smoothgradcam++,xgradcam,layercam,eigencam,ablationcam,scorecam,rise --repeat 9 2>&1 | cut -c1-260
timeout 120 $C bench explain --model resnet18 --device cuda --methods gradcam,scorecam,rise --repeat 5 2>&1 | cut -c1-260
timeout 120 $C bench evaluate --model resnet18 --device cuda --repeat 3 2>&1 | tail -1 | cut -c1-260
step "done"
