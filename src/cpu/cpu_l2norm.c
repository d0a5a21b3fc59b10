/* L2 normalisation over the last axis; a zero row stays zero (norm 0, gradient 0). */
#include "cpu/cpu_internal.h"

#include <math.h>

void cpu_l2norm_fwd(float *out, float *norm, const float *inp, int N, int C) {
    // out (N, C), norm (N), inp (N, C)
    if (N <= 0 || C <= 0) return;
#pragma omp parallel for if ((size_t)N * C >= CPU_PARALLEL_MIN)
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C; // (C)
        float *y = out + (size_t)n * C;       // (C)
        double sq = 0.0;
        for (int c = 0; c < C; c++)
            sq += (double)x[c] * x[c];
        float nrm = (float)sqrt(sq);
        norm[n] = nrm;
        float inv = nrm > 0.0f ? 1.0f / nrm : 0.0f;
        for (int c = 0; c < C; c++)
            y[c] = x[c] * inv;
    }
}

void cpu_l2norm_bwd(float *dinp, const float *dout, const float *out, const float *norm, int N,
                    int C) {
    // dinp (N, C) +=, dout (N, C), out (N, C), norm (N): dinp = (dout - y (y . dout)) / norm
    if (!dinp || N <= 0 || C <= 0) return;
#pragma omp parallel for if ((size_t)N * C >= CPU_PARALLEL_MIN)
    for (int n = 0; n < N; n++) {
        if (!(norm[n] > 0.0f)) continue;
        const float *y = out + (size_t)n * C;   // (C)
        const float *dy = dout + (size_t)n * C; // (C)
        float *dx = dinp + (size_t)n * C;       // (C)
        float s = 0.0f;
#pragma omp simd reduction(+ : s)
        for (int c = 0; c < C; c++)
            s += y[c] * dy[c];
        float inv = 1.0f / norm[n];
        for (int c = 0; c < C; c++)
            dx[c] += (dy[c] - y[c] * s) * inv;
    }
}
