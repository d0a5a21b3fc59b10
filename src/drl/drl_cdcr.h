/* Channel DeCorrelation Regularisation over the gathered batch
 * (spec/model.md §6): the dp variant and variants 1, 2, 3 of ti/wti.
 *
 * Where it runs. For ti / wti CDCR works in the model's backend memory: the
 * normalised features m->tn / m->vn, the weights m->wt / m->wv, gradients
 * into m->d_tn / m->d_vn / m->d_wt / m->d_wv, through the op table (row
 * gathers and scatters, the (D, D) products) and the head kernels (the
 * standardisation, row weights, the decorrelation loss), with the arena
 * m->cdcr_mem. Only the row indices are built on the host, from the masks
 * and the diagonal argmaxima (m->host.tm / vm / targ / varg), and uploaded.
 * dp is a host island: its features m->dp.t / m->dp.v are host memory, so
 * its CDCR runs the same code with the CPU op table and head kernels. */
#ifndef DRL_DRL_DRL_CDCR_H
#define DRL_DRL_DRL_CDCR_H

#include <stddef.h>
#include <stdint.h>

#include "drl/drl_model.h"

/* Gradient buffers given by the caller, accumulated into (+=); NULL where the
 * interaction has no such input. Backend memory for ti / wti, host for dp. */
typedef struct {
    float *dtn; /* (Bg, L, D) gradient on the normalised tokens (ti/wti) */
    float *dvn; /* (Bg, T, D) gradient on the normalised frames (ti/wti) */
    float *dt;  /* (Bg, D) gradient on the normalised text features (dp) */
    float *dv;  /* (Bg, D) gradient on the normalised video features (dp) */
    float *dwt; /* (Bg, L) gradient on the token weights (cdcr 3) */
    float *dwv; /* (Bg, T) gradient on the frame weights (cdcr 3) */
} CdcrGrads;

/* Bytes of the arena (backend memory for ti / wti, host for dp) CDCR needs
 * at most for Bg pairs (L = T = 1 for dp), and of the host arena for its row
 * indices. Both are allocated once by drl_model_alloc. */
size_t drl_cdcr_scratch_bytes(int Bg, int L, int T, int D);
size_t drl_cdcr_index_bytes(int Bg, int L, int T, int D);

/* Returns L_cdcr (unweighted). With backward, accumulates into g (already
 * multiplied by lambda; dwt / dwv for cdcr 3).
 * text_pick / video_pick (Bg, host): CDCR 1's token / frame indices, or NULL to
 * draw them from the model's generator (uniform_int[0, 10000) mod length). */
double drl_cdcr(DrlModel *m, int Bg, const int32_t *text_pick, const int32_t *video_pick,
                int backward, CdcrGrads *g);

#endif
