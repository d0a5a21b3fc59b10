/* Elementwise ops over flat arrays of n floats, OpenMP above CPU_PARALLEL_MIN. */
#include "cpu/cpu_internal.h"

#include <math.h>
#include <omp.h>
#include <string.h>

#include "cpu/cpu_vexp.h"
#include "ops/half.h"

#define QUICKGELU_K 1.702f

/* QuickGELU is the one elementwise op whose cost shows in a ViT-B/32 step
 * (three exponentials per MLP activation: forward, the recomputation and the
 * backward). glibc's scalar expf keeps the loop from vectorising, so the
 * sigmoid uses a branch-free exp (Cephes' expf: range reduction by ln 2 split
 * in two parts, a degree-6 polynomial, the exponent written into the bits;
 * within 2 ulp of expf over the clamped range, tests/ops) that the compiler
 * vectorises, and each chunk is compiled for AVX-512, AVX2 and the baseline,
 * chosen at load time (GCC target_clones). */
static inline float exp_vec(float x) {
    x = x != x ? 0.0f : x; /* NaN: any finite value; the callers multiply by x itself */
    return cpu_vexp_clamped(x < -87.3f ? -87.3f : (x > 88.3f ? 88.3f : x));
}

static inline float sigmoid_k(float x) {
    return 1.0f / (1.0f + exp_vec(-QUICKGELU_K * x));
}

#define CPU_ISA_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))

CPU_ISA_CLONES static void quickgelu_fwd_chunk(float *out, const float *inp, size_t n) {
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        const float x = inp[i];
        out[i] = x * sigmoid_k(x);
    }
}

CPU_ISA_CLONES static void quickgelu_bwd_chunk(float *dinp, const float *dout, const float *inp,
                                               size_t n) {
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        const float x = inp[i];
        const float s = sigmoid_k(x);
        dinp[i] += dout[i] * (s + x * QUICKGELU_K * s * (1.0f - s));
    }
}

/* [lo, hi) of thread t of nt over n elements, in 16-float blocks. */
static void thread_range(size_t n, int t, int nt, size_t *lo, size_t *hi) {
    const size_t blocks = (n + 15) / 16, per = (blocks + (size_t)nt - 1) / (size_t)nt;
    *lo = (size_t)t * per * 16;
    *hi = *lo + per * 16;
    if (*lo > n) *lo = n;
    if (*hi > n) *hi = n;
}

void cpu_quickgelu_fwd(float *out, const float *inp, size_t n) {
    // out (n), inp (n)
#pragma omp parallel if (n >= CPU_PARALLEL_MIN)
    {
        size_t lo, hi;
        thread_range(n, omp_get_thread_num(), omp_get_num_threads(), &lo, &hi);
        quickgelu_fwd_chunk(out + lo, inp + lo, hi - lo);
    }
}

void cpu_quickgelu_bwd(float *dinp, const float *dout, const float *inp, size_t n) {
    // dinp (n) +=, dout (n), inp (n)
    if (!dinp) return;
#pragma omp parallel if (n >= CPU_PARALLEL_MIN)
    {
        size_t lo, hi;
        thread_range(n, omp_get_thread_num(), omp_get_num_threads(), &lo, &hi);
        quickgelu_bwd_chunk(dinp + lo, dout + lo, inp + lo, hi - lo);
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
