/* Backend memory for a ParamTable's flat buffers (data, grad) and host
 * transfers of single tensors. The table's layout is fixed once every tensor
 * is registered; allocate after the last params_add. */
#ifndef DRL_MODEL_PARAM_BUFFERS_H
#define DRL_MODEL_PARAM_BUFFERS_H

#include "model/params.h"
#include "ops/ops.h"

/* Allocates t->data and t->grad (t->total floats each, zero-filled) with
 * ops->alloc. Dies if already allocated. */
void params_alloc_buffers(ParamTable *t, const DrlOps *ops);
void params_free_buffers(ParamTable *t, const DrlOps *ops);

/* Copies host (numel) into tensor `index` of the flat backend buffer `flat`. */
void params_upload(const ParamTable *t, const DrlOps *ops, float *flat, int index,
                   const float *host);
/* Copies tensor `index` of `flat` into host (numel). */
void params_download(const ParamTable *t, const DrlOps *ops, float *flat, int index, float *host);

/* Number of scalars (sum of numel, without alignment padding). */
size_t params_count_scalars(const ParamTable *t);

#endif
