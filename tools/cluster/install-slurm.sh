#!/usr/bin/env bash
# Installs Debian's Slurm (slurm-wlm: slurmctld, slurmd, the client commands) and MUNGE, idempotently, WITHOUT starting
# the system services their packages would start: CNNC's local test cluster (tools/cluster/local-slurm.sh) runs its own
# munged, slurmctld and slurmd on loopback, with their own configuration and state in a folder of its own.
# Needs root (or sudo) only when something is missing.
set -euo pipefail

packages=(slurm-wlm munge)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo_cmd=""
[ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
# policy-rc.d exit 101 = "action forbidden": invoke-rc.d then starts no daemon during the install. Only when the
# machine has none of its own, and removed again afterwards (also on failure).
policy=/usr/sbin/policy-rc.d
placed_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo_cmd tee "$policy" >/dev/null
  $sudo_cmd chmod 755 "$policy"
  placed_policy=1
fi
cleanup() { if [ "$placed_policy" -eq 1 ]; then $sudo_cmd rm -f "$policy"; fi; }
trap cleanup EXIT
echo "install-slurm: installing ${missing[*]}"
$sudo_cmd apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
