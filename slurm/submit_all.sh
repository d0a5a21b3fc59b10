#!/bin/bash
# The whole study on Slurm: preprocessing -> ablation array -> table, chained
# with dependencies. Run from the repository root; prints the three job ids.
#   slurm/submit_all.sh [ANNO_DIR VIDEO_DIR STORE]
# Site settings (partition, account, GPUs per node, ...) from slurm/site.sh or
# the environment. DRL_SKIP_PREPROCESS=1 starts with the array (store exists).
set -euo pipefail
cd "${DRL_ROOT:-$(dirname "$0")/..}"
DRL_ROOT=$PWD
export DRL_ROOT
. slurm/site.sh
common=()
[ -z "$DRL_PARTITION" ] || common+=(--partition="$DRL_PARTITION")
[ -z "$DRL_ACCOUNT" ] || common+=(--account="$DRL_ACCOUNT")
train=(--nodes="$DRL_NODES" --ntasks-per-node="$DRL_GPUS_PER_NODE"
  --cpus-per-task="$DRL_CPUS_PER_TASK" --time="$DRL_TIME")

dep=()
if [ "${DRL_SKIP_PREPROCESS:-0}" != 1 ]; then
  pre=$(sbatch --parsable "${common[@]}" --ntasks="$DRL_PREPROCESS_TASKS" \
    --time="$DRL_PREPROCESS_TIME" slurm/preprocess_msrvtt.sh "$@")
  pre=${pre%%;*}
  echo "preprocess: $pre"
  dep=(--dependency=afterok:"$pre")
fi
n=$(bash slurm/ablation.sh --count)
arr=$(sbatch --parsable "${common[@]}" "${train[@]}" "${dep[@]}" --array=0-$((n - 1)) slurm/ablation.sh)
arr=${arr%%;*}
echo "ablation: $arr ($n runs)"
tab=$(sbatch --parsable "${common[@]}" --dependency=afterok:"$arr" slurm/table.sh)
tab=${tab%%;*}
echo "table: $tab"
