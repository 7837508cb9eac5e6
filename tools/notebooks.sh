#!/usr/bin/env bash
# Executes walkthrough notebooks headless with dotnet-repl 0.3.259 (installed as a global dotnet tool if missing), after
# packing the extension into .local-feed/ (tools/pack.sh). Executed copies go to notebooks/.executed/ (ignored by git).
#   bash tools/notebooks.sh                                   # notebooks/01-overview.ipynb
#   bash tools/notebooks.sh notebooks/tests/smoke-own-models.ipynb
# Exits non-zero when any cell of any notebook fails (dotnet-repl exits 2 then).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 PATH="$PATH:$HOME/.dotnet/tools"
if ! command -v dotnet-repl >/dev/null 2>&1; then
  dotnet tool install -g dotnet-repl --version 0.3.259 >/dev/null
fi
bash tools/pack.sh
out=notebooks/.executed
mkdir -p "$out"
notebooks=("$@")
[ ${#notebooks[@]} -eq 0 ] && notebooks=(notebooks/01-overview.ipynb)
status=0
for nb in "${notebooks[@]}"; do
  echo "notebooks: running $nb"
  if dotnet-repl --run "$nb" --exit-after-run --output-path "$out/$(basename "$nb")" </dev/null >"$out/$(basename "$nb" .ipynb).log" 2>&1; then
    echo "notebooks: $nb ok -> $out/$(basename "$nb")"
  else
    echo "notebooks: $nb FAILED (see $out/$(basename "$nb" .ipynb).log and the executed copy)" >&2
    status=1
  fi
done
exit $status
