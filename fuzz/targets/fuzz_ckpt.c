/* libFuzzer target for the checkpoint reader: the input bytes are written to
 * a temp file (byte-level mutations of a small real checkpoint made by
 * make_seeds), opened with ckpt_open and read with ckpt_read_params into a
 * small ParamTable (root, the adam_m group, a prefixed bare-CLIP read), plus
 * an int64 array and the root attributes. HDF5's error stack is silenced. */
#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint/ckpt.h"
#include "fuzz/common/fuzz_params.h"
#include "fuzz/common/fuzz_tmpfile.h"
#include "model/param_buffers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void read_params(CkptReader *r, const CkptReadOpts *opts, const ParamTable *pt,
                        const DrlOps *ops, float *flat) {
    char err[8192];
    err[0] = '\0';
    if (ckpt_read_params(r, opts, pt, ops, flat, err, sizeof err) != 0)
        fuzz_check_err(err, sizeof err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    char path[512];
    fuzz_tmp_path(path, sizeof path, "ckpt.h5");
    if (fuzz_write_file(path, data, size) != 0) return 0;
    const DrlOps *ops = drl_cpu_ops();
    ParamTable pt;
    fuzz_params_table(&pt);
    params_alloc_buffers(&pt, ops);
    CkptReader r;
    char err[1024];
    err[0] = '\0';
    if (ckpt_open(&r, path, err, sizeof err) == 0) {
        read_params(&r, NULL, &pt, ops, pt.data);
        CkptReadOpts adam = {.group = "adam_m", .allow_missing = 1, .allow_extra = 1};
        read_params(&r, &adam, &pt, ops, pt.grad);
        int loaded[4] = {0};
        CkptReadOpts bare = {.name_prefix = "clip.", .allow_missing = 1, .loaded = loaded};
        read_params(&r, &bare, &pt, ops, pt.data);
        int64_t state[4]; // (4)
        err[0] = '\0';
        if (ckpt_read_array_int64(&r, "rng/state", state, 4, err, sizeof err) != 0)
            fuzz_check_err(err, sizeof err);
        float arr[6]; // (2, 3)
        err[0] = '\0';
        if (ckpt_read_array(&r, "clip.a", arr, 6, err, sizeof err) != 0)
            fuzz_check_err(err, sizeof err);
        int64_t step;
        double lr;
        char text[256];
        (void)ckpt_read_attr_int64(&r, "step", &step);
        (void)ckpt_read_attr_double(&r, "lr", &lr);
        if (ckpt_read_attr_string(&r, "config", text, sizeof text) == 0 &&
            memchr(text, '\0', sizeof text) == NULL)
            __builtin_trap();
        ckpt_close(&r);
    } else {
        fuzz_check_err(err, sizeof err);
    }
    params_free_buffers(&pt, ops);
    params_free_table(&pt);
    unlink(path);
    return 0;
}
