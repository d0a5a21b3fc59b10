/* The CPU backend's kernels (fp32, OpenBLAS + OpenMP): one prototype per entry
 * of the DrlOps table in ops/ops.h, with the same semantics (forward
 * overwrites, backward accumulates, NULL gradients skipped). Only cpu_ops.c and
 * the kernel files include this header; model code uses drl_cpu_ops(). */
#ifndef DRL_CPU_CPU_INTERNAL_H
#define DRL_CPU_CPU_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* Work below this many floats runs on one thread (OpenMP start-up costs more). */
#define CPU_PARALLEL_MIN 32768

/* ---- memory (cpu_memory.c) ---- */
void *cpu_alloc(size_t bytes);
void cpu_free(void *p);
void cpu_zero(void *p, size_t bytes);
void cpu_to_device(void *dst, const void *src_host, size_t bytes);
void cpu_to_host(void *dst_host, const void *src, size_t bytes);
void cpu_copy(void *dst, const void *src, size_t bytes);
void cpu_sync(void);

/* ---- linear and matmul (cpu_linear.c) ---- */
void cpu_linear_fwd(float *out, const float *inp, const float *w, const float *bias, int N, int IC,
                    int OC);
void cpu_linear_bwd(float *dinp, float *dw, float *dbias, const float *dout, const float *inp,
                    const float *w, int N, int IC, int OC);
void cpu_matmul_fwd(float *out, const float *inp, const float *m, int N, int IC, int OC);
void cpu_matmul_bwd(float *dinp, float *dm, const float *dout, const float *inp, const float *m,
                    int N, int IC, int OC);
/* dbias (OC) += sum over the rows of dout (N, OC) (double sums per column). */
void cpu_bias_grad(float *dbias, const float *dout, int N, int OC);
/* Every row of out (N, OC) = bias (OC); returns the beta a product then
 * adds with: 1 when there was a bias, 0 (out untouched) when bias is NULL. */
float cpu_bias_rows(float *out, const float *bias, int N, int OC);

/* ---- the same four with bf16 products (cpu_linear_bf16.c, cpu_bf16_gemm.h) ---- */
void cpu_linear_bf16_fwd(float *out, const float *inp, const float *w, const float *bias, int N,
                         int IC, int OC);
void cpu_linear_bf16_bwd(float *dinp, float *dw, float *dbias, const float *dout, const float *inp,
                         const float *w, int N, int IC, int OC);
void cpu_matmul_bf16_fwd(float *out, const float *inp, const float *m, int N, int IC, int OC);
void cpu_matmul_bf16_bwd(float *dinp, float *dm, const float *dout, const float *inp,
                         const float *m, int N, int IC, int OC);

/* ---- layernorm (cpu_layernorm.c) ---- */
void cpu_layernorm_fwd(float *out, float *mean, float *rstd, const float *inp, const float *g,
                       const float *b, int N, int C, float eps);
void cpu_layernorm_bwd(float *dinp, float *dg, float *db, const float *dout, const float *inp,
                       const float *g, const float *mean, const float *rstd, int N, int C);

void cpu_residual_layernorm_fwd(float *sum, float *out, float *mean, float *rstd, const float *a,
                                const float *b, const float *g, const float *beta, int N, int C,
                                float eps);

/* ---- attention (cpu_attention.c) ---- */
/* The CPU backend saves the probabilities: (B, H, T, T). */
size_t cpu_attention_state_floats(int B, int T, int H);
void cpu_attention_fwd(float *out, float *probs, const float *qkv, const float *keymask, int causal,
                       int B, int T, int W, int H);
void cpu_attention_bwd(float *dqkv, const float *dout, const float *qkv, const float *probs, int B,
                       int T, int W, int H);

/* The same with bf16 products, fp32 softmax and state (cpu_attention_bf16.c). */
void cpu_attention_bf16_fwd(float *out, float *probs, const float *qkv, const float *keymask,
                            int causal, int B, int T, int W, int H);
void cpu_attention_bf16_bwd(float *dqkv, const float *dout, const float *qkv, const float *probs,
                            int B, int T, int W, int H);

/* ---- elementwise (cpu_elementwise.c) ---- */
void cpu_quickgelu_fwd(float *out, const float *inp, size_t n);
void cpu_quickgelu_bwd(float *dinp, const float *dout, const float *inp, size_t n);
void cpu_round_fp16(float *x, size_t n);
void cpu_relu_fwd(float *out, const float *inp, size_t n);
void cpu_relu_bwd(float *dinp, const float *dout, const float *inp, size_t n);
void cpu_add(float *out, const float *a, const float *b, size_t n);
void cpu_axpy(float *y, float alpha, const float *x, size_t n);
void cpu_scale(float *x, float alpha, size_t n);

/* ---- softmax (cpu_softmax.c) ---- */
void cpu_softmax_fwd(float *out, const float *inp, const int32_t *mask, int N, int C);
void cpu_softmax_bwd(float *dinp, const float *dout, const float *out, int N, int C);

/* ---- embedding (cpu_embedding.c) ---- */
void cpu_embedding_fwd(float *out, const int32_t *ids, const float *table, int N, int C);
void cpu_embedding_bwd(float *dtable, const float *dout, const int32_t *ids, int N, int C);

/* ---- L2 normalisation (cpu_l2norm.c) ---- */
void cpu_l2norm_fwd(float *out, float *norm, const float *inp, int N, int C);
void cpu_l2norm_bwd(float *dinp, const float *dout, const float *out, const float *norm, int N,
                    int C);

/* ---- masked reductions (cpu_reduce.c) ---- */
void cpu_masked_mean_fwd(float *out, const float *inp, const int32_t *mask, int N, int K, int C);
void cpu_masked_mean_bwd(float *dinp, const float *dout, const int32_t *mask, int N, int K, int C);
void cpu_rowmax_fwd(float *out, int32_t *argmax, const float *inp, const int32_t *mask, int N,
                    int C);
void cpu_rowmax_bwd(float *dinp, const float *dout, const int32_t *argmax, int N, int C);

#endif
