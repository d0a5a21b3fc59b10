/* Flat parameter memory with a name table. Every parameter of the model
 * lives in one buffer; a table maps the reference's PyTorch state_dict name
 * (e.g. "clip.visual.conv1.weight") to its shape and offset. Gradients and
 * Adam moments use the same layout, so averaging is one collective and the
 * update is one loop. Shapes are PyTorch's. */
#ifndef DRL_MODEL_PARAMS_H
#define DRL_MODEL_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#define DRL_PARAM_NAME_MAX 128
#define DRL_PARAM_MAX_DIMS 4

typedef struct {
    char name[DRL_PARAM_NAME_MAX]; /* reference state_dict name */
    int ndim;
    int64_t shape[DRL_PARAM_MAX_DIMS];
    size_t offset; /* in floats, into the flat buffers */
    size_t numel;
} ParamInfo;

typedef struct {
    ParamInfo *info; /* (count) */
    int count;
    int cap;
    size_t total; /* floats in the flat buffers */
    float *data;  /* (total) parameters, backend memory, NULL until params_alloc */
    float *grad;  /* (total) gradients, backend memory */
} ParamTable;

void params_init(ParamTable *t);
void params_free_table(ParamTable *t); /* frees the name table only */

/* Registers a tensor; returns its index. Offsets are assigned in order and
 * aligned to 16 floats. Dies on a duplicate name. */
int params_add(ParamTable *t, const char *name, int ndim, const int64_t *shape);
/* Convenience for up to 4 dims: params_add_dims(t, name, ndim, d0, d1, d2, d3) */
int params_add_dims(ParamTable *t, const char *name, int ndim, int64_t d0, int64_t d1, int64_t d2,
                    int64_t d3);

/* Index of a name, or -1. */
int params_find(const ParamTable *t, const char *name);
/* Pointer to a tensor inside a flat buffer (data, grad or a moment buffer). */
float *params_at(const ParamTable *t, float *flat, int index);
/* Pointer by name; dies naming the tensor when absent. */
float *params_named(const ParamTable *t, float *flat, const char *name);

/* "1x3x32x32" */
void params_shape_str(const ParamInfo *p, char *buf, size_t len);

#endif
