/* Elementwise ops over flat arrays of n floats, OpenMP above CPU_PARALLEL_MIN. */
#include "cpu/cpu_internal.h"

#include <math.h>

#include "ops/half.h"

#define QUICKGELU_K 1.702f

void cpu_quickgelu_fwd(float *out, const float *inp, size_t n) {
    // out (n), inp (n)
#pragma omp parallel for simd if (n >= CPU_PARALLEL_MIN)
    for (size_t i = 0; i < n; i++) {
        float x = inp[i];
        out[i] = x / (1.0f + expf(-QUICKGELU_K * x));
    }
}

void cpu_quickgelu_bwd(float *dinp, const float *dout, const float *inp, size_t n) {
    // dinp (n) +=, dout (n), inp (n)
    if (!dinp) return;
#pragma omp parallel for simd if (n >= CPU_PARALLEL_MIN)
    for (size_t i = 0; i < n; i++) {
        float x = inp[i];
        float s = 1.0f / (1.0f + expf(-QUICKGELU_K * x));
        dinp[i] += dout[i] * (s + x * QUICKGELU_K * s * (1.0f - s));
    }
}

void cpu_relu_fwd(float *out, const float *inp, size_t n) {
    // out (n), inp (n)
#pragma omp parallel for simd if (n >= CPU_PARALLEL_MIN)
    for (size_t i = 0; i < n; i++)
        out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
}

void cpu_relu_bwd(float *dinp, const float *dout, const float *inp, size_t n) {
    // dinp (n) +=, dout (n), inp (n); the gradient at 0 is 0 (PyTorch's choice)
    if (!dinp) return;
#pragma omp parallel for simd if (n >= CPU_PARALLEL_MIN)
    for (size_t i = 0; i < n; i++)
        dinp[i] += inp[i] > 0.0f ? dout[i] : 0.0f;
}

void cpu_add(float *out, const float *a, const float *b, size_t n) {
    // out (n) may alias a or b: each element is read before it is written
#pragma omp parallel for simd if (n >= CPU_PARALLEL_MIN)
    for (size_t i = 0; i < n; i++)
        out[i] = a[i] + b[i];
}

void cpu_axpy(float *y, float alpha, const float *x, size_t n) {
    // y (n) += alpha * x (n)
#pragma omp parallel for simd if (n >= CPU_PARALLEL_MIN)
    for (size_t i = 0; i < n; i++)
        y[i] += alpha * x[i];
}

void cpu_scale(float *x, float alpha, size_t n) {
    // x (n) *= alpha
#pragma omp parallel for simd if (n >= CPU_PARALLEL_MIN)
    for (size_t i = 0; i < n; i++)
        x[i] *= alpha;
}

void cpu_round_fp16(float *x, size_t n) {
    // x (n), in place
#pragma omp parallel for if (n >= CPU_PARALLEL_MIN)
    for (size_t i = 0; i < n; i++)
        x[i] = half_round(x[i]);
}
