#include "checkpoint/ckpt.h"

#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/check.h"

void ckpt_create(CkptWriter *w, const char *path) {
    memset(w, 0, sizeof *w);
    int n = snprintf(w->path, sizeof w->path, "%s", path);
    int m = snprintf(w->tmp, sizeof w->tmp, "%s.tmp", path);
    drlCheck(n > 0 && m > 0 && m < (int)sizeof w->tmp, "checkpoint path too long");
    w->file = H5Fcreate(w->tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (w->file < 0) {
        fprintf(stderr, "error: cannot create the checkpoint file '%s' (is the folder writable?)\n",
                w->tmp);
        drl_die(1);
    }
}

/* Link-creation properties that create intermediate groups ("adam_m/x"). */
static hid_t lcpl_groups(void) {
    hid_t lcpl = h5Check(H5Pcreate(H5P_LINK_CREATE));
    h5Check(H5Pset_create_intermediate_group(lcpl, 1));
    return lcpl;
}

static void write_dataset(CkptWriter *w, const char *name, hid_t type, const void *host, int ndim,
                          const int64_t *shape) {
    hsize_t dims[8];
    drlCheck(ndim >= 0 && ndim <= 8, "a checkpoint array has at most 8 dimensions");
    for (int d = 0; d < ndim; d++)
        dims[d] = (hsize_t)shape[d];
    hid_t space =
        ndim == 0 ? h5Check(H5Screate(H5S_SCALAR)) : h5Check(H5Screate_simple(ndim, dims, NULL));
    hid_t lcpl = lcpl_groups();
    hid_t ds = H5Dcreate2(w->file, name, type, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    if (ds < 0) {
        fprintf(stderr, "error: cannot create dataset '%s' in '%s' (written twice?)\n", name,
                w->tmp);
        drl_die(1);
    }
    h5Check(H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, host));
    h5Check(H5Dclose(ds));
    h5Check(H5Pclose(lcpl));
    h5Check(H5Sclose(space));
}

void ckpt_write_array(CkptWriter *w, const char *name, const float *host, int ndim,
                      const int64_t *shape) {
    write_dataset(w, name, H5T_NATIVE_FLOAT, host, ndim, shape);
}

void ckpt_write_array_int64(CkptWriter *w, const char *name, const int64_t *host, size_t n) {
    int64_t shape[1] = {(int64_t)n};
    write_dataset(w, name, H5T_NATIVE_INT64, host, 1, shape);
}

void ckpt_write_params(CkptWriter *w, const char *group, const ParamTable *pt, const DrlOps *ops,
                       const float *flat) {
    size_t maxn = 1;
    for (int i = 0; i < pt->count; i++)
        if (pt->info[i].numel > maxn) maxn = pt->info[i].numel;
    float *host = mallocCheck(maxn * sizeof(float)); // (largest tensor)
    for (int i = 0; i < pt->count; i++) {
        const ParamInfo *p = &pt->info[i];
        char name[DRL_PARAM_NAME_MAX + 128];
        if (group && group[0])
            snprintf(name, sizeof name, "%s/%s", group, p->name);
        else
            snprintf(name, sizeof name, "%s", p->name);
        ops->to_host(host, flat + p->offset, p->numel * sizeof(float));
        write_dataset(w, name, H5T_NATIVE_FLOAT, host, p->ndim, p->shape);
    }
    free(host);
}

static void write_attr(CkptWriter *w, const char *name, hid_t type, const void *v) {
    if (H5Aexists(w->file, name) > 0) h5Check(H5Adelete(w->file, name));
    hid_t space = h5Check(H5Screate(H5S_SCALAR));
    hid_t a = h5Check(H5Acreate2(w->file, name, type, space, H5P_DEFAULT, H5P_DEFAULT));
    h5Check(H5Awrite(a, type, v));
    h5Check(H5Aclose(a));
    h5Check(H5Sclose(space));
}

void ckpt_write_attr_int64(CkptWriter *w, const char *name, int64_t v) {
    write_attr(w, name, H5T_NATIVE_INT64, &v);
}

void ckpt_write_attr_double(CkptWriter *w, const char *name, double v) {
    write_attr(w, name, H5T_NATIVE_DOUBLE, &v);
}

void ckpt_write_attr_string(CkptWriter *w, const char *name, const char *v) {
    hid_t type = h5Check(H5Tcopy(H5T_C_S1));
    h5Check(H5Tset_size(type, H5T_VARIABLE));
    h5Check(H5Tset_cset(type, H5T_CSET_UTF8));
    write_attr(w, name, type, &v);
    h5Check(H5Tclose(type));
}

static void fsync_path(const char *path, int flags) {
    int fd = open(path, flags);
    sysCheck(fd >= 0, "cannot reopen the checkpoint to sync it");
    sysCheck(fsync(fd) == 0, "fsync of the checkpoint failed (disk full?)");
    sysCheck(close(fd) == 0, "close after fsync failed");
}

void ckpt_commit(CkptWriter *w) {
    h5Check(H5Fflush(w->file, H5F_SCOPE_GLOBAL));
    h5Check(H5Fclose(w->file));
    w->file = -1;
    fsync_path(w->tmp, O_RDONLY);
    if (rename(w->tmp, w->path) != 0) {
        fprintf(stderr, "error: cannot rename '%s' to '%s': %s\n", w->tmp, w->path,
                strerror(errno));
        drl_die(1);
    }
    char dir[CKPT_PATH_MAX];
    snprintf(dir, sizeof dir, "%s", w->path);
    fsync_path(dirname(dir), O_RDONLY | O_DIRECTORY);
}

void ckpt_abort(CkptWriter *w) {
    if (w->file >= 0) H5Fclose(w->file);
    w->file = -1;
    unlink(w->tmp);
}
