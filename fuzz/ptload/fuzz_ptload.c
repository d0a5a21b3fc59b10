/* libFuzzer target for the .pt reader: any byte string must load or fail with
 * a message, never crash, hang or read out of bounds.
 *
 * An input starting with "PK" is a whole .pt file. Any other input is taken as
 * a data.pkl stream and wrapped (with libzip, in memory) in an archive with
 * storages "data/0" .. "data/31" of 1 KiB each, so that mutations reach the
 * unpickler instead of failing the zip CRC check.
 *
 * Build: clang -fsanitize=fuzzer,address,undefined -Isrc src/ptload/[a-z]*.c
 *        fuzz/ptload/fuzz_ptload.c $(pkg-config --cflags --libs libzip) */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "ptload/pt_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { N_STORAGES = 32, STORAGE_BYTES = 1024 };

/* A zip holding fz/data.pkl = pkl and the storages; NULL on libzip failure. */
static uint8_t *wrap_pickle(const uint8_t *pkl, size_t len, size_t *out_len) {
    static const uint8_t storage[STORAGE_BYTES] = {0x3c, 0x00, 0x80, 0x3f}; // (1024,) bytes
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, &ze);
    zip_t *za = src ? zip_open_from_source(src, ZIP_TRUNCATE, &ze) : NULL;
    uint8_t *buf = NULL;
    if (!za) goto done;
    zip_source_keep(src);
    zip_source_t *s = zip_source_buffer(za, pkl, len, 0);
    if (!s || zip_file_add(za, "fz/data.pkl", s, 0) < 0) {
        zip_source_free(s);
        zip_discard(za);
        goto done;
    }
    for (int k = 0; k < N_STORAGES; k++) {
        char name[32];
        snprintf(name, sizeof name, "fz/data/%d", k);
        s = zip_source_buffer(za, storage, sizeof storage, 0);
        if (!s || zip_file_add(za, name, s, 0) < 0) {
            zip_source_free(s);
            zip_discard(za);
            goto done;
        }
        zip_set_file_compression(za, (zip_uint64_t)k + 1, ZIP_CM_STORE, 0);
    }
    zip_set_file_compression(za, 0, ZIP_CM_STORE, 0);
    if (zip_close(za) < 0) {
        zip_discard(za);
        goto done;
    }
    zip_stat_t st;
    if (zip_source_stat(src, &st) < 0 || zip_source_open(src) < 0) goto done;
    buf = malloc(st.size ? st.size : 1); // (st.size,) the archive
    if (buf && zip_source_read(src, buf, st.size) != (zip_int64_t)st.size) {
        free(buf);
        buf = NULL;
    }
    zip_source_close(src);
    *out_len = st.size;
done:
    if (src) zip_source_free(src);
    zip_error_fini(&ze);
    return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t *wrapped = NULL;
    size_t len = size;
    if (!(size >= 2 && data[0] == 'P' && data[1] == 'K')) {
        wrapped = wrap_pickle(data, size, &len);
        if (!wrapped) return 0;
        data = wrapped;
    }
    PtFile f;
    char err[512];
    if (pt_load_memory(data, len, "fuzz.pt", &f, err, sizeof err) == 0) {
        volatile float sink = 0; // touch every element so ASan sees any bad buffer
        for (int i = 0; i < f.count; i++)
            for (size_t k = 0; k < f.tensors[i].numel; k++)
                sink += f.tensors[i].data[k];
        (void)sink;
        pt_free(&f);
    } else if (err[0] == '\0' || memchr(err, '\0', sizeof err) == NULL) {
        __builtin_trap(); // an error must come with a message
    }
    free(wrapped);
    return 0;
}
