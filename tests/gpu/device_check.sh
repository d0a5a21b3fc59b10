#!/bin/bash
# The H200 device check, one prepared script for one lease (about 6 minutes):
#  1. unpacks the carried Debian packages (.debs/, from tests/gpu/fetch_debs.sh)
#     into a prefix with dpkg -x (or ar + tar where dpkg is missing);
#  2. builds the GPU-only project tests/gpu/standalone (CUDA backend, CPU
#     backend, model, the cross-backend test and the step benchmark; no MPI,
#     HDF5, libconfig, FFmpeg) with all cores;
#  3. runs the cross-backend test (every op, per precision);
#  4. runs the CLIP ViT-B/32 towers step benchmark at 128 pairs x 12 frames
#     in bf16 (and fp32 for the record), then the same step in PyTorch.
# Everything printed also goes to $OUT/device_check.log when $OUT is set.
# DRY_RUN=1 stops after the build (for machines without a GPU).
# usage (device run, from the repository root, carry [".debs"]):
#   bash tests/gpu/device_check.sh
# environment: DEBS (default .debs), PREFIX (/tmp/drl_prefix),
#   BUILD (/tmp/drl_gpu_build), STEPS (5), DRY_RUN (0)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DEBS=${DEBS:-$ROOT/.debs}
PREFIX=${PREFIX:-/tmp/drl_prefix}
BUILD=${BUILD:-/tmp/drl_gpu_build}
STEPS=${STEPS:-5}
LOG=${OUT:+$OUT/device_check.log}
LOG=${LOG:-/dev/null}
export PATH=/usr/local/cuda/bin:$PATH

say() { echo "== $* ($(date +%H:%M:%S))" | tee -a "$LOG"; }
run() { "$@" 2>&1 | tee -a "$LOG"; return "${PIPESTATUS[0]}"; }

say "device check: $(uname -n), $(nproc) cores"
command -v nvidia-smi >/dev/null && run nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || true

say "1. unpack $(ls "$DEBS"/*.deb | wc -l) packages into $PREFIX"
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
test -f "$PREFIX/usr/include/x86_64-linux-gnu/openblas-pthread/cblas.h"

say "2. build (tests/gpu/standalone) in $BUILD"
t0=$(date +%s)
run cmake -S "$ROOT/tests/gpu/standalone" -B "$BUILD" -DDRL_PREFIX="$PREFIX" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_COMPILER=/usr/local/cuda/bin/nvcc >/dev/null
run cmake --build "$BUILD" -j "$(nproc)" -- --no-print-directory | grep -E "error|warning|Built target" || true
test -x "$BUILD/test_cuda_cross_backend" && test -x "$BUILD/bench_clip_step"
say "build done in $(($(date +%s) - t0)) s"
if [ "${DRY_RUN:-0}" = 1 ]; then
    say "DRY_RUN=1: stopping before anything needs a GPU"
    exit 0
fi

say "3. cross-backend test"
xb=0
run env OMP_NUM_THREADS=8 "$BUILD/test_cuda_cross_backend" || xb=$?

say "4. CLIP step benchmark (ours), bf16 then fp32"
run "$BUILD/bench_clip_step" 128 12 32 "$STEPS" bf16 || true
run "$BUILD/bench_clip_step" 128 12 32 2 fp32 || true
say "5. the same step in PyTorch (bf16 autocast)"
run python3 "$ROOT/tests/gpu/bench_clip_step.py" 128 12 32 "$STEPS" || true
say "device check done (cross-backend exit status $xb)"
exit "$xb"
