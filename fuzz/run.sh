#!/usr/bin/env bash
# Runs one libFuzzer target for SECONDS on its corpus (seeded from
# OUT/seeds/TARGET), replaying tests/fuzz/regressions/TARGET first.
# Crash inputs land in OUT/artifacts/TARGET/. Builds the target when missing.
# Usage: fuzz/run.sh TARGET SECONDS [OUT]      (OUT defaults to build-fuzz)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
target=${1:?usage: fuzz/run.sh TARGET SECONDS [OUT]}
seconds=${2:?usage: fuzz/run.sh TARGET SECONDS [OUT]}
out=${3:-$src/build-fuzz}
[ -x "$out/fuzz_$target" ] || "$here/build.sh" "$out" "$target"
bin=$out/fuzz_$target
corpus=$out/corpus/$target
artifacts=$out/artifacts/$target
mkdir -p "$corpus" "$artifacts"
cp -n "$out/seeds/$target"/* "$corpus/" 2>/dev/null || true
export TMPDIR=${TMPDIR:-/tmp}
export LSAN_OPTIONS=suppressions=$src/tests/sanitize/lsan.supp:print_suppressions=0
regressions=("$src/tests/fuzz/regressions/$target"/*)
if [ -e "${regressions[0]}" ]; then
    echo "fuzz/run.sh: replaying ${#regressions[@]} regression input(s)"
    "$bin" -rss_limit_mb=2048 -timeout=20 "${regressions[@]}"
fi
"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -artifact_prefix="$artifacts/" -print_final_stats=1 "$corpus" "${@:4}"
