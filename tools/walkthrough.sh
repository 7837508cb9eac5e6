#!/usr/bin/env bash
# The README's run command: sets up (idempotent), then walks through the engine on the embedded default —
# the 13-model zoo trained on Fashion-MNIST: environment check, architectures, zoo, data, evaluation into the
# predictions store, and a prediction on a real test image; then it runs the walkthrough notebooks (notebooks/0*.ipynb)
# in Jupyter with the .NET kernel and exports them to HTML, into .walkthrough/notebooks/jupyter/ (open the .html files
# in a browser: they draw offline; the .ipynb files open in Jupyter or VS Code).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
out="${CNNC_WALKTHROUGH_DIR:-$PWD/.walkthrough}"
mkdir -p "$out"
export CNNC_STORE="${CNNC_STORE:-$out/store}"
cnnc() { bash tools/cnnc "$@"; }
step() { printf '\n== %s\n' "$*"; }

step "1. libtorch on this machine";           cnnc doctor
step "2. the paper's 13 architectures";       cnnc models list
step "3. the embedded zoo (Fashion-MNIST)";   cnnc zoo list
step "4. the data and its class hierarchy";   cnnc data info --data fashion-mnist
for model in resnet18 densenet121 mobilenet_v2; do
  step "5. evaluate $model into the predictions store ($CNNC_STORE)"
  cnnc evaluate --model "$model" --data fashion-mnist
done
step "6. predict a real test image"
cnnc data export --data fashion-mnist --index 0 --out "$out/test-0.png"
cnnc predict --model resnet18 --image "$out/test-0.png"
step "7. the walkthrough notebooks, executed in Jupyter (.NET kernel) and exported to HTML"
bash tools/notebooks.sh --host jupyter --out "$out/notebooks"
printf '\nDone. The store in %s is plain .npy + JSON (see README, "Predictions store").\n' "$CNNC_STORE"
printf 'Executed notebooks: %s/notebooks/jupyter/*.ipynb; open %s/notebooks/jupyter/*.html in a browser.\n' "$out" "$out"
