/* Cross-backend checks of the op table (xb_ops.c) and of the extra kernels
 * and the CLIP towers (xb_extra.c). tol: relative tolerance of the
 * matrix-product outputs for the pass's precision. */
#ifndef DRL_TESTS_CUDA_XB_OPS_H
#define DRL_TESTS_CUDA_XB_OPS_H

#include "xb_check.h"

void xb_linear(Xb *x, int N, int IC, int OC, int with_bias, double tol);
void xb_matmul(Xb *x, int N, int IC, int OC, double tol);
void xb_layernorm(Xb *x, int N, int C);
void xb_residual_layernorm(Xb *x, int N, int C);
void xb_attention(Xb *x, int B, int T, int W, int H, int causal, int masked);
void xb_elementwise(Xb *x, size_t n);
void xb_softmax(Xb *x, int N, int C);
void xb_embedding(Xb *x, int V, int N, int C);
void xb_l2norm(Xb *x, int N, int C);
void xb_reduce(Xb *x, int N, int K, int C);
void xb_memory(Xb *x);

void xb_frames(Xb *x, int N, int R);
void xb_im2col(Xb *x, int F, int P, int G);
void xb_tokenwise(Xb *x, int Bt, int Bv, int L, int T, int D);
/* BertAdam on both backends; fp16: the spec §11 fp16 tensors and moments. */
void xb_adam(Xb *x, int fp16);
/* The bf16 weight copy (drl_cuda_register_param_shadow); precision BF16. */
void xb_param_shadow(Xb *x, int N, int IC, int OC);
/* Tiny CLIP towers forward + backward on both backends (tol_out, tol_grad). */
void xb_clip_tiny(Xb *x, double tol_out, double tol_grad);

#endif
