#!/bin/bash
# slurm_pipeline: the user's path on a real Slurm with a tiny synthetic MSR-VTT
# (drl_synth): slurm/preprocess_msrvtt.sh with 2 ranks -> the HDF5 store, then
# slurm/msrvtt_wti.sh with conf/demo.cfg (1 epoch) submitted with
# --dependency=afterok on it, then slurm/table.sh after that.
# usage: test_pipeline.sh BUILD_DIR
set -euo pipefail
build=$(realpath "$1")
src=${DRL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$(dirname "$0")/cluster.sh"
fail() { echo "FAIL: $*" >&2; exit 1; }
cluster_up
work=$CLUSTER/work
mkdir -p "$work"
"$build/src/video/drl_synth" --out "$work/msrvtt" --videos 12 --test 4 >/dev/null

export DRL_ROOT=$src DRL_BUILD_DIR=$build DRL_SHARED_DIR=${DRL_SHARED_DIR:-/work/shared}
# Open MPI's mpirun inside the allocation (Debian's Open MPI and Slurm PMIx differ).
export DRL_LAUNCHER=mpirun DRL_MPIRUN_ARGS="--oversubscribe" OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export DRL_PREPROCESS_ARGS="--resolution 64"
pre=$(cluster_submit --ntasks=2 --cpus-per-task=1 --time=10 -o "$work/pre.out" \
  "$src/slurm/preprocess_msrvtt.sh" "$work/msrvtt/anns" "$work/msrvtt/videos" "$work/store.h5")
cat >"$work/demo1.cfg" <<CFG
@include "$src/conf/demo.cfg"
data = { store = "$work/store.h5"; };
train = { epochs = 1; };
run = { output_dir = "$work/runs/demo1"; };
CFG
train=$(cluster_submit --dependency=afterok:"$pre" --nodes=1 --ntasks-per-node=1 \
  --cpus-per-task=2 --time=10 -o "$work/train.out" "$src/slurm/msrvtt_wti.sh" "$work/demo1.cfg")
tab=$(DRL_RUNS_DIR=$work/runs DRL_TABLE_OUT=$work/msrvtt.md cluster_submit --dependency=afterok:"$train" \
  -o "$work/table.out" "$src/slurm/table.sh")

st=$(cluster_wait "$pre" 120) || true
cat "$work/pre.out" >&2
[ "$st" = COMPLETED ] || fail "preprocess job $pre ended $st"
"${DRL_PYTHON:-/usr/bin/python3}" - "$work/store.h5" <<'PY' || fail "store check"
import sys, h5py
with h5py.File(sys.argv[1]) as f:
    n = len(f["videos/id"]); fr = f["frames"].shape
    assert n == 12, n
    assert fr[1:] == (64, 64, 3), fr
    assert len(f["splits/test/captions"]) == 4
print("store: 12 videos, frames", fr)
PY
st=$(cluster_wait "$train" 180) || true
cat "$work/train.out" >&2
[ "$st" = COMPLETED ] || fail "training job $train ended $st"
[ "$(cluster_job_field "$train" ExitCode)" = "0:0" ] || fail "training exit code"
grep -q "drl_hpc exit status 0" "$work/train.out" && grep -q "2 rank(s)" "$work/pre.out" || fail "no drl_hpc exit status in the log"
if grep -q "training and evaluation arrive with the training issue" "$work/train.out"; then
  echo "PENDING: drl_hpc only validates the configuration yet; no result.json to tabulate"
  st=$(cluster_wait "$tab" 60) || true
  [ "$st" = FAILED ] || fail "table job ended $st, expected FAILED (no result.json)"
else
  [ -f "$work/runs/demo1/result.json" ] || fail "no result.json"
  st=$(cluster_wait "$tab" 60) || true
  cat "$work/table.out" >&2
  [ "$st" = COMPLETED ] || fail "table job $tab ended $st"
  grep -q '^| demo' "$work/msrvtt.md" || fail "table without the demo row: $(cat "$work/msrvtt.md")"
fi
echo "PASS: preprocess -> train -> table on Slurm ($SECONDS s)"
