/* Embedding lookup; the backward gives each thread one column and sums the
 * rows in the order of n, so repeated ids accumulate deterministically
 * without atomics. */
#include "cuda/cuda_internal.cuh"

__global__ void embedding_fwd_kernel(float *out, const int32_t *ids, const float *table, int N,
                                     int C) {
    size_t total = (size_t)N * C;
    for (size_t t = blockIdx.x * (size_t)blockDim.x + threadIdx.x; t < total;
         t += (size_t)gridDim.x * blockDim.x) {
        size_t n = t / C, c = t % C;
        out[t] = table[(size_t)ids[n] * C + c];
    }
}

__global__ void embedding_bwd_kernel(float *dtable, const float *dout, const int32_t *ids, int N,
                                     int C) {
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= C) return;
    for (int n = 0; n < N; n++)
        dtable[(size_t)ids[n] * C + c] += dout[(size_t)n * C + c];
}

__global__ void ids_min_kernel(int *bad, const int32_t *ids, int N) {
    for (int n = blockIdx.x * blockDim.x + threadIdx.x; n < N; n += gridDim.x * blockDim.x)
        if (ids[n] < 0) *bad = 1; // any writer writes the same value
}

/* Dies when an id is negative (the CPU backend's check). */
static void check_ids(const int32_t *ids, int N) {
    int *bad = (int *)cuda_scratch(2, sizeof(int));
    cudaCheck(cudaMemsetAsync(bad, 0, sizeof(int), 0));
    ids_min_kernel<<<cuda_grid((size_t)N, 256), 256>>>(bad, ids, N);
    cudaCheckLaunch();
    int h = 0;
    cudaCheck(cudaMemcpy(&h, bad, sizeof h, cudaMemcpyDeviceToHost));
    cudaCheckCond(h == 0, "embedding: token ids must be >= 0");
}

extern "C" void cuda_embedding_fwd(float *out, const int32_t *ids, const float *table, int N,
                                   int C) {
    // out (N, C), ids (N), table (V, C)
    if (N <= 0 || C <= 0) return;
    check_ids(ids, N);
    embedding_fwd_kernel<<<cuda_grid((size_t)N * C, 256), 256>>>(out, ids, table, N, C);
    cudaCheckLaunch();
}

extern "C" void cuda_embedding_bwd(float *dtable, const float *dout, const int32_t *ids, int N,
                                   int C) {
    // dtable (V, C) +=, dout (N, C), ids (N)
    if (!dtable || N <= 0 || C <= 0) return;
    check_ids(ids, N);
    embedding_bwd_kernel<<<(C + 127) / 128, 128>>>(dtable, dout, ids, N, C);
    cudaCheckLaunch();
}
