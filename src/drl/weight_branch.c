#include "drl/weight_branch.h"

#include <stdio.h>
#include <string.h>

#include "common/check.h"
#include "model/rng.h"

void weight_branch_init(WeightBranch *wb, ParamTable *pt, const char *prefix, int arch, int D) {
    memset(wb, 0, sizeof *wb);
    drlCheck(arch >= 1 && arch <= 3, "wti_arch must be 1, 2 or 3");
    wb->arch = arch, wb->D = D, wb->layers = arch;
    char name[DRL_PARAM_NAME_MAX];
    for (int l = 0; l < arch; l++) {
        int out = (l == arch - 1) ? 1 : D;
        snprintf(name, sizeof name, "%s.%d.weight", prefix, 2 * l);
        wb->w[l] = params_add_dims(pt, name, 2, out, D, 0, 0);
        snprintf(name, sizeof name, "%s.%d.bias", prefix, 2 * l);
        wb->b[l] = params_add_dims(pt, name, 1, out, 0, 0, 0);
    }
}

void weight_branch_alloc(WeightBranch *wb, const DrlOps *ops, int maxN) {
    wb->maxN = maxN;
    for (int l = 0; l < 2; l++) {
        wb->hid[l] = ops->alloc(sizeof(float) * (size_t)maxN * wb->D);
        wb->act[l] = ops->alloc(sizeof(float) * (size_t)maxN * wb->D);
    }
    wb->logit = ops->alloc(sizeof(float) * (size_t)maxN);
    wb->dh = ops->alloc(sizeof(float) * (size_t)maxN * wb->D);
    wb->da = ops->alloc(sizeof(float) * (size_t)maxN * wb->D);
    wb->dlogit = ops->alloc(sizeof(float) * (size_t)maxN);
}

void weight_branch_free(WeightBranch *wb, const DrlOps *ops) {
    for (int l = 0; l < 2; l++)
        ops->free(wb->hid[l]), ops->free(wb->act[l]);
    ops->free(wb->logit), ops->free(wb->dh), ops->free(wb->da), ops->free(wb->dlogit);
}

void weight_branch_init_params(const WeightBranch *wb, const ParamTable *pt, float *host_flat,
                               void *rng) {
    for (int l = 0; l < wb->layers; l++) {
        const ParamInfo *w = &pt->info[wb->w[l]];
        rng_normal((DrlRng *)rng, host_flat + w->offset, w->numel, 0.0f, 0.02f);
        memset(host_flat + pt->info[wb->b[l]].offset, 0, sizeof(float) * pt->info[wb->b[l]].numel);
    }
}

void weight_branch_fwd(WeightBranch *wb, const DrlOps *ops, const ParamTable *pt, const float *x,
                       const int32_t *mask, int B, int K, float *w) {
    const int N = B * K, D = wb->D;
    drlCheck(N <= wb->maxN, "weight branch: more rows than allocated");
    const float *in = x;
    for (int l = 0; l < wb->layers; l++) {
        const float *W = params_at(pt, pt->data, wb->w[l]);
        const float *bias = params_at(pt, pt->data, wb->b[l]);
        if (l == wb->layers - 1) {
            ops->linear_fwd(wb->logit, in, W, bias, N, D, 1);
        } else {
            ops->linear_fwd(wb->hid[l], in, W, bias, N, D, D);
            ops->relu_fwd(wb->act[l], wb->hid[l], (size_t)N * D);
            in = wb->act[l];
        }
    }
    ops->softmax_fwd(w, wb->logit, mask, B, K);
}

void weight_branch_bwd(WeightBranch *wb, const DrlOps *ops, const ParamTable *pt, const float *x,
                       const float *w, const float *dw, int B, int K, float *dx) {
    const int N = B * K, D = wb->D;
    ops->zero(wb->dlogit, sizeof(float) * (size_t)N);
    ops->softmax_bwd(wb->dlogit, dw, w, B, K);
    const float *dout = wb->dlogit;
    int out_dim = 1;
    for (int l = wb->layers - 1; l >= 0; l--) {
        const float *W = params_at(pt, pt->data, wb->w[l]);
        float *dW = params_at(pt, pt->grad, wb->w[l]);
        float *db = params_at(pt, pt->grad, wb->b[l]);
        const float *in = l == 0 ? x : wb->act[l - 1];
        float *din = l == 0 ? dx : wb->da;
        if (l > 0) ops->zero(wb->da, sizeof(float) * (size_t)N * D);
        ops->linear_bwd(din, dW, db, dout, in, W, N, D, out_dim);
        if (l > 0) {
            ops->zero(wb->dh, sizeof(float) * (size_t)N * D);
            ops->relu_bwd(wb->dh, wb->da, wb->hid[l - 1], (size_t)N * D);
            dout = wb->dh;
            out_dim = D;
        }
    }
}
