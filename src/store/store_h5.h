/* Internal helpers of the store: error messages that name the file and the
 * dataset (with HDF5's innermost error), silencing HDF5's automatic stack
 * printing while the store works, string and vlen types. */
#ifndef DRL_STORE_STORE_H5_H
#define DRL_STORE_STORE_H5_H

#include <hdf5.h>
#include <stddef.h>

/* "store PATH: OBJ: message[: HDF5 detail]" into err. with_h5 appends the
 * most specific message of HDF5's current error stack. */
void store_errf(char *err, size_t errlen, const char *path, const char *obj, int with_h5,
                const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Turns HDF5's automatic error printing off, remembering the old handler. */
typedef struct {
    H5E_auto2_t func;
    void *data;
} StoreH5Quiet;
void store_h5_quiet_begin(StoreH5Quiet *q);
void store_h5_quiet_end(const StoreH5Quiet *q);

/* Variable-length UTF-8 string type (caller closes). */
hid_t store_h5_vlen_string_type(void);

/* Writes a 1-D dataset of n elements of mem_type as file_type at name
 * (created in loc). Returns 0 or -1. */
int store_h5_write_1d(hid_t loc, const char *name, hid_t file_type, hid_t mem_type, size_t n,
                      const void *data, const char *path, char *err, size_t errlen);

/* Attribute helpers on loc; return 0 or -1 with err. */
int store_h5_attr_write(hid_t loc, const char *name, hid_t type, const void *value,
                        const char *path, char *err, size_t errlen);
int store_h5_attr_write_string(hid_t loc, const char *name, const char *value, const char *path,
                               char *err, size_t errlen);

#endif
