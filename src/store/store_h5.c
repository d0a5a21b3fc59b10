#include "store/store_h5.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    char desc[256];
    int found;
} InnermostError;

static herr_t take_innermost(unsigned n, const H5E_error2_t *e, void *data) {
    InnermostError *ie = data;
    if (!ie->found && e->desc) {
        snprintf(ie->desc, sizeof ie->desc, "%s (%s)", e->desc, e->func_name ? e->func_name : "?");
        ie->found = 1;
    }
    return 0;
}

void store_errf(char *err, size_t errlen, const char *path, const char *obj, int with_h5,
                const char *fmt, ...) {
    if (!err || errlen == 0) return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    InnermostError ie = {.found = 0};
    if (with_h5) H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, take_innermost, &ie);
    snprintf(err, errlen, "store %s: %s%s%s%s%s", path ? path : "?", obj ? obj : "",
             obj ? ": " : "", msg, ie.found ? ": HDF5: " : "", ie.found ? ie.desc : "");
    if (with_h5) H5Eclear2(H5E_DEFAULT);
}

void store_h5_quiet_begin(StoreH5Quiet *q) {
    q->func = NULL;
    q->data = NULL;
    H5Eget_auto2(H5E_DEFAULT, &q->func, &q->data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

void store_h5_quiet_end(const StoreH5Quiet *q) {
    H5Eset_auto2(H5E_DEFAULT, q->func, q->data);
}

hid_t store_h5_vlen_string_type(void) {
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0) return t;
    if (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

int store_h5_write_1d(hid_t loc, const char *name, hid_t file_type, hid_t mem_type, size_t n,
                      const void *data, const char *path, char *err, size_t errlen) {
    hsize_t dims[1] = {n};
    hid_t space = H5Screate_simple(1, dims, NULL);
    if (space < 0) {
        store_errf(err, errlen, path, name, 1, "cannot create a dataspace of %zu elements", n);
        return -1;
    }
    hid_t d = H5Dcreate2(loc, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int rc = 0;
    if (d < 0) {
        store_errf(err, errlen, path, name, 1, "cannot create the dataset");
        rc = -1;
    } else if (n > 0 && H5Dwrite(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) {
        store_errf(err, errlen, path, name, 1, "cannot write %zu elements", n);
        rc = -1;
    }
    if (d >= 0 && H5Dclose(d) < 0 && rc == 0) {
        store_errf(err, errlen, path, name, 1, "cannot close the dataset");
        rc = -1;
    }
    H5Sclose(space);
    return rc;
}

int store_h5_attr_write(hid_t loc, const char *name, hid_t type, const void *value,
                        const char *path, char *err, size_t errlen) {
    hid_t space = H5Screate(H5S_SCALAR);
    if (space < 0) {
        store_errf(err, errlen, path, name, 1, "cannot create a scalar dataspace");
        return -1;
    }
    int rc = 0;
    if (H5Aexists(loc, name) > 0) H5Adelete(loc, name);
    hid_t a = H5Acreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0 || H5Awrite(a, type, value) < 0) {
        store_errf(err, errlen, path, name, 1, "cannot write the attribute");
        rc = -1;
    }
    if (a >= 0) H5Aclose(a);
    H5Sclose(space);
    return rc;
}

int store_h5_attr_write_string(hid_t loc, const char *name, const char *value, const char *path,
                               char *err, size_t errlen) {
    hid_t t = store_h5_vlen_string_type();
    if (t < 0) {
        store_errf(err, errlen, path, name, 1, "cannot create a string type");
        return -1;
    }
    int rc = store_h5_attr_write(loc, name, t, &value, path, err, errlen);
    H5Tclose(t);
    return rc;
}
