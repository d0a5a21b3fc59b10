#!/bin/bash
# msvd videos + annotations (preprocess/datasets/datasets.h lists the files) -> the HDF5 store read by training (drl_preprocess,
# several ranks sharing the videos). Usage, from the repository root:
#   sbatch slurm/datasets/preprocess_msvd.sh [ANNO_DIR [VIDEO_DIR [STORE]]]
# defaults: data/msvd/anns data/msvd/videos data/msvd/store.h5 (the
# store conf/datasets/msvd_*.cfg reads). Extra drl_preprocess options (e.g.
# "--resolution 224 --fps 1 --force") in DRL_PREPROCESS_ARGS.
# The job itself is slurm/preprocess.sh msvd.
#SBATCH --job-name=drl_preprocess_msvd
#SBATCH --nodes=1
#SBATCH --ntasks=8
#SBATCH --cpus-per-task=1
#SBATCH --time=12:00:00
#SBATCH --output=slurm-%x-%j.out
set -euo pipefail
DRL_ROOT=${DRL_ROOT:-${SLURM_SUBMIT_DIR:-$PWD}}
export DRL_ROOT
exec bash "$DRL_ROOT/slurm/preprocess.sh" msvd "$@"
