#!/usr/bin/env bash
# Submits a CNNC precompute to Slurm as one job array (tools/cluster/array.sbatch); prints the array's job id.
#
#   submit.sh evaluate --models a,b,c --shards 4 --store /shared/cnnc-store [options]
#   submit.sh explain  --methods gradcam,scorecam --models a,b --shards 4 --store DIR [--images all|A:B|class:NAME] [options]
#
# Scheduler options:  --cpus N (per task, default 1; also the task's OMP_NUM_THREADS)  --gpus N (per task, default 0:
#                     --gres=gpu:N)  --mem SIZE  --time LIMIT (default 01:00:00)  --partition P  --logs DIR (default
#                     STORE/logs)  --tasks LIST (only these task ids, e.g. 7 or 0-3,8: resubmit a cancelled task)
#                     --sbatch "ARGS" (anything more for sbatch, e.g. "--account=x --qos=y")
# Work options:       --data SPEC  --chunk-size N  --batch-size N  --device D  --target label|predicted  --images SEL
#                     --cnnc "COMMAND" (how nodes run cnnc; default this checkout's tools/cnnc, built first)
#                     -- ARGS (passed on to the cnnc command)
# The store must be a folder every node sees at the same path (a shared filesystem with working file locks).
# Resubmitting the same command, or any subset of its tasks, resumes: finished chunks are never computed again, and
# a changed --shards is safe (chunks, not shards, are the unit of work).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
fail() { echo "submit: $*" >&2; exit 2; }
[ $# -ge 1 ] || fail "usage: submit.sh evaluate|explain --models ... --shards N --store DIR [options]"
kind=$1; shift
case "$kind" in evaluate|explain) ;; *) fail "unknown kind '$kind': evaluate or explain" ;; esac

models="" methods="" shards="" store="" cpus=1 gpus=0 mem="" time_limit=01:00:00 partition="" logs="" tasks="" sbatch_extra=""
cnnc="" work=()
while [ $# -gt 0 ]; do
  case "$1" in
    --models) models=$2; shift 2 ;;
    --methods) methods=$2; shift 2 ;;
    --shards) shards=$2; shift 2 ;;
    --store) store=$2; shift 2 ;;
    --cpus) cpus=$2; shift 2 ;;
    --gpus) gpus=$2; shift 2 ;;
    --mem) mem=$2; shift 2 ;;
    --time) time_limit=$2; shift 2 ;;
    --partition) partition=$2; shift 2 ;;
    --logs) logs=$2; shift 2 ;;
    --tasks) tasks=$2; shift 2 ;;
    --sbatch) sbatch_extra=$2; shift 2 ;;
    --cnnc) cnnc=$2; shift 2 ;;
    --data|--chunk-size|--batch-size|--device|--target|--images) work+=("$1" "$2"); shift 2 ;;
    --) break ;;
    *) fail "unknown option '$1'" ;;
  esac
done
[ -n "$models" ] || fail "--models is required"
[ -n "$store" ] || fail "--store is required"
[[ "$shards" =~ ^[1-9][0-9]*$ ]] || fail "--shards must be a positive number (got '$shards')"
[[ "$cpus" =~ ^[1-9][0-9]*$ ]] || fail "--cpus must be a positive number (got '$cpus')"
[[ "$gpus" =~ ^[0-9]+$ ]] || fail "--gpus must be a number (got '$gpus')"
IFS=, read -ra model_list <<<"$models"
count=$((${#model_list[@]} * shards))
if [ "$kind" = explain ]; then
  [ -n "$methods" ] || fail "--methods is required for explain"
  IFS=, read -ra method_list <<<"$methods"
  count=$((${#method_list[@]} * count))
fi

mkdir -p "$store"
store=$(cd "$store" && pwd)
logs=${logs:-$store/logs}
mkdir -p "$logs"
logs=$(cd "$logs" && pwd)
if [ -z "$cnnc" ]; then
  # Build once here, not in every task at once.
  "$root/tools/cnnc" --help >/dev/null
  cnnc="$root/tools/cnnc"
fi

options=(--parsable --job-name="cnnc-$kind" --array="${tasks:-0-$((count - 1))}" --cpus-per-task="$cpus" --time="$time_limit"
  --output="$logs/%x-%A_%a.out")
[ "$gpus" -gt 0 ] && options+=(--gres="gpu:$gpus")
[ -n "$mem" ] && options+=(--mem="$mem")
[ -n "$partition" ] && options+=(--partition="$partition")
read -ra extra <<<"$sbatch_extra"
arguments=(--models "$models" --shards "$shards" --store "$store" --cnnc "$cnnc" "${work[@]}")
[ "$kind" = explain ] && arguments+=(--methods "$methods")
exec sbatch "${options[@]}" "${extra[@]}" "$here/array.sbatch" "$kind" "${arguments[@]}" "$@"
