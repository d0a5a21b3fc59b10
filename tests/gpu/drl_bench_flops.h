/* Model FLOPs of one DRL training step, for the benchmark's model FLOP
 * utilisation: the matrix products and attention of the CLIP towers, the
 * seqTransf blocks, the WTI weight branches, the token-wise similarities and
 * the CDCR correlations, forward and backward (backward counted as twice the
 * forward, the usual convention), without recomputation. Elementwise work,
 * norms and softmaxes are not counted. */
#ifndef DRL_TESTS_GPU_DRL_BENCH_FLOPS_H
#define DRL_TESTS_GPU_DRL_BENCH_FLOPS_H

#include <stdint.h>

#include "drl/drl_model.h"

/* B pairs; tm (B, L) and vm (B, T) host masks (CDCR rows are the valid
 * tokens and frames). */
double drl_step_model_flops(const DrlModel *m, int B, const int32_t *tm, const int32_t *vm);

#endif
