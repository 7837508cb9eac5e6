#!/usr/bin/env bash
# Packs Cnnc.Engine, Cnnc.Views and Cnnc.Interactive into a local NuGet feed folder (default: .local-feed/ at the repo
# root, ignored by git) for notebooks: #i "nuget:<feed>" then #r "nuget:Cnnc.Interactive,<version>" (tools/notebooks.sh
# gives the feed to the hosts instead, so the walkthroughs' first cell is only the #r line a user types).
# NuGet reuses an id+version it has already extracted, so the same version's copies in the global packages folder
# are removed: the next notebook restore takes the fresh build.
#   bash tools/pack.sh [--no-build] [FEED]     (--no-build: pack the existing Release build, as the notebook tests do)
set -euo pipefail
cd "$(dirname "$0")/.."
build=()
if [ "${1:-}" = "--no-build" ]; then build=(--no-build); shift; fi
feed="${1:-.local-feed}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
version="$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props | head -n 1)"
mkdir -p "$feed"
# Package metadata: the repository the packages come from (the clone's origin, when it has one).
repository=(); url="$(git remote get-url origin 2>/dev/null || true)"
[ -n "$url" ] && repository=("-p:CnncRepositoryUrl=$url")
for project in Cnnc.Engine Cnnc.Views Cnnc.Interactive; do
  dotnet pack "$project/$project.csproj" -c Release -o "$feed" -nologo -v quiet "${build[@]}" "${repository[@]}"
done
packages="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
rm -rf "$packages/cnnc.engine/$version" "$packages/cnnc.views/$version" "$packages/cnnc.interactive/$version"
echo "pack: Cnnc.Engine, Cnnc.Views and Cnnc.Interactive $version in $(cd "$feed" && pwd)"
