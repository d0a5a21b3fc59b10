#!/bin/sh
# Smoke test of the benchmark executables (ctest bench_smoke): each runs once
# at a tiny size and must print one JSON line with a positive rate. Nothing is
# checked about speed.  usage: smoke.sh BUILD_DIR SOURCE_DIR [bf16]
# bf16 (builds with oneDNN): also the bf16 rows of bench_step and bench_sgemm.
set -eu
B=$1/tests/bench
S=$2
BF16=${3:-}
PY=${DRL_PYTHON:-/usr/bin/python3}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$B/bench_step" "$S/conf" tiny 1 >>"$out"
"$B/bench_wti" 20 30 1 8 4 16 >>"$out"
"$B/bench_vision" 2 1 tiny >>"$out"
"$B/bench_sgemm" 1 1 64 >>"$out"
if [ "$BF16" = bf16 ]; then
  "$B/bench_step" "$S/conf" tiny 1 0 bf16 >>"$out"
  "$B/bench_sgemm" 1 1 64 bf16 >>"$out"
fi
"$PY" - "$out" "$BF16" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
names = sorted(r["bench"] for r in rows)
want = ["step_tiny", "wti_eval", "vision_fwd", "sgemm_vitb32_block"]
if sys.argv[2] == "bf16":
    want += ["step_tiny_bf16", "bf16gemm_vitb32_block"]
want = sorted(want)
assert names == want, f"benchmarks printed {names}, expected {want}"
for r in rows:
    assert r["rate"] > 0 and r["median_s"] > 0 and r["peak_rss_mib"] > 0, r
print("bench smoke ok:", ", ".join(names))
PYEOF
