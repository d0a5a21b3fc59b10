#!/bin/bash
# slurm_requeue_drl_hpc: the real thing. slurm/msrvtt_wti.sh runs
# `mpirun -np 2 drl_hpc` on a synthetic store; Slurm's pre-timeout warning
# (USR1 to the batch shell, as --signal=B:USR1@300 sends it) is forwarded to
# the step, drl_hpc finishes its step, checkpoints and exits 99, the script
# requeues the job, and the restart resumes from ckpt/last.h5 and completes.
# usage: test_requeue_drl_hpc.sh BUILD_DIR
set -euo pipefail
build=$(realpath "$1")
src=${DRL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
shared=${DRL_SHARED_DIR:-$src/../shared}
. "$(dirname "$0")/cluster.sh"
cluster_up
fail() { echo "FAIL: $*" >&2; exit 1; }

work=$CLUSTER/work
mkdir -p "$work"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
"$build/src/video/drl_synth" --out "$work/data" --videos 40 --test 8 --seconds 3 >/dev/null
mpirun -np 2 --oversubscribe "$build/preprocess/drl_preprocess" --dataset msrvtt \
  --anno "$work/data/anns" --videos "$work/data/videos" --out "$work/store.h5" --resolution 32 \
  --vocab "$shared/clip/bpe_simple_vocab_16e6.txt.gz" >/dev/null
cat >"$work/run.cfg" <<CFG
@include "$src/conf/demo.cfg"
data = { store = "$work/store.h5"; resolution = 32; max_words = 12; };
model = { agg_layers = 1;
  clip = { vision_width = 64; vision_layers = 1; vision_patch = 16; image_resolution = 32;
           text_width = 64; text_layers = 1; embed_dim = 64; context_length = 16; }; };
train = { epochs = 4; batch_size = 8; n_display = 1; };
eval = { batch_size_val = 8; };
run = { output_dir = "$work/out"; threads = 1; };
CFG

export DRL_ROOT=$src DRL_BUILD_DIR=$build DRL_RESUME_DIR=$work/resume
export DRL_LAUNCHER=mpirun DRL_MPIRUN_ARGS="--oversubscribe"
id=$(cluster_submit --nodes=1 --ntasks-per-node=2 --cpus-per-task=1 --time=10 \
  -o "$work/job.out" "$src/slurm/msrvtt_wti.sh" "$work/run.cfg")
for _ in $(seq 240); do
  grep -q '"kind":"train"' "$work/out/metrics.jsonl" 2>/dev/null && break
  sleep 0.5
done
grep -q '"kind":"train"' "$work/out/metrics.jsonl" 2>/dev/null ||
  fail "training did not start: $(cat "$work/job.out" 2>/dev/null)"
scancel --batch --signal=USR1 "$id"
t0=$SECONDS
while [ $((SECONDS - t0)) -lt 150 ]; do
  [ "$(cluster_job_field "$id" Restarts)" = 1 ] && [ "$(cluster_job_field "$id" JobState)" = COMPLETED ] && break
  sleep 0.5
done
echo "--- job output" >&2; tail -n 40 "$work/job.out" >&2
[ "$(cluster_job_field "$id" JobState)" = COMPLETED ] || fail "job $id is $(cluster_job_field "$id" JobState), expected COMPLETED"
[ "$(cluster_job_field "$id" Restarts)" = 1 ] || fail "Restarts=$(cluster_job_field "$id" Restarts), expected 1"
grep -q 'checkpointing after step' "$work/out/log.txt" || fail "drl_hpc did not checkpoint on the signal"
grep -q "checkpointed: requeueing job $id" "$work/job.out" || fail "the script did not requeue on status 99"
grep -q 'resumed from' "$work/out/log.txt" || fail "the restart did not resume from the checkpoint"
[ -s "$work/out/result.json" ] || fail "no result.json after the restart"
steps=$(python3 -c "import json; print(json.load(open('$work/out/result.json'))['steps'])")
# 32 training videos x 4 captions = 128 pairs, 16 global batches of 8 per epoch
[ "$steps" = 64 ] || fail "the resumed run took $steps steps in all, expected 4 epochs x 16 = 64"
echo "PASS: drl_hpc checkpointed on USR1, exited 99, was requeued and resumed to the end ($SECONDS s)"
