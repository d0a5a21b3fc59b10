/* Channel DeCorrelation Regularisation over the gathered batch
 * (spec/model.md §6): the dp variant and variants 1, 2, 3 of ti/wti. */
#ifndef DRL_DRL_DRL_CDCR_H
#define DRL_DRL_DRL_CDCR_H

#include <stdint.h>

#include "drl/drl_model.h"

typedef struct {
    float *dtn; /* (Bg, L, D) gradient on the normalised tokens (ti/wti), malloc'ed */
    float *dvn; /* (Bg, T, D) gradient on the normalised frames (ti/wti) */
    float *dt;  /* (Bg, D) gradient on the normalised text features (dp) */
    float *dv;  /* (Bg, D) gradient on the normalised video features (dp) */
} CdcrGrads;

/* Returns L_cdcr (unweighted). With backward, fills g (buffers malloc'ed,
 * already multiplied by lambda) and accumulates into m->d_wt / m->d_wv (cdcr 3).
 * text_pick / video_pick (Bg): CDCR 1's token / frame indices, or NULL to
 * draw them from the model's generator (uniform_int[0, 10000) mod length). */
double drl_cdcr(DrlModel *m, int Bg, const int32_t *text_pick, const int32_t *video_pick,
                int backward, CdcrGrads *g);

#endif
