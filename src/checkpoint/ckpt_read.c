#include "checkpoint/ckpt.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/check.h"
#include "model/param_buffers.h"

int ckpt_open(CkptReader *r, const char *path, char *err, size_t errlen) {
    memset(r, 0, sizeof *r);
    snprintf(r->path, sizeof r->path, "%s", path);
    htri_t ok = H5Fis_hdf5(path);
    if (ok <= 0) {
        snprintf(err, errlen, "%s: not a readable HDF5 file", path);
        return -1;
    }
    r->file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (r->file < 0) {
        snprintf(err, errlen, "%s: cannot open as HDF5", path);
        return -1;
    }
    return 0;
}

void ckpt_close(CkptReader *r) {
    if (r->file > 0) H5Fclose(r->file);
    r->file = -1;
}

/* Appends to a bounded message. */
typedef struct {
    char *buf;
    size_t len, used;
    int items;
} Msg;

static void msg_add(Msg *m, const char *fmt, ...) {
    if (m->used >= m->len) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(m->buf + m->used, m->len - m->used, fmt, ap);
    va_end(ap);
    if (n > 0) m->used += (size_t)n;
    if (m->used > m->len) m->used = m->len;
}

static int exists(hid_t loc, const char *name) {
    /* H5Lexists fails on a missing intermediate group: check each level */
    char part[DRL_PARAM_NAME_MAX + 256];
    size_t n = strlen(name);
    if (n >= sizeof part) return 0;
    for (size_t i = 0; i <= n; i++) {
        if (name[i] == '/' || name[i] == '\0') {
            memcpy(part, name, i);
            part[i] = '\0';
            if (i > 0 && H5Lexists(loc, part, H5P_DEFAULT) <= 0) return 0;
        }
    }
    return 1;
}

static int is_dataset(hid_t loc, const char *name) {
    hid_t obj = H5Oopen(loc, name, H5P_DEFAULT);
    if (obj < 0) return 0;
    int ds = H5Iget_type(obj) == H5I_DATASET;
    H5Oclose(obj);
    return ds;
}

/* ndim and dims of a dataset; -1 if it is not a dataset. */
static int dataset_shape(hid_t loc, const char *name, int *ndim, hsize_t dims[8]) {
    if (!is_dataset(loc, name)) return -1;
    /* a corrupted file may fail any of these: report it as unreadable, not die */
    hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
    if (ds < 0) return -1;
    hid_t sp = H5Dget_space(ds);
    int nd = sp < 0 ? -1 : H5Sget_simple_extent_ndims(sp);
    if (nd > 8 || (nd > 0 && H5Sget_simple_extent_dims(sp, dims, NULL) < 0)) nd = -1;
    *ndim = nd;
    if (sp >= 0) H5Sclose(sp);
    H5Dclose(ds);
    return nd < 0 ? -1 : 0;
}

static void shape_str(char *buf, size_t len, int ndim, const hsize_t *dims) {
    size_t used = (size_t)snprintf(buf, len, "[");
    for (int d = 0; d < ndim && used < len; d++)
        used += (size_t)snprintf(buf + used, len - used, d ? ", %llu" : "%llu",
                                 (unsigned long long)dims[d]);
    if (used < len) snprintf(buf + used, len - used, "]");
}

typedef struct {
    const CkptReadOpts *opts;
    const ParamTable *pt;
    Msg *extra;
} ExtraScan;

static herr_t scan_extra(hid_t group, const char *name, const H5L_info_t *info, void *data) {
    ExtraScan *s = data;
    if (!is_dataset(group, name)) return 0;
    char full[DRL_PARAM_NAME_MAX + 256];
    snprintf(full, sizeof full, "%s%s", s->opts->name_prefix ? s->opts->name_prefix : "", name);
    if (params_find(s->pt, full) < 0) {
        if (s->extra->items < 20) msg_add(s->extra, "%s'%s'", s->extra->items ? ", " : "", name);
        s->extra->items++;
    }
    return 0;
}

int ckpt_read_params(CkptReader *r, const CkptReadOpts *opts, const ParamTable *pt,
                     const DrlOps *ops, float *flat, char *err, size_t errlen) {
    const CkptReadOpts none = {0};
    if (!opts) opts = &none;
    const char *prefix = opts->name_prefix ? opts->name_prefix : "";
    const size_t pl = strlen(prefix);
    hid_t loc = r->file;
    if (opts->group && opts->group[0]) {
        if (!exists(r->file, opts->group)) {
            snprintf(err, errlen, "%s: group '%s' is missing", r->path, opts->group);
            return -1;
        }
        loc = H5Gopen2(r->file, opts->group, H5P_DEFAULT);
        if (loc < 0) {
            snprintf(err, errlen, "%s: group '%s' cannot be opened (corrupted file?)", r->path,
                     opts->group);
            return -1;
        }
    }
    char missing_buf[2048] = "", shape_buf[2048] = "", extra_buf[2048] = "";
    Msg missing = {missing_buf, sizeof missing_buf, 0, 0};
    Msg badshape = {shape_buf, sizeof shape_buf, 0, 0};
    Msg extra = {extra_buf, sizeof extra_buf, 0, 0};
    /* pass 1: check */
    char *present = callocCheck((size_t)(pt->count ? pt->count : 1), 1); // (count)
    for (int i = 0; i < pt->count; i++) {
        const ParamInfo *p = &pt->info[i];
        if (strncmp(p->name, prefix, pl) != 0) {
            if (!opts->allow_missing) {
                if (missing.items < 20)
                    msg_add(&missing, "%s'%s'", missing.items ? ", " : "", p->name);
                missing.items++;
            }
            continue;
        }
        const char *dname = p->name + pl;
        int ndim = 0;
        hsize_t dims[8];
        if (!exists(loc, dname) || dataset_shape(loc, dname, &ndim, dims) != 0) {
            if (!opts->allow_missing) {
                if (missing.items < 20)
                    msg_add(&missing, "%s'%s'", missing.items ? ", " : "", dname);
                missing.items++;
            }
            continue;
        }
        int same = ndim == p->ndim;
        for (int d = 0; same && d < ndim; d++)
            same = dims[d] == (hsize_t)p->shape[d];
        if (!same) {
            char got[128], want[128];
            hsize_t wd[DRL_PARAM_MAX_DIMS];
            for (int d = 0; d < p->ndim; d++)
                wd[d] = (hsize_t)p->shape[d];
            shape_str(got, sizeof got, ndim, dims);
            shape_str(want, sizeof want, p->ndim, wd);
            if (badshape.items < 20)
                msg_add(&badshape, "%s'%s' is %s, expected %s", badshape.items ? "; " : "", dname,
                        got, want);
            badshape.items++;
            continue;
        }
        present[i] = 1;
    }
    if (!opts->allow_extra) {
        ExtraScan scan = {opts, pt, &extra};
        hsize_t idx = 0;
        if (H5Literate(loc, H5_INDEX_NAME, H5_ITER_NATIVE, &idx, scan_extra, &scan) < 0) {
            snprintf(err, errlen, "%s: cannot list the datasets (corrupted file?)", r->path);
            free(present);
            if (loc != r->file) H5Gclose(loc);
            return -1;
        }
    }
    if (missing.items || badshape.items || extra.items) {
        size_t used = (size_t)snprintf(err, errlen, "%s%s%s:", r->path,
                                       opts->group && opts->group[0] ? " group " : "",
                                       opts->group ? opts->group : "");
#define PART(m, label)                                                                             \
    if (m.items && used < errlen)                                                                  \
        used += (size_t)snprintf(err + used, errlen - used, " %d %s: %s%s.", m.items, label,       \
                                 m.buf, m.items > 20 ? ", ..." : "");
        PART(missing, "missing");
        PART(badshape, "mis-shaped");
        PART(extra, "extra (not in the model)");
#undef PART
        free(present);
        if (loc != r->file) H5Gclose(loc);
        return -1;
    }
    /* pass 2: read */
    size_t maxn = 1;
    for (int i = 0; i < pt->count; i++)
        if (present[i] && pt->info[i].numel > maxn) maxn = pt->info[i].numel;
    float *host = mallocCheck(maxn * sizeof(float)); // (largest tensor)
    int rc = 0;
    for (int i = 0; i < pt->count && rc == 0; i++) {
        if (opts->loaded) opts->loaded[i] = present[i];
        if (!present[i]) continue;
        /* a corrupted data block fails here (tensors before it are already read) */
        hid_t ds = H5Dopen2(loc, pt->info[i].name + pl, H5P_DEFAULT);
        if (ds < 0 || H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, host) < 0) {
            snprintf(err, errlen, "%s: cannot read '%s' (truncated or corrupted file?)", r->path,
                     pt->info[i].name + pl);
            rc = -1;
        } else {
            size_t bad = 0; /* a NaN/Inf would only surface later as a non-finite loss */
            while (bad < pt->info[i].numel && isfinite(host[bad]))
                bad++;
            if (bad < pt->info[i].numel) {
                snprintf(err, errlen, "%s: '%s' holds a non-finite value (%g) at element %zu",
                         r->path, pt->info[i].name + pl, (double)host[bad], bad);
                rc = -1;
            } else {
                params_upload(pt, ops, flat, i, host);
            }
        }
        if (ds >= 0) H5Dclose(ds);
    }
    free(host);
    free(present);
    if (loc != r->file) H5Gclose(loc);
    return rc;
}

static int read_array(CkptReader *r, const char *name, hid_t type, void *host, size_t numel,
                      char *err, size_t errlen) {
    int ndim = 0;
    hsize_t dims[8];
    if (!exists(r->file, name) || dataset_shape(r->file, name, &ndim, dims) != 0) {
        snprintf(err, errlen, "%s: dataset '%s' is missing", r->path, name);
        return -1;
    }
    size_t n = 1;
    for (int d = 0; d < ndim; d++)
        n *= (size_t)dims[d];
    if (n != numel) {
        snprintf(err, errlen, "%s: dataset '%s' has %zu elements, expected %zu", r->path, name, n,
                 numel);
        return -1;
    }
    hid_t ds = H5Dopen2(r->file, name, H5P_DEFAULT);
    herr_t rc = ds < 0 ? -1 : H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, host);
    if (ds >= 0) H5Dclose(ds);
    if (rc < 0) {
        snprintf(err, errlen, "%s: cannot read '%s' (truncated or corrupted file?)", r->path, name);
        return -1;
    }
    return 0;
}

int ckpt_read_array(CkptReader *r, const char *name, float *host, size_t numel, char *err,
                    size_t errlen) {
    return read_array(r, name, H5T_NATIVE_FLOAT, host, numel, err, errlen);
}

int ckpt_read_array_int64(CkptReader *r, const char *name, int64_t *host, size_t n, char *err,
                          size_t errlen) {
    return read_array(r, name, H5T_NATIVE_INT64, host, n, err, errlen);
}

static int read_attr(CkptReader *r, const char *name, hid_t type, void *v) {
    if (H5Aexists(r->file, name) <= 0) return -1;
    hid_t a = H5Aopen(r->file, name, H5P_DEFAULT);
    if (a < 0) return -1;
    herr_t rc = H5Aread(a, type, v);
    H5Aclose(a);
    return rc < 0 ? -1 : 0;
}

int ckpt_read_attr_int64(CkptReader *r, const char *name, int64_t *v) {
    return read_attr(r, name, H5T_NATIVE_INT64, v);
}

int ckpt_read_attr_double(CkptReader *r, const char *name, double *v) {
    return read_attr(r, name, H5T_NATIVE_DOUBLE, v);
}

int ckpt_read_attr_string(CkptReader *r, const char *name, char *buf, size_t len) {
    if (len == 0 || H5Aexists(r->file, name) <= 0) return -1;
    hid_t a = H5Aopen(r->file, name, H5P_DEFAULT); /* fails on a corrupted file */
    if (a < 0) return -1;
    hid_t ftype = H5Aget_type(a);
    if (ftype < 0) {
        H5Aclose(a);
        return -1;
    }
    int rc = -1;
    if (H5Tget_class(ftype) == H5T_STRING) {
        if (H5Tis_variable_str(ftype) > 0) {
            hid_t mtype = h5Check(H5Tcopy(H5T_C_S1));
            h5Check(H5Tset_size(mtype, H5T_VARIABLE));
            H5T_cset_t cset = H5Tget_cset(ftype);
            h5Check(H5Tset_cset(mtype, cset == H5T_CSET_UTF8 ? cset : H5T_CSET_ASCII));
            char *s = NULL;
            if (H5Aread(a, mtype, &s) >= 0 && s) {
                snprintf(buf, len, "%s", s);
                H5free_memory(s);
                rc = 0;
            }
            H5Tclose(mtype);
        } else {
            size_t n = H5Tget_size(ftype);
            if (n == 0 || n > ((size_t)1 << 24)) { /* 0 = error; 16 MiB: no real attribute */
                H5Tclose(ftype);
                H5Aclose(a);
                return -1;
            }
            char *tmp = callocCheck(n + 1, 1);
            hid_t mtype = h5Check(H5Tcopy(ftype));
            if (H5Aread(a, mtype, tmp) >= 0) {
                snprintf(buf, len, "%s", tmp);
                rc = 0;
            }
            H5Tclose(mtype);
            free(tmp);
        }
    }
    H5Tclose(ftype);
    H5Aclose(a);
    return rc;
}
