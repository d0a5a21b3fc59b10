#!/bin/bash
# slurm_harness: bring up the single-node cluster, run `sbatch --wrap hostname`
# and one task asking for a (pretend) GPU; check state, exit code and output.
set -euo pipefail
. "$(dirname "$0")/cluster.sh"
cluster_up
id=$(cluster_submit -o "$CLUSTER/hostname.out" --wrap hostname)
st=$(cluster_wait "$id" 60)
[ "$st" = COMPLETED ] || { echo "FAIL: hostname job $id ended $st" >&2; exit 1; }
[ "$(cluster_job_field "$id" ExitCode)" = "0:0" ] || { echo "FAIL: exit code" >&2; exit 1; }
[ "$(cat "$CLUSTER/hostname.out")" = "$(hostname)" ] || {
  echo "FAIL: output '$(cat "$CLUSTER/hostname.out")', expected '$(hostname)'" >&2
  exit 1
}
id=$(cluster_submit -o "$CLUSTER/gpu.out" --gpus-per-task=1 --ntasks=1 --wrap 'echo tasks=$SLURM_NTASKS; exit 3')
st=$(cluster_wait "$id" 60)
[ "$st" = FAILED ] || { echo "FAIL: job $id ended $st, expected FAILED" >&2; exit 1; }
[ "$(cluster_job_field "$id" ExitCode)" = "3:0" ] || { echo "FAIL: exit code $(cluster_job_field "$id" ExitCode)" >&2; exit 1; }
grep -qx 'tasks=1' "$CLUSTER/gpu.out" || { echo "FAIL: gpu.out" >&2; cat "$CLUSTER/gpu.out" >&2; exit 1; }
echo "PASS: slurm harness (hostname job and a one-GPU task) in $SECONDS s"
