/* HDF5 checkpoints that PyTorch users can read by name.
 *
 * Layout: every parameter of a ParamTable is one float32 dataset named by
 * its state_dict name ("clip.visual.conv1.weight"), with its PyTorch shape
 * (a 0-d parameter is a scalar dataset). Other flat buffers with the same
 * layout (Adam moments) go into groups: "adam_m/<name>", "adam_v/<name>".
 * Scalars (step, epoch, RNG state, loader position) and the effective
 * configuration text ("config") are attributes of the root group. Any extra
 * array can be written by name ("rng/state", ...). h5py reads it as
 *   import h5py, torch
 *   f = h5py.File("ckpt.h5", "r")
 *   sd = {k: torch.tensor(v[()]) for k, v in f.items() if isinstance(v, h5py.Dataset)}
 *
 * Writing is crash-safe: everything goes to "<path>.tmp", which is flushed,
 * closed, fsync'ed and renamed over <path> by ckpt_commit (then the folder is
 * fsync'ed). A crash leaves either the old file or the new one.
 *
 * Reading checks names and shapes and reports every missing, extra or
 * mis-shaped tensor by name. The same reader loads a weights file written by
 * h5py (one float32 or float64 dataset per state_dict name). */
#ifndef DRL_CHECKPOINT_CKPT_H
#define DRL_CHECKPOINT_CKPT_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

#include "model/params.h"
#include "ops/ops.h"

#define CKPT_PATH_MAX 1100

typedef struct {
    hid_t file;
    char path[CKPT_PATH_MAX]; /* final name */
    char tmp[CKPT_PATH_MAX];  /* <path>.tmp, written first */
} CkptWriter;

/* Creates <path>.tmp (truncating a stale one). Dies with the path on failure. */
void ckpt_create(CkptWriter *w, const char *path);

/* Writes every tensor of `flat` (a backend buffer with pt's layout: data,
 * grad or a moment buffer) as datasets `<group>/<name>` (group NULL or "" =
 * root), copying tensor by tensor to the host through ops. */
void ckpt_write_params(CkptWriter *w, const char *group, const ParamTable *pt, const DrlOps *ops,
                       const float *flat);

/* A host float32 array of the given shape (ndim 0 = scalar) under `name`
 * ("a/b" creates group a). */
void ckpt_write_array(CkptWriter *w, const char *name, const float *host, int ndim,
                      const int64_t *shape);
/* A host int64 1-d array (RNG states, loader positions, ...). */
void ckpt_write_array_int64(CkptWriter *w, const char *name, const int64_t *host, size_t n);

/* Root attributes. */
void ckpt_write_attr_int64(CkptWriter *w, const char *name, int64_t v);
void ckpt_write_attr_double(CkptWriter *w, const char *name, double v);
void ckpt_write_attr_string(CkptWriter *w, const char *name, const char *v);

/* Flushes, closes, fsyncs, renames <path>.tmp to <path>, fsyncs the folder. */
void ckpt_commit(CkptWriter *w);
/* Closes and removes <path>.tmp (error paths). */
void ckpt_abort(CkptWriter *w);

/* ---- reading ------------------------------------------------------------ */
typedef struct {
    hid_t file;
    char path[CKPT_PATH_MAX];
} CkptReader;

typedef struct {
    const char *group;       /* NULL or "" = root; "adam_m", ... */
    const char *name_prefix; /* file dataset X is parameter name_prefix + X ("clip." for a
                                weights file of a bare CLIP); NULL = none */
    int allow_missing;       /* tensors of the table absent from the file keep their values */
    int allow_extra;         /* datasets that match no tensor are ignored */
    int *loaded;             /* optional (pt->count): 1 where the tensor was read */
} CkptReadOpts;

/* Opens a checkpoint read-only. Returns 0, or -1 with err naming the file. */
int ckpt_open(CkptReader *r, const char *path, char *err, size_t errlen);
void ckpt_close(CkptReader *r);

/* Reads tensors by name into `flat` (backend buffer with pt's layout).
 * Returns 0, or -1 with err listing the missing, extra and mis-shaped tensors
 * by name (nothing is read then), or naming a tensor that cannot be read or
 * holds a NaN/Inf (tensors before it are read then). */
int ckpt_read_params(CkptReader *r, const CkptReadOpts *opts, const ParamTable *pt,
                     const DrlOps *ops, float *flat, char *err, size_t errlen);

/* Arrays and root attributes; each returns 0, or -1 (with err) when absent or
 * of another size. The string is truncated to len - 1 bytes. */
int ckpt_read_array(CkptReader *r, const char *name, float *host, size_t numel, char *err,
                    size_t errlen);
int ckpt_read_array_int64(CkptReader *r, const char *name, int64_t *host, size_t n, char *err,
                          size_t errlen);
int ckpt_read_attr_int64(CkptReader *r, const char *name, int64_t *v);
int ckpt_read_attr_double(CkptReader *r, const char *name, double *v);
int ckpt_read_attr_string(CkptReader *r, const char *name, char *buf, size_t len);

#endif
