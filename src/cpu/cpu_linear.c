/* Linear (W stored [OC, IC]) and matmul (M stored [IC, OC]) with OpenBLAS
 * sgemm, row-major. Backward passes use beta = 1 so they accumulate. */
#include "cpu/cpu_internal.h"

#include <cblas.h>

/* Columns summed per OpenMP task in the bias gradient. */
#define BIAS_BLOCK 64

float cpu_bias_rows(float *out, const float *bias, int N, int OC) {
    // out (N, OC), bias (OC) or NULL
    if (!bias) return 0.0f;
#pragma omp parallel for if ((size_t)N * OC >= CPU_PARALLEL_MIN)
    for (int n = 0; n < N; n++) {
        float *row = out + (size_t)n * OC; // (OC)
        for (int o = 0; o < OC; o++)
            row[o] = bias[o];
    }
    return 1.0f;
}

void cpu_linear_fwd(float *out, const float *inp, const float *w, const float *bias, int N, int IC,
                    int OC) {
    // out (N, OC), inp (N, IC), w (OC, IC), bias (OC) or NULL
    if (N <= 0 || OC <= 0) return;
    const float beta = cpu_bias_rows(out, bias, N, OC);
    if (IC <= 0) {
        if (!bias)
            for (size_t i = 0; i < (size_t)N * OC; i++)
                out[i] = 0.0f;
        return;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, OC, IC, 1.0f, inp, IC, w, IC, beta, out,
                OC);
}

/* dbias (OC) += sum over rows of dout (N, OC), summed in double per column. */
void cpu_bias_grad(float *dbias, const float *dout, int N, int OC) {
    int nblocks = (OC + BIAS_BLOCK - 1) / BIAS_BLOCK;
#pragma omp parallel for if ((size_t)N * OC >= CPU_PARALLEL_MIN)
    for (int blk = 0; blk < nblocks; blk++) {
        int o0 = blk * BIAS_BLOCK;
        int o1 = o0 + BIAS_BLOCK < OC ? o0 + BIAS_BLOCK : OC;
        double acc[BIAS_BLOCK] = {0}; // (o1 - o0) partial column sums
        for (int n = 0; n < N; n++) {
            const float *row = dout + (size_t)n * OC; // (OC)
            for (int o = o0; o < o1; o++)
                acc[o - o0] += row[o];
        }
        for (int o = o0; o < o1; o++)
            dbias[o] += (float)acc[o - o0];
    }
}

void cpu_linear_bwd(float *dinp, float *dw, float *dbias, const float *dout, const float *inp,
                    const float *w, int N, int IC, int OC) {
    // dinp (N, IC), dw (OC, IC), dbias (OC), dout (N, OC), inp (N, IC), w (OC, IC)
    if (N <= 0 || OC <= 0) return;
    if (dbias) cpu_bias_grad(dbias, dout, N, OC);
    if (IC <= 0) return;
    if (dinp) // (N, IC) += (N, OC) @ (OC, IC)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, IC, OC, 1.0f, dout, OC, w, IC,
                    1.0f, dinp, IC);
    if (dw) // (OC, IC) += (N, OC)^T @ (N, IC)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, OC, IC, N, 1.0f, dout, OC, inp, IC,
                    1.0f, dw, IC);
}

void cpu_matmul_fwd(float *out, const float *inp, const float *m, int N, int IC, int OC) {
    // out (N, OC), inp (N, IC), m (IC, OC)
    if (N <= 0 || OC <= 0) return;
    if (IC <= 0) {
        for (size_t i = 0; i < (size_t)N * OC; i++)
            out[i] = 0.0f;
        return;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, OC, IC, 1.0f, inp, IC, m, OC, 0.0f,
                out, OC);
}

void cpu_matmul_bwd(float *dinp, float *dm, const float *dout, const float *inp, const float *m,
                    int N, int IC, int OC) {
    // dinp (N, IC), dm (IC, OC), dout (N, OC), inp (N, IC), m (IC, OC)
    if (N <= 0 || OC <= 0 || IC <= 0) return;
    if (dinp) // (N, IC) += (N, OC) @ (IC, OC)^T
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, IC, OC, 1.0f, dout, OC, m, OC, 1.0f,
                    dinp, IC);
    if (dm) // (IC, OC) += (N, IC)^T @ (N, OC)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, IC, OC, N, 1.0f, inp, IC, dout, OC,
                    1.0f, dm, OC);
}
