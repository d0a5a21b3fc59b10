/* LayerNorm over the last axis in fp32, biased variance (two passes: mean,
 * then the mean of squared deviations). */
#include "cpu/cpu_internal.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>

#include "common/check.h"

void cpu_layernorm_fwd(float *out, float *mean, float *rstd, const float *inp, const float *g,
                       const float *b, int N, int C, float eps) {
    // out (N, C), mean (N), rstd (N), inp (N, C), g (C), b (C)
    if (N <= 0 || C <= 0) return;
#pragma omp parallel for if ((size_t)N * C >= CPU_PARALLEL_MIN)
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C; // (C)
        float *y = out + (size_t)n * C;       // (C)
        float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
        for (int c = 0; c < C; c++)
            sum += x[c];
        float m = sum / (float)C;
        float sq = 0.0f;
#pragma omp simd reduction(+ : sq)
        for (int c = 0; c < C; c++) {
            float d = x[c] - m;
            sq += d * d;
        }
        float s = 1.0f / sqrtf(sq / (float)C + eps);
        for (int c = 0; c < C; c++)
            y[c] = (x[c] - m) * s * g[c] + b[c];
        mean[n] = m;
        rstd[n] = s;
    }
}

/* dinp (C) += rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) for one row,
 * with dxhat = dout * g and xhat = (x - mean) * rstd. */
static void layernorm_row_dinp(float *dx, const float *dy, const float *x, const float *g, float m,
                               float s, int C) {
    float sum_dxhat = 0.0f, sum_dxhat_xhat = 0.0f;
#pragma omp simd reduction(+ : sum_dxhat, sum_dxhat_xhat)
    for (int c = 0; c < C; c++) {
        float dxhat = dy[c] * g[c];
        sum_dxhat += dxhat;
        sum_dxhat_xhat += dxhat * (x[c] - m) * s;
    }
    float mean_dxhat = sum_dxhat / (float)C;
    float mean_dxhat_xhat = sum_dxhat_xhat / (float)C;
    for (int c = 0; c < C; c++) {
        float xhat = (x[c] - m) * s;
        dx[c] += s * (dy[c] * g[c] - mean_dxhat - xhat * mean_dxhat_xhat);
    }
}

void cpu_layernorm_bwd(float *dinp, float *dg, float *db, const float *dout, const float *inp,
                       const float *g, const float *mean, const float *rstd, int N, int C) {
    // dinp (N, C), dg (C), db (C), dout (N, C), inp (N, C), g (C), mean (N), rstd (N)
    if (N <= 0 || C <= 0) return;
    int want_params = dg != NULL || db != NULL;
    int parallel = (size_t)N * C >= CPU_PARALLEL_MIN;
    int nthreads = parallel ? omp_get_max_threads() : 1;
    // per-thread partial sums of the parameter gradients, in double, summed in
    // thread order afterwards so the result does not depend on timing
    double *part = want_params ? callocCheck((size_t)nthreads * 2 * C, sizeof(double)) : NULL;
    // part: (nthreads, 2, C): [t][0] for dg, [t][1] for db
#pragma omp parallel num_threads(nthreads) if (parallel)
    {
        int t = omp_get_thread_num();
        double *pdg = want_params ? part + (size_t)t * 2 * C : NULL; // (C)
        double *pdb = want_params ? pdg + C : NULL;                  // (C)
#pragma omp for schedule(static)
        for (int n = 0; n < N; n++) {
            const float *x = inp + (size_t)n * C;   // (C)
            const float *dy = dout + (size_t)n * C; // (C)
            float m = mean[n], s = rstd[n];
            if (want_params)
                for (int c = 0; c < C; c++) {
                    pdb[c] += dy[c];
                    pdg[c] += dy[c] * ((x[c] - m) * s);
                }
            if (dinp) layernorm_row_dinp(dinp + (size_t)n * C, dy, x, g, m, s, C);
        }
    }
    if (want_params) {
        for (int c = 0; c < C; c++) {
            double sg = 0.0, sb = 0.0;
            for (int t = 0; t < nthreads; t++) {
                sg += part[(size_t)t * 2 * C + c];
                sb += part[(size_t)t * 2 * C + C + c];
            }
            if (dg) dg[c] += (float)sg;
            if (db) db[c] += (float)sb;
        }
    }
    free(part);
}

void cpu_residual_layernorm_fwd(float *sum, float *out, float *mean, float *rstd, const float *a,
                                const float *b, const float *g, const float *beta, int N, int C,
                                float eps) {
    // sum (N, C) = a + b; out (N, C) = LayerNorm(sum): the composition (the
    // add is memory-bound either way on the CPU; fused on the GPU)
    cpu_add(sum, a, b, (size_t)N * C);
    cpu_layernorm_fwd(out, mean, rstd, sum, g, beta, N, C, eps);
}
