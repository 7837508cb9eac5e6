#!/usr/bin/env bash
# Installs the two notebook hosts the walkthrough notebooks are run in (idempotent; a few checks when all is there):
#   dotnet-repl 0.3.259 and dotnet-interactive 1.0.712001 as global dotnet tools (~/.dotnet/tools), and the
#   .NET Jupyter kernels (`dotnet interactive jupyter install`: .net-csharp, .net-fsharp, .net-powershell), whose kernel
#   specs are then made to start the tool by its absolute path (with DOTNET_ROOT set), so Jupyter finds the kernel with
#   no PATH edit: `dotnet interactive` is found only when ~/.dotnet/tools is on PATH, which nothing on a fresh machine sets.
# Jupyter itself (nbconvert, nbclient, jupyter_client) comes from Debian packages that tools/setup.sh installs; it is
# run as `/usr/bin/python3 -m nbconvert` (a pyenv or venv python3 first on PATH usually has no Jupyter).
# Called by tools/setup.sh and tools/notebooks.sh.
set -euo pipefail
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 PATH="$PATH:$HOME/.dotnet/tools"

ensure_tool() { # package id, version, command
  local id="$1" version="$2" command="$3" have
  have="$(dotnet tool list -g 2>/dev/null | awk -v id="$(echo "$id" | tr '[:upper:]' '[:lower:]')" 'tolower($1) == id { print $2 }')"
  if [ "$have" = "$version" ] && command -v "$command" >/dev/null 2>&1; then return 0; fi
  if [ -n "$have" ]; then
    echo "notebook-hosts: $id $have -> $version"
    dotnet tool update -g "$id" --version "$version" >/dev/null
  else
    echo "notebook-hosts: installing $id $version"
    dotnet tool install -g "$id" --version "$version" >/dev/null
  fi
}

ensure_tool dotnet-repl 0.3.259 dotnet-repl
ensure_tool Microsoft.dotnet-interactive 1.0.712001 dotnet-interactive

if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import jupyter_client' 2>/dev/null; then
  if ! /usr/bin/python3 -m jupyter_client.kernelspecapp list 2>/dev/null | grep -q '^ *\.net-csharp '; then
    echo "notebook-hosts: installing the .NET Jupyter kernels"
    dotnet interactive jupyter install >/dev/null
  fi
  tool="$(command -v dotnet-interactive)"
  dotnet_root="$(dirname "$(readlink -f "$(command -v dotnet)")")"
  /usr/bin/python3 - "$tool" "$dotnet_root" <<'PY'
import json, sys
from jupyter_client.kernelspec import KernelSpecManager
tool, dotnet_root = sys.argv[1:3]
specs = KernelSpecManager().find_kernel_specs()
for name in (".net-csharp", ".net-fsharp", ".net-powershell"):
    if name not in specs:
        continue
    path = specs[name] + "/kernel.json"
    spec = json.load(open(path, encoding="utf-8"))
    argv = spec["argv"]
    # "dotnet interactive jupyter ..." (or an absolute tool path from an earlier run) -> "<tool> jupyter ..."
    rest = argv[argv.index("jupyter"):]
    fixed = dict(spec, argv=[tool] + rest, env=dict(spec.get("env", {}), DOTNET_ROOT=dotnet_root))
    if fixed != spec:
        json.dump(fixed, open(path, "w", encoding="utf-8"), indent=2)
        print("notebook-hosts: %s starts %s (no PATH needed)" % (name, tool))
PY
else
  echo "notebook-hosts: Jupyter (Debian's python3-jupyter-client) is missing: run tools/setup.sh" >&2
  exit 1
fi
