/* The heads' kernels (src/drl/head_kernels.h) on device pointers: the
 * token-wise ti / wti training scoring with maxima kept, and its backward.
 * drl_model_set_head_kernels(m, drl_cuda_head_kernels()) goes with a model
 * on drl_cuda_ops(). Deterministic, no atomics. */
#ifndef DRL_CUDA_CUDA_HEADS_H
#define DRL_CUDA_CUDA_HEADS_H

#include "drl/head_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

const DrlHeadKernels *drl_cuda_head_kernels(void);

#ifdef __cplusplus
}
#endif

#endif
