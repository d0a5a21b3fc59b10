/* dp through the op table (drl_dp.h). */
#include "drl/drl_dp.h"

#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "drl/interaction.h"
#include "drl/scratch.h"

size_t drl_dp_alloc(DrlDp *dp, const DrlOps *ops, int Bg, int T, int D) {
    const size_t B = (size_t)Bg, BD = sizeof(float) * B * D, BTD = BD * (size_t)T;
    size_t n = 0;
    memset(dp, 0, sizeof *dp);
    dp->eot_idx_h = callocCheck(B, sizeof(int32_t));
    dp->eot_idx = drl_alloc_counted(ops, sizeof(int32_t) * B, &n);
    dp->t_raw = drl_alloc_counted(ops, BD, &n);
    dp->t = drl_alloc_counted(ops, BD, &n);
    dp->t_norm = drl_alloc_counted(ops, sizeof(float) * B, &n);
    dp->vn = drl_alloc_counted(ops, BTD, &n);
    dp->vn_norm = drl_alloc_counted(ops, sizeof(float) * B * T, &n);
    dp->v_mean = drl_alloc_counted(ops, BD, &n);
    dp->v = drl_alloc_counted(ops, BD, &n);
    dp->v_norm = drl_alloc_counted(ops, sizeof(float) * B, &n);
    dp->dt = drl_alloc_counted(ops, BD, &n);
    dp->dv = drl_alloc_counted(ops, BD, &n);
    dp->dt_raw = drl_alloc_counted(ops, BD, &n);
    dp->dv_mean = drl_alloc_counted(ops, BD, &n);
    dp->dvn = drl_alloc_counted(ops, BTD, &n);
    return n;
}

void drl_dp_free(DrlDp *dp, const DrlOps *ops) {
    void *bufs[] = {dp->eot_idx, dp->t_raw,  dp->t,       dp->t_norm, dp->vn,
                    dp->vn_norm, dp->v_mean, dp->v,       dp->v_norm, dp->dt,
                    dp->dv,      dp->dt_raw, dp->dv_mean, dp->dvn};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        if (bufs[i]) ops->free(bufs[i]);
    free(dp->eot_idx_h);
    memset(dp, 0, sizeof *dp);
}

void drl_dp_forward(DrlDp *dp, const DrlOps *ops, float *sim, const float *tf_g,
                    const int32_t *tm_host, const float *vf_g, const int32_t *vm_g, int Bg, int L,
                    int T, int D) {
    drl_eot_rows(dp->eot_idx_h, tm_host, Bg, L);
    ops->to_device(dp->eot_idx, dp->eot_idx_h, sizeof(int32_t) * (size_t)Bg);
    ops->embedding_fwd(dp->t_raw, dp->eot_idx, tf_g, Bg, D);
    ops->l2norm_fwd(dp->t, dp->t_norm, dp->t_raw, Bg, D);
    ops->l2norm_fwd(dp->vn, dp->vn_norm, vf_g, Bg * T, D);
    ops->masked_mean_fwd(dp->v_mean, dp->vn, vm_g, Bg, T, D);
    ops->l2norm_fwd(dp->v, dp->v_norm, dp->v_mean, Bg, D);
    ops->linear_fwd(sim, dp->t, dp->v, NULL, Bg, D, Bg); // (Bg, Bg) = t v^T
    ops->zero(dp->dt, sizeof(float) * (size_t)Bg * D);
    ops->zero(dp->dv, sizeof(float) * (size_t)Bg * D);
}

void drl_dp_backward(DrlDp *dp, const DrlOps *ops, float *d_tf_g, float *d_vf_g, const float *dsim,
                     const int32_t *vm_g, int Bg, int T, int D) {
    const size_t BD = sizeof(float) * (size_t)Bg * D;
    /* dt += dsim v ; dv += dsim^T t */
    ops->linear_bwd(dp->dt, dp->dv, NULL, dsim, dp->t, dp->v, Bg, D, Bg);
    ops->zero(dp->dt_raw, BD);
    ops->l2norm_bwd(dp->dt_raw, dp->dt, dp->t, dp->t_norm, Bg, D);
    ops->embedding_bwd(d_tf_g, dp->dt_raw, dp->eot_idx, Bg, D);
    ops->zero(dp->dv_mean, BD);
    ops->l2norm_bwd(dp->dv_mean, dp->dv, dp->v, dp->v_norm, Bg, D);
    ops->zero(dp->dvn, BD * (size_t)T);
    ops->masked_mean_bwd(dp->dvn, dp->dv_mean, vm_g, Bg, T, D);
    ops->l2norm_bwd(d_vf_g, dp->dvn, dp->vn, dp->vn_norm, Bg * T, D);
}
