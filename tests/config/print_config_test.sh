#!/bin/sh
# Usage: print_config_test.sh DRL_HPC CONF.cfg WORKDIR
# --print-config exits 0, prints every section, and its output is itself a
# valid configuration that prints back identically (after the header line).
set -eu
drl_hpc=$1
conf=$2
work=$3
mkdir -p "$work"
"$drl_hpc" --print-config "$conf" > "$work/printed.cfg"
for section in 'data = {' 'model = {' '  clip = {' 'train = {' 'eval = {' 'run = {'; do
    if ! grep -q "^$section\$" "$work/printed.cfg"; then
        echo "FAIL: section '$section' missing from --print-config $conf"
        cat "$work/printed.cfg"
        exit 1
    fi
done
# Every setting of base.cfg appears in the output.
src_dir=$(dirname "$0")/../../conf
missing=0
for name in $(sed -n 's/^ *\([a-z_0-9]*\) = .*;.*/\1/p' "$src_dir/base.cfg"); do
    grep -q "^ *$name = " "$work/printed.cfg" || { echo "FAIL: $name not printed"; missing=1; }
done
[ "$missing" -eq 0 ]
"$drl_hpc" --print-config "$work/printed.cfg" > "$work/printed_again.cfg"
tail -n +2 "$work/printed.cfg" > "$work/a.txt"
tail -n +2 "$work/printed_again.cfg" > "$work/b.txt"
# run.name is printed explicitly, so re-loading keeps it.
cmp "$work/a.txt" "$work/b.txt"
echo "ok: --print-config $conf prints every section and setting, and re-loads identically"
