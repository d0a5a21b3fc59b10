/* BertAdam (src/drl/optim.h) with the flat parameter, gradient and moment
 * buffers on the device: the same schedule, clipping and update as
 * bertadam_step, with the tensor norms and the element update in CUDA
 * kernels (cuda_adam.cu). Host state (steps, learning rates, the last norm)
 * stays in the BertAdam struct; its host moments opt->m, opt->v are not used.
 * Tensors with opt->fp16 set (model.clip_precision "fp16", spec §11) follow
 * optim.c's fp16 path: gradient, moments, update and parameter rounded to
 * fp16 after every operation, fp16 tensor norms in the clipping. With a
 * registered bf16 copy of params (drl_cuda_register_param_shadow) the
 * update refreshes it with stochastic rounding. */
#ifndef DRL_CUDA_CUDA_OPTIM_H
#define DRL_CUDA_CUDA_OPTIM_H

#include "drl/optim.h"

/* One update. params, grads, m, v: (pt->total) device floats; grads are
 * clipped in place (like bertadam_step); m and v start zero-filled. */
void drl_cuda_bertadam_step(BertAdam *opt, const ParamTable *pt, float *params, float *grads,
                            float *m, float *v);

#endif
