/* libFuzzer target for the HDF5 store reader: the input bytes are written to
 * a temp file and opened with store_open (byte-level mutations of small real
 * stores made by make_seeds); when it opens, every metadata accessor and a
 * frame read of each readable video run. HDF5's own error stack is silenced. */
#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz/common/fuzz_tmpfile.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void touch(const char *s) {
    if (!s) __builtin_trap();
    volatile size_t n = strlen(s);
    (void)n;
}

static void read_everything(Store *s) {
    touch(store_path(s));
    touch(store_tokenizer_sha256(s));
    touch(store_tool_version(s));
    touch(store_dataset(s));
    int R = store_resolution(s);
    if (R <= 0) __builtin_trap();
    (void)store_num_frames(s);
    (void)store_num_failed_videos(s);
    char err[1024];
    for (int64_t v = 0; v < store_num_videos(s) && v < 16; v++) {
        touch(store_video_id(s, v));
        touch(store_video_status(s, v));
        (void)store_video_fps(s, v);
        (void)store_video_frame_offset(s, v);
        int32_t count = store_video_frame_count(s, v);
        if (!store_video_ok(s, v) || count <= 0) continue;
        int32_t pos[2] = {0, count - 1};
        size_t frame = (size_t)R * (size_t)R * 3;
        uint8_t *dst = malloc(2 * frame); // (2, R, R, 3)
        if (!dst) continue;
        err[0] = '\0';
        if (store_read_frames(s, v, pos, 2, dst, err, sizeof err) != 0)
            fuzz_check_err(err, sizeof err);
        free(dst);
    }
    for (int64_t c = 0; c < store_num_captions(s) && c < 64; c++) {
        touch(store_caption_text(s, c));
        int32_t v = store_caption_video(s, c);
        if (v < 0 || v >= store_num_videos(s)) __builtin_trap();
        const int32_t *ids = NULL;
        int32_t n = store_caption_tokens(s, c, &ids);
        volatile int32_t sink = 0;
        for (int32_t k = 0; k < n; k++)
            sink += ids[k];
        (void)sink;
    }
    for (int i = 0; i < store_num_splits(s); i++) {
        const int64_t *caps = NULL;
        int64_t n = 0;
        err[0] = '\0';
        if (store_split(s, store_split_name(s, i), &caps, &n, err, sizeof err) != 0) {
            fuzz_check_err(err, sizeof err);
            continue;
        }
        for (int64_t k = 0; k < n; k++)
            if (caps[k] < 0 || caps[k] >= store_num_captions(s)) __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    char path[512];
    fuzz_tmp_path(path, sizeof path, "store.h5");
    if (fuzz_write_file(path, data, size) != 0) return 0;
    StoreOpenOptions opt = {
        .expect_resolution = 0, .expect_tokenizer_sha256 = NULL, .allow_incomplete = 1};
    char err[1024];
    err[0] = '\0';
    Store *s = store_open(path, &opt, err, sizeof err);
    if (s) {
        read_everything(s);
        store_close(s);
    } else {
        fuzz_check_err(err, sizeof err);
    }
    unlink(path);
    return 0;
}
