/* Cross-backend checks of the DRL heads: the heads' kernels (token-wise
 * forward and backward, drl_cuda_head_kernels() against
 * drl_cpu_head_kernels()) and one whole DRL training step of a tiny CLIP
 * with every interaction, aggregation and CDCR variant on both backends
 * (losses, similarities, every gradient, the parameters after one BertAdam
 * update), reported in the xb style. */
#ifndef DRL_TESTS_CUDA_XB_STEP_H
#define DRL_TESTS_CUDA_XB_STEP_H

#include "drl/head_kernels.h"
#include "xb_check.h"

/* Token-wise kernels on random inputs with padded tokens / frames, a fully
 * padded text and exact ties. cpu_k / gpu_k: the tables under test. */
void xb_head_kernels(Xb *x, const DrlHeadKernels *cpu_k, const DrlHeadKernels *gpu_k, int Bt,
                     int Bv, int L, int T, int D);

/* The loss, CDCR and xti sequence kernels on random inputs (a constant
 * channel, one-row batches), fp32 tolerances: they contain no matrix
 * product. */
void xb_loss_kernels(Xb *x, const DrlHeadKernels *cpu_k, const DrlHeadKernels *gpu_k);

/* Every configuration of the whole-step check, one block of PASS/FAIL lines
 * each. tol: relative tolerance of losses / similarities, gradients and
 * parameters for the pass's precision. */
void xb_drl_steps(Xb *x, const DrlHeadKernels *cpu_k, const DrlHeadKernels *gpu_k, double tol_out,
                  double tol_grad);

#endif
