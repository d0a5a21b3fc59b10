#include "search/index_h5.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"

/* Reports a failed HDF5 call on `what` of the index file and returns -1. */
#define IDX_TRY(call, what)                                                                        \
    do {                                                                                           \
        if ((call) < 0) {                                                                          \
            snprintf(err, errlen, "%s: %s failed", path_of(x), what);                              \
            return -1;                                                                             \
        }                                                                                          \
    } while (0)

static const char *path_of(const FeatureIndex *x) {
    return x->path;
}

static hid_t make_dataset(hid_t file, const char *name, hid_t type, int rank, const hsize_t *dims,
                          const hsize_t *chunk) {
    hid_t sp = H5Screate_simple(rank, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (dims[0] > 0) H5Pset_chunk(dcpl, rank, chunk);
    hid_t ds = H5Dcreate2(file, name, type, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5Pclose(dcpl);
    H5Sclose(sp);
    return ds;
}

static int put_str_attr(hid_t obj, const char *name, const char *value) {
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    int rc = a < 0 ? -1 : H5Awrite(a, t, &value);
    if (a >= 0) H5Aclose(a);
    H5Sclose(sp), H5Tclose(t);
    return rc < 0 ? -1 : 0;
}

static int put_i64_attr(hid_t obj, const char *name, int64_t v) {
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, H5T_STD_I64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
    int rc = a < 0 ? -1 : H5Awrite(a, H5T_NATIVE_INT64, &v);
    if (a >= 0) H5Aclose(a);
    H5Sclose(sp);
    return rc < 0 ? -1 : 0;
}

static char *get_str_attr(hid_t obj, const char *name) {
    if (H5Aexists(obj, name) <= 0) return NULL;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0) return NULL;
    hid_t ft = H5Aget_type(a);
    char *out = NULL;
    if (H5Tget_class(ft) == H5T_STRING && H5Tis_variable_str(ft) > 0) {
        hid_t t = H5Tcopy(H5T_C_S1);
        H5Tset_size(t, H5T_VARIABLE);
        H5Tset_cset(t, H5Tget_cset(ft));
        char *v = NULL;
        if (H5Aread(a, t, &v) >= 0 && v) {
            out = strdup(v);
            H5free_memory(v);
        }
        H5Tclose(t);
    }
    H5Tclose(ft);
    H5Aclose(a);
    return out;
}

static int get_i64_attr(hid_t obj, const char *name, int64_t *v) {
    if (H5Aexists(obj, name) <= 0) return -1;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0) return -1;
    int rc = H5Aread(a, H5T_NATIVE_INT64, v);
    H5Aclose(a);
    return rc < 0 ? -1 : 0;
}

int index_create(FeatureIndex *x, const char *path, int64_t N, int T, int D, int L, int64_t block,
                 int has_weights, const char *const *ids, const int64_t *store_index,
                 const char *config, const char *checkpoint, const char *store,
                 const char *interaction, char *err, size_t errlen) {
    memset(x, 0, sizeof *x);
    x->features = x->masks = x->pooled = x->weights = x->store_index = -1;
    x->N = N, x->T = T, x->D = D, x->L = L, x->block = block, x->has_weights = has_weights;
    snprintf(x->path, sizeof x->path, "%s", path);
    x->file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (x->file < 0) {
        snprintf(err, errlen, "%s: cannot create the index file", path);
        return -1;
    }
    const hsize_t cb = (hsize_t)(block < N ? block : (N > 0 ? N : 1));
    hsize_t d3[3] = {(hsize_t)N, (hsize_t)T, (hsize_t)D}, c3[3] = {cb, (hsize_t)T, (hsize_t)D};
    hsize_t d2t[2] = {(hsize_t)N, (hsize_t)T}, c2t[2] = {cb, (hsize_t)T};
    hsize_t d2d[2] = {(hsize_t)N, (hsize_t)D}, c2d[2] = {cb, (hsize_t)D};
    hsize_t d1[1] = {(hsize_t)N}, c1[1] = {cb};
    x->features = make_dataset(x->file, "features", H5T_IEEE_F32LE, 3, d3, c3);
    x->masks = make_dataset(x->file, "masks", H5T_STD_I32LE, 2, d2t, c2t);
    x->pooled = make_dataset(x->file, "pooled", H5T_IEEE_F32LE, 2, d2d, c2d);
    x->store_index = make_dataset(x->file, "store_index", H5T_STD_I64LE, 1, d1, c1);
    if (has_weights)
        x->weights = make_dataset(x->file, "video_weights", H5T_IEEE_F32LE, 2, d2t, c2t);
    if (x->features < 0 || x->masks < 0 || x->pooled < 0 || x->store_index < 0 ||
        (has_weights && x->weights < 0)) {
        snprintf(err, errlen, "%s: cannot create the index datasets", path);
        return -1;
    }
    hid_t st = H5Tcopy(H5T_C_S1);
    H5Tset_size(st, H5T_VARIABLE);
    H5Tset_cset(st, H5T_CSET_UTF8);
    hid_t ids_ds = make_dataset(x->file, "ids", st, 1, d1, c1);
    int rc =
        ids_ds < 0 ? -1 : (N > 0 ? H5Dwrite(ids_ds, st, H5S_ALL, H5S_ALL, H5P_DEFAULT, ids) : 0);
    if (ids_ds >= 0) H5Dclose(ids_ds);
    H5Tclose(st);
    if (rc >= 0 && N > 0)
        rc = H5Dwrite(x->store_index, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, store_index);
    if (rc < 0 || put_str_attr(x->file, "config", config) ||
        put_str_attr(x->file, "checkpoint", checkpoint) || put_str_attr(x->file, "store", store) ||
        put_str_attr(x->file, "interaction", interaction) ||
        put_i64_attr(x->file, "max_words", L) || put_i64_attr(x->file, "max_frames", T) ||
        put_i64_attr(x->file, "dim", D) || put_i64_attr(x->file, "count", N) ||
        put_i64_attr(x->file, "block", block)) {
        snprintf(err, errlen, "%s: cannot write the ids or the attributes", path);
        return -1;
    }
    return 0;
}

/* Reads (write = 0) or writes rows [start, start + n) of a dataset whose rows
 * hold `row` elements of mem_type. */
static int rows_io(hid_t ds, hid_t mem_type, int write, int64_t start, int64_t n, void *buf) {
    if (n == 0) return 0;
    hid_t fs = H5Dget_space(ds);
    int rank = H5Sget_simple_extent_ndims(fs);
    hsize_t dims[3] = {0}, off[3] = {0}, cnt[3] = {0};
    H5Sget_simple_extent_dims(fs, dims, NULL);
    for (int k = 0; k < rank; k++)
        cnt[k] = dims[k];
    off[0] = (hsize_t)start, cnt[0] = (hsize_t)n;
    int rc = -1;
    if (start >= 0 && (hsize_t)(start + n) <= dims[0] &&
        H5Sselect_hyperslab(fs, H5S_SELECT_SET, off, NULL, cnt, NULL) >= 0) {
        hid_t ms = H5Screate_simple(rank, cnt, NULL);
        rc = write ? H5Dwrite(ds, mem_type, ms, fs, H5P_DEFAULT, buf)
                   : H5Dread(ds, mem_type, ms, fs, H5P_DEFAULT, buf);
        H5Sclose(ms);
    }
    H5Sclose(fs);
    return rc < 0 ? -1 : 0;
}

int index_write_rows(FeatureIndex *x, int64_t start, int64_t n, const float *vf, const int32_t *vm,
                     const float *pooled, const float *wv, char *err, size_t errlen) {
    IDX_TRY(rows_io(x->features, H5T_NATIVE_FLOAT, 1, start, n, (void *)vf), "writing /features");
    IDX_TRY(rows_io(x->masks, H5T_NATIVE_INT32, 1, start, n, (void *)vm), "writing /masks");
    IDX_TRY(rows_io(x->pooled, H5T_NATIVE_FLOAT, 1, start, n, (void *)pooled), "writing /pooled");
    if (x->has_weights && wv)
        IDX_TRY(rows_io(x->weights, H5T_NATIVE_FLOAT, 1, start, n, (void *)wv),
                "writing /video_weights");
    return 0;
}

static int check_dims(hid_t ds, int rank, const hsize_t *want) {
    hid_t fs = H5Dget_space(ds);
    hsize_t dims[3] = {0};
    int ok = H5Sget_simple_extent_ndims(fs) == rank;
    if (ok) H5Sget_simple_extent_dims(fs, dims, NULL);
    for (int k = 0; ok && k < rank; k++)
        ok = dims[k] == want[k];
    H5Sclose(fs);
    return ok;
}

int index_open(FeatureIndex *x, const char *path, char *err, size_t errlen) {
    memset(x, 0, sizeof *x);
    x->features = x->masks = x->pooled = x->weights = x->store_index = -1;
    snprintf(x->path, sizeof x->path, "%s", path);
    H5E_BEGIN_TRY {
        x->file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    }
    H5E_END_TRY;
    if (x->file < 0) {
        snprintf(err, errlen, "%s: cannot open as an HDF5 file", path);
        return -1;
    }
    int64_t N = -1, T = -1, D = -1, L = -1, block = -1;
    if (get_i64_attr(x->file, "count", &N) || get_i64_attr(x->file, "max_frames", &T) ||
        get_i64_attr(x->file, "dim", &D) || get_i64_attr(x->file, "max_words", &L) ||
        get_i64_attr(x->file, "block", &block) || N < 0 || T < 1 || D < 1 || L < 2 || block < 1) {
        snprintf(err, errlen,
                 "%s: not a drl_index feature index (expected the root attributes count, "
                 "max_frames, dim, max_words, block)",
                 path);
        return -1;
    }
    x->N = N, x->T = (int)T, x->D = (int)D, x->L = (int)L, x->block = block;
    x->config = get_str_attr(x->file, "config");
    x->checkpoint = get_str_attr(x->file, "checkpoint");
    x->store = get_str_attr(x->file, "store");
    x->interaction = get_str_attr(x->file, "interaction");
    if (!x->config || !x->checkpoint || !x->interaction) {
        snprintf(err, errlen, "%s: missing the string attribute config, checkpoint or interaction",
                 path);
        return -1;
    }
    H5E_BEGIN_TRY {
        x->features = H5Dopen2(x->file, "features", H5P_DEFAULT);
        x->masks = H5Dopen2(x->file, "masks", H5P_DEFAULT);
        x->pooled = H5Dopen2(x->file, "pooled", H5P_DEFAULT);
        x->store_index = H5Dopen2(x->file, "store_index", H5P_DEFAULT);
        x->weights = H5Lexists(x->file, "video_weights", H5P_DEFAULT) > 0
                         ? H5Dopen2(x->file, "video_weights", H5P_DEFAULT)
                         : -1;
    }
    H5E_END_TRY;
    x->has_weights = x->weights >= 0;
    hsize_t f[3] = {(hsize_t)N, (hsize_t)T, (hsize_t)D}, m[2] = {(hsize_t)N, (hsize_t)T};
    hsize_t p[2] = {(hsize_t)N, (hsize_t)D};
    if (x->features < 0 || x->masks < 0 || x->pooled < 0 || !check_dims(x->features, 3, f) ||
        !check_dims(x->masks, 2, m) || !check_dims(x->pooled, 2, p) ||
        (x->has_weights && !check_dims(x->weights, 2, m))) {
        snprintf(err, errlen,
                 "%s: expected /features (%lld, %lld, %lld), /masks and /video_weights (%lld, "
                 "%lld), /pooled (%lld, %lld)",
                 path, (long long)N, (long long)T, (long long)D, (long long)N, (long long)T,
                 (long long)N, (long long)D);
        return -1;
    }
    return 0;
}

int index_read_rows(FeatureIndex *x, int64_t start, int64_t n, float *vf, int32_t *vm,
                    float *pooled, float *wv, char *err, size_t errlen) {
    if (vf) IDX_TRY(rows_io(x->features, H5T_NATIVE_FLOAT, 0, start, n, vf), "reading /features");
    if (vm) IDX_TRY(rows_io(x->masks, H5T_NATIVE_INT32, 0, start, n, vm), "reading /masks");
    if (pooled)
        IDX_TRY(rows_io(x->pooled, H5T_NATIVE_FLOAT, 0, start, n, pooled), "reading /pooled");
    if (wv) {
        if (!x->has_weights) {
            snprintf(err, errlen, "%s: no /video_weights (built for another interaction)", x->path);
            return -1;
        }
        IDX_TRY(rows_io(x->weights, H5T_NATIVE_FLOAT, 0, start, n, wv), "reading /video_weights");
    }
    return 0;
}

char *index_read_id(FeatureIndex *x, int64_t i, char *err, size_t errlen) {
    hid_t ds = H5Dopen2(x->file, "ids", H5P_DEFAULT);
    if (ds < 0) {
        snprintf(err, errlen, "%s: no /ids", x->path);
        return NULL;
    }
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    char *v = NULL, *out = NULL;
    if (rows_io(ds, t, 0, i, 1, &v) == 0 && v) {
        out = strdup(v);
        H5free_memory(v);
    } else {
        snprintf(err, errlen, "%s: cannot read /ids[%lld]", x->path, (long long)i);
    }
    H5Tclose(t);
    H5Dclose(ds);
    return out;
}

void index_close(FeatureIndex *x) {
    hid_t ds[5] = {x->features, x->masks, x->pooled, x->weights, x->store_index};
    for (int k = 0; k < 5; k++)
        if (ds[k] >= 0) H5Dclose(ds[k]);
    if (x->file >= 0) H5Fclose(x->file);
    free(x->config), free(x->checkpoint), free(x->store), free(x->interaction);
    memset(x, 0, sizeof *x);
    x->file = -1;
}
