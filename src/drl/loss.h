/* Symmetric InfoNCE of spec/model.md §5 and the CDCR correlation loss of §6. */
#ifndef DRL_DRL_LOSS_H
#define DRL_DRL_LOSS_H

#include <stdint.h>

#include "drl/head_kernels.h"

/* CE(Z) = mean_a -log softmax(Z[a, :])[a] over a (B, B) matrix.
 * Returns CE; accumulates gscale * dCE/dZ into dZ (B, B) when dZ != NULL. */
double cross_entropy_diag(const float *Z, float *dZ, int B, float gscale);

/* CDCR's pieces on host memory, the CPU entries of the head-kernel table
 * (drl/head_kernels.h gives the semantics; the variance is over max(N-1, 1)
 * and a channel whose variance is <= 1e-12 is divided by 1 and passes no
 * gradient through its sd, tests/reference/README.md: never NaN). */
void corr_standardise_fwd(float *z, float *sd, uint8_t *degen, const float *x, int N, int D);
void corr_standardise_bwd(float *dx, const float *dz, const float *z, const float *sd,
                          const uint8_t *degen, int N, int D);
void corr_rows_scale(float *x, const float *w, int N, int D);
void corr_rows_dot_add(float *out, const float *a, const float *b, int N, int D);
/* The head-kernel entry of decorrelation_loss: result[0] = L. */
void corr_decorrelation(double *result, const float *C, int D, float alpha1, float alpha2,
                        float *dC, float gscale);

/* The head-kernel entries of the symmetric InfoNCE on host memory (the
 * workspace is dZ, (B, B) floats). */
size_t clip_loss_ws_bytes_cpu(int B);
void clip_loss_cpu(const DrlClipLoss *cl);

/* L = alpha1 sum_i (C_ii - 1)^2 + alpha2 sum_{i != j} C_ij^2; dC (D, D) = dL/dC * gscale. */
double decorrelation_loss(const float *C, int D, float alpha1, float alpha2, float *dC,
                          float gscale);

/* One direction of the training loss: Z (B, B) = e * s (or e * s^T when
 * transpose_in), returns weight * CE(Z); when ds != NULL accumulates dL/ds
 * into ds (B, B) (in s's own layout) and dL/dlogit_scale into *dls, using
 * dZ (B, B) as scratch. */
double scaled_ce_loss(const float *s, float *Z, float *dZ, float *ds, double *dls, int B, float e,
                      float weight, int transpose_in);

#endif
