#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan + libFuzzer) directly
# from the sources, and their seed corpora, into OUT:
#   OUT/fuzz_<target>          for target in config tokenizer annotations store ckpt
#   OUT/seeds/<target>/        seed inputs (conf/*.cfg, captions from the shared
#                              MSR-VTT CSVs, committed seeds, HDF5 files written by
#                              make_seeds with the project's own writers)
# Usage: fuzz/build.sh OUT [TARGET...]     (CLANG=clang-16 to pick a compiler)
# The ptload target has its own script (tests/ptload/run_fuzz_short.sh).
set -euo pipefail
export LSAN_OPTIONS=suppressions=$(cd "$(dirname "$0")/.." && pwd)/tests/sanitize/lsan.supp
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
out=${1:?usage: fuzz/build.sh OUT [TARGET...]}
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(config tokenizer annotations store ckpt)
clang_bin=${CLANG:-clang}
shared=${DRL_SHARED_DIR:-$src/../shared}
mkdir -p "$out"
out=$(cd "$out" && pwd)

pc() { pkg-config "$@"; }
mpi_cflags=$(mpicc --showme:compile)
mpi_libs=$(mpicc --showme:link)
cflags=(-g -O1 -std=c17 -D_GNU_SOURCE -DDRL_VERSION=\"fuzz\" -fno-omit-frame-pointer
        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
        -I"$src/src" -I"$src" $mpi_cflags)
common=("$src/src/common/check.c" "$src/src/common/log.c" "$src/src/common/sha256.c")

build() { # build NAME LIBS -- SOURCES...
    local name=$1 libs=$2
    shift 3
    echo "fuzz/build.sh: fuzz_$name"
    # shellcheck disable=SC2086
    "$clang_bin" "${cflags[@]}" "$@" "${common[@]}" $libs $mpi_libs -lm -lpthread -o "$out/fuzz_$name"
}

hdf5_cflags=$(pc --cflags hdf5-openmpi)
hdf5_libs=$(pc --libs hdf5-openmpi)
ckpt_sources=("$src/src/checkpoint/ckpt_read.c" "$src/src/checkpoint/ckpt_write.c"
              "$src/src/model/params.c" "$src/src/model/param_buffers.c" "$src"/src/cpu/*.c)
ckpt_libs="$hdf5_libs $(pc --libs openblas) -fopenmp"
cflags+=($hdf5_cflags $(pc --cflags openblas libconfig libpcre2-8 libutf8proc libcjson))

for t in "${targets[@]}"; do
    seeds=$out/seeds/$t
    rm -rf "$seeds"
    mkdir -p "$seeds"
    case $t in
    config)
        build config "$(pc --libs libconfig)" -- "$here/targets/fuzz_config.c" \
            -DFUZZ_CONF_DIR=\""$src/conf"\" "$src"/src/config/*.c
        # first byte = world size - 1
        for f in "$src"/conf/*.cfg "$src"/tests/config/fixtures/*.cfg; do
            { printf '\001'; cat "$f"; } >"$seeds/$(basename "$f")"
        done
        ;;
    tokenizer)
        build tokenizer "$(pc --libs libpcre2-8 libutf8proc zlib)" -- \
            "$here/targets/fuzz_tokenizer.c" -DFUZZ_SHARED_DIR=\""$shared"\" \
            $(ls "$src"/src/tokenizer/*.c | grep -v drl_tokenize.c)
        cp "$here"/seeds/tokenizer/* "$seeds/"
        sed -n 2,41p "$shared/data/msrvtt/MSRVTT_JSFUSION_test.csv" | cut -d, -f4- |
            split -l 1 - "$seeds/caption_"
        ;;
    annotations)
        build annotations "$(pc --libs libcjson)" -- "$here/targets/fuzz_annotations.c" \
            "$src/preprocess/csv_reader.c" "$src/preprocess/annotations.c" \
            "$src/preprocess/msrvtt.c"
        cp "$here"/seeds/annotations/* "$seeds/"
        sed -n 1,5p "$shared/data/msrvtt/MSRVTT_train.9k.csv" >"$seeds/train_head.csv"
        sed -n 1,5p "$shared/data/msrvtt/MSRVTT_JSFUSION_test.csv" >"$seeds/test_head.csv"
        ;;
    store | ckpt)
        if [ "$t" = store ]; then
            build store "$hdf5_libs" -- "$here/targets/fuzz_store.c" "$src"/src/store/*.c
        else
            build ckpt "$ckpt_libs" -- "$here/targets/fuzz_ckpt.c" "${ckpt_sources[@]}"
        fi
        if [ ! -e "$out/make_seeds" ]; then
            # shellcheck disable=SC2086
            "$clang_bin" "${cflags[@]/-fsanitize=fuzzer,address,undefined/-fsanitize=address,undefined}" \
                "$here/make_seeds.c" "$src"/src/store/*.c "${ckpt_sources[@]}" "${common[@]}" \
                $ckpt_libs $mpi_libs -lm -lpthread -o "$out/make_seeds"
        fi
        mkdir -p "$out/seeds/store" "$out/seeds/ckpt"
        "$out/make_seeds" "$out/seeds/store" "$out/seeds/ckpt"
        ;;
    *)
        echo "fuzz/build.sh: unknown target '$t'" >&2
        exit 2
        ;;
    esac
done
