/* The dp interaction of spec/model.md §4 in backend memory, through the op
 * table: the EOT text rows gathered from the gathered text features, L2
 * normalised; the frames L2 normalised, mean-pooled over the valid frames
 * and normalised again; sim (Bg, Bg) = t v^T. The backward takes dsim and
 * the gradients CDCR's dp variant left on the normalised features (dt, dv). */
#ifndef DRL_DRL_DRL_DP_H
#define DRL_DRL_DRL_DP_H

#include <stddef.h>
#include <stdint.h>

#include "ops/ops.h"

typedef struct {
    int32_t *eot_idx;        /* (Bg) row a * L + the last valid token of text a */
    int32_t *eot_idx_h;      /* (Bg) its host staging */
    float *t_raw, *t;        /* (Bg, D) EOT rows, normalised */
    float *t_norm;           /* (Bg) */
    float *vn, *vn_norm;     /* (Bg, T, D), (Bg, T) normalised frames */
    float *v_mean, *v;       /* (Bg, D) masked mean of vn, normalised */
    float *v_norm;           /* (Bg) */
    float *dt, *dv;          /* (Bg, D) gradients on t and v (CDCR's, then the loss's) */
    float *dt_raw, *dv_mean; /* (Bg, D) */
    float *dvn;              /* (Bg, T, D) */
} DrlDp;

/* Backend buffers for Bg pairs; returns the bytes allocated. */
size_t drl_dp_alloc(DrlDp *dp, const DrlOps *ops, int Bg, int T, int D);
void drl_dp_free(DrlDp *dp, const DrlOps *ops);

/* sim (Bg, Bg) from tf_g (Bg, L, D), vf_g (Bg, T, D), vm_g (Bg, T) (backend)
 * and the text mask tm (Bg, L) on the host (the EOT positions). Zeroes dt, dv. */
void drl_dp_forward(DrlDp *dp, const DrlOps *ops, float *sim, const float *tf_g,
                    const int32_t *tm_host, const float *vf_g, const int32_t *vm_g, int Bg, int L,
                    int T, int D);
/* d_tf_g (Bg, L, D) and d_vf_g (Bg, T, D) += from dsim (Bg, Bg) and dp->dt, dp->dv. */
void drl_dp_backward(DrlDp *dp, const DrlOps *ops, float *d_tf_g, float *d_vf_g, const float *dsim,
                     const int32_t *vm_g, int Bg, int T, int D);

#endif
