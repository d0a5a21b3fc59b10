#!/bin/bash
# MSR-VTT videos + annotations -> the HDF5 store read by training (drl_preprocess,
# several ranks sharing the videos). Usage, from the repository root:
#   sbatch slurm/preprocess_msrvtt.sh [ANNO_DIR [VIDEO_DIR [STORE]]]
# defaults: data/msrvtt/anns data/msrvtt/videos data/msrvtt/store.h5 (the
# store the conf/*.cfg files read). Extra drl_preprocess options (e.g.
# "--resolution 224 --fps 1 --force") in DRL_PREPROCESS_ARGS.
# The job itself is slurm/preprocess.sh msrvtt.
#SBATCH --job-name=drl_preprocess
#SBATCH --nodes=1
#SBATCH --ntasks=8
#SBATCH --cpus-per-task=1
#SBATCH --time=12:00:00
#SBATCH --output=slurm-%x-%j.out
set -euo pipefail
DRL_ROOT=${DRL_ROOT:-${SLURM_SUBMIT_DIR:-$PWD}}
export DRL_ROOT
exec bash "$DRL_ROOT/slurm/preprocess.sh" msrvtt "$@"
