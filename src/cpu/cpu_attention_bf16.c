/* Multi-head self-attention core with bf16 products (the attention entries of
 * drl_cpu_ops_bf16()): the semantics of cpu_attention_fwd/bwd (probabilities
 * (B, H, T, T) kept in fp32 as the state, causal and key masks, a row whose
 * keys are all masked gives zeros), with each of the six per-head products
 * (QK^T, PV; backward dV, dP, dQ, dK) one oneDNN matmul over the whole
 * (B, H) grid instead of B*H small sgemms. Operands are rounded to bf16 once
 * per call (q, k, v, dout, the probabilities, dscore), the heads made
 * contiguous (B, H, T, dh) in the same pass (oneDNN's brgemm matmul wants
 * dense operands); the products write (or add) their fp32 results straight
 * into out and dqkv through strides; the softmax and its backward are fp32. */
#include "cpu/cpu_bf16_gemm.h"
#include "cpu/cpu_internal.h"
#include "cpu/cpu_vexp.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"

/* Compiled for AVX-512, AVX2 and the baseline, chosen at load time. */
#define ATT_ISA_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))

/* Strides (batch b, head h, row, column) of (B, H, R, C) contiguous, R and C
 * as stored; transposed: each (R, C) matrix read as its (C, R) transpose. */
static void dense_strides(int64_t str[4], int H, int R, int C, int transposed) {
    str[0] = (int64_t)H * R * C, str[1] = (int64_t)R * C;
    str[2] = transposed ? 1 : C, str[3] = transposed ? C : 1;
}

/* Strides of the heads' (T, dh) slices of (B, T, ld), head h at column h*dh. */
static void head_strides(int64_t str[4], int T, int ld, int dh) {
    str[0] = (int64_t)T * ld, str[1] = dh, str[2] = ld, str[3] = 1;
}

/* dst (parts, B, H, T, dh) bf16 = src (B, T, ld) fp32 whose part p, head h
 * sits at columns p*H*dh + h*dh .. + dh: heads made contiguous while rounding. */
static void pack_heads(uint16_t *dst, const float *src, int parts, int B, int T, int ld, int H,
                       int dh) {
    const size_t part = (size_t)B * H * T * dh; // one part's elements
#pragma omp parallel for schedule(static) if ((size_t)B * T * parts * H * dh >= CPU_PARALLEL_MIN)
    for (int bt = 0; bt < B * T; bt++) {
        const int b = bt / T, t = bt % T;
        const float *row = src + (size_t)bt * ld; // (ld)
        for (int p = 0; p < parts; p++)
            for (int h = 0; h < H; h++) // (dh) of part p, head h
                cpu_bf16_round_row(dst + p * part + (((size_t)b * H + h) * T + t) * (size_t)dh,
                                   row + (size_t)(p * H + h) * dh, dh);
    }
}

/* y (n) += x (n). */
ATT_ISA_CLONES static void add_row(float *restrict y, const float *restrict x, int n) {
    for (int i = 0; i < n; i++)
        y[i] += x[i];
}

/* One product per (b, h) over the (B, H) grid: C (M, N) (+)= alpha A (M, K) B (K, N),
 * A and B (B, H, ., .) contiguous bf16 (trans_a: A stored (K, M); trans_b: B
 * stored (N, K)), C fp32 with strides c_str; beta 0 or 1. */
static void heads_matmul(int B, int H, int M, int N, int K, float alpha, const uint16_t *A,
                         int trans_a, const uint16_t *Bm, int trans_b, float beta, float *C,
                         const int64_t c_str[4]) {
    CpuBf16Matmul m = {.batch = {B, H}, .M = M, .N = N, .K = K, .alpha = alpha, .beta = beta};
    m.A = A, m.B = Bm, m.C = C;
    if (trans_a)
        dense_strides(m.a_str, H, K, M, 1);
    else
        dense_strides(m.a_str, H, M, K, 0);
    if (trans_b)
        dense_strides(m.b_str, H, N, K, 1);
    else
        dense_strides(m.b_str, H, K, N, 0);
    for (int d = 0; d < 4; d++)
        m.c_str[d] = c_str[d];
    cpu_bf16_matmul(&m);
}

/* e^x for x <= 0 (softmax arguments), branch-free so that the row loops
 * vectorise: Cephes' expf (range reduction by ln 2 in two parts, a degree-6
 * polynomial, the exponent written into the bits; within 2 ulp of expf);
 * results below FLT_MIN (x < -87.3, and -inf) are 0. */
static inline float exp_neg(float x) {
    const float e = cpu_vexp_clamped(x < -87.3f ? -87.3f : x);
    return x < -87.3f ? 0.0f : e;
}

/* p (n) = e^(s - mx) for s (n) fp32 (mx = the row's maximum); returns the sum. */
ATT_ISA_CLONES static float exp_row(float *restrict p, const float *restrict s, float mx, int n) {
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int j = 0; j < n; j++) {
        const float e = exp_neg(s[j] - mx);
        p[j] = e;
        sum += e;
    }
    return sum;
}

/* One row of probabilities p (T), holding the scaled scores q.k on entry: the
 * semantics of cpu_attention.c's softmax. With a key mask, the mask is added
 * and the maximum subtracted in double (a large additive mask on every key
 * still gives the softmax of the unmasked scores); without one, in fp32 (the
 * same differences: the difference of two floats rounded once). A row whose
 * reachable keys are all -inf becomes all zeros. */
static void softmax_row(float *p, float *score, const float *keymask, int nkeys, int T) {
    // p (T), score (T) scratch, keymask (T) or NULL
    float mx = -INFINITY;
    if (keymask) {
        double dmx = -INFINITY;
        for (int j = 0; j < nkeys; j++) {
            const double s = (double)p[j] + (double)keymask[j];
            if (s > dmx) dmx = s;
        }
        for (int j = 0; j < nkeys && dmx > -INFINITY; j++) // score - max, zero-based
            score[j] = (float)((double)p[j] + (double)keymask[j] - dmx);
        if (dmx == -INFINITY) nkeys = 0; // no key is reachable: zeros, not NaN
        mx = 0.0f;
    } else {
        for (int j = 0; j < nkeys; j++)
            mx = p[j] > mx ? p[j] : mx;
        if (mx == -INFINITY) nkeys = 0;
        for (int j = 0; j < nkeys; j++)
            score[j] = p[j];
    }
    const float sum = exp_row(p, score, mx, nkeys);
    const float inv = nkeys > 0 ? 1.0f / sum : 0.0f;
    for (int j = 0; j < nkeys; j++)
        p[j] *= inv;
    for (int j = nkeys; j < T; j++)
        p[j] = 0.0f;
}

void cpu_attention_bf16_fwd(float *out, float *probs, const float *qkv, const float *keymask,
                            int causal, int B, int T, int W, int H) {
    // out (B, T, W), probs (B, H, T, T), qkv (B, T, 3W), keymask (B, T) or NULL
    if (B <= 0 || T <= 0 || W <= 0 || H <= 0) return;
    drlCheck(W % H == 0, "attention: the width must be a multiple of the number of heads");
    const int dh = W / H, rows = B * H * T;
    const size_t part = (size_t)rows * dh;                      // one of q, k, v
    uint16_t *qkv16 = mallocCheck(sizeof(uint16_t) * 3 * part); // (3, B, H, T, dh)
    pack_heads(qkv16, qkv, 3, B, T, 3 * W, H, dh);
    int64_t p_str[4], o_str[4];
    dense_strides(p_str, H, T, T, 0); // probs (B, H, T, T)
    head_strides(o_str, T, W, dh);    // out's heads (B, T, W)
    // probs (T, T) = scale * q (T, dh) k^T (dh, T) per (b, h)
    const float scale = 1.0f / sqrtf((float)dh);
    heads_matmul(B, H, T, T, dh, scale, qkv16, 0, qkv16 + part, 1, 0.0f, probs, p_str);
#pragma omp parallel if ((size_t)rows * T >= CPU_PARALLEL_MIN)
    {
        float *score = mallocCheck((size_t)T * sizeof(float)); // (T) scratch
#pragma omp for schedule(static)
        for (int r = 0; r < rows; r++) {
            const int b = r / (H * T), i = r % T;
            const float *mask = keymask ? keymask + (size_t)b * T : NULL; // (T)
            softmax_row(probs + (size_t)r * T, score, mask, causal ? i + 1 : T, T);
        }
        free(score);
    }
    uint16_t *p16 = mallocCheck(sizeof(uint16_t) * (size_t)rows * T); // (B, H, T, T)
    cpu_bf16_pack(p16, probs, rows, T, T);
    // out (T, dh) = p (T, T) v (T, dh) per (b, h), heads side by side
    heads_matmul(B, H, T, dh, T, 1.0f, p16, 0, qkv16 + 2 * part, 0, 0.0f, out, o_str);
    free(p16);
    free(qkv16);
}

void cpu_attention_bf16_bwd(float *dqkv, const float *dout, const float *qkv, const float *probs,
                            int B, int T, int W, int H) {
    // dqkv (B, T, 3W) +=, dout (B, T, W), qkv (B, T, 3W), probs (B, H, T, T)
    if (!dqkv || B <= 0 || T <= 0 || W <= 0 || H <= 0) return;
    drlCheck(W % H == 0, "attention: the width must be a multiple of the number of heads");
    const int dh = W / H, rows = B * H * T;
    const size_t part = (size_t)rows * dh;
    const float scale = 1.0f / sqrtf((float)dh);
    uint16_t *qkv16 = mallocCheck(sizeof(uint16_t) * 3 * part);       // (3, B, H, T, dh)
    uint16_t *dy16 = mallocCheck(sizeof(uint16_t) * part);            // (B, H, T, dh)
    uint16_t *p16 = mallocCheck(sizeof(uint16_t) * (size_t)rows * T); // (B, H, T, T)
    float *ds = mallocCheck(sizeof(float) * (size_t)rows * T);        // (B, H, T, T)
    float *g = mallocCheck(sizeof(float) * 3 * part);                 // (3, B, T, W) dq, dk, dv
    pack_heads(qkv16, qkv, 3, B, T, 3 * W, H, dh);
    pack_heads(dy16, dout, 1, B, T, W, H, dh);
    cpu_bf16_pack(p16, probs, rows, T, T);
    int64_t p_str[4], g_str[4];
    dense_strides(p_str, H, T, T, 0); // (B, H, T, T)
    head_strides(g_str, T, W, dh);    // the heads in each of g's dq, dk, dv (B, T, W)
    // dv (T, dh) = p^T (T, T) dy (T, dh), into g; g is added to dqkv at the end
    // (oneDNN's brgemm takes neither a sum post-op nor dqkv's 3W rows as destination)
    heads_matmul(B, H, T, dh, T, 1.0f, p16, 1, dy16, 0, 0.0f, g + 2 * part, g_str);
    // dp (T, T) = dy (T, dh) v^T (dh, T)
    heads_matmul(B, H, T, T, dh, 1.0f, dy16, 0, qkv16 + 2 * part, 1, 0.0f, ds, p_str);
    // dscore = scale * p * (dp - sum_j p dp), row by row in fp32; rounded into p16
#pragma omp parallel for schedule(static) if ((size_t)rows * T >= CPU_PARALLEL_MIN)
    for (int r = 0; r < rows; r++) {
        const float *pi = probs + (size_t)r * T; // (T)
        const float *di = ds + (size_t)r * T;    // (T)
        uint16_t *hi = p16 + (size_t)r * T;      // (T)
        float sum = 0.0f;
        for (int j = 0; j < T; j++)
            sum += pi[j] * di[j];
        for (int j = 0; j < T; j++)
            hi[j] = cpu_bf16_from_float(scale * pi[j] * (di[j] - sum));
    }
    // dq (T, dh) = dscore (T, T) k (T, dh); dk (T, dh) = dscore^T (T, T) q (T, dh)
    heads_matmul(B, H, T, dh, T, 1.0f, p16, 0, qkv16 + part, 0, 0.0f, g, g_str);
    heads_matmul(B, H, T, dh, T, 1.0f, p16, 1, qkv16, 0, 0.0f, g + part, g_str);
#pragma omp parallel for schedule(static) if (3 * part >= CPU_PARALLEL_MIN)
    for (int bt = 0; bt < B * T; bt++) // dqkv (B, T, 3W) += dq | dk | dv
        for (int p = 0; p < 3; p++)
            add_row(dqkv + ((size_t)bt * 3 + p) * W, g + p * part + (size_t)bt * W, W);
    free(g);
    free(ds);
    free(p16);
    free(dy16);
    free(qkv16);
}
