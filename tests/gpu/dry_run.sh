#!/bin/bash
# The documented dry run of the H200 device check (CTest gpu_device_check_dryrun,
# label dryrun): lays out WORK_DIR/tree as the device machine receives the
# working tree from the run tool (the files git tracks or would track, no
# build folders, plus the carried .debs/), runs
#   DRY_RUN=1 bash tests/gpu/device_check.sh
# there (unpack, GPU-only build of tests/gpu/standalone; stops before the GPU),
# then checks what it built on this machine: the step benchmark runs the whole
# DRL step on the CPU backend (tiny shape) through the single-process MPI
# shim, and both GPU programs say why they did not run where no GPU is usable.
# .debs come from the checkout's .debs/ when it has them, else from
# tests/gpu/fetch_debs.sh (apt-get download).
# usage: dry_run.sh WORK_DIR
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${1:?usage: dry_run.sh WORK_DIR}
rm -rf "$WORK"
mkdir -p "$WORK/tree"
t0=$(date +%s)
(cd "$ROOT" && git ls-files -co --exclude-standard -z) |
    (cd "$ROOT" && while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\0' "$f"; done) |
    tar -C "$ROOT" --null -T - -cf - | tar -C "$WORK/tree" -xf -
echo "dry run: copied $(find "$WORK/tree" -type f | wc -l) files of the working tree to $WORK/tree"
if ls "$ROOT"/.debs/*.deb >/dev/null 2>&1; then
    cp -r "$ROOT/.debs" "$WORK/tree/.debs"
else
    sh "$ROOT/tests/gpu/fetch_debs.sh" "$WORK/tree/.debs"
fi
cd "$WORK/tree"
DRY_RUN=1 PREFIX="$WORK/prefix" BUILD="$WORK/build" JOBS=${JOBS:-2} bash tests/gpu/device_check.sh
echo "dry run: build finished $(($(date +%s) - t0)) s after the start"

fail=0
check() { # check STATUS TEXT COMMAND...: exit status and a fixed string in the output
    local want=$1 text=$2
    shift 2
    local out rc=0
    out=$("$@" 2>&1) || rc=$?
    if [ "$rc" -ne "$want" ] || ! grep -qF -- "$text" <<<"$out"; then
        printf 'FAIL: %s: exit %s (expected %s), output lacks or has: %s\n%s\n' "$*" "$rc" "$want" "$text" "$out"
        fail=1
    else
        printf 'PASS: %s (exit %s, prints "%s")\n' "$*" "$rc" "$text"
    fi
}
B=$WORK/build
check 0 "goal: MFU at least 40%" env OMP_NUM_THREADS=2 OUT= "$B/bench_drl_step" --backend cpu --tiny --steps 1
if [ -e /dev/nvidia0 ]; then
    echo "dry run: this machine has an NVIDIA device; the GPU programs are not run here"
else
    check 77 "not run: no CUDA device" "$B/bench_drl_step" --backend cuda --tiny
    check 77 "not run: no CUDA device" "$B/test_cuda_cross_backend"
fi
exit "$fail"
