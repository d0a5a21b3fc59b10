#include "model/params.h"

#include <stdio.h>
#include <string.h>

#include "common/check.h"

void params_init(ParamTable *t) { memset(t, 0, sizeof *t); }

void params_free_table(ParamTable *t) {
    free(t->info);
    t->info = NULL;
    t->count = t->cap = 0;
    t->total = 0;
}

int params_add(ParamTable *t, const char *name, int ndim, const int64_t *shape) {
    drlCheck(ndim >= 0 && ndim <= DRL_PARAM_MAX_DIMS, "a parameter has at most 4 dimensions");
    drlCheck(strlen(name) < DRL_PARAM_NAME_MAX, "parameter name too long");
    if (params_find(t, name) >= 0) {
        fprintf(stderr, "error: parameter '%s' registered twice\n", name);
        drl_die(1);
    }
    if (t->count == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 64;
        ParamInfo *grown = realloc(t->info, (size_t)t->cap * sizeof *grown);
        drlCheck(grown != NULL, "out of memory growing the parameter table");
        t->info = grown;
    }
    ParamInfo *p = &t->info[t->count];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    p->ndim = ndim;
    p->numel = 1;
    for (int d = 0; d < ndim; d++) {
        drlCheck(shape[d] > 0, "parameter dimensions must be positive");
        p->shape[d] = shape[d];
        p->numel *= (size_t)shape[d];
    }
    p->offset = (t->total + 15) & ~(size_t)15;
    t->total = p->offset + p->numel;
    return t->count++;
}

int params_add_dims(ParamTable *t, const char *name, int ndim, int64_t d0, int64_t d1, int64_t d2,
                    int64_t d3) {
    int64_t shape[4] = {d0, d1, d2, d3};
    return params_add(t, name, ndim, shape);
}

int params_find(const ParamTable *t, const char *name) {
    for (int i = 0; i < t->count; i++)
        if (strcmp(t->info[i].name, name) == 0) return i;
    return -1;
}

float *params_at(const ParamTable *t, float *flat, int index) {
    drlCheck(index >= 0 && index < t->count, "parameter index out of range");
    return flat + t->info[index].offset;
}

float *params_named(const ParamTable *t, float *flat, const char *name) {
    int i = params_find(t, name);
    if (i < 0) {
        fprintf(stderr, "error: the model has no parameter named '%s'\n", name);
        drl_die(1);
    }
    return flat + t->info[i].offset;
}

void params_shape_str(const ParamInfo *p, char *buf, size_t len) {
    size_t used = 0;
    buf[0] = '\0';
    if (p->ndim == 0) snprintf(buf, len, "scalar");
    for (int d = 0; d < p->ndim && used < len; d++)
        used += (size_t)snprintf(buf + used, len - used, d ? "x%lld" : "%lld",
                                 (long long)p->shape[d]);
}
