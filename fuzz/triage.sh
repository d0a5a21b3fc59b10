#!/usr/bin/env bash
# Classifies crash inputs of a fuzz target by where they fail: replays each
# one and takes the first stack frame below the sanitizer's own frames
# (interceptors, libc string functions). A frame in libhdf5 means the crash
# is HDF5's (an unchecked read of a corrupted file inside the library; our
# code cannot prevent it); anything else — our frames, an exit() from our
# code (drl_die), a hang, a leak — is ours and makes the script fail.
# Usage: fuzz/triage.sh FUZZ_BINARY INPUT...     prints "ours|hdf5 INPUT FRAME"
set -uo pipefail
bin=$1
shift
src=$(cd "$(dirname "$0")/.." && pwd)
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$src/tests/sanitize/lsan.supp}
ours=0
for f in "$@"; do
    log=$("$bin" -timeout=10 -rss_limit_mb=2048 "$f" 2>&1)
    if [ $? -eq 0 ]; then
        echo "fixed $f"
        continue
    fi
    frame=$(printf '%s\n' "$log" | grep -E '^ +#[0-9]+ 0x' |
        grep -vE ' in (malloc|calloc|realloc|free|posix_memalign|operator new\(unsigned long\)) | in main \(|__interceptor_|__asan|__sanitizer|__ubsan|libc\.so|/string/|memmove|memcpy|strlen|libc_start|fuzzer::' |
        head -n 1)
    if printf '%s\n' "$log" | grep -q 'fuzz target exited\|LeakSanitizer'; then
        frame="$(printf '%s\n' "$log" | grep -m1 -E 'error:|ERROR:') $frame"
        echo "ours $f $frame"
        ours=$((ours + 1))
    elif printf '%s\n' "$frame" | grep -q 'libhdf5'; then
        echo "hdf5 $f $(printf '%s' "$frame" | grep -oE 'in [A-Za-z0-9_]+' | head -n 1)"
    else
        echo "ours $f $frame"
        ours=$((ours + 1))
    fi
done
[ "$ours" -eq 0 ]
