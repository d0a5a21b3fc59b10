#!/bin/sh
# Usage: expect_exit.sh STATUS TEXT COMMAND [ARGS...]
# Runs COMMAND; passes when it exits with STATUS and its output (stdout and
# stderr together) contains TEXT (a fixed string).
set -u
want_status=$1
want_text=$2
shift 2
out=$("$@" 2>&1)
status=$?
if [ "$status" -ne "$want_status" ]; then
    printf 'FAIL: %s exited with %s, expected %s\n%s\n' "$*" "$status" "$want_status" "$out"
    exit 1
fi
case $out in
*"$want_text"*) ;;
*)
    printf 'FAIL: output of %s lacks: %s\n%s\n' "$*" "$want_text" "$out"
    exit 1
    ;;
esac
printf 'ok: %s -> %s, "%s"\n' "$*" "$status" "$want_text"
