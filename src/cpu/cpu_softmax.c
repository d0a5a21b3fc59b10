/* Softmax over the last axis, optionally masked (int32 0/1): masked entries get
 * probability 0 and a row with no valid entry is all zeros. */
#include "cpu/cpu_internal.h"

#include <math.h>

void cpu_softmax_fwd(float *out, const float *inp, const int32_t *mask, int N, int C) {
    // out (N, C), inp (N, C), mask (N, C) or NULL
    if (N <= 0 || C <= 0) return;
#pragma omp parallel for if ((size_t)N * C >= CPU_PARALLEL_MIN)
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C;                  // (C)
        const int32_t *m = mask ? mask + (size_t)n * C : NULL; // (C)
        float *y = out + (size_t)n * C;                        // (C)
        float mx = -INFINITY;
        int valid = 0;
        for (int c = 0; c < C; c++)
            if (!m || m[c]) {
                valid = 1;
                if (x[c] > mx) mx = x[c];
            }
        if (!valid || mx == -INFINITY) {
            for (int c = 0; c < C; c++)
                y[c] = 0.0f;
            continue;
        }
        double sum = 0.0;
        for (int c = 0; c < C; c++) {
            float e = (!m || m[c]) ? expf(x[c] - mx) : 0.0f;
            y[c] = e;
            sum += e;
        }
        float inv = (float)(1.0 / sum);
        for (int c = 0; c < C; c++)
            y[c] *= inv;
    }
}

void cpu_softmax_bwd(float *dinp, const float *dout, const float *out, int N, int C) {
    // dinp (N, C) +=, dout (N, C), out (N, C): dinp = out * (dout - sum(out * dout))
    if (!dinp || N <= 0 || C <= 0) return;
#pragma omp parallel for if ((size_t)N * C >= CPU_PARALLEL_MIN)
    for (int n = 0; n < N; n++) {
        const float *y = out + (size_t)n * C;   // (C)
        const float *dy = dout + (size_t)n * C; // (C)
        float *dx = dinp + (size_t)n * C;       // (C)
        float s = 0.0f;
#pragma omp simd reduction(+ : s)
        for (int c = 0; c < C; c++)
            s += y[c] * dy[c];
        for (int c = 0; c < C; c++)
            dx[c] += y[c] * (dy[c] - s);
    }
}
