/* The backend context (cuBLASLt handle, workspace, precision, scratch,
 * allocation counters), device detection and the memory ops. */
#include <stdio.h>

#include "cuda/cuda_internal.cuh"

/* 32 MiB: what cuBLASLt's heuristics use for Hopper's large tiles. */
#define CUDA_WORKSPACE_BYTES ((size_t)32 << 20)

static CudaCtx g_ctx; /* the one process-wide context, see cuda_internal.cuh */

extern "C" int drl_cuda_available(char *why, size_t len) {
    int count = 0;
    cudaError_t st = cudaGetDeviceCount(&count);
    if (st != cudaSuccess) {
        if (why && len) snprintf(why, len, "cudaGetDeviceCount: %s", cudaGetErrorString(st));
        cudaGetLastError(); // clear the sticky-free error so later probes start clean
        return 0;
    }
    if (count < 1) {
        if (why && len) snprintf(why, len, "cudaGetDeviceCount: 0 devices");
        return 0;
    }
    cudaDeviceProp prop;
    st = cudaGetDeviceProperties(&prop, 0);
    if (st != cudaSuccess) {
        if (why && len) snprintf(why, len, "cudaGetDeviceProperties: %s", cudaGetErrorString(st));
        return 0;
    }
    if (prop.major < 9) {
        if (why && len)
            snprintf(
                why, len,
                "device 0 (%.100s) has compute capability %d.%d; this build has sm_90 code only",
                prop.name, prop.major, prop.minor);
        return 0;
    }
    if (why && len)
        snprintf(why, len, "%.100s, %d SMs, %.1f GiB", prop.name, prop.multiProcessorCount,
                 prop.totalGlobalMem / 1073741824.0);
    return 1;
}

CudaCtx *cuda_ctx(void) {
    CudaCtx *c = &g_ctx;
    if (c->ready) return c;
    char why[512];
    if (!drl_cuda_available(why, sizeof why))
        drl_fail(__FILE__, __LINE__, "drl_cuda_ops", why,
                 "the CUDA backend needs an NVIDIA GPU of compute capability 9.0 and its driver; "
                 "use device = \"cpu\" or \"auto\"");
    cudaCheck(cudaGetDevice(&c->device));
    cudaCheck(
        cudaDeviceGetAttribute(&c->smem_optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, c->device));
    cublasCheck(cublasLtCreate(&c->lt));
    c->workspace_bytes = CUDA_WORKSPACE_BYTES;
    cudaCheck(cudaMalloc(&c->workspace, c->workspace_bytes));
    c->mem_current = c->mem_peak = c->workspace_bytes;
    c->ready = 1;
    return c;
}

void cuda_count_alloc(ptrdiff_t bytes) {
    CudaCtx *c = &g_ctx;
    c->mem_current = (size_t)((ptrdiff_t)c->mem_current + bytes);
    if (c->mem_current > c->mem_peak) c->mem_peak = c->mem_current;
}

void *cuda_scratch(int slot, size_t bytes) {
    CudaCtx *c = cuda_ctx();
    if (c->scratch_bytes[slot] < bytes) {
        if (c->scratch[slot]) {
            cudaCheck(cudaFree(c->scratch[slot])); // synchronises: earlier users are done
            cuda_count_alloc(-(ptrdiff_t)c->scratch_bytes[slot]);
        }
        size_t grown = bytes + bytes / 4; // headroom against repeated growth
        cudaCheck(cudaMalloc(&c->scratch[slot], grown));
        c->scratch_bytes[slot] = grown;
        cuda_count_alloc((ptrdiff_t)grown);
    }
    return c->scratch[slot];
}

extern "C" void drl_cuda_set_precision(DrlCudaPrecision p) {
    g_ctx.precision = p;
}

extern "C" DrlCudaPrecision drl_cuda_get_precision(void) {
    return g_ctx.precision;
}

extern "C" const char *drl_cuda_precision_name(DrlCudaPrecision p) {
    switch (p) {
    case DRL_CUDA_FP32:
        return "fp32";
    case DRL_CUDA_TF32:
        return "tf32";
    case DRL_CUDA_BF16:
        return "bf16";
    }
    return "?";
}

extern "C" size_t drl_cuda_workspace_bytes(void) {
    return cuda_ctx()->workspace_bytes;
}

extern "C" void drl_cuda_mem_stats(size_t *current, size_t *peak) {
    if (current) *current = g_ctx.mem_current;
    if (peak) *peak = g_ctx.mem_peak;
}

extern "C" void drl_cuda_mem_reset_peak(void) {
    g_ctx.mem_peak = g_ctx.mem_current;
}

/* ---- memory ops ----------------------------------------------------------- */

/* Allocations carry a 256-byte header holding their size (for the counters);
 * the returned pointer stays 256-byte aligned. */
#define ALLOC_HEADER 256

extern "C" void *cuda_alloc(size_t bytes) {
    cuda_ctx();
    char *p = NULL;
    cudaError_t st = cudaMalloc((void **)&p, bytes + ALLOC_HEADER);
    if (st != cudaSuccess) {
        char msg[160];
        snprintf(msg, sizeof msg, "cudaMalloc of %zu bytes: %s", bytes, cudaGetErrorString(st));
        drl_fail(__FILE__, __LINE__, "alloc", msg, "lower the batch size or enable recompute");
    }
    size_t header = bytes;
    cudaCheck(cudaMemcpy(p, &header, sizeof header, cudaMemcpyHostToDevice));
    cudaCheck(cudaMemsetAsync(p + ALLOC_HEADER, 0, bytes, 0)); // zero-filled like the CPU's
    cuda_count_alloc((ptrdiff_t)bytes);
    return p + ALLOC_HEADER;
}

extern "C" void cuda_free(void *p) {
    if (!p) return;
    char *base = (char *)p - ALLOC_HEADER;
    size_t bytes = 0;
    cudaCheck(cudaMemcpy(&bytes, base, sizeof bytes, cudaMemcpyDeviceToHost));
    cudaCheck(cudaFree(base));
    cuda_count_alloc(-(ptrdiff_t)bytes);
}

extern "C" void cuda_zero(void *p, size_t bytes) {
    if (bytes) cudaCheck(cudaMemsetAsync(p, 0, bytes, 0));
}

extern "C" void cuda_to_device(void *dst, const void *src_host, size_t bytes) {
    if (bytes) cudaCheck(cudaMemcpy(dst, src_host, bytes, cudaMemcpyHostToDevice));
}

extern "C" void cuda_to_host(void *dst_host, const void *src, size_t bytes) {
    if (bytes) cudaCheck(cudaMemcpy(dst_host, src, bytes, cudaMemcpyDeviceToHost));
}

extern "C" void cuda_copy(void *dst, const void *src, size_t bytes) {
    // cudaMemcpy device-to-device handles overlap like memmove only for dst == src;
    // the op table's copy is used on disjoint buffers (model code) or equal ones.
    if (bytes && dst != src)
        cudaCheck(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, 0));
}

extern "C" void cuda_sync(void) {
    cudaCheck(cudaDeviceSynchronize());
}
