/* Text-video interactions of spec/model.md §4 on host memory: dp with its
 * backward (a host island of the training step, drl_step.c), the evaluation
 * scoring of ti / wti on gathered normalised features, and helpers. The
 * token-wise training scoring (argmax kept, and its backward) is
 * drl/head_kernels.h, on any backend. */
#ifndef DRL_DRL_INTERACTION_H
#define DRL_DRL_INTERACTION_H

#include <stdint.h>

/* Index of a text's last valid token, len - 1 (PyTorch's len - 1 = -1 of an
 * empty mask wraps to the last position): the EOT feature of dp and xti. */
int drl_text_last_index(const int32_t *tm, int L);
/* rows (B) = a * L + drl_text_last_index(tm[a]) for tm (B, L): the EOT rows
 * of (B, L, D) features viewed as (B*L, D). */
void drl_eot_rows(int32_t *rows, const int32_t *tm, int B, int L);

/* ---- ti / wti --------------------------------------------------------- */
/* Scores already-normalised features (evaluation on gathered features):
 * the similarities of DrlHeadKernels.tokenwise_fwd; no argmax kept.
 * Only valid tokens x valid frames are multiplied (packed, cache-sized
 * tiles in parallel over OpenMP threads, each a single-threaded sgemm; the
 * OpenBLAS thread count is restored on return); a padded side adds the 0 of
 * its masked entries to the max, as the dense masked S does. scratch is no
 * longer used (kept for the callers; may be NULL). */
void tokenwise_score_normalised(float *sim, const float *tn, const int32_t *tm, const float *vn,
                                const int32_t *vm, const float *wt, const float *wv, int Bt, int Bv,
                                int L, int T, int D, float *scratch /* (L, Bv*T) */);
/* ti weights: wt[a,i] = tm[a,i] / sum_i tm[a,i] (0 when the row is empty). */
void ti_uniform_weights(float *w, const int32_t *mask, int B, int K);

/* Row L2 normalisation helpers (host): out (N, C) = x / ||x||, norm (N). */
void l2norm_rows(float *out, float *norm, const float *x, int N, int C);
/* dx (N, C) += (dy - y (y . dy)) / norm ; zero rows give zero gradient. */
void l2norm_rows_bwd(float *dx, const float *dy, const float *y, const float *norm, int N, int C);

#endif
