#!/bin/bash
# One training (or evaluation) run of drl_hpc: ranks = nodes x GPUs per node,
# one GPU per rank. Usage, from the repository root:
#   sbatch slurm/msrvtt_wti.sh [conf/wti_cdcr.cfg]
#   sbatch --nodes=2 --ntasks-per-node=8 slurm/msrvtt_wti.sh conf/ti_seqtransf.cfg
# (slurm/submit_all.sh sets nodes, tasks and partition from slurm/site.sh.)
# Five minutes before the time limit Slurm sends USR1 to this script, which
# forwards it to drl_hpc; drl_hpc writes a checkpoint and exits with status 99,
# and the script requeues the job, which resumes (run.resume = true) from it.
#SBATCH --job-name=drl_train
#SBATCH --nodes=1
#SBATCH --ntasks-per-node=4
#SBATCH --gpus-per-task=1
#SBATCH --cpus-per-task=8
#SBATCH --time=24:00:00
#SBATCH --signal=B:USR1@300
#SBATCH --requeue
#SBATCH --open-mode=append
#SBATCH --output=slurm-%x-%j.out
set -euo pipefail
DRL_ROOT=${DRL_ROOT:-${SLURM_SUBMIT_DIR:-$PWD}}
cd "$DRL_ROOT"
. slurm/site.sh
. slurm/lib.sh
drl_modules
drl_train "${1:-conf/wti_cdcr.cfg}"
