/* Masked reductions: mean along the middle axis of (N, K, C) (one thread per
 * (n, c), k in order) and max with argmax along the last axis of (N, C) (one
 * thread per row, first maximal index). */
#include "cuda/cuda_internal.cuh"

__global__ void masked_mean_fwd_kernel(float *out, const float *inp, const int32_t *mask, int N,
                                       int K, int C) {
    size_t total = (size_t)N * C;
    for (size_t t = blockIdx.x * (size_t)blockDim.x + threadIdx.x; t < total;
         t += (size_t)gridDim.x * blockDim.x) {
        size_t n = t / C, c = t % C;
        float acc = 0.0f, cnt = 0.0f;
        for (int k = 0; k < K; k++) {
            float w = mask ? (float)mask[n * K + k] : 1.0f;
            cnt += w;
            if (w != 0.0f) acc += w * inp[(n * K + k) * C + c];
        }
        out[t] = acc * (1.0f / (cnt > 1.0f ? cnt : 1.0f));
    }
}

__global__ void masked_mean_bwd_kernel(float *dinp, const float *dout, const int32_t *mask, int N,
                                       int K, int C) {
    size_t total = (size_t)N * C;
    for (size_t t = blockIdx.x * (size_t)blockDim.x + threadIdx.x; t < total;
         t += (size_t)gridDim.x * blockDim.x) {
        size_t n = t / C, c = t % C;
        float cnt = 0.0f;
        for (int k = 0; k < K; k++)
            cnt += mask ? (float)mask[n * K + k] : 1.0f;
        float inv = 1.0f / (cnt > 1.0f ? cnt : 1.0f);
        for (int k = 0; k < K; k++) {
            float w = (mask ? (float)mask[n * K + k] : 1.0f) * inv;
            if (w != 0.0f) dinp[(n * K + k) * C + c] += w * dout[t];
        }
    }
}

__global__ void rowmax_fwd_kernel(float *out, int32_t *argmax, const float *inp,
                                  const int32_t *mask, int N, int C) {
    int n = blockIdx.x * blockDim.x + threadIdx.x;
    if (n >= N) return;
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

__global__ void rowmax_bwd_kernel(float *dinp, const float *dout, const int32_t *argmax, int N,
                                  int C) {
    int n = blockIdx.x * blockDim.x + threadIdx.x;
    if (n >= N) return;
    int a = argmax[n];
    if (a >= 0 && a < C) dinp[(size_t)n * C + a] += dout[n]; // one writer per row
}

extern "C" void cuda_masked_mean_fwd(float *out, const float *inp, const int32_t *mask, int N,
                                     int K, int C) {
    // out (N, C), inp (N, K, C), mask (N, K) or NULL
    if (N <= 0 || C <= 0) return;
    masked_mean_fwd_kernel<<<cuda_grid((size_t)N * C, 256), 256>>>(out, inp, mask, N, K, C);
    cudaCheckLaunch();
}

extern "C" void cuda_masked_mean_bwd(float *dinp, const float *dout, const int32_t *mask, int N,
                                     int K, int C) {
    // dinp (N, K, C) +=, dout (N, C)
    if (!dinp || N <= 0 || C <= 0) return;
    masked_mean_bwd_kernel<<<cuda_grid((size_t)N * C, 256), 256>>>(dinp, dout, mask, N, K, C);
    cudaCheckLaunch();
}

extern "C" void cuda_rowmax_fwd(float *out, int32_t *argmax, const float *inp, const int32_t *mask,
                                int N, int C) {
    // out (N), argmax (N), inp (N, C), mask (N, C) or NULL
    if (N <= 0) return;
    rowmax_fwd_kernel<<<(N + 127) / 128, 128>>>(out, argmax, inp, mask, N, C);
    cudaCheckLaunch();
}

extern "C" void cuda_rowmax_bwd(float *dinp, const float *dout, const int32_t *argmax, int N,
                                int C) {
    // dinp (N, C) +=, dout (N), argmax (N)
    if (!dinp || N <= 0) return;
    rowmax_bwd_kernel<<<(N + 127) / 128, 128>>>(dinp, dout, argmax, N, C);
    cudaCheckLaunch();
}
