#!/bin/bash
# The ablation study: a job array, one task per row of the MSR-VTT table, each
# exactly one slurm/msrvtt_wti.sh run (checkpoint-and-requeue included).
#   sbatch --array=0-9 slurm/ablation.sh       (submit_all.sh sizes the array)
# The rows are DRL_ABLATION_CONFIGS (space separated), default below.
#SBATCH --job-name=drl_ablation
#SBATCH --nodes=1
#SBATCH --ntasks-per-node=4
#SBATCH --gpus-per-task=1
#SBATCH --cpus-per-task=8
#SBATCH --time=24:00:00
#SBATCH --signal=B:USR1@300
#SBATCH --requeue
#SBATCH --open-mode=append
#SBATCH --output=slurm-%x-%A_%a.out
set -euo pipefail
DRL_ROOT=${DRL_ROOT:-${SLURM_SUBMIT_DIR:-$PWD}}
cd "$DRL_ROOT"
. slurm/site.sh
. slurm/lib.sh
: "${DRL_ABLATION_CONFIGS:=conf/zero_shot.cfg conf/dp_none.cfg conf/dp_seqtransf.cfg conf/xti_none.cfg conf/xti_seqtransf.cfg conf/ti_seqtransf.cfg conf/wti_seqtransf.cfg conf/dp_seqtransf_cdcr.cfg conf/ti_seqtransf_cdcr.cfg conf/wti_cdcr.cfg}"
read -r -a configs <<<"$DRL_ABLATION_CONFIGS"
if [ "${1:-}" = "--count" ]; then # used by submit_all.sh to size the array
  echo "${#configs[@]}"
  exit 0
fi
i=${SLURM_ARRAY_TASK_ID:?"run as a job array: sbatch --array=0-$((${#configs[@]} - 1)) slurm/ablation.sh"}
[ "$i" -lt "${#configs[@]}" ] || drl_die "array index $i, but only ${#configs[@]} configurations"
drl_modules
drl_train "${configs[$i]}"
