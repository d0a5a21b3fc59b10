#!/bin/bash
# The H200 device check, one prepared script for one lease (about 6 minutes
# on a fresh machine with 16 cores):
#  1. unpacks the carried Debian packages (.debs/, from tests/gpu/fetch_debs.sh)
#     into a prefix with dpkg -x (or ar + tar where dpkg is missing);
#  2. builds the GPU-only project tests/gpu/standalone (CUDA backend, CPU
#     backend, model, DRL heads, the cross-backend test and the step
#     benchmark; no MPI, HDF5, libconfig, FFmpeg) with all cores;
#  3. runs the cross-backend test (every op, per precision);
#  4. runs the whole DRL training step benchmark, ViT-B/32 + WTI + seqTransf +
#     CDCR 3 at 128 pairs x 12 frames in bf16 (bench_drl_step: drl_step +
#     drl_cuda_bertadam_step), then the same step in PyTorch with bf16
#     autocast (bench_drl_step.py), which prints the ratio and the goals.
# Everything printed also goes to $OUT/device_check.log when $OUT is set, the
# figures to $OUT/bench_drl_step.json and $OUT/bench_drl_step_pytorch.json.
# DRY_RUN=1 stops after the build (for machines without a GPU; the CTest
# gpu_device_check_dryrun runs it through tests/gpu/dry_run.sh).
# usage (device run, from the repository root; run tool: carry [".debs"],
#   timeout_s 480):
#   bash tests/gpu/device_check.sh
# environment: DEBS (default .debs), PREFIX (/tmp/drl_prefix),
#   BUILD (/tmp/drl_gpu_build), STEPS (8 timed steps; PyTorch 5), DRY_RUN (0),
#   JOBS (nproc)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DEBS=${DEBS:-$ROOT/.debs}
PREFIX=${PREFIX:-/tmp/drl_prefix}
BUILD=${BUILD:-/tmp/drl_gpu_build}
STEPS=${STEPS:-8}
JOBS=${JOBS:-$(nproc)}
FIG=${OUT:-$BUILD}
LOG=${OUT:+$OUT/device_check.log}
LOG=${LOG:-/dev/null}
export PATH=/usr/local/cuda/bin:$PATH

say() { echo "== $* ($(date +%H:%M:%S))" | tee -a "$LOG"; }
run() { "$@" 2>&1 | tee -a "$LOG"; return "${PIPESTATUS[0]}"; }

say "device check: $(uname -n), $(nproc) cores"
command -v nvidia-smi >/dev/null && run nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || true

n_debs=$(find "$DEBS" -maxdepth 1 -name '*.deb' 2>/dev/null | wc -l)
if [ "$n_debs" -eq 0 ]; then
    echo "device_check.sh: no .deb files in $DEBS: run tests/gpu/fetch_debs.sh $DEBS first" \
        "(and carry it to the device)" >&2
    exit 2
fi
say "1. unpack $n_debs packages into $PREFIX"
mkdir -p "$PREFIX"
for deb in "$DEBS"/*.deb; do
    if command -v dpkg >/dev/null; then
        dpkg -x "$deb" "$PREFIX"
    else
        member=$(ar t "$deb" | grep '^data\.tar')
        ar p "$deb" "$member" | tar -x -C "$PREFIX" -f - --auto-compress 2>/dev/null ||
            ar p "$deb" "$member" | tar -x -C "$PREFIX" -J -f -
    fi
done
test -f "$PREFIX/usr/include/x86_64-linux-gnu/openblas-pthread/cblas.h" || {
    echo "device_check.sh: $PREFIX lacks OpenBLAS's cblas.h after unpacking $DEBS" >&2
    exit 2
}

say "2. build (tests/gpu/standalone) in $BUILD with $JOBS jobs"
t0=$(date +%s)
run cmake -S "$ROOT/tests/gpu/standalone" -B "$BUILD" -DDRL_PREFIX="$PREFIX" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_COMPILER=/usr/local/cuda/bin/nvcc >/dev/null
build_rc=0
cmake --build "$BUILD" -j "$JOBS" -- --no-print-directory >"$BUILD/build.log" 2>&1 || build_rc=$?
grep -E "error|warning|Built target" "$BUILD/build.log" | tee -a "$LOG" || true
if [ "$build_rc" -ne 0 ] || [ ! -x "$BUILD/test_cuda_cross_backend" ] || [ ! -x "$BUILD/bench_drl_step" ]; then
    tail -40 "$BUILD/build.log" | tee -a "$LOG"
    say "build FAILED (exit $build_rc)"
    exit 1
fi
say "build done in $(($(date +%s) - t0)) s"
if [ "${DRY_RUN:-0}" = 1 ]; then
    say "DRY_RUN=1: stopping before anything needs a GPU"
    exit 0
fi

say "3. cross-backend test"
xb=0
run env OMP_NUM_THREADS=8 timeout 120 "$BUILD/test_cuda_cross_backend" || xb=$?

say "4. DRL step benchmark (ours): ViT-B/32 + WTI + seqTransf + CDCR 3, 128 x 12, bf16"
mkdir -p "$FIG"
rm -f "$FIG/bench_drl_step.json"
run env OMP_NUM_THREADS=8 timeout 120 "$BUILD/bench_drl_step" --backend cuda --precision bf16 \
    --steps "$STEPS" --json "$FIG/bench_drl_step.json" || true
say "5. the same step in PyTorch (bf16 autocast), the ratio and the goals"
ours=()
[ -f "$FIG/bench_drl_step.json" ] && ours=(--ours "$FIG/bench_drl_step.json")
run timeout 150 python3 "$ROOT/tests/gpu/bench_drl_step.py" --device cuda "${ours[@]}" \
    --json "$FIG/bench_drl_step_pytorch.json" || true
say "6. the same step of ours with whole-block recomputation (run.recompute = blocks): memory"
run env OMP_NUM_THREADS=8 timeout 60 "$BUILD/bench_drl_step" --backend cuda --precision bf16 \
    --steps 3 --warmup 1 --recompute blocks --json "$FIG/bench_drl_step_recompute.json" || true
say "device check done (cross-backend exit status $xb)"
exit "$xb"
