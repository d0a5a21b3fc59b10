#!/bin/bash
# The benchmark suite (issue 9): builds in Release in its own folder, runs
# each benchmark after a warm-up several times, ours and the PyTorch
# reference (tests/reference/) with the same number of threads in the same
# run, and prints a table of medians, spreads, ratios, the fraction of the
# OpenBLAS sgemm rate and peak memory; JSON in bench/results.json.
#
#   scripts/bench.sh            # everything (ViT-B/32 steps take minutes)
#   BENCH_THREADS=4 BENCH_REPS=5 BENCH_VIT_REPS=3 BENCH_WTI_N=1000 scripts/bench.sh
#   BENCH_BF16=0 scripts/bench.sh   # without the bf16 rows (they need oneDNN)
#   BENCH_ONLY="step_demo wti" scripts/bench.sh   # a subset: step_demo step_vitb32
#                                                 # wti vision sgemm loader preprocess tokenizer
# Benchmarks print figures; nothing fails on time. Results depend on the
# machine's load: the table prints the load average.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${BENCH_BUILD:-build-bench}
THREADS=${BENCH_THREADS:-$(nproc)}
REPS=${BENCH_REPS:-5}
VIT_REPS=${BENCH_VIT_REPS:-3}
WTI_N=${BENCH_WTI_N:-1000}
FRAMES=${BENCH_FRAMES:-48}
ONLY=${BENCH_ONLY:-"step_demo step_vitb32 wti vision sgemm loader preprocess tokenizer"}
# bf16 rows (run.precision = "bf16" on the CPU, needs oneDNN): the steps and
# the GEMM block again with bf16 products, ours beside PyTorch under bf16
# autocast (and, in the summary, beside PyTorch fp32). BENCH_BF16=0: off.
BF16=${BENCH_BF16:-1}
PY=${DRL_PYTHON:-/usr/bin/python3}
SHARED=${DRL_SHARED_DIR:-/work/shared}
VOCAB=$SHARED/clip/bpe_simple_vocab_16e6.txt.gz
CAPTIONS=$SHARED/data/msrvtt/MSRVTT_JSFUSION_test.csv
want() { [[ " $ONLY " == *" $1 "* ]]; }

echo "== build (Release) in $BUILD"
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DDRL_CUDA=OFF >/dev/null
cmake --build "$BUILD" -j"$THREADS" --target bench_step bench_wti bench_vision bench_sgemm \
  bench_loader drl_synth drl_preprocess drl_tokenize >/dev/null
BIN=$BUILD/tests/bench
WORK=$BUILD/bench_work
RAW=$WORK/raw.jsonl
mkdir -p "$WORK"
: >"$RAW"
# passive: OpenMP workers sleep between parallel regions instead of spinning
# against OpenBLAS's own threads (measured 2-3x faster ViT-B/32 steps on 2
# loaded cores; applies to PyTorch's OpenMP as well). Override to compare.
export OMP_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
# OpenBLAS's idle workers spin 2^28 cycles by default (sched_yield loops)
# against the OpenMP kernels between products; 4 is its shortest spin. As
# drl_hpc sets it for itself, both implementations get it here.
export OPENBLAS_THREAD_TIMEOUT=${OPENBLAS_THREAD_TIMEOUT:-4}
echo "== $THREADS threads (OMP_WAIT_POLICY=$OMP_WAIT_POLICY, OPENBLAS_THREAD_TIMEOUT=$OPENBLAS_THREAD_TIMEOUT), load average $(cut -d' ' -f1-3 /proc/loadavg)"
run() { echo "-- $*" >&2; "$@" | grep '^{' | tee -a "$RAW"; }
if [ "$BF16" = 1 ] && ! "$BIN/bench_sgemm" 1 1 16 bf16 >/dev/null; then
  echo "== no bf16 rows: this build has no bf16 CPU matrix product (see above)" >&2
  BF16=0
fi

if want step_demo; then
  run "$BIN/bench_step" conf demo "$REPS"
  run "$PY" bench/bench_ref.py step demo "$REPS"
  if [ "$BF16" = 1 ]; then
    run "$BIN/bench_step" conf demo "$REPS" 0 bf16
    run "$PY" bench/bench_ref.py step demo "$REPS" 0 bf16
  fi
fi
if want step_vitb32; then
  run "$BIN/bench_step" conf vitb32 "$VIT_REPS"
  run "$PY" bench/bench_ref.py step vitb32 "$VIT_REPS"
  if [ "$BF16" = 1 ]; then
    run "$BIN/bench_step" conf vitb32 "$VIT_REPS" 0 bf16
    run "$PY" bench/bench_ref.py step vitb32 "$VIT_REPS" 0 bf16
  fi
fi
if want sgemm || want step_vitb32; then
  run "$BIN/bench_sgemm" "$FRAMES" "$REPS"
  run "$PY" bench/bench_ref.py sgemm "$FRAMES" "$REPS"
  if [ "$BF16" = 1 ]; then
    run "$BIN/bench_sgemm" "$FRAMES" "$REPS" 768 bf16
    run "$PY" bench/bench_ref.py sgemm "$FRAMES" "$REPS" 768 bf16
  fi
fi
if want wti; then
  # realistic lengths: the token counts (SOT and EOT included) of the MSR-VTT
  # 1k-A test captions; videos: 9 in 10 have all 12 frames (bench_wti.c)
  LENS=$WORK/caption_tokens.txt
  tail -n +2 "$CAPTIONS" | cut -d, -f4- | "$BUILD/src/tokenizer/drl_tokenize" --vocab "$VOCAB" |
    awk '{ print NF + 2 }' >"$LENS"
  run "$BIN/bench_wti" "$WTI_N" "$WTI_N" "$VIT_REPS" 32 12 512 "$LENS"
  run "$PY" bench/bench_ref.py wti "$WTI_N" "$VIT_REPS" 32 12 512 50 "$LENS"
fi
if want vision; then
  run "$BIN/bench_vision" "$FRAMES" "$VIT_REPS"
  run "$PY" bench/bench_ref.py vision "$FRAMES" "$VIT_REPS"
fi
if want loader || want preprocess; then
  echo "-- synthetic videos and a 224 px store in $WORK" >&2
  rm -rf "$WORK/data" "$WORK/store.h5"
  "$BUILD/src/video/drl_synth" --out "$WORK/data" >/dev/null
  NVID=$(ls "$WORK/data/videos" | wc -l)
  PRE=("$BUILD/preprocess/drl_preprocess" --dataset msrvtt --anno "$WORK/data/anns"
       --videos "$WORK/data/videos" --out "$WORK/store.h5" --resolution 224 --vocab "$VOCAB" --force)
  "${PRE[@]}" >/dev/null
  NFR=$("$PY" -c "import h5py,sys; print(h5py.File(sys.argv[1])['frames'].shape[0])" "$WORK/store.h5")
  if want preprocess; then
    run "$PY" bench/bench_cmd.py preprocess_videos ours "$NVID" videos "$REPS" -- "${PRE[@]}"
    # the Python reference is slow: a subset of the videos, one timed run
    NREF=$(( NVID < ${BENCH_PRE_REF_VIDEOS:-24} ? NVID : ${BENCH_PRE_REF_VIDEOS:-24} ))
    run "$PY" bench/bench_cmd.py preprocess_videos reference "$NREF" videos 1 -- \
      "$PY" bench/ref_preprocess.py "$WORK/data/videos" 224 "$NREF"
    echo "   ($NFR frames in $NVID videos: frames/s = videos/s x $(echo "scale=2; $NFR / $NVID" | bc))" >&2
    echo "{\"bench\": \"preprocess_frames_per_video\", \"impl\": \"info\", \"work\": $NFR, \"videos\": $NVID}" >>"$RAW"
  fi
  if want loader; then
    run "$BIN/bench_loader" "$WORK/store.h5" train 4 12 32 "$REPS"
  fi
fi
if want tokenizer; then
  CAPS=$WORK/captions.txt
  tail -n +2 "$CAPTIONS" | cut -d, -f4- >"$WORK/jsfusion.txt"
  : >"$CAPS"
  for _ in 1 2 3 4 5 6 7 8 9 10; do cat "$WORK/jsfusion.txt" >>"$CAPS"; done
  N=$(wc -l <"$CAPS")
  run "$PY" bench/bench_cmd.py tokenizer ours "$N" captions "$REPS" --stdin "$CAPS" -- \
    "$BUILD/src/tokenizer/drl_tokenize" --vocab "$VOCAB"
  run "$PY" bench/bench_cmd.py tokenizer reference "$N" captions "$REPS" --stdin "$CAPS" -- \
    "$PY" tests/tokenizer/ref_tokenizer.py "$VOCAB"
fi
echo
"$PY" bench/report.py "$RAW" bench/results.json
echo
echo "JSON: bench/results.json (raw lines: $RAW)"
