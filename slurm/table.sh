#!/bin/bash
# The results table of every finished run: runs/*/result.json -> results/msrvtt.md,
# beside the published numbers. Submitted after the ablation array:
#   sbatch --dependency=afterok:<array job id> slurm/table.sh
# DRL_RUNS_DIR (default runs) and DRL_TABLE_OUT (default results/msrvtt.md).
#SBATCH --job-name=drl_table
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=1
#SBATCH --time=00:10:00
#SBATCH --output=slurm-%x-%j.out
set -euo pipefail
DRL_ROOT=${DRL_ROOT:-${SLURM_SUBMIT_DIR:-$PWD}}
cd "$DRL_ROOT"
. slurm/site.sh
. slurm/lib.sh
runs=${DRL_RUNS_DIR:-runs}
out=${DRL_TABLE_OUT:-results/msrvtt.md}
shopt -s nullglob
files=("$runs"/*/result.json)
[ "${#files[@]}" -gt 0 ] || drl_die "no $runs/*/result.json"
mkdir -p "$(dirname "$out")"
# shellcheck disable=SC2086
$DRL_TABLE_CMD --reference results/reference_msrvtt.csv ${DRL_TABLE_ARGS:-} "${files[@]}" >"$out.tmp"
mv "$out.tmp" "$out"
drl_say "wrote $out from ${#files[@]} result files"
