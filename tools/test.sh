#!/usr/bin/env bash
# The README's test command: set up (idempotent), then run every test. PyTorch reference fixtures are generated on
# first use into tests/fixtures/.generated (not in git).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
# One OpenMP thread per process (unless you set OMP_NUM_THREADS): dotnet test runs the four test projects side by
# side, each runs test classes in parallel and starts cnnc, notebook kernels and Python; with libtorch's default of a
# thread per core, every parallel region waits for team threads the other processes have descheduled. The product's
# own default (a thread per core) is what benchmarks and the walkthrough measure.
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
dotnet test Cnnc.sln -c Release --no-build -nologo --logger "console;verbosity=normal" "$@"
