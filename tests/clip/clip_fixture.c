#include "clip_fixture.h"

#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint/clip_import.h"
#include "common/check.h"
#include "model/param_buffers.h"

void fixture_dir(char *buf, size_t len, const char *name) {
    const char *bin = getenv("DRL_BINARY_DIR");
    snprintf(buf, len, "%s/%s", bin ? bin : ".", name);
}

int golden_has(const char *path, const char *name) {
    hid_t f = h5Check(H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT));
    int ok = H5Lexists(f, name, H5P_DEFAULT) > 0;
    H5Fclose(f);
    return ok;
}

void *golden_read(const char *path, const char *name, int ints, int *ndim, int64_t dims[8],
                  size_t *numel) {
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        fprintf(stderr, "error: cannot open the golden file %s\n", path);
        exit(1);
    }
    if (H5Lexists(f, name, H5P_DEFAULT) <= 0) {
        fprintf(stderr, "error: %s has no dataset '%s'\n", path, name);
        exit(1);
    }
    hid_t ds = h5Check(H5Dopen2(f, name, H5P_DEFAULT));
    hid_t sp = h5Check(H5Dget_space(ds));
    int nd = h5Check(H5Sget_simple_extent_ndims(sp));
    hsize_t hd[8] = {0};
    if (nd > 0) h5Check(H5Sget_simple_extent_dims(sp, hd, NULL));
    size_t n = 1;
    for (int d = 0; d < nd; d++) {
        dims[d] = (int64_t)hd[d];
        n *= (size_t)hd[d];
    }
    void *buf = mallocCheck((n ? n : 1) * 4);
    h5Check(H5Dread(ds, ints ? H5T_NATIVE_INT32 : H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                    buf));
    H5Sclose(sp);
    H5Dclose(ds);
    H5Fclose(f);
    *ndim = nd;
    *numel = n;
    return buf;
}

double rel_err(const float *a, const float *b, size_t n) {
    double maxd = 0, maxb = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        if (!(d <= maxd)) maxd = d; /* NaN propagates */
        if (fabs((double)b[i]) > maxb) maxb = fabs((double)b[i]);
    }
    return maxb > 0 ? maxd / maxb : maxd;
}

void clip_model_from_pt(ClipModel *m, const DrlOps *ops, const char *path, int max_frames,
                        int max_captions, int max_len) {
    char err[2048];
    ClipPt f;
    if (clip_pt_open(&f, path, err, sizeof err) != 0) {
        fprintf(stderr, "error: %s\n", err);
        exit(1);
    }
    ClipShape s;
    if (clip_pt_shape(&f, &s, err, sizeof err) != 0) {
        fprintf(stderr, "error: %s\n", err);
        exit(1);
    }
    params_init(&m->pt);
    clip_init(&m->clip, &m->pt, &s);
    params_alloc_buffers(&m->pt, ops);
    if (clip_pt_copy(&f, &m->pt, ops, m->pt.data, err, sizeof err) != 0) {
        fprintf(stderr, "error: %s\n", err);
        exit(1);
    }
    clip_pt_close(&f);
    clip_alloc(&m->clip, ops, &m->pt, max_frames, max_captions, max_len);
}

void clip_model_free(ClipModel *m, const DrlOps *ops) {
    clip_free(&m->clip, ops);
    params_free_buffers(&m->pt, ops);
    params_free_table(&m->pt);
}
