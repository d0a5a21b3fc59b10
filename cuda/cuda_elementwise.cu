/* Elementwise ops over flat arrays of n floats (grid-stride loops). */
#include <cuda_fp16.h>

#include "cuda/cuda_internal.cuh"

#define QUICKGELU_K 1.702f
#define EW_THREADS  256

#define GRID_STRIDE(i, n)                                                                          \
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < (n);                        \
         i += (size_t)gridDim.x * blockDim.x)

__global__ void quickgelu_fwd_kernel(float *out, const float *inp, size_t n) {
    GRID_STRIDE(i, n) {
        float x = inp[i];
        out[i] = x / (1.0f + expf(-QUICKGELU_K * x));
    }
}

__global__ void quickgelu_bwd_kernel(float *dinp, const float *dout, const float *inp, size_t n) {
    GRID_STRIDE(i, n) {
        float x = inp[i];
        float s = 1.0f / (1.0f + expf(-QUICKGELU_K * x));
        dinp[i] += dout[i] * (s + x * QUICKGELU_K * s * (1.0f - s));
    }
}

__global__ void relu_fwd_kernel(float *out, const float *inp, size_t n) {
    GRID_STRIDE(i, n) out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
}

__global__ void relu_bwd_kernel(float *dinp, const float *dout, const float *inp, size_t n) {
    GRID_STRIDE(i, n) dinp[i] += inp[i] > 0.0f ? dout[i] : 0.0f;
}

__global__ void add_kernel(float *out, const float *a, const float *b, size_t n) {
    GRID_STRIDE(i, n) out[i] = a[i] + b[i];
}

__global__ void axpy_kernel(float *y, float alpha, const float *x, size_t n) {
    GRID_STRIDE(i, n) y[i] += alpha * x[i];
}

__global__ void scale_kernel(float *x, float alpha, size_t n) {
    GRID_STRIDE(i, n) x[i] *= alpha;
}

__global__ void round_fp16_kernel(float *x, size_t n) {
    // nearest binary16, ties to even, subnormals kept, overflow to +-inf
    GRID_STRIDE(i, n) x[i] = __half2float(__float2half_rn(x[i]));
}

#define LAUNCH(kernel, n, ...)                                                                     \
    do {                                                                                           \
        if ((n) == 0) return;                                                                      \
        kernel<<<cuda_grid((n), EW_THREADS), EW_THREADS>>>(__VA_ARGS__);                           \
        cudaCheckLaunch();                                                                         \
    } while (0)

extern "C" void cuda_quickgelu_fwd(float *out, const float *inp, size_t n) {
    LAUNCH(quickgelu_fwd_kernel, n, out, inp, n); // out (n), inp (n)
}
extern "C" void cuda_quickgelu_bwd(float *dinp, const float *dout, const float *inp, size_t n) {
    if (!dinp) return;
    LAUNCH(quickgelu_bwd_kernel, n, dinp, dout, inp, n); // dinp (n) +=
}
extern "C" void cuda_relu_fwd(float *out, const float *inp, size_t n) {
    LAUNCH(relu_fwd_kernel, n, out, inp, n);
}
extern "C" void cuda_relu_bwd(float *dinp, const float *dout, const float *inp, size_t n) {
    if (!dinp) return;
    LAUNCH(relu_bwd_kernel, n, dinp, dout, inp, n);
}
extern "C" void cuda_add(float *out, const float *a, const float *b, size_t n) {
    LAUNCH(add_kernel, n, out, a, b, n); // out may alias a or b (same index read then written)
}
extern "C" void cuda_axpy(float *y, float alpha, const float *x, size_t n) {
    LAUNCH(axpy_kernel, n, y, alpha, x, n);
}
extern "C" void cuda_scale(float *x, float alpha, size_t n) {
    LAUNCH(scale_kernel, n, x, alpha, n);
}
extern "C" void cuda_round_fp16(float *x, size_t n) {
    LAUNCH(round_fp16_kernel, n, x, n); // x (n) in place
}
