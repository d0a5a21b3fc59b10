/* Text-video interactions of spec/model.md §4 (dp, ti, wti) with their
 * backward. Inputs are the features after aggregation; the token-wise
 * interactions never materialise the (Bt, Bv, L, T) similarity tensor: they
 * score one text against all videos at a time and keep only argmax indices.
 * Host memory (CPU backend). */
#ifndef DRL_DRL_INTERACTION_H
#define DRL_DRL_INTERACTION_H

#include <stdint.h>

/* ---- dp --------------------------------------------------------------- */
typedef struct {
    int Bt, Bv, L, T, D;
    float *t_raw;   /* (Bt, D) Tf[a, len_a - 1] */
    float *t_norm;  /* (Bt) ||t_raw|| */
    float *t;       /* (Bt, D) normalised text features */
    float *vn_norm; /* (Bv, T) frame norms */
    float *vn;      /* (Bv, T, D) normalised frames */
    float *v_mean;  /* (Bv, D) masked mean of vn */
    float *v_norm;  /* (Bv) ||v_mean|| */
    float *v;       /* (Bv, D) normalised video features */
} DpCache;

void dp_cache_alloc(DpCache *c, int Bt, int Bv, int L, int T, int D);
void dp_cache_free(DpCache *c);
/* sim (Bt, Bv) = t_a . v_b */
void dp_forward(DpCache *c, float *sim, const float *Tf, const int32_t *tm, const float *Vf,
                const int32_t *vm);
/* Accumulates dTf (Bt, L, D), dVf (Bv, T, D) from dsim (Bt, Bv) and from
 * optional direct gradients on the normalised features dt (Bt, D), dv (Bv, D)
 * (CDCR's dp variant uses them; NULL when absent). */
void dp_backward(const DpCache *c, float *dTf, float *dVf, const float *dsim, const float *dt,
                 const float *dv, const int32_t *tm, const int32_t *vm);

/* ---- ti / wti --------------------------------------------------------- */
typedef struct {
    int Bt, Bv, L, T, D;
    int keep_argmax;     /* training: keep the argmax indices for backward */
    float *tn, *tn_norm; /* (Bt, L, D), (Bt, L) normalised tokens, their norms */
    float *vn, *vn_norm; /* (Bv, T, D), (Bv, T) normalised frames */
    float *t2v_max;      /* (Bt, Bv, L) max_j S */
    float *v2t_max;      /* (Bt, Bv, T) max_i S */
    int16_t *t2v_arg;    /* (Bt, Bv, L) argmax_j (first maximal) */
    int16_t *v2t_arg;    /* (Bt, Bv, T) argmax_i (first maximal) */
    float *scratch;      /* (L, Bv * T) one text's similarity block */
} TokenwiseCache;

void tokenwise_cache_alloc(TokenwiseCache *c, int Bt, int Bv, int L, int T, int D, int keep_argmax);
void tokenwise_cache_free(TokenwiseCache *c);
/* wt (Bt, L), wv (Bv, T): token weights (wti: softmax weights; ti: mask / count).
 * sim (Bt, Bv) = (sum_i wt max_j S + sum_j wv max_i S) / 2.
 * Normalises Tf, Vf into the cache. */
void tokenwise_forward(TokenwiseCache *c, float *sim, const float *Tf, const int32_t *tm,
                       const float *Vf, const int32_t *vm, const float *wt, const float *wv);
/* Scores already-normalised features (evaluation on gathered features):
 * same similarities as tokenwise_forward but tn/vn given; no argmax kept.
 * Only valid tokens x valid frames are multiplied (packed, cache-sized
 * tiles in parallel over OpenMP threads, each a single-threaded sgemm; the
 * OpenBLAS thread count is restored on return); a padded side adds the 0 of
 * its masked entries to the max, as the dense masked S does. scratch is no
 * longer used (kept for the callers; may be NULL). */
void tokenwise_score_normalised(float *sim, const float *tn, const int32_t *tm, const float *vn,
                                const int32_t *vm, const float *wt, const float *wv, int Bt, int Bv,
                                int L, int T, int D, float *scratch /* (L, Bv*T) */);
/* Backward from dsim (Bt, Bv): accumulates dTf (Bt, L, D), dVf (Bv, T, D),
 * dwt (Bt, L), dwv (Bv, T) (NULL to skip), plus optional direct gradients on
 * the normalised features dtn (Bt, L, D), dvn (Bv, T, D) from CDCR. */
void tokenwise_backward(const TokenwiseCache *c, float *dTf, float *dVf, float *dwt, float *dwv,
                        const float *dsim, const float *dtn, const float *dvn, const int32_t *tm,
                        const int32_t *vm, const float *wt, const float *wv);

/* ti weights: wt[a,i] = tm[a,i] / sum_i tm[a,i] (0 when the row is empty). */
void ti_uniform_weights(float *w, const int32_t *mask, int B, int K);

/* Row L2 normalisation helpers (host): out (N, C) = x / ||x||, norm (N). */
void l2norm_rows(float *out, float *norm, const float *x, int N, int C);
/* dx (N, C) += (dy - y (y . dy)) / norm ; zero rows give zero gradient. */
void l2norm_rows_bwd(float *dx, const float *dy, const float *y, const float *norm, int N, int C);

#endif
