#!/usr/bin/env bash
# Installs what CNNC needs on a Debian 12 / Ubuntu machine (idempotent; quick when everything is there):
# Debian packages for the PyTorch / numpy / scikit reference side, Fashion-MNIST, WordNet, Chromium and Jupyter, Slurm, the
# notebook hosts (dotnet tools and the .NET Jupyter kernel), then restores and builds the solution.
set -euo pipefail
cd "$(dirname "$0")/.."

# chromium: the browser the notebook-view tests drive through Playwright (its own browser download is never used).
# python3-nbconvert, python3-nbclient, jupyter-client: Jupyter, one of the two hosts the walkthrough notebooks run in
# (the .NET kernel and dotnet-repl are dotnet tools: tools/notebook-hosts.sh); libjs-requirejs: the require.js the
# browser tests serve to exported notebook pages in place of the CDN copy they link; python3-pil: PNG writing for
# notebooks/make_byo_inputs.py; libturbojpeg0: the JPEG decoder (libjpeg-turbo's TurboJPEG API, built from the same
# source as the libjpeg62-turbo that PIL links, so JPEG pixels equal torchvision's); python-matplotlib-data: sample
# photographs for tests/fixtures/photographs.py (with scikit-image's and scikit-learn's); libopenblas0-openmp: the BLAS
# behind Debian's python3-torch (built with BLAS_INFO=generic: without it torch's matrix products run on netlib's
# reference BLAS, and a ViT-B/16 forward took 16.6 s instead of 2.6 s - the reference side of fixtures and benchmarks).
apt_packages=(python3-torch libopenblas0-openmp python3-torchvision python3-numpy python3-scipy python3-sklearn python3-skimage python3-pil libturbojpeg0 python-matplotlib-data dataset-fashion-mnist wordnet-base chromium
  python3-nbconvert python3-nbclient jupyter-client libjs-requirejs)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Slurm + MUNGE (Debian's slurm-wlm, munge) for the cluster test, which starts its own loopback cluster
# (tools/cluster/local-slurm.sh); installed without starting the system's daemons.
bash tools/cluster/install-slurm.sh

if ! command -v dotnet >/dev/null 2>&1; then
  echo "setup: the .NET SDK 10 is required (dotnet not found on PATH)" >&2
  exit 1
fi
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
bash tools/notebook-hosts.sh
dotnet build Cnnc.sln -c Release -nologo -v quiet
