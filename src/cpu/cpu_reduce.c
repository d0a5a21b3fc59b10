/* Masked reductions: mean along the middle axis of (N, K, C), and max with
 * argmax along the last axis of (N, C). */
#include "cpu/cpu_internal.h"

void cpu_masked_mean_fwd(float *out, const float *inp, const int32_t *mask, int N, int K, int C) {
    // out (N, C), inp (N, K, C), mask (N, K) or NULL
    if (N <= 0 || C <= 0) return;
#pragma omp parallel for if ((size_t)N * K * C >= CPU_PARALLEL_MIN)
    for (int n = 0; n < N; n++) {
        float *y = out + (size_t)n * C; // (C)
        for (int c = 0; c < C; c++)
            y[c] = 0.0f;
        float cnt = 0.0f;
        for (int k = 0; k < K; k++) {
            float w = mask ? (float)mask[(size_t)n * K + k] : 1.0f;
            cnt += w;
            if (w == 0.0f) continue;
            const float *x = inp + ((size_t)n * K + k) * C; // (C)
            for (int c = 0; c < C; c++)
                y[c] += w * x[c];
        }
        float inv = 1.0f / (cnt > 1.0f ? cnt : 1.0f);
        for (int c = 0; c < C; c++)
            y[c] *= inv;
    }
}

void cpu_masked_mean_bwd(float *dinp, const float *dout, const int32_t *mask, int N, int K, int C) {
    // dinp (N, K, C) +=, dout (N, C), mask (N, K) or NULL
    if (!dinp || N <= 0 || C <= 0) return;
#pragma omp parallel for if ((size_t)N * K * C >= CPU_PARALLEL_MIN)
    for (int n = 0; n < N; n++) {
        const float *dy = dout + (size_t)n * C; // (C)
        float cnt = 0.0f;
        for (int k = 0; k < K; k++)
            cnt += mask ? (float)mask[(size_t)n * K + k] : 1.0f;
        float inv = 1.0f / (cnt > 1.0f ? cnt : 1.0f);
        for (int k = 0; k < K; k++) {
            float w = (mask ? (float)mask[(size_t)n * K + k] : 1.0f) * inv;
            if (w == 0.0f) continue;
            float *dx = dinp + ((size_t)n * K + k) * C; // (C)
            for (int c = 0; c < C; c++)
                dx[c] += w * dy[c];
        }
    }
}

void cpu_rowmax_fwd(float *out, int32_t *argmax, const float *inp, const int32_t *mask, int N,
                    int C) {
    // out (N), argmax (N), inp (N, C), mask (N, C) or NULL; first maximal index wins
    if (N <= 0) return;
#pragma omp parallel for if ((size_t)N * C >= CPU_PARALLEL_MIN)
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C;                  // (C)
        const int32_t *m = mask ? mask + (size_t)n * C : NULL; // (C)
        int best = -1;
        for (int c = 0; c < C; c++) {
            if (m && !m[c]) continue;
            if (best < 0 || x[c] > x[best]) best = c;
        }
        argmax[n] = best;
        out[n] = best < 0 ? 0.0f : x[best];
    }
}

void cpu_rowmax_bwd(float *dinp, const float *dout, const int32_t *argmax, int N, int C) {
    // dinp (N, C) +=, dout (N), argmax (N)
    if (!dinp) return;
    for (int n = 0; n < N; n++)
        if (argmax[n] >= 0 && argmax[n] < C) dinp[(size_t)n * C + argmax[n]] += dout[n];
}
