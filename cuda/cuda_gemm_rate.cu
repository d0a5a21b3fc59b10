/* The measured bf16 matrix rate (the MFU denominator of the benchmarks):
 * cuBLASLt n x n x n in bf16 with fp32 accumulation, best of reps. */
#include "cuda/cuda_internal.cuh"

extern "C" double drl_cuda_bf16_gemm_tflops(int n, int reps) {
    cudaCheckCond(n > 0 && reps > 0, "gemm rate: n and reps must be positive");
    DrlCudaPrecision saved = drl_cuda_get_precision();
    drl_cuda_set_precision(DRL_CUDA_BF16);
    size_t bytes = (size_t)n * n * sizeof(float);
    float *a = (float *)cuda_alloc(bytes), *b = (float *)cuda_alloc(bytes);
    float *c = (float *)cuda_alloc(bytes);
    // warm-up; it leaves the bf16 copies of a and b in scratch slots 0 and 1, which the
    // timed products use directly (the conversion is not part of the matrix rate)
    CudaCtx *ctx = cuda_ctx();
    cuda_gemm(0, 0, n, n, n, a, n, b, n, 0.0f, c, n, NULL);
    const void *a16 = cuda_scratch(0, 0), *b16 = cuda_scratch(1, 0);
    cudaEvent_t e0, e1;
    cudaCheck(cudaEventCreate(&e0));
    cudaCheck(cudaEventCreate(&e1));
    float best = 1e30f;
    for (int r = 0; r < reps; r++) {
        cudaCheck(cudaEventRecord(e0, 0));
        int ran = cuda_lt_matmul(ctx, 0, 0, n, n, n, a16, n, b16, n, 0.0f, c, n, NULL);
        cudaCheckCond(ran, "cuBLASLt has no bf16 algorithm for the rate measurement");
        cudaCheck(cudaEventRecord(e1, 0));
        cudaCheck(cudaEventSynchronize(e1));
        float ms = 0.0f;
        cudaCheck(cudaEventElapsedTime(&ms, e0, e1));
        if (ms < best) best = ms;
    }
    cudaCheck(cudaEventDestroy(e0));
    cudaCheck(cudaEventDestroy(e1));
    cuda_free(a), cuda_free(b), cuda_free(c);
    drl_cuda_set_precision(saved);
    return 2.0 * n * (double)n * n / (best * 1e-3) / 1e12;
}
