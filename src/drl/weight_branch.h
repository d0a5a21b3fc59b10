/* WTI token-weight branches (spec/model.md §4): f = Linear(D,1) (arch 1),
 * Linear(D,D) ReLU Linear(D,1) (arch 2), Linear(D,D) ReLU Linear(D,D) ReLU
 * Linear(D,1) (arch 3), named `<prefix>.0`, `.2`, `.4` like the reference's
 * nn.Sequential; then a masked softmax over the sequence. */
#ifndef DRL_DRL_WEIGHT_BRANCH_H
#define DRL_DRL_WEIGHT_BRANCH_H

#include <stdint.h>

#include "model/params.h"
#include "ops/ops.h"

typedef struct {
    int arch, D, layers; /* layers = arch linear layers */
    int w[3], b[3];      /* parameter indices per linear layer */
    int maxN;            /* rows: sequences x positions */
    float *hid[2];       /* (maxN, D) pre-ReLU outputs of the hidden layers */
    float *act[2];       /* (maxN, D) post-ReLU */
    float *logit;        /* (maxN) */
    float *dh;           /* (maxN, D) scratch */
    float *da;           /* (maxN, D) scratch */
    float *dlogit;       /* (maxN) */
} WeightBranch;

void weight_branch_init(WeightBranch *wb, ParamTable *pt, const char *prefix, int arch, int D);
void weight_branch_alloc(WeightBranch *wb, const DrlOps *ops, int maxN);
void weight_branch_free(WeightBranch *wb, const DrlOps *ops);
/* Normal(0, 0.02) weights, zero biases, on the host copy of the flat buffer. */
void weight_branch_init_params(const WeightBranch *wb, const ParamTable *pt, float *host_flat,
                               void *rng /* DrlRng* */);
/* x (B, K, D) unnormalised features, mask (B, K) -> w (B, K) = masked softmax. */
void weight_branch_fwd(WeightBranch *wb, const DrlOps *ops, const ParamTable *pt, const float *x,
                       const int32_t *mask, int B, int K, float *w);
/* From dw (B, K) and the forward's w: accumulates dx (B, K, D) and the parameter grads. */
void weight_branch_bwd(WeightBranch *wb, const DrlOps *ops, const ParamTable *pt, const float *x,
                       const float *w, const float *dw, int B, int K, float *dx);

#endif
