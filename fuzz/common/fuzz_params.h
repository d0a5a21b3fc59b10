/* The small parameter table the checkpoint fuzz target reads and make_seeds
 * writes: names with a prefix, a 0-d scalar and 1..3-d tensors. */
#ifndef DRL_FUZZ_PARAMS_H
#define DRL_FUZZ_PARAMS_H

#include "model/params.h"

static inline void fuzz_params_table(ParamTable *pt) {
    params_init(pt);
    params_add_dims(pt, "clip.a", 2, 2, 3, 0, 0);
    params_add_dims(pt, "clip.b", 1, 4, 0, 0, 0);
    params_add_dims(pt, "logit_scale", 0, 0, 0, 0, 0);
    params_add_dims(pt, "head.w", 3, 3, 2, 2, 0);
}

#endif
