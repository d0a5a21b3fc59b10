#include "model/param_buffers.h"

#include "common/check.h"

void params_alloc_buffers(ParamTable *t, const DrlOps *ops) {
    drlCheck(t->data == NULL && t->grad == NULL, "parameter buffers are allocated once");
    size_t bytes = (t->total ? t->total : 1) * sizeof(float);
    t->data = ops->alloc(bytes); // (total)
    t->grad = ops->alloc(bytes); // (total)
    drlCheck(t->data != NULL && t->grad != NULL, "out of memory for the parameter buffers");
}

void params_free_buffers(ParamTable *t, const DrlOps *ops) {
    if (t->data) ops->free(t->data);
    if (t->grad) ops->free(t->grad);
    t->data = t->grad = NULL;
}

void params_upload(const ParamTable *t, const DrlOps *ops, float *flat, int index,
                   const float *host) {
    ops->to_device(params_at(t, flat, index), host, t->info[index].numel * sizeof(float));
}

void params_download(const ParamTable *t, const DrlOps *ops, float *flat, int index, float *host) {
    ops->to_host(host, params_at(t, flat, index), t->info[index].numel * sizeof(float));
}

size_t params_count_scalars(const ParamTable *t) {
    size_t n = 0;
    for (int i = 0; i < t->count; i++)
        n += t->info[i].numel;
    return n;
}
