# A throw-away single-node Slurm cluster for the tests, sourced by the test
# scripts (bash). Installs nothing: needs Debian's slurm-wlm and munge.
#
#   . cluster.sh
#   cluster_up            # temp folder, munge key, munged, slurm.conf, slurmctld, slurmd; waits for idle
#   cluster_wait JOBID S  # polls `scontrol show job` until the job ends (or S seconds); prints the state
#   (teardown runs from an EXIT trap: scancel, stop the daemons, remove the folder)
#
# Everything lives in $CLUSTER (a mktemp folder); ports are picked from the
# process id so two clusters on one machine do not collide.

set -euo pipefail

cluster_log() { echo "[cluster] $*" >&2; }

cluster_down() {
  local rc=$?
  set +e
  if [ -n "${CLUSTER:-}" ] && [ -d "$CLUSTER" ]; then
    if [ -n "${SLURM_CONF:-}" ] && [ -f "$SLURM_CONF" ]; then
      scancel --quiet --full "--user=$(id -un)" 2>/dev/null
    fi
    local f p
    for f in slurmd.pid slurmctld.pid munged.pid; do
      p=$(cat "$CLUSTER/$f" 2>/dev/null) || continue
      [ -n "$p" ] || continue
      kill "$p" 2>/dev/null
      for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$p" 2>/dev/null
    done
    if [ "$rc" -ne 0 ] || [ -n "${CLUSTER_KEEP_LOGS:-}" ]; then
      for f in "$CLUSTER"/log/*.log; do
        [ -f "$f" ] || continue
        echo "----- $(basename "$f") (last lines) -----" >&2
        tail -n 25 "$f" >&2
      done
    fi
    [ -n "${CLUSTER_KEEP:-}" ] || rm -rf "$CLUSTER"
  fi
  return "$rc"
}

# cluster_up: start munge and Slurm in a new temporary folder; exports SLURM_CONF.
cluster_up() {
  local need
  for need in munged mungekey slurmctld slurmd sbatch scontrol sinfo; do
    command -v "$need" >/dev/null || PATH="$PATH:/usr/sbin"
    command -v "$need" >/dev/null || {
      echo "cluster.sh: '$need' not found: install Debian's slurm-wlm and munge (scripts/setup.sh)" >&2
      return 1
    }
  done
  CLUSTER=$(mktemp -d "${TMPDIR:-/tmp}/drl-slurm.XXXXXX")
  export CLUSTER
  trap cluster_down EXIT
  chmod 0755 "$CLUSTER"
  mkdir -p "$CLUSTER/munge" "$CLUSTER/state" "$CLUSTER/spool" "$CLUSTER/log"
  chmod 0711 "$CLUSTER/munge"

  # munge: our own key, socket, pid, log and seed; --force because we may be root.
  local key="$CLUSTER/munge/munge.key" sock="$CLUSTER/munge/munge.socket"
  mungekey --create --keyfile="$key" 2>/dev/null \
    || dd if=/dev/urandom of="$key" bs=1024 count=1 status=none
  chmod 0600 "$key"
  munged --force --socket="$sock" --key-file="$key" --pid-file="$CLUSTER/munged.pid" \
    --log-file="$CLUSTER/log/munged.log" --seed-file="$CLUSTER/munge/munged.seed"
  for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
  [ -S "$sock" ] || { cluster_log "munged did not create $sock"; return 1; }

  local host cpus mem base
  host=$(hostname -s)
  cpus=$(nproc)
  mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 / 2 ))
  base=$(( 20000 + ($$ % 2000) * 4 ))
  export SLURM_CONF="$CLUSTER/slurm.conf"
  cat >"$SLURM_CONF" <<CONF
ClusterName=drltest
SlurmctldHost=$host
SlurmctldPort=$base
SlurmdPort=$((base + 1))
SlurmUser=$(id -un)
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$sock,cred_expire=5
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/builtin
SchedulerParameters=sched_interval=2
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
StateSaveLocation=$CLUSTER/state
SlurmdSpoolDir=$CLUSTER/spool
SlurmctldPidFile=$CLUSTER/slurmctld.pid
SlurmdPidFile=$CLUSTER/slurmd.pid
SlurmctldLogFile=$CLUSTER/log/slurmctld.log
SlurmdLogFile=$CLUSTER/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
MailProg=/bin/true
KillWait=5
MinJobAge=600
InactiveLimit=0
Waittime=0
GresTypes=gpu
NodeName=$host CPUs=$cpus RealMemory=$mem Gres=gpu:2 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
  # Two pretend GPUs (no device files) so that the scripts' --gpus-per-task
  # requests are scheduled as on a GPU cluster.
  mkdir -p "$CLUSTER/dev"
  touch "$CLUSTER/dev/gpu0" "$CLUSTER/dev/gpu1"
  printf 'AutoDetect=off\nNodeName=%s Name=gpu File=%s/dev/gpu[0-1]\n' "$host" "$CLUSTER" >"$CLUSTER/gres.conf"
  slurmctld -c -i -f "$SLURM_CONF"
  slurmd -f "$SLURM_CONF"
  local t0=$SECONDS state=""
  while [ $((SECONDS - t0)) -lt 60 ]; do
    state=$(sinfo -h -N -o "%T" 2>/dev/null | head -n1 || true)
    [ "$state" = "idle" ] && break
    case "$state" in inval* | drain*) break ;; esac
    sleep 0.5
  done
  [ "$state" = "idle" ] || { cluster_log "node not idle after 60 s (state '$state')"; return 1; }
  cluster_log "up in $((SECONDS - t0)) s: $CLUSTER (ports $base, $((base + 1)))"
}

# cluster_job_field JOBID FIELD: one field of `scontrol show job` (e.g. JobState, ExitCode, Restarts).
cluster_job_field() {
  scontrol -o show job "$1" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n1
}

# cluster_wait JOBID SECONDS [FINAL_STATES]: wait for a final state; prints it.
cluster_wait() {
  local id=$1 limit=$2 finals=${3:-COMPLETED FAILED CANCELLED TIMEOUT NODE_FAIL OUT_OF_MEMORY BOOT_FAIL DEADLINE PREEMPTED}
  local t0=$SECONDS st=""
  while [ $((SECONDS - t0)) -lt "$limit" ]; do
    st=$(cluster_job_field "$id" JobState)
    case " $finals " in *" $st "*) echo "$st"; return 0 ;; esac
    sleep 0.5
  done
  cluster_log "job $id not finished after $limit s (state '$st')"
  scontrol show job "$id" >&2 || true
  echo "$st"
  return 1
}

# cluster_submit ARGS...: sbatch --parsable, prints the job id (array: the base id).
cluster_submit() {
  local out
  out=$(sbatch --parsable "$@") || return 1
  echo "${out%%;*}"
}
