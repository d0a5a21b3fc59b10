/* L2 normalisation over the last axis, one block per row; a zero row stays
 * zero (norm 0, gradient 0). The forward sums squares in double like the CPU. */
#include "cuda/cuda_internal.cuh"

#define L2_THREADS 128

__global__ void l2norm_fwd_kernel(float *out, float *norm, const float *inp, int C) {
    __shared__ double shm[32];
    const size_t row = blockIdx.x;
    const float *x = inp + row * C; // (C)
    float *y = out + row * C;       // (C)
    double sq = 0.0;
    for (int c = threadIdx.x; c < C; c += blockDim.x)
        sq += (double)x[c] * x[c];
    float nrm = (float)sqrt(block_sum(sq, shm));
    float inv = nrm > 0.0f ? 1.0f / nrm : 0.0f;
    for (int c = threadIdx.x; c < C; c += blockDim.x)
        y[c] = x[c] * inv;
    if (threadIdx.x == 0) norm[row] = nrm;
}

__global__ void l2norm_bwd_kernel(float *dinp, const float *dout, const float *out,
                                  const float *norm, int C) {
    __shared__ float shm[32];
    const size_t row = blockIdx.x;
    if (!(norm[row] > 0.0f)) return;                      // uniform per block
    const float *y = out + row * C, *dy = dout + row * C; // (C)
    float *dx = dinp + row * C;                           // (C)
    float s = 0.0f;
    for (int c = threadIdx.x; c < C; c += blockDim.x)
        s += y[c] * dy[c];
    s = block_sum(s, shm);
    float inv = 1.0f / norm[row];
    for (int c = threadIdx.x; c < C; c += blockDim.x)
        dx[c] += (dy[c] - y[c] * s) * inv;
}

extern "C" void cuda_l2norm_fwd(float *out, float *norm, const float *inp, int N, int C) {
    // out (N, C), norm (N), inp (N, C)
    if (N <= 0 || C <= 0) return;
    l2norm_fwd_kernel<<<N, L2_THREADS>>>(out, norm, inp, C);
    cudaCheckLaunch();
}

extern "C" void cuda_l2norm_bwd(float *dinp, const float *dout, const float *out, const float *norm,
                                int N, int C) {
    // dinp (N, C) += (dout - y (y . dout)) / norm
    if (!dinp || N <= 0 || C <= 0) return;
    l2norm_bwd_kernel<<<N, L2_THREADS>>>(dinp, dout, out, norm, C);
    cudaCheckLaunch();
}
