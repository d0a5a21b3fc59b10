/* Multi-head self-attention core on packed q|k|v, one OpenMP task per
 * (batch, head). Tight loops over the head width (dot products and axpys of
 * length W/H, vectorised with omp simd); probabilities are kept for backward. */
#include "cpu/cpu_internal.h"

#include <math.h>
#include <stdlib.h>

#include "common/check.h"

static inline float dot(const float *a, const float *b, int n) {
    float s = 0.0f;
#pragma omp simd reduction(+ : s)
    for (int i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

static inline void axpy(float *y, float a, const float *x, int n) {
#pragma omp simd
    for (int i = 0; i < n; i++)
        y[i] += a * x[i];
}

/* One query row: probabilities p (T) and output o (dh). Scores are shifted in
 * double so that a large additive mask (-1e6) on every key still gives the
 * softmax of the unmasked scores; a row whose keys are all -inf is all zeros. */
static void attention_row(float *p, float *o, double *score, const float *q, const float *kbase,
                          const float *vbase, const float *keymask, int nkeys, int T, int dh,
                          size_t stride, float scale) {
    // p (T), o (dh), score (T) scratch, keymask (T) or NULL
    double mx = -INFINITY;
    for (int j = 0; j < nkeys; j++) {
        double s = (double)(dot(q, kbase + j * stride, dh) * scale);
        if (keymask) s += (double)keymask[j];
        score[j] = s;
        if (s > mx) mx = s;
    }
    for (int d = 0; d < dh; d++)
        o[d] = 0.0f;
    if (mx == -INFINITY) { // no key is reachable: zeros, not NaN
        for (int j = 0; j < T; j++)
            p[j] = 0.0f;
        return;
    }
    double sum = 0.0;
    for (int j = 0; j < nkeys; j++) {
        float e = expf((float)(score[j] - mx));
        p[j] = e;
        sum += e;
    }
    float inv = (float)(1.0 / sum);
    for (int j = 0; j < nkeys; j++) {
        p[j] *= inv;
        if (p[j] != 0.0f) axpy(o, p[j], vbase + j * stride, dh);
    }
    for (int j = nkeys; j < T; j++)
        p[j] = 0.0f;
}

void cpu_attention_fwd(float *out, float *probs, const float *qkv, const float *keymask, int causal,
                       int B, int T, int W, int H) {
    // out (B, T, W), probs (B, H, T, T), qkv (B, T, 3W), keymask (B, T) or NULL
    if (B <= 0 || T <= 0 || W <= 0 || H <= 0) return;
    drlCheck(W % H == 0, "attention: the width must be a multiple of the number of heads");
    int dh = W / H;
    size_t stride = (size_t)3 * W; // between consecutive tokens in qkv
    float scale = 1.0f / sqrtf((float)dh);
#pragma omp parallel if ((size_t)B * H * T * T * dh >= CPU_PARALLEL_MIN)
    {
        double *score = mallocCheck((size_t)T * sizeof(double)); // (T) scratch
#pragma omp for schedule(static)
        for (int bh = 0; bh < B * H; bh++) {
            int b = bh / H, h = bh % H;
            const float *base = qkv + (size_t)b * T * stride + (size_t)h * dh; // (T, 3W) slice
            const float *mask = keymask ? keymask + (size_t)b * T : NULL;      // (T)
            for (int i = 0; i < T; i++) {
                float *p = probs + ((size_t)bh * T + i) * T;               // (T)
                float *o = out + ((size_t)b * T + i) * W + (size_t)h * dh; // (dh)
                attention_row(p, o, score, base + i * stride, base + W, base + 2 * W, mask,
                              causal ? i + 1 : T, T, dh, stride, scale);
            }
        }
        free(score);
    }
}

void cpu_attention_bwd(float *dqkv, const float *dout, const float *qkv, const float *probs, int B,
                       int T, int W, int H) {
    // dqkv (B, T, 3W), dout (B, T, W), qkv (B, T, 3W), probs (B, H, T, T)
    if (!dqkv || B <= 0 || T <= 0 || W <= 0 || H <= 0) return;
    drlCheck(W % H == 0, "attention: the width must be a multiple of the number of heads");
    int dh = W / H;
    size_t stride = (size_t)3 * W;
    float scale = 1.0f / sqrtf((float)dh);
#pragma omp parallel if ((size_t)B * H * T * T * dh >= CPU_PARALLEL_MIN)
    {
        float *dp = mallocCheck((size_t)T * sizeof(float)); // (T) dL/dprobs of one row
#pragma omp for schedule(static)
        for (int bh = 0; bh < B * H; bh++) {
            int b = bh / H, h = bh % H;
            size_t off = (size_t)b * T * stride + (size_t)h * dh;
            const float *q = qkv + off, *k = qkv + off + W, *v = qkv + off + 2 * W; // (T, dh)
            float *dq = dqkv + off, *dk = dqkv + off + W, *dv = dqkv + off + 2 * W; // (T, dh)
            for (int i = 0; i < T; i++) {
                const float *p = probs + ((size_t)bh * T + i) * T;                 // (T)
                const float *dy = dout + ((size_t)b * T + i) * W + (size_t)h * dh; // (dh)
                float psum = 0.0f;                                                 // sum_j p_j dp_j
                for (int j = 0; j < T; j++) {
                    if (p[j] == 0.0f) continue;
                    dp[j] = dot(dy, v + j * stride, dh);
                    psum += p[j] * dp[j];
                    axpy(dv + j * stride, p[j], dy, dh);
                }
                for (int j = 0; j < T; j++) {
                    if (p[j] == 0.0f) continue;
                    float ds = p[j] * (dp[j] - psum) * scale; // d score_ij, with the 1/sqrt(dh)
                    axpy(dq + i * stride, ds, k + j * stride, dh);
                    axpy(dk + j * stride, ds, q + i * stride, dh);
                }
            }
        }
        free(dp);
    }
}
