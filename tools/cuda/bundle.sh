#!/bin/bash
# Fills .devcuda/ (git-ignored) for tools/cuda/check.sh: the cnnc command line published self-contained and trimmed
# for linux-x64 WITHOUT libtorch (the GPU machine brings its own, CUDA-enabled), the Fashion-MNIST test files and
# the benchmark input. To fit the 64 MiB a device call may carry, the copy built here embeds only the zoo's resnet18
# weights (a temporary worktree of HEAD: commit what you want checked; nothing in this checkout changes).
# Then, with the workplace's device tool: run "bash .devcuda/check.sh" carrying ".devcuda".
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"; cd "$root"
out="$root/.devcuda"; tmp="$(mktemp -d)"; trap 'git worktree remove --force "$tmp/src" 2>/dev/null || true; rm -rf "$tmp"' EXIT
grep -qx '/.devcuda/' .git/info/exclude 2>/dev/null || echo '/.devcuda/' >> .git/info/exclude
git worktree add -q --detach "$tmp/src" HEAD
sed -i 's#Zoo/Weights/\*.safetensors;#Zoo/Weights/resnet18.safetensors;#' "$tmp/src/Cnnc.Engine/Cnnc.Engine.csproj"
# The trimmer would drop System.Text.Json's reflection serializer, which the JSON summaries use.
sed -i 's#<PackageReference Include="System.CommandLine" />#&<TrimmerRootAssembly Include="System.Text.Json" />#' "$tmp/src/Cnnc.Cli/Cnnc.Cli.csproj"
dotnet publish "$tmp/src/Cnnc.Cli" -c Release -r linux-x64 --self-contained -nologo -v quiet -o "$tmp/app" \
  -p:PublishTrimmed=true -p:TrimMode=partial -p:SuppressTrimAnalysisWarnings=true -p:TreatWarningsAsErrors=false \
  -p:GenerateDocumentationFile=false -p:JsonSerializerIsReflectionEnabledByDefault=true >&2
( cd "$tmp/app" && rm -rf libc10.so libtorch*.so libgomp-*.so.1 libshm.so libaoti_custom_ops.so libbackend_with_compiler.so \
  libjitbackend_test.so libnnapi_backend.so libmscordaccore.so libmscordbi.so libcoreclrtraceptprovider.so libclrgcexp.so \
  libSkiaSharp.so ./*.pdb createdump cs de es fr it ja ko pl pt-BR ru tr zh-Hans zh-Hant )
rm -rf "$out"; mkdir -p "$out/fashion"
tar -C "$tmp" -cf - app | xz -T0 -7 > "$out/bundle.tar.xz"
cp /usr/share/datasets/fashion-mnist/t10k-* "$out/fashion/"
/usr/bin/python3 tools/bench/pytorch_reference.py make-image --out "$out/fashion-224.npy"
cp tools/cuda/check.sh "$out/check.sh"
du -sh "$out" >&2
