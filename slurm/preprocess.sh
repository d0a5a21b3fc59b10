#!/bin/bash
# A dataset's videos + annotations -> the HDF5 store read by training
# (drl_preprocess, several ranks sharing the videos). Usage, from the
# repository root:
#   sbatch slurm/preprocess.sh DATASET [ANNO_DIR [VIDEO_DIR [STORE]]]
# DATASET: msrvtt or one of preprocess/datasets/datasets.h (didemo,
# activitynet, msvd, lsmdc, vatex); defaults data/DATASET/anns
# data/DATASET/videos data/DATASET/store.h5 (the store the configurations of
# that dataset read). Extra drl_preprocess options (e.g.
# "--resolution 224 --fps 1 --force") in DRL_PREPROCESS_ARGS.
# slurm/preprocess_msrvtt.sh and slurm/datasets/preprocess_*.sh run this
# script under their own job names.
#SBATCH --job-name=drl_preprocess
#SBATCH --nodes=1
#SBATCH --ntasks=8
#SBATCH --cpus-per-task=1
#SBATCH --time=12:00:00
#SBATCH --output=slurm-%x-%j.out
set -euo pipefail
DRL_ROOT=${DRL_ROOT:-${SLURM_SUBMIT_DIR:-$PWD}}
cd "$DRL_ROOT"
. slurm/site.sh
. slurm/lib.sh
drl_modules
[ $# -ge 1 ] || drl_die "usage: slurm/preprocess.sh DATASET [ANNO_DIR [VIDEO_DIR [STORE]]]"
dataset=$1
anno=${2:-data/$dataset/anns}
videos=${3:-data/$dataset/videos}
store=${4:-data/$dataset/store.h5}
[ -d "$anno" ] || drl_die "annotation folder '$anno' not found"
[ -d "$videos" ] || drl_die "video folder '$videos' not found"
mkdir -p "$(dirname "$store")"
rc=0
# shellcheck disable=SC2086
drl_run_forwarding $DRL_PREPROCESS_CMD --dataset "$dataset" --anno "$anno" --videos "$videos" \
  --out "$store" ${DRL_PREPROCESS_ARGS:-} || rc=$?
drl_say "drl_preprocess exit status $rc"
exit "$rc"
