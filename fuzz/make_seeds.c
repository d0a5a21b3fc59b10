/* Writes the seed corpora of the HDF5 fuzz targets with the project's own
 * writers: a small store (R = 4: an ok video of 3 frames, a failed one, one
 * of 1 frame; 4 captions; splits train and test) and a small checkpoint of
 * the fuzz ParamTable (root tensors, adam_m group, rng/state, attributes).
 * Usage: make_seeds STORE_DIR CKPT_DIR */
#include <hdf5.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "checkpoint/ckpt.h"
#include "common/check.h"
#include "fuzz/common/fuzz_params.h"
#include "model/param_buffers.h"
#include "store/store.h"

/* Dies with the writer's message when cond is false. */
static void need(int cond, const char *err) {
    if (!cond) drl_fail(__FILE__, __LINE__, "store writer", err, "make_seeds");
}

static void write_store(const char *path, int incomplete) {
    enum { R = 4 };
    StoreAttributes at = {.resolution = R,
                          .frame_rate = 1.0,
                          .tokenizer_sha256 = "0123abcd",
                          .tool_version = "make_seeds",
                          .dataset = "msrvtt"};
    char err[1024];
    StoreWriter *w = store_writer_create(path, &at, err, sizeof err);
    need(w != NULL, err);
    uint8_t frames[3 * R * R * 3]; // (3, R, R, 3)
    for (size_t i = 0; i < sizeof frames; i++)
        frames[i] = (uint8_t)(i * 7);
    need(store_writer_add_video(w, "video0", 25.0, DRL_STORE_STATUS_OK, frames, 3, err,
                                sizeof err) == 0,
         err);
    need(store_writer_add_video(w, "video1", 0.0, "truncated: no frames", NULL, 0, err,
                                sizeof err) == 1,
         err);
    need(store_writer_add_video(w, "video2", 30.0, DRL_STORE_STATUS_OK, frames, 1, err,
                                sizeof err) == 2,
         err);
    const int32_t tok[3] = {320, 1929, 269}; // (3)
    const char *text[4] = {"a cat", "a dog", "", "two people talk"};
    const int32_t vid[4] = {0, 0, 1, 2};
    for (int c = 0; c < 4; c++)
        need(store_writer_add_caption(w, text[c], vid[c], tok, c % 4, err, sizeof err) == c, err);
    const int64_t train[3] = {0, 1, 2}, test[1] = {3};
    need(store_writer_add_split(w, "train", train, 3, err, sizeof err) == 0, err);
    need(store_writer_add_split(w, "test", test, 1, err, sizeof err) == 0, err);
    if (incomplete) {
        store_writer_abort(w);
        return;
    }
    need(store_writer_finish(w, err, sizeof err) == 0, err);
}

static void write_ckpt(const char *path) {
    const DrlOps *ops = drl_cpu_ops();
    ParamTable pt;
    fuzz_params_table(&pt);
    params_alloc_buffers(&pt, ops);
    for (size_t i = 0; i < pt.total; i++) {
        pt.data[i] = (float)i * 0.25f - 1.0f;
        pt.grad[i] = (float)i;
    }
    CkptWriter w;
    ckpt_create(&w, path);
    ckpt_write_params(&w, NULL, &pt, ops, pt.data);
    ckpt_write_params(&w, "adam_m", &pt, ops, pt.grad);
    const int64_t state[4] = {1, 2, 3, 4}; // (4)
    ckpt_write_array_int64(&w, "rng/state", state, 4);
    ckpt_write_attr_int64(&w, "step", 7);
    ckpt_write_attr_double(&w, "lr", 1e-4);
    ckpt_write_attr_string(&w, "config", "train = { batch_size = 2; };");
    ckpt_commit(&w);
    params_free_buffers(&pt, ops);
    params_free_table(&pt);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s STORE_DIR CKPT_DIR\n", argv[0]);
        return 2;
    }
    char path[2048];
    snprintf(path, sizeof path, "%s/store.h5", argv[1]);
    write_store(path, 0);
    snprintf(path, sizeof path, "%s/store_incomplete.h5", argv[1]);
    write_store(path, 1);
    snprintf(path, sizeof path, "%s/ckpt.h5", argv[2]);
    write_ckpt(path);
    return 0;
}
