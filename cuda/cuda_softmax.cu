/* Softmax over the last axis, optionally masked (int32 0/1), one block per
 * row; a row with no valid entry is all zeros. */
#include <math.h>

#include "cuda/cuda_internal.cuh"

#define SM_THREADS 128

__global__ void softmax_fwd_kernel(float *out, const float *inp, const int32_t *mask, int C) {
    __shared__ float shm[32];
    __shared__ double dshm[32];
    const size_t row = blockIdx.x;
    const float *x = inp + row * C;                  // (C)
    const int32_t *m = mask ? mask + row * C : NULL; // (C)
    float *y = out + row * C;                        // (C)
    float mx = -INFINITY;
    for (int c = threadIdx.x; c < C; c += blockDim.x)
        if (!m || m[c]) mx = fmaxf(mx, x[c]);
    mx = warp_max(mx);
    __syncthreads();
    if ((threadIdx.x & 31) == 0) shm[threadIdx.x >> 5] = mx;
    __syncthreads();
    mx = -INFINITY;
    for (int w = 0; w < (int)(blockDim.x >> 5); w++)
        mx = fmaxf(mx, shm[w]);
    if (mx == -INFINITY) { // no valid entry (or all -inf): zeros
        for (int c = threadIdx.x; c < C; c += blockDim.x)
            y[c] = 0.0f;
        return;
    }
    double s = 0.0;
    for (int c = threadIdx.x; c < C; c += blockDim.x) {
        float e = (!m || m[c]) ? expf(x[c] - mx) : 0.0f;
        y[c] = e;
        s += e;
    }
    float inv = (float)(1.0 / block_sum(s, dshm));
    for (int c = threadIdx.x; c < C; c += blockDim.x)
        y[c] *= inv;
}

__global__ void softmax_bwd_kernel(float *dinp, const float *dout, const float *out, int C) {
    __shared__ float shm[32];
    const size_t row = blockIdx.x;
    const float *y = out + row * C, *dy = dout + row * C; // (C)
    float *dx = dinp + row * C;                           // (C)
    float s = 0.0f;
    for (int c = threadIdx.x; c < C; c += blockDim.x)
        s += y[c] * dy[c];
    s = block_sum(s, shm);
    for (int c = threadIdx.x; c < C; c += blockDim.x)
        dx[c] += y[c] * (dy[c] - s);
}

extern "C" void cuda_softmax_fwd(float *out, const float *inp, const int32_t *mask, int N, int C) {
    // out (N, C), inp (N, C), mask (N, C) or NULL
    if (N <= 0 || C <= 0) return;
    softmax_fwd_kernel<<<N, SM_THREADS>>>(out, inp, mask, C);
    cudaCheckLaunch();
}

extern "C" void cuda_softmax_bwd(float *dinp, const float *dout, const float *out, int N, int C) {
    // dinp (N, C) += out * (dout - sum(out * dout))
    if (!dinp || N <= 0 || C <= 0) return;
    softmax_bwd_kernel<<<N, SM_THREADS>>>(dinp, dout, out, C);
    cudaCheckLaunch();
}
