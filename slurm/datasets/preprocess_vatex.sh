#!/bin/bash
# vatex videos + annotations (preprocess/datasets/datasets.h lists the files) -> the HDF5 store read by training (drl_preprocess,
# several ranks sharing the videos). Usage, from the repository root:
#   sbatch slurm/datasets/preprocess_vatex.sh [ANNO_DIR [VIDEO_DIR [STORE]]]
# defaults: data/vatex/anns data/vatex/videos data/vatex/store.h5 (the
# store conf/datasets/vatex_*.cfg reads). Extra drl_preprocess options (e.g.
# "--resolution 224 --fps 1 --force") in DRL_PREPROCESS_ARGS.
#SBATCH --job-name=drl_preprocess_vatex
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
anno=${1:-data/vatex/anns}
videos=${2:-data/vatex/videos}
store=${3:-data/vatex/store.h5}
[ -d "$anno" ] || drl_die "annotation folder '$anno' not found"
[ -d "$videos" ] || drl_die "video folder '$videos' not found"
mkdir -p "$(dirname "$store")"
rc=0
# shellcheck disable=SC2086
drl_run_forwarding $DRL_PREPROCESS_CMD --dataset vatex --anno "$anno" --videos "$videos" \
  --out "$store" ${DRL_PREPROCESS_ARGS:-} || rc=$?
drl_say "drl_preprocess exit status $rc"
exit "$rc"
