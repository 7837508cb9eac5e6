#!/usr/bin/env bash
# The README's test command: set up (idempotent), then run every test. PyTorch reference fixtures are generated on
# first use into tests/fixtures/.generated (not in git).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
dotnet test Cnnc.sln -c Release --no-build -nologo --logger "console;verbosity=normal" "$@"
