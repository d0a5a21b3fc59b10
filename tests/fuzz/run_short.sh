#!/usr/bin/env bash
# One short libFuzzer run (CTest fuzz_<target>_short): replays every kept
# crash input in tests/fuzz/regressions/TARGET (each must now end cleanly),
# then fuzzes the seed corpus for a fixed number of runs with fixed seeds
# (deterministic, independent of the machine's speed). A crash ends a segment
# and is classified by fuzz/triage.sh: one inside libhdf5 on a corrupted file
# is HDF5's (reported, the next segment continues from the grown corpus with
# the next seed); one in our code fails the test.
# Usage: run_short.sh SOURCE_DIR FUZZ_OUT TARGET RUNS
# FUZZ_OUT holds the binaries and seeds made by fuzz/build.sh (test fuzz_build).
set -euo pipefail
src=$1
out=$2
target=$3
runs=$4
export LSAN_OPTIONS=suppressions=$src/tests/sanitize/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1
export TMPDIR=$2/short/tmp-$3 # temp files of inputs that crashed inside libhdf5 stay here
bin=$out/fuzz_$target
work=$out/short/$target
rm -rf "$work" "$TMPDIR"
mkdir -p "$work/corpus" "$work/artifacts" "$TMPDIR"
regressions=("$src/tests/fuzz/regressions/$target"/*)
if [ -e "${regressions[0]}" ]; then
    echo "replaying ${#regressions[@]} regression input(s)"
    "$bin" -rss_limit_mb=2048 -timeout=30 "${regressions[@]}"
fi
cp "$out/seeds/$target"/* "$work/corpus/"
segments=${SEGMENTS:-4}
per=$(((runs + segments - 1) / segments))
for seed in $(seq 1 "$segments"); do
    if ! "$bin" -seed="$seed" -runs="$per" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
        -artifact_prefix="$work/artifacts/" -print_final_stats=1 "$work/corpus"; then
        crashes=("$work/artifacts"/*)
        [ -e "${crashes[0]}" ] || { echo "fuzzer failed without an artifact"; exit 1; }
        "$src/fuzz/triage.sh" "$bin" "${crashes[@]}" || exit 1
        mkdir -p "$work/hdf5"
        mv "${crashes[@]}" "$work/hdf5/"
    fi
done
n_hdf5=$( (find "$work/hdf5" -type f 2>/dev/null || true) | wc -l)
echo "fuzz_$target: $segments segment(s) of $per runs; $n_hdf5 crash(es) inside libhdf5, none in our code"
