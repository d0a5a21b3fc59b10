/* Host mirrors of the DRL step's "host islands" (drl_step.c): the small
 * computations that stay host C code on every backend (mask conversions, ti's
 * uniform weights, logit_scale, CDCR's row choice, xti's loss on its scores)
 * read and write these buffers; copies to and from the model's
 * backend buffers go through ops->to_host / ops->to_device (memcpy on the CPU
 * backend). Allocated once by drl_model_alloc, sized for the configuration
 * (NULL where the configuration does not need a buffer). */
#ifndef DRL_DRL_DRL_HOST_H
#define DRL_DRL_DRL_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "drl/scratch.h"
#include "model/params.h"
#include "ops/ops.h"

typedef struct {
    /* masks */
    int32_t *vm_local;        /* (Bl, T) the batch's video mask */
    float *keymask;           /* (Bl, T) seqTransf additive key mask */
    int32_t *tm, *vm;         /* (Bg, L), (Bg, T) gathered masks */
    int32_t *pick_t, *pick_v; /* (Bg) CDCR 1 picks */
    /* xti's loss on its scores */
    float *sim, *sim_vt;            /* (Bg, Bg) */
    float *logits_t2v, *logits_v2t; /* (Bg, Bg) */
    float *dZ, *dsim, *dsim2;       /* (Bg, Bg) */
    /* ti's uniform token weights */
    float *wt, *wv; /* (Bg, L), (Bg, T) */
    /* CDCR's row choice (variants 2 and 3) */
    int16_t *targ, *varg; /* (Bg, L), (Bg, T) argmaxima of the diagonal pairs (a, a) */
    /* xti */
    float *xti_score; /* (P) the second pass's scores; evaluation's chunk */
    DrlScratch cdcr;  /* CDCR's row indices (drl_cdcr_index_bytes) */
    /* gradient accumulation scratch */
    float *gtmp; /* (gtmp_n) */
    size_t gtmp_n;
} DrlHost;

void drl_host_free(DrlHost *h);

/* dst (n) host = tensor `index` of flat (data or grad, backend memory). */
void drl_host_get_param(const DrlOps *ops, const ParamTable *pt, const float *flat, int index,
                        float *dst);
/* grad[index] += g (host, numel floats), through the host scratch h->gtmp. */
void drl_host_add_grad(DrlHost *h, const DrlOps *ops, const ParamTable *pt, int index,
                       const float *g);

#endif
