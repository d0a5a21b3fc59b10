/* xti's sequence kernels (src/drl/head_kernels.h; the CPU entries are in
 * src/drl/xti_seq.c): the dropout multipliers from packed keep bits, and the
 * segmented sums that take the sequences' gradient (Bt*Bv, 1+T, D) back to
 * the table rows (one EOT row per text, one row per frame) and the
 * positions. Threads own feature columns; every sum runs over its pairs in
 * index order (deterministic, no atomics). */
#include "cuda/cuda_internal.cuh"

#define XTI_THREADS 256

__global__ void dropout_bits_kernel(float *x, const uint8_t *bits, float keep, size_t n) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x)
        x[i] *= (bits[i >> 3] >> (i & 7)) & 1u ? keep : 0.0f;
}

/* Block r < Bt: text r's row, sum over videos b; block r >= Bt: frame row
 * (b, j), sum over texts a. Threads stride the D columns. */
__global__ void xti_table_grad_kernel(float *dtable, const float *dx, int Bt, int Bv, int T,
                                      int D) {
    const int r = blockIdx.x, S = T + 1;
    for (int d = threadIdx.x; d < D; d += blockDim.x) {
        float acc = 0.0f;
        if (r < Bt) {
            for (int b = 0; b < Bv; b++)
                acc += dx[(((size_t)r * Bv + b) * S) * D + d];
        } else {
            const int b = (r - Bt) / T, j = (r - Bt) % T;
            for (int a = 0; a < Bt; a++)
                acc += dx[(((size_t)a * Bv + b) * S + 1 + j) * D + d];
        }
        dtable[(size_t)r * D + d] = acc;
    }
}

/* Block t: dpos row t from dtable (row 0: the Bt text rows; row 1+j: frame j
 * of every video, videos in order). */
__global__ void xti_pos_grad_kernel(float *dpos, const float *dtable, int Bt, int Bv, int T,
                                    int D) {
    const int t = blockIdx.x;
    for (int d = threadIdx.x; d < D; d += blockDim.x) {
        float acc = 0.0f;
        if (t == 0)
            for (int a = 0; a < Bt; a++)
                acc += dtable[(size_t)a * D + d];
        else
            for (int b = 0; b < Bv; b++)
                acc += dtable[((size_t)Bt + (size_t)b * T + t - 1) * D + d];
        dpos[(size_t)t * D + d] = acc;
    }
}

extern "C" void cuda_dropout_bits(float *x, const uint8_t *bits, float keep, size_t n) {
    // x (n), bits (n / 8 rounded up)
    if (n == 0) return;
    dropout_bits_kernel<<<cuda_grid(n, XTI_THREADS), XTI_THREADS>>>(x, bits, keep, n);
    cudaCheckLaunch();
}

extern "C" void cuda_xti_seq_bwd(float *dtable, float *dpos, const float *dx, int Bt, int Bv, int T,
                                 int D) {
    // dtable (Bt + Bv*T, D) =, dpos (1+T, D) =, dx (Bt*Bv, 1+T, D)
    if (D <= 0 || T < 0) return;
    const int rows = Bt + Bv * T;
    const int threads = D < XTI_THREADS ? ((D + 31) / 32) * 32 : XTI_THREADS;
    if (rows > 0) {
        xti_table_grad_kernel<<<(unsigned int)rows, threads>>>(dtable, dx, Bt, Bv, T, D);
        cudaCheckLaunch();
    }
    xti_pos_grad_kernel<<<(unsigned int)(T + 1), threads>>>(dpos, dtable, Bt, Bv, T, D);
    cudaCheckLaunch();
}
