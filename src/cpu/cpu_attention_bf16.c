/* Multi-head self-attention core with bf16 products (the attention entries of
 * drl_cpu_ops_bf16()): the semantics of cpu_attention_fwd/bwd (probabilities
 * (B, H, T, T) kept in fp32 as the state, causal and key masks, a row whose
 * keys are all masked gives zeros), with each of the six per-head products
 * (QK^T, PV; backward dV, dP, dQ, dK) one oneDNN matmul over the whole
 * (B, H) grid instead of B*H small sgemms. Operands are rounded to bf16 once
 * per call (q, k, v, dout, the probabilities, dscore), the heads made
 * contiguous (B, H, T, dh) in the same pass (oneDNN's fast matmul wants dense
 * batches); the softmax, its backward and every output stay fp32 (products
 * accumulate in fp32 into (B, H, T, dh) scratch, then added into place). */
#include "cpu/cpu_bf16_gemm.h"
#include "cpu/cpu_internal.h"

#include <math.h>
#include <stdlib.h>

#include "common/check.h"

/* Strides (batch b, head h, row, column) of (B, H, R, C) contiguous, R and C
 * as stored;
 * transposed: each (R, C) matrix read as its (C, R) transpose. */
static void dense_strides(int64_t str[4], int H, int R, int C, int transposed) {
    str[0] = (int64_t)H * R * C, str[1] = (int64_t)R * C;
    str[2] = transposed ? 1 : C, str[3] = transposed ? C : 1;
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
            for (int h = 0; h < H; h++) {
                const float *x = row + (size_t)(p * H + h) * dh;                           // (dh)
                uint16_t *y = dst + p * part + (((size_t)b * H + h) * T + t) * (size_t)dh; // (dh)
                for (int d = 0; d < dh; d++)
                    y[d] = cpu_bf16_from_float(x[d]);
            }
    }
}

/* dst (B, T, ld) (+)= src (parts, B, H, T, dh): pack_heads's inverse, fp32;
 * accumulate: add instead of overwrite. */
static void unpack_heads(float *dst, const float *src, int parts, int B, int T, int ld, int H,
                         int dh, int accumulate) {
    const size_t part = (size_t)B * H * T * dh;
#pragma omp parallel for schedule(static) if ((size_t)B * T * parts * H * dh >= CPU_PARALLEL_MIN)
    for (int bt = 0; bt < B * T; bt++) {
        const int b = bt / T, t = bt % T;
        float *row = dst + (size_t)bt * ld; // (ld)
        for (int p = 0; p < parts; p++)
            for (int h = 0; h < H; h++) {
                float *y = row + (size_t)(p * H + h) * dh; // (dh)
                const float *x =
                    src + p * part + (((size_t)b * H + h) * T + t) * (size_t)dh; // (dh)
                if (accumulate)
                    for (int d = 0; d < dh; d++)
                        y[d] += x[d];
                else
                    for (int d = 0; d < dh; d++)
                        y[d] = x[d];
            }
    }
}

/* One row of probabilities p (T), holding the scaled scores q.k on entry:
 * cpu_attention.c's softmax (mask added and maximum subtracted in double, so
 * that a large additive mask on every key still gives the softmax of the
 * unmasked scores; a row whose reachable keys are all -inf becomes zeros). */
static void softmax_row(float *p, double *score, const float *keymask, int nkeys, int T) {
    // p (T), score (T) scratch, keymask (T) or NULL
    double mx = -INFINITY;
    for (int j = 0; j < nkeys; j++) {
        double s = (double)p[j];
        if (keymask) s += (double)keymask[j];
        score[j] = s;
        if (s > mx) mx = s;
    }
    if (mx == -INFINITY) nkeys = 0; // no key is reachable: zeros, not NaN
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int j = 0; j < nkeys; j++) {
        float e = expf((float)(score[j] - mx));
        p[j] = e;
        sum += e;
    }
    float inv = nkeys > 0 ? 1.0f / sum : 0.0f;
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
    // probs (B, H, T, T) = scale * q (T, dh) k^T (dh, T) per (b, h)
    CpuBf16Matmul m = {.batch = {B, H},
                       .M = T,
                       .N = T,
                       .K = dh,
                       .alpha = 1.0f / sqrtf((float)dh),
                       .A = qkv16,
                       .B = qkv16 + part,
                       .C = probs};
    dense_strides(m.a_str, H, T, dh, 0);
    dense_strides(m.b_str, H, T, dh, 1);
    dense_strides(m.c_str, H, T, T, 0);
    cpu_bf16_matmul(&m);
#pragma omp parallel if ((size_t)rows * T >= CPU_PARALLEL_MIN)
    {
        double *score = mallocCheck((size_t)T * sizeof(double)); // (T) scratch
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
    float *o = mallocCheck(sizeof(float) * part); // (B, H, T, dh)
    // o (T, dh) = p (T, T) v (T, dh) per (b, h)
    m = (CpuBf16Matmul){.batch = {B, H},
                        .M = T,
                        .N = dh,
                        .K = T,
                        .alpha = 1.0f,
                        .A = p16,
                        .B = qkv16 + 2 * part,
                        .C = o};
    dense_strides(m.a_str, H, T, T, 0);
    dense_strides(m.b_str, H, T, dh, 0);
    dense_strides(m.c_str, H, T, dh, 0);
    cpu_bf16_matmul(&m);
    unpack_heads(out, o, 1, B, T, W, H, dh, 0); // heads side by side in (B, T, W)
    free(o);
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
    float *g = mallocCheck(sizeof(float) * 3 * part);                 // (3, B, H, T, dh) dq|dk|dv
    pack_heads(qkv16, qkv, 3, B, T, 3 * W, H, dh);
    pack_heads(dy16, dout, 1, B, T, W, H, dh);
    cpu_bf16_pack(p16, probs, rows, T, T);
    // dv (T, dh) = p^T (T, T) dy (T, dh)
    CpuBf16Matmul m = {.batch = {B, H},
                       .M = T,
                       .N = dh,
                       .K = T,
                       .alpha = 1.0f,
                       .A = p16,
                       .B = dy16,
                       .C = g + 2 * part};
    dense_strides(m.a_str, H, T, T, 1);
    dense_strides(m.b_str, H, T, dh, 0);
    dense_strides(m.c_str, H, T, dh, 0);
    cpu_bf16_matmul(&m);
    // dp (T, T) = dy (T, dh) v^T (dh, T)
    m = (CpuBf16Matmul){.batch = {B, H},
                        .M = T,
                        .N = T,
                        .K = dh,
                        .alpha = 1.0f,
                        .A = dy16,
                        .B = qkv16 + 2 * part,
                        .C = ds};
    dense_strides(m.a_str, H, T, dh, 0);
    dense_strides(m.b_str, H, T, dh, 1);
    dense_strides(m.c_str, H, T, T, 0);
    cpu_bf16_matmul(&m);
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
    m = (CpuBf16Matmul){.batch = {B, H},
                        .M = T,
                        .N = dh,
                        .K = T,
                        .alpha = 1.0f,
                        .A = p16,
                        .B = qkv16 + part,
                        .C = g};
    dense_strides(m.a_str, H, T, T, 0);
    dense_strides(m.b_str, H, T, dh, 0);
    dense_strides(m.c_str, H, T, dh, 0);
    cpu_bf16_matmul(&m);
    m.B = qkv16, m.C = g + part;
    dense_strides(m.a_str, H, T, T, 1);
    cpu_bf16_matmul(&m);
    unpack_heads(dqkv, g, 3, B, T, 3 * W, H, dh, 1); // dqkv += dq | dk | dv
    free(g);
    free(ds);
    free(p16);
    free(dy16);
    free(qkv16);
}
