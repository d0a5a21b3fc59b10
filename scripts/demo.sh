#!/usr/bin/env bash
# The demo (the README's first command): on a fresh Debian machine, installs
# what is missing, builds, generates a synthetic MSR-VTT-format dataset of
# real MP4 videos, preprocesses it into an HDF5 store with drl_preprocess (2
# MPI ranks), trains a small DRL model (WTI + seqTransf + CDCR) from scratch
# with `mpirun -np 2 drl_hpc conf/demo.cfg`, evaluates it and prints the
# metrics beside chance level. Everything goes under runs/demo/.
#
# Environment: DRL_DEMO_EPOCHS (default: conf/demo.cfg's), DRL_DEMO_RANKS (2),
# DRL_SHARED_DIR (the folder holding clip/bpe_simple_vocab_16e6.txt.gz).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

RANKS=${DRL_DEMO_RANKS:-2}
OUT=runs/demo
SHARED=${DRL_SHARED_DIR:-../shared}
VOCAB=$SHARED/clip/bpe_simple_vocab_16e6.txt.gz
if [ ! -f "$VOCAB" ]; then
  echo "demo: CLIP's vocabulary $VOCAB is missing (set DRL_SHARED_DIR to the folder holding clip/)" >&2
  exit 2
fi
MPIRUN=(mpirun -np "$RANKS" --oversubscribe)
[ "$(id -u)" -eq 0 ] && MPIRUN+=(--allow-run-as-root)

mkdir -p "$OUT"
echo "== 1/4 synthetic dataset -> $OUT/data"
build/src/video/drl_synth --out "$OUT/data"
echo "== 2/4 preprocessing ($RANKS ranks) -> $OUT/store.h5"
"${MPIRUN[@]}" build/preprocess/drl_preprocess --dataset msrvtt --anno "$OUT/data/anns" \
  --videos "$OUT/data/videos" --out "$OUT/store.h5" --resolution 64 --vocab "$VOCAB" --force
CFG=conf/demo.cfg
if [ -n "${DRL_DEMO_EPOCHS:-}" ]; then
  CFG=$OUT/demo_override.cfg
  printf '@include "%s/conf/demo.cfg"\ntrain = { epochs = %s; };\n' "$PWD" "$DRL_DEMO_EPOCHS" > "$CFG"
fi
echo "== 3/4 training and evaluation ($RANKS ranks): $CFG"
rm -rf "$OUT/out"
"${MPIRUN[@]}" build/src/app/drl_hpc "$CFG"
echo "== 4/4 result: $OUT/out/result.json"
if [ -x build/src/table/drl_table ]; then
  build/src/table/drl_table "$OUT/out/result.json"
fi
