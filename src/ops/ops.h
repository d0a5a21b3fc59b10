/* The op interface: every numerical kernel the model uses, forward and
 * backward, behind one table of function pointers. The CPU backend
 * (src/cpu/) is the fp32 reference; the CUDA backend (cuda/) implements the
 * same table on device pointers. Model code calls ops only through this table
 * and never includes a backend's header.
 *
 * Conventions (all backends):
 * - float32 row-major tensors; shapes in the comments, batch first.
 * - Every *_bwd ACCUMULATES (+=) into each gradient it writes (inputs and
 *   parameters); callers zero gradient buffers. A NULL gradient pointer means
 *   "not needed" and is skipped.
 * - Forward outputs are overwritten (=), never accumulated.
 * - Integer masks are int32 0/1; additive masks are float (0 or a large
 *   negative number, added to attention scores).
 */
#ifndef DRL_OPS_OPS_H
#define DRL_OPS_OPS_H

#include <stddef.h>
#include <stdint.h>

typedef struct DrlOps {
    const char *name; /* "cpu" (both CPU tables) or "cuda" */

    /* ---- memory (device memory for CUDA, host memory for CPU) ---------- */
    void *(*alloc)(size_t bytes); /* zero-filled */
    void (*free)(void *p);
    void (*zero)(void *p, size_t bytes);
    void (*to_device)(void *dst, const void *src_host, size_t bytes);
    void (*to_host)(void *dst_host, const void *src, size_t bytes);
    void (*copy)(void *dst, const void *src, size_t bytes); /* device to device */
    void (*sync)(void);

    /* ---- linear: y = x W^T + b, W stored [OC, IC] (PyTorch layout) ------ */
    /* out (N, OC) = inp (N, IC) @ w (OC, IC)^T + bias (OC) [bias may be NULL] */
    void (*linear_fwd)(float *out, const float *inp, const float *w, const float *bias, int N,
                       int IC, int OC);
    /* dinp (N, IC) += dout @ w ; dw (OC, IC) += dout^T @ inp ; dbias (OC) += sum_n dout */
    void (*linear_bwd)(float *dinp, float *dw, float *dbias, const float *dout, const float *inp,
                       const float *w, int N, int IC, int OC);

    /* ---- matmul with the weight stored [IC, OC] (CLIP's proj matrices) -- */
    /* out (N, OC) = inp (N, IC) @ m (IC, OC) */
    void (*matmul_fwd)(float *out, const float *inp, const float *m, int N, int IC, int OC);
    /* dinp (N, IC) += dout @ m^T ; dm (IC, OC) += inp^T @ dout */
    void (*matmul_bwd)(float *dinp, float *dm, const float *dout, const float *inp, const float *m,
                       int N, int IC, int OC);

    /* ---- LayerNorm over the last axis, biased variance, fp32 ------------ */
    /* out (N, C); mean (N), rstd (N) saved for backward; g, b (C) */
    void (*layernorm_fwd)(float *out, float *mean, float *rstd, const float *inp, const float *g,
                          const float *b, int N, int C, float eps);
    void (*layernorm_bwd)(float *dinp, float *dg, float *db, const float *dout, const float *inp,
                          const float *g, const float *mean, const float *rstd, int N, int C);
    /* The residual add fused with the LayerNorm that follows it:
     * sum (N, C) = a + b (sum may alias a or b), then layernorm_fwd(out, mean,
     * rstd, sum, g, beta): the same values as add then layernorm_fwd. */
    void (*residual_layernorm_fwd)(float *sum, float *out, float *mean, float *rstd, const float *a,
                                   const float *b, const float *g, const float *beta, int N, int C,
                                   float eps);

    /* ---- multi-head self-attention core (after in_proj, before out_proj) */
    /* qkv (B, T, 3W) packed q|k|v along the last axis, heads of width W/H.
     * scores = q.k / sqrt(W/H) + keymask[b, j] (if keymask != NULL; (B, T))
     *          + (-inf for j > i if causal); softmax over keys.
     * out (B, T, W) heads concatenated. probs: the state the backward needs,
     * attention_state_floats(B, T, H) floats, backend-defined: the CPU
     * backend keeps the probabilities (B, H, T, T); the CUDA backend keeps per
     * query row the softmax maximum and 1/sum plus the key mask (flash-style:
     * no T x T matrix in global memory) and recomputes the probabilities in
     * the backward. A query row whose keys are all -inf gets zeros (never NaN). */
    void (*attention_fwd)(float *out, float *probs, const float *qkv, const float *keymask,
                          int causal, int B, int T, int W, int H);
    /* dqkv (B, T, 3W) += ... ; probs: the forward's state */
    void (*attention_bwd)(float *dqkv, const float *dout, const float *qkv, const float *probs,
                          int B, int T, int W, int H);

    /* ---- elementwise --------------------------------------------------- */
    /* out = x * sigmoid(1.702 x) */
    void (*quickgelu_fwd)(float *out, const float *inp, size_t n);
    void (*quickgelu_bwd)(float *dinp, const float *dout, const float *inp, size_t n);
    void (*relu_fwd)(float *out, const float *inp, size_t n);
    void (*relu_bwd)(float *dinp, const float *dout, const float *inp, size_t n);
    /* out = a + b (out may alias a or b) */
    void (*add)(float *out, const float *a, const float *b, size_t n);
    /* y += alpha * x */
    void (*axpy)(float *y, float alpha, const float *x, size_t n);
    /* x *= alpha */
    void (*scale)(float *x, float alpha, size_t n);

    /* ---- softmax over the last axis ------------------------------------ */
    /* out (N, C) = softmax(inp) ; masked variant: entries with mask == 0 get
     * probability 0 and are excluded from the normaliser; a row with no valid
     * entry is all zeros. mask may be NULL (plain softmax). */
    void (*softmax_fwd)(float *out, const float *inp, const int32_t *mask, int N, int C);
    /* dinp (N, C) += J^T dout using the forward output */
    void (*softmax_bwd)(float *dinp, const float *dout, const float *out, int N, int C);

    /* ---- embedding ----------------------------------------------------- */
    /* out (N, C) = table[ids[n]] ; table (V, C) */
    void (*embedding_fwd)(float *out, const int32_t *ids, const float *table, int N, int C);
    /* dtable (V, C) += scatter of dout (N, C) */
    void (*embedding_bwd)(float *dtable, const float *dout, const int32_t *ids, int N, int C);

    /* ---- L2 normalisation over the last axis --------------------------- */
    /* out (N, C) = inp / ||inp||, norm (N) saved. A zero row stays zero. */
    void (*l2norm_fwd)(float *out, float *norm, const float *inp, int N, int C);
    void (*l2norm_bwd)(float *dinp, const float *dout, const float *out, const float *norm, int N,
                       int C);

    /* ---- masked reductions along the middle axis ----------------------- */
    /* inp (N, K, C), mask (N, K) int32 or NULL.
     * mean: out (N, C) = sum_k mask*inp / max(1, sum_k mask) */
    void (*masked_mean_fwd)(float *out, const float *inp, const int32_t *mask, int N, int K, int C);
    void (*masked_mean_bwd)(float *dinp, const float *dout, const int32_t *mask, int N, int K,
                            int C);
    /* max over the last axis of (N, C): out (N), argmax (N) int32, first
     * maximal index wins; mask (N, C) or NULL: masked entries are skipped; a
     * row with no valid entry gives out 0, argmax -1. */
    void (*rowmax_fwd)(float *out, int32_t *argmax, const float *inp, const int32_t *mask, int N,
                       int C);
    /* dinp[n, argmax[n]] += dout[n] (skipped where argmax < 0) */
    void (*rowmax_bwd)(float *dinp, const float *dout, const int32_t *argmax, int N, int C);

    /* ---- fp16 emulation (spec/model.md §11, model.clip_precision "fp16") */
    /* x (n) = the nearest IEEE binary16 value of x, ties to even, in place
     * (src/ops/half.h half_round: subnormals kept, overflow to +-inf). */
    void (*round_fp16)(float *x, size_t n);

    /* ---- conv1 patch extraction (CLIP's vision stem) -------------------- */
    /* patches (F*G*G, 3*P*P) from frames (F, 3, R, R), R = P*G: row
     * (f, gy, gx), column (c, ky, kx) (the flattened conv1 kernel's order):
     * patches[(f*G + gy)*G + gx][(c*P + ky)*P + kx] =
     * frames[f][c][gy*P + ky][gx*P + kx]. */
    void (*im2col)(float *patches, const float *frames, int F, int P, int G);

    /* ---- the size of attention_fwd's saved state, in floats ------------- */
    size_t (*attention_state_floats)(int B, int T, int H);
} DrlOps;

/* The CPU backend (always present). */
const DrlOps *drl_cpu_ops(void);
/* The CPU backend with bf16 matrix products (run.precision = "bf16" on the
 * CPU): linear, matmul and the attention's per-head products, forward and
 * backward, round their fp32 operands to bf16 (nearest even) and accumulate
 * in fp32; everything else (the softmax and the saved probabilities
 * included) is drl_cpu_ops()'s fp32. NULL when
 * this build (no oneDNN) or this CPU has none, with the reason in why[len]
 * (why may be NULL). */
const DrlOps *drl_cpu_ops_bf16(char *why, size_t len);
/* 1 for the host-memory CPU tables (drl_cpu_ops() and drl_cpu_ops_bf16()). */
int drl_ops_is_cpu(const DrlOps *ops);

#endif
