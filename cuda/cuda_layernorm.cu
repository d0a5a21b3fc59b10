/* LayerNorm over the last axis in fp32 (two passes, biased variance, like
 * the CPU backend), one block per row; the parameter gradients are column
 * sums over rows computed in two fixed-order stages (deterministic). */
#include "cuda/cuda_internal.cuh"

#define LN_THREADS 256
/* Rows summed per partial in the column sums. */
#define COLSUM_ROWS 64

/* One row's two passes (mean, then biased variance) by the whole block:
 * y (C) = (x - mean) rstd g + b; x may have been written by the calling
 * thread just before (each thread reads back only its own elements). */
__device__ static void layernorm_row(float *y, float *mean, float *rstd, const float *x,
                                     const float *g, const float *b, int C, float eps, float *shm,
                                     float partial_sum) {
    float m = block_sum(partial_sum, shm) / (float)C;
    float q = 0.0f;
    for (int c = threadIdx.x; c < C; c += blockDim.x) {
        float d = x[c] - m;
        q += d * d;
    }
    float r = rsqrtf(block_sum(q, shm) / (float)C + eps);
    for (int c = threadIdx.x; c < C; c += blockDim.x)
        y[c] = (x[c] - m) * r * g[c] + b[c];
    if (threadIdx.x == 0) *mean = m, *rstd = r;
}

__global__ void layernorm_fwd_kernel(float *out, float *mean, float *rstd, const float *inp,
                                     const float *g, const float *b, int C, float eps) {
    // one block per row: out (C), inp (C)
    __shared__ float shm[32];
    const float *x = inp + (size_t)blockIdx.x * C;
    float s = 0.0f;
    for (int c = threadIdx.x; c < C; c += blockDim.x)
        s += x[c];
    layernorm_row(out + (size_t)blockIdx.x * C, mean + blockIdx.x, rstd + blockIdx.x, x, g, b, C,
                  eps, shm, s);
}

__global__ void residual_layernorm_fwd_kernel(float *sum, float *out, float *mean, float *rstd,
                                              const float *a, const float *b, const float *g,
                                              const float *beta, int C, float eps) {
    // one block per row: sum (C) = a + b, written and read back by the same
    // thread (sum may alias a or b); then the passes of layernorm_fwd_kernel
    __shared__ float shm[32];
    const size_t row = (size_t)blockIdx.x * C;
    float *x = sum + row;
    float s = 0.0f;
    for (int c = threadIdx.x; c < C; c += blockDim.x) {
        float v = a[row + c] + b[row + c];
        x[c] = v;
        s += v;
    }
    layernorm_row(out + row, mean + blockIdx.x, rstd + blockIdx.x, x, g, beta, C, eps, shm, s);
}

__global__ void layernorm_bwd_dinp_kernel(float *dinp, const float *dout, const float *inp,
                                          const float *g, const float *mean, const float *rstd,
                                          int C) {
    // one block per row: dinp (C) += rstd (dxhat - mean dxhat - xhat mean(dxhat xhat))
    __shared__ float shm[32];
    size_t row = blockIdx.x;
    const float *x = inp + row * C, *dy = dout + row * C;
    float *dx = dinp + row * C;
    float m = mean[row], s = rstd[row];
    float a = 0.0f, bsum = 0.0f;
    for (int c = threadIdx.x; c < C; c += blockDim.x) {
        float dxhat = dy[c] * g[c];
        a += dxhat;
        bsum += dxhat * (x[c] - m) * s;
    }
    float mean_dxhat = block_sum(a, shm) / (float)C;
    float mean_dxhat_xhat = block_sum(bsum, shm) / (float)C;
    for (int c = threadIdx.x; c < C; c += blockDim.x) {
        float xhat = (x[c] - m) * s;
        dx[c] += s * (dy[c] * g[c] - mean_dxhat - xhat * mean_dxhat_xhat);
    }
}

__global__ void colsum_partial_kernel(float *part, const float *src, const float *x,
                                      const float *mean, const float *rstd, int N, int C) {
    // part (chunks, C): chunk blockIdx.y sums rows [y*COLSUM_ROWS, ...) of src (N, C)
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= C) return;
    int r0 = blockIdx.y * COLSUM_ROWS, r1 = min(N, r0 + COLSUM_ROWS);
    float acc = 0.0f;
    for (int r = r0; r < r1; r++) {
        float v = src[(size_t)r * C + c];
        if (x) v *= (x[(size_t)r * C + c] - mean[r]) * rstd[r];
        acc += v;
    }
    part[(size_t)blockIdx.y * C + c] = acc;
}

__global__ void colsum_final_kernel(float *dst, const float *part, int chunks, int C) {
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= C) return;
    double acc = 0.0;
    for (int k = 0; k < chunks; k++)
        acc += part[(size_t)k * C + c];
    dst[c] += (float)acc;
}

void cuda_colsum_acc(float *dst, const float *src, const float *x, const float *mean,
                     const float *rstd, int N, int C) {
    if (N <= 0 || C <= 0) return;
    int chunks = (N + COLSUM_ROWS - 1) / COLSUM_ROWS;
    cudaCheckCond(chunks <= 65535, "column sums over more than 4M rows: split the batch");
    float *part = (float *)cuda_scratch(2, (size_t)chunks * C * sizeof(float)); // (chunks, C)
    dim3 grid((C + 127) / 128, chunks);
    colsum_partial_kernel<<<grid, 128>>>(part, src, x, mean, rstd, N, C);
    cudaCheckLaunch();
    colsum_final_kernel<<<(C + 127) / 128, 128>>>(dst, part, chunks, C);
    cudaCheckLaunch();
}

extern "C" void cuda_layernorm_fwd(float *out, float *mean, float *rstd, const float *inp,
                                   const float *g, const float *b, int N, int C, float eps) {
    // out (N, C), mean (N), rstd (N), inp (N, C), g (C), b (C)
    if (N <= 0 || C <= 0) return;
    layernorm_fwd_kernel<<<N, LN_THREADS>>>(out, mean, rstd, inp, g, b, C, eps);
    cudaCheckLaunch();
}

extern "C" void cuda_layernorm_bwd(float *dinp, float *dg, float *db, const float *dout,
                                   const float *inp, const float *g, const float *mean,
                                   const float *rstd, int N, int C) {
    // dinp (N, C) +=, dg (C) +=, db (C) +=
    if (N <= 0 || C <= 0) return;
    if (db) cuda_colsum_acc(db, dout, NULL, NULL, NULL, N, C);
    if (dg) cuda_colsum_acc(dg, dout, inp, mean, rstd, N, C);
    if (dinp) {
        layernorm_bwd_dinp_kernel<<<N, LN_THREADS>>>(dinp, dout, inp, g, mean, rstd, C);
        cudaCheckLaunch();
    }
}

extern "C" void cuda_residual_layernorm_fwd(float *sum, float *out, float *mean, float *rstd,
                                            const float *a, const float *b, const float *g,
                                            const float *beta, int N, int C, float eps) {
    // sum (N, C) = a + b, out (N, C), mean (N), rstd (N), g (C), beta (C)
    if (N <= 0 || C <= 0) return;
    residual_layernorm_fwd_kernel<<<N, LN_THREADS>>>(sum, out, mean, rstd, a, b, g, beta, C, eps);
    cudaCheckLaunch();
}
