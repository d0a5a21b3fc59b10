#!/usr/bin/env bash
# Short libFuzzer run of the .pt reader (CTest ptload_fuzz_short): builds
# fuzz_ptload with clang (ASan + UBSan) from the sources, replays every kept
# crash input in fuzz/ptload/regressions/, then fuzzes the seed corpus for 20 s.
# Usage: run_fuzz_short.sh SOURCE_DIR WORK_DIR [SECONDS]
set -euo pipefail
src=$1
work=$2
seconds=${3:-20}
clang_bin=${CLANG:-clang}
mkdir -p "$work"
rm -rf "$work/corpus" "$work/artifacts"
mkdir -p "$work/corpus" "$work/artifacts"
# shellcheck disable=SC2046
"$clang_bin" -g -O1 -std=c17 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=undefined -I"$src/src" "$src"/src/ptload/[a-z]*.c \
    "$src/src/common/sha256.c" "$src/fuzz/ptload/fuzz_ptload.c" $(pkg-config --cflags --libs libzip) \
    -o "$work/fuzz_ptload"
regressions=("$src"/fuzz/ptload/regressions/*)
if [ -e "${regressions[0]}" ]; then
    echo "replaying ${#regressions[@]} regression input(s)"
    "$work/fuzz_ptload" -rss_limit_mb=2048 "${regressions[@]}"
fi
cp "$src"/fuzz/ptload/corpus/* "$work/corpus/"
"$work/fuzz_ptload" -seed=1 -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$work/artifacts/" -print_final_stats=1 "$work/corpus"
