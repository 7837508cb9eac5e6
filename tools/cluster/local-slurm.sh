#!/usr/bin/env bash
# A single-node Slurm cluster on this machine, for tests and for trying the cluster scripts: its own munged, slurmctld
# and slurmd, on loopback only (127.0.0.1, free high ports), CPU-only, run as the current user, with configuration,
# key, state, logs and sockets all inside one folder. Nothing of the system's Slurm or MUNGE setup is used or touched.
#
#   local-slurm.sh start DIR   install Slurm + MUNGE if missing (install-slurm.sh), write DIR/etc/slurm.conf, start
#                              the three daemons, wait until the node is idle; prints the line to source for clients
#   local-slurm.sh env DIR     prints the exports for client commands: SLURM_CONF (sbatch, squeue, scancel, sacct
#                              read it) and CNNC_LOCAL_SLURM (the marker; jobs submitted with it carry it)
#   local-slurm.sh stop DIR    cancels every job, stops the daemons and ends every process still carrying the cluster's
#                              marker (daemons, slurmstepd, jobs); safe to call twice or after a failed start
#
# The daemons start with CNNC_LOCAL_SLURM=DIR in their environment (slurmstepd inherits it from slurmd; a job gets the
# submitter's environment, so submit with the exports of 'env'): stop ends exactly the processes whose
# /proc/PID/environ holds that marker, never anything found by name, and never itself or its callers.
set -euo pipefail
# Called with the marker in its environment (a client shell that sourced 'env'): start again without it, so that
# neither this script nor its subshells look like one of the cluster's processes.
if [ -n "${CNNC_LOCAL_SLURM:-}" ]; then exec env -u CNNC_LOCAL_SLURM bash "$0" "$@"; fi

usage() { echo "usage: $0 start|env|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
action=$1
dir=$(mkdir -p "$2" && cd "$2" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
conf="$dir/etc/slurm.conf"
marker="CNNC_LOCAL_SLURM=$dir"

# This script and its ancestors: never signalled, whatever their environment says.
protected=" "
p=$$
while [ -n "$p" ] && [ "$p" -gt 1 ]; do
  protected+="$p "
  p=$(ps -o ppid= -p "$p" 2>/dev/null | tr -d ' ')
done

marked_pids() {
  # Processes whose environment holds the marker exactly (a NUL-separated list: one grep over /proc).
  local file pid
  for file in $(grep -lxzF "$marker" /proc/[0-9]*/environ 2>/dev/null); do
    pid=${file#/proc/}
    pid=${pid%/environ}
    case "$protected" in *" $pid "*) ;; *) echo "$pid" ;; esac
  done
}

daemon() { # log name, command...: started in a session of its own, carrying the marker
  local name=$1; shift
  env "$marker" setsid "$@" </dev/null >>"$dir/log/$name.out" 2>&1 &
}

free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_for() { # seconds, description, command...
  local seconds=$1 what=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      echo "local-slurm: $what did not happen within ${seconds}s; logs in $dir/log" >&2
      tail -n 20 "$dir"/log/*.log >&2 || true
      return 1
    fi
    sleep 0.2
  done
}

node_idle() { sinfo -h -N -n cnnc-node -o '%t' 2>/dev/null | grep -qx 'idle'; }

start() {
  bash "$here/install-slurm.sh"
  if [ -f "$conf" ] && SLURM_CONF="$conf" scontrol ping >/dev/null 2>&1; then
    echo "local-slurm: a cluster is already running in $dir (stop it first)" >&2
    return 1
  fi
  mkdir -p "$dir"/{etc,munge,state,spool,log,run}
  chmod 711 "$dir/munge" # the socket inside must be reachable; the key stays 0400
  local user cpus memory controller_port node_port host
  user=$(id -un)
  cpus=$(nproc)
  memory=$(($(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 / 2))
  controller_port=$(free_port)
  node_port=$(free_port)
  while [ "$node_port" = "$controller_port" ]; do node_port=$(free_port); done
  host=$(hostname -s)

  # MUNGE: a fresh key of this cluster's own and a socket inside DIR.
  [ -f "$dir/munge/munge.key" ] || mungekey --create --keyfile="$dir/munge/munge.key"
  chmod 400 "$dir/munge/munge.key"
  daemon munged munged --foreground --force --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" \
    --pid-file="$dir/run/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munge/munged.seed"
  wait_for 20 "munged start" test -S "$dir/munge/munge.socket"

  : >"$dir/etc/plugstack.conf"
  cat >"$conf" <<CONF
# Written by tools/cluster/local-slurm.sh: a single-node loopback cluster, state in $dir.
ClusterName=cnnc-local
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$controller_port
SlurmdPort=$node_port
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/slurmd-%n
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd-%n.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
PlugStackConfig=$dir/etc/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/log/jobcomp.txt
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
KillWait=10
MinJobAge=3600
InactiveLimit=0
SlurmctldTimeout=30
SlurmdTimeout=60
MailProg=/bin/true
NodeName=cnnc-node NodeHostname=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=cnnc Nodes=cnnc-node Default=YES MaxTime=INFINITE State=UP
CONF
  export SLURM_CONF="$conf"
  daemon slurmctld slurmctld -D -i -f "$conf"
  wait_for 30 "slurmctld answering" scontrol ping
  daemon slurmd slurmd -D -N cnnc-node -f "$conf"
  wait_for 60 "node cnnc-node idle" node_idle
  exports
}

exports() { printf 'export SLURM_CONF=%q CNNC_LOCAL_SLURM=%q\n' "$conf" "$dir"; }

stop() {
  export SLURM_CONF="$conf"
  if [ -f "$conf" ] && scontrol ping >/dev/null 2>&1; then
    scancel --full --quiet --user="$(id -un)" 2>/dev/null || true
    local deadline=$((SECONDS + 20))
    while [ -n "$(squeue -h -o %i 2>/dev/null)" ] && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
  fi
  local pids round
  for round in TERM TERM TERM KILL; do
    pids=$(marked_pids)
    [ -z "$pids" ] && break
    # shellcheck disable=SC2086
    kill -s "$round" $pids 2>/dev/null || true
    local deadline=$((SECONDS + 5))
    while [ -n "$(marked_pids)" ] && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
  done
  pids=$(marked_pids)
  if [ -n "$pids" ]; then
    echo "local-slurm: processes still running after SIGKILL: $pids" >&2
    return 1
  fi
}

case "$action" in
  start) start ;;
  env) exports ;;
  stop) stop ;;
  *) usage ;;
esac
