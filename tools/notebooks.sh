#!/usr/bin/env bash
# Executes walkthrough notebooks headless in both real hosts and exports the executed copies to HTML:
#   jupyter  Jupyter with the .NET kernel: /usr/bin/python3 -m nbconvert --execute (kernel .net-csharp, run from the
#            notebook's folder, as Jupyter and VS Code do)
#   repl     dotnet-repl 0.3.259 --run (run from the repository root)
# after installing the hosts if missing (tools/notebook-hosts.sh) and packing the extension into .local-feed/
# (tools/pack.sh). Every executed notebook is exported with `nbconvert --to html` (plotly.js is inlined by the
# extension, so the pages draw offline).
#
#   bash tools/notebooks.sh [--host jupyter|repl|all] [--out DIR] [--no-build] [NOTEBOOK...]
#
# Default: every notebooks/0*.ipynb, both hosts, DIR = notebooks/.executed (ignored by git). Writes
# DIR/<host>/<name>.ipynb, .html, .log and .exit (the host's exit code). --no-build packs the existing Release build (the tests use it).
# Exits non-zero when a notebook fails to run or any cell has an error output.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# Jupyter runs with the PATH as it is (a fresh machine's has no ~/.dotnet/tools): its kernel spec names the tool by its
# absolute path (tools/notebook-hosts.sh). dotnet-repl is called by its path for the same reason.
repl="$HOME/.dotnet/tools/dotnet-repl"

hosts=(jupyter repl)
out=notebooks/.executed
pack_args=()
notebooks=()
while [ $# -gt 0 ]; do
  case "$1" in
    --host) shift; case "${1:-}" in all) hosts=(jupyter repl) ;; jupyter|repl) hosts=("$1") ;; *) echo "notebooks: --host jupyter|repl|all" >&2; exit 2 ;; esac ;;
    --out) shift; out="${1:?--out needs a folder}" ;;
    --no-build) pack_args=(--no-build) ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) notebooks+=("$1") ;;
  esac
  shift
done
if [ ${#notebooks[@]} -eq 0 ]; then
  notebooks=(notebooks/0*.ipynb)
fi
mkdir -p "$out"
out="$(cd "$out" && pwd)"

bash tools/notebook-hosts.sh
bash tools/pack.sh "${pack_args[@]}"
# The walkthroughs' first cell is what a user types, #r "nuget:Cnnc.Interactive,<version>": the hosts' package restore
# (an SDK restore, which reads MSBuild properties from the environment) finds this build in the local feed.
export RestoreAdditionalProjectSources="$root/.local-feed"

# Error outputs of an executed notebook, one line each ("cell N: ename: evalue"); nothing when there are none.
errors_of() {
  /usr/bin/python3 - "$1" <<'PY'
import json, sys
nb = json.load(open(sys.argv[1], encoding="utf-8"))
for i, cell in enumerate(nb["cells"]):
    for o in cell.get("outputs", []):
        if o.get("output_type") == "error":
            print("cell %d: %s: %s" % (i, o.get("ename", ""), o.get("evalue", "").splitlines()[0] if o.get("evalue") else ""))
PY
}

status=0
for host in "${hosts[@]}"; do
  mkdir -p "$out/$host"
  for nb in "${notebooks[@]}"; do
    name="$(basename "$nb" .ipynb)"
    executed="$out/$host/$name.ipynb"
    log="$out/$host/$name.log"
    rm -f "$executed" "$out/$host/$name.html" "$out/$host/$name.exit"
    start=$SECONDS
    echo "notebooks: [$host] running $nb"
    case "$host" in
      jupyter)
        # allow_errors: the executed copy is always written (with the error outputs), then checked below.
        code=0
        (cd "$(dirname "$nb")" && PATH="$(echo "$PATH" | tr ':' '\n' | grep -vx "$HOME/.dotnet/tools" | paste -sd:)" /usr/bin/python3 -m nbconvert --to notebook --execute "$(basename "$nb")" \
          --output-dir "$out/$host" --output "$name" \
          --ExecutePreprocessor.allow_errors=True --ExecutePreprocessor.timeout=1800 \
          --ExecutePreprocessor.startup_timeout=180) </dev/null >"$log" 2>&1 || code=$?
        ;;
      repl)
        # Exits 2 when a cell fails; the executed copy is written either way.
        code=0
        "$repl" --run "$nb" --exit-after-run --output-path "$executed" </dev/null >"$log" 2>&1 || code=$?
        ;;
    esac
    echo "$code" >"$out/$host/$name.exit"
    if [ "$code" -ne 0 ]; then
      echo "notebooks: [$host] $nb: the host exited with $code (see $log)" >&2
      status=1
    fi
    if [ ! -s "$executed" ]; then
      echo "notebooks: [$host] $nb FAILED to run (see $log)" >&2
      status=1
      continue
    fi
    errors="$(errors_of "$executed")"
    if [ -n "$errors" ]; then
      echo "notebooks: [$host] $nb has cell errors (see $executed):" >&2
      echo "$errors" | sed 's/^/  /' >&2
      status=1
    fi
    if /usr/bin/python3 -m nbconvert --to html "$executed" --output-dir "$out/$host" >>"$log" 2>&1; then
      [ -z "$errors" ] && [ "$code" -eq 0 ] && echo "notebooks: [$host] $nb ok in $((SECONDS - start)) s -> $out/$host/$name.html"
    else
      echo "notebooks: [$host] $nb: HTML export failed (see $log)" >&2
      status=1
    fi
  done
done
exit $status
