#!/usr/bin/env bash
# The test suite under AddressSanitizer + UndefinedBehaviorSanitizer (+ LeakSanitizer):
# configures a second build (Debug, -DDRL_SANITIZE=ON, no CUDA), builds it and
# runs the CTest labels unit and mpi. Third-party noise (Open MPI, HDF5,
# libconfig) is silenced by the named suppressions in
# tests/sanitize/lsan.supp, not by turning a tool off.
# Usage: scripts/sanitize.sh [BUILD_DIR] [ctest args]   (BUILD_DIR: build-asan)
#   JOBS=2 (build and ctest parallelism), LABELS="unit|mpi" (ctest -L regex)
set -euo pipefail
cd "$(dirname "$0")/.."
src=$(pwd)
build=${1:-build-asan}
shift || true
jobs=${JOBS:-2}
labels=${LABELS:-unit|mpi}
start=$(date +%s)

cmake -S . -B "$build" -DDRL_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug -DDRL_CUDA=OFF \
    -DDRL_WERROR=ON >/dev/null
cmake --build "$build" -j "$jobs"
built=$(date +%s)

# detect_leaks: on (LSan); odr/alloc-dealloc mismatch checks stay on.
# fast_unwind_on_malloc=0: full allocation stacks through the (frame-pointer-less)
# system libraries, so the suppressions can match them by library name.
# verify_asan_link_order=0: Open MPI's launcher preloads libraries before ours.
export ASAN_OPTIONS="detect_leaks=1:fast_unwind_on_malloc=0:abort_on_error=1:detect_stack_use_after_return=0:verify_asan_link_order=0:strict_string_checks=0"
export LSAN_OPTIONS="suppressions=$src/tests/sanitize/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# Open MPI unloads its components at MPI_Finalize, which leaves their
# allocations with "<unknown module>" stacks no suppression can name: keep them loaded.
export OMPI_MCA_mca_base_component_disable_dlclose=1 PMIX_MCA_mca_base_component_disable_dlclose=1
# mpirun as root in containers, more ranks than cores
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
rc=0
# The fuzz_* tests build their own ASan+UBSan binaries with clang: not rerun here.
(cd "$build" && ctest --output-on-failure -j "$jobs" -L "$labels" -E '^fuzz_|_fuzz_short$' "$@") || rc=$?
end=$(date +%s)
echo "sanitize.sh: build $((built - start)) s, tests $((end - built)) s, exit $rc"
exit "$rc"
