#!/usr/bin/env bash
# Installs what CNNC needs on a Debian 12 / Ubuntu machine (idempotent; quick when everything is there):
# Debian packages for the PyTorch / numpy / scikit reference side, Fashion-MNIST, WordNet and Chromium, then
# restores and builds the solution.
set -euo pipefail
cd "$(dirname "$0")/.."

# chromium: the browser the notebook-view tests drive through Playwright (its own browser download is never used).
apt_packages=(python3-torch python3-torchvision python3-numpy python3-scipy python3-sklearn python3-skimage dataset-fashion-mnist wordnet-base chromium)
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

if ! command -v dotnet >/dev/null 2>&1; then
  echo "setup: the .NET SDK 10 is required (dotnet not found on PATH)" >&2
  exit 1
fi
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build Cnnc.sln -c Release -nologo -v quiet
