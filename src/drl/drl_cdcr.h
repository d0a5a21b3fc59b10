/* Channel DeCorrelation Regularisation over the gathered batch
 * (spec/model.md §6): the dp variant and variants 1, 2, 3 of ti/wti. A host
 * island of the step (drl_step.c): it reads the host mirrors m->host (masks,
 * normalised features tn / vn, the diagonal argmaxima targ / varg, weights
 * wt / wv) and m->dp, and writes host gradients. */
#ifndef DRL_DRL_DRL_CDCR_H
#define DRL_DRL_DRL_CDCR_H

#include <stdint.h>

#include "drl/drl_model.h"

/* Host gradient buffers given by the caller, zeroed; NULL where the
 * interaction has no such input. */
typedef struct {
    float *dtn; /* (Bg, L, D) gradient on the normalised tokens (ti/wti) */
    float *dvn; /* (Bg, T, D) gradient on the normalised frames (ti/wti) */
    float *dt;  /* (Bg, D) gradient on the normalised text features (dp) */
    float *dv;  /* (Bg, D) gradient on the normalised video features (dp) */
    float *dwt; /* (Bg, L) gradient on the token weights (cdcr 3) */
    float *dwv; /* (Bg, T) gradient on the frame weights (cdcr 3) */
} CdcrGrads;

/* Returns L_cdcr (unweighted). With backward, accumulates into g (already
 * multiplied by lambda; dwt / dwv for cdcr 3).
 * text_pick / video_pick (Bg, host): CDCR 1's token / frame indices, or NULL to
 * draw them from the model's generator (uniform_int[0, 10000) mod length). */
/* Host scratch bytes drl_cdcr needs at most for Bg pairs (m->host.cdcr,
 * allocated once by drl_model_alloc; temporaries cost no malloc). */
size_t drl_cdcr_scratch_bytes(int Bg, int L, int T, int D);

double drl_cdcr(DrlModel *m, int Bg, const int32_t *text_pick, const int32_t *video_pick,
                int backward, CdcrGrads *g);

#endif
