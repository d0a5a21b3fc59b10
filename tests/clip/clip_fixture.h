/* Helpers of the CLIP tests: golden HDF5 arrays, tolerances, building a CLIP
 * from a .pt archive. */
#ifndef DRL_TESTS_CLIP_FIXTURE_H
#define DRL_TESTS_CLIP_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "model/clip.h"
#include "model/params.h"
#include "ops/ops.h"

/* Folder of a fixture: $DRL_BINARY_DIR/<name>. */
void fixture_dir(char *buf, size_t len, const char *name);

/* Reads dataset `name` of an HDF5 file as float32 (or int32 when ints != 0)
 * into a new buffer; dims (up to 8) and ndim returned; dies if absent. */
void *golden_read(const char *path, const char *name, int ints, int *ndim, int64_t dims[8],
                  size_t *numel);
/* 1 if the dataset exists. */
int golden_has(const char *path, const char *name);

/* max |a - b| / max |b| (0 when both are 0). */
double rel_err(const float *a, const float *b, size_t n);

/* A model loaded from a .pt archive: table, CLIP, buffers, arena. */
typedef struct {
    ParamTable pt;
    Clip clip;
} ClipModel;
/* Dies with the loader's message on error. */
void clip_model_from_pt(ClipModel *m, const DrlOps *ops, const char *path, int max_frames,
                        int max_captions, int max_len);
void clip_model_free(ClipModel *m, const DrlOps *ops);

#endif
