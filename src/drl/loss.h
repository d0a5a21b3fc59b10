/* Symmetric InfoNCE of spec/model.md §5 and the CDCR correlation loss of §6. */
#ifndef DRL_DRL_LOSS_H
#define DRL_DRL_LOSS_H

#include "drl/scratch.h"

/* CE(Z) = mean_a -log softmax(Z[a, :])[a] over a (B, B) matrix.
 * Returns CE; accumulates gscale * dCE/dZ into dZ (B, B) when dZ != NULL. */
double cross_entropy_diag(const float *Z, float *dZ, int B, float gscale);

/* Standardised cross-correlation of two row sets, spec §6:
 * za = std(A), zb = std(B) per channel over the N rows (unbiased sd),
 * C (D, D) = sum_r w_r za_r^T zb_r / divisor (w NULL = all ones).
 * The variance is over max(N - 1, 1); a channel whose variance is <= 1e-12
 * (a constant channel, a batch of one) is divided by 1 and passes no
 * gradient through its sd (tests/reference/README.md): never NaN. */
typedef struct {
    int N, D;
    float divisor;
    const float *w;                   /* (N) or NULL, borrowed */
    float *za, *zb;                   /* (N, D) standardised rows */
    float *sda, *sdb;                 /* (D) the sd used (1 where degenerate) */
    unsigned char *degen_a, *degen_b; /* (D) 1 where the sd was degenerate */
    float *C;                         /* (D, D) */
} CorrCache;

/* The cache's buffers and the temporaries come from the scratch s (valid
 * until its reset): corr_scratch_bytes(N, D) bytes for forward and backward. */
void corr_forward(CorrCache *c, DrlScratch *s, const float *A, const float *Bm, const float *w,
                  int N, int D, float divisor);
/* From dC (D, D): accumulates dA (N, D), dB (N, D), dw (N) (NULL to skip). */
void corr_backward(const CorrCache *c, DrlScratch *s, const float *dC, float *dA, float *dB,
                   float *dw);
size_t corr_scratch_bytes(int N, int D);

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
