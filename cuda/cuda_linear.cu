/* Linear and matmul through cuBLASLt. Row-major X (rows, cols) is the
 * column-major matrix X^T (cols, rows) with the same leading dimension, so
 * every row-major product is computed as its transpose:
 *   linear  out^T (OC, N)  = W^T^T . X^T   -> gemm(T, N, OC, N, IC, W, IC, X, IC)
 * and likewise for the backward and matmul products (comments per call).
 * Precision: FP32 (CUBLAS_COMPUTE_32F), TF32 (COMPUTE_32F_FAST_TF32) or BF16
 * (operands rounded to bf16 in scratch, fp32 accumulation and output; a
 * weight inside the registered flat parameters is read from their bf16 copy,
 * kept up to date by the Adam update with stochastic rounding). The
 * bias rides in cuBLASLt's BIAS epilogue; when the heuristics offer no
 * algorithm for it, the output is preset to the bias and beta = 1. */
#include <cuda_bf16.h>

#include "cuda/cuda_internal.cuh"

__global__ void to_bf16_kernel(__nv_bfloat16 *dst, const float *src, size_t n) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x)
        dst[i] = __float2bfloat16_rn(src[i]);
}

__global__ void bias_broadcast_kernel(float *c, const float *bias, int m, int n, int ldc) {
    // c (n, ldc) column-major m x n: c[j*ldc + i] = bias[i]
    size_t total = (size_t)m * n;
    for (size_t t = blockIdx.x * (size_t)blockDim.x + threadIdx.x; t < total;
         t += (size_t)gridDim.x * blockDim.x) {
        int i = (int)(t % m), j = (int)(t / m);
        c[(size_t)j * ldc + i] = bias[i];
    }
}

/* ---- the bf16 copy of the flat parameters ---------------------------------- */

extern "C" void drl_cuda_register_param_shadow(const float *flat, size_t n) {
    CudaCtx *c = cuda_ctx();
    if (c->shadow && (c->shadow_src != flat || c->shadow_n != n)) drl_cuda_release_param_shadow();
    if (!c->shadow) {
        cudaCheck(cudaMalloc(&c->shadow, (n ? n : 1) * sizeof(__nv_bfloat16)));
        cuda_count_alloc((ptrdiff_t)((n ? n : 1) * sizeof(__nv_bfloat16)));
    }
    c->shadow_src = flat;
    c->shadow_n = n;
    if (n) {
        to_bf16_kernel<<<cuda_grid(n, 256), 256>>>((__nv_bfloat16 *)c->shadow, flat, n);
        cudaCheckLaunch();
    }
}

extern "C" void drl_cuda_release_param_shadow(void) {
    CudaCtx *c = cuda_ctx();
    if (!c->shadow) return;
    cudaCheck(cudaFree(c->shadow));
    cuda_count_alloc(-(ptrdiff_t)((c->shadow_n ? c->shadow_n : 1) * sizeof(__nv_bfloat16)));
    c->shadow = NULL;
    c->shadow_src = NULL;
    c->shadow_n = 0;
}

extern "C" size_t drl_cuda_param_shadow_bytes(void) {
    CudaCtx *c = cuda_ctx();
    return c->shadow ? c->shadow_n * sizeof(__nv_bfloat16) : 0;
}

const void *cuda_param_shadow_lookup(const float *x, size_t extent) {
    CudaCtx *c = cuda_ctx();
    if (!c->shadow || c->precision != DRL_CUDA_BF16 || x < c->shadow_src) return NULL;
    size_t off = (size_t)(x - c->shadow_src);
    if (off >= c->shadow_n || extent > c->shadow_n - off) return NULL;
    return (const __nv_bfloat16 *)c->shadow + off;
}

void *cuda_param_shadow_for(const float *w) {
    CudaCtx *c = cuda_ctx();
    return c->shadow && c->precision == DRL_CUDA_BF16 && w == c->shadow_src ? c->shadow : NULL;
}

/* A bf16 copy of the column-major (rows, cols, ld) matrix: the parameters'
 * bf16 copy when x lies in it, else converted into scratch `slot`. */
static const void *as_bf16(int slot, const float *x, int cols, int ld) {
    size_t n = (size_t)cols * ld;
    const void *kept = cuda_param_shadow_lookup(x, n);
    if (kept) return kept;
    __nv_bfloat16 *dst = (__nv_bfloat16 *)cuda_scratch(slot, n * sizeof(__nv_bfloat16));
    to_bf16_kernel<<<cuda_grid(n, 256), 256>>>(dst, x, n);
    cudaCheckLaunch();
    return dst;
}

int cuda_lt_matmul(CudaCtx *c, int transa, int transb, int m, int n, int k, const void *A, int lda,
                   const void *B, int ldb, float beta, float *C, int ldc, const float *bias) {
    const int bf16 = c->precision == DRL_CUDA_BF16;
    const cudaDataType_t ab = bf16 ? CUDA_R_16BF : CUDA_R_32F;
    const cublasComputeType_t ct =
        c->precision == DRL_CUDA_TF32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
    cublasLtMatmulDesc_t op;
    cublasCheck(cublasLtMatmulDescCreate(&op, ct, CUDA_R_32F));
    cublasOperation_t ta = transa ? CUBLAS_OP_T : CUBLAS_OP_N;
    cublasOperation_t tb = transb ? CUBLAS_OP_T : CUBLAS_OP_N;
    cublasCheck(cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof ta));
    cublasCheck(cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof tb));
    if (bias) {
        cublasLtEpilogue_t epi = CUBLASLT_EPILOGUE_BIAS;
        cudaDataType_t bt = CUDA_R_32F;
        cublasCheck(
            cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_EPILOGUE, &epi, sizeof epi));
        cublasCheck(cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias,
                                                   sizeof bias));
        cublasCheck(cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, &bt,
                                                   sizeof bt));
    }
    cublasLtMatrixLayout_t la, lb, lc;
    cublasCheck(cublasLtMatrixLayoutCreate(&la, ab, transa ? k : m, transa ? m : k, lda));
    cublasCheck(cublasLtMatrixLayoutCreate(&lb, ab, transb ? n : k, transb ? k : n, ldb));
    cublasCheck(cublasLtMatrixLayoutCreate(&lc, CUDA_R_32F, m, n, ldc));
    cublasLtMatmulPreference_t pref;
    cublasCheck(cublasLtMatmulPreferenceCreate(&pref));
    cublasCheck(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                                     &c->workspace_bytes,
                                                     sizeof c->workspace_bytes));
    cublasLtMatmulHeuristicResult_t res;
    int found = 0;
    cublasStatus_t hs =
        cublasLtMatmulAlgoGetHeuristic(c->lt, op, la, lb, lc, lc, pref, 1, &res, &found);
    int ran = 0;
    if (hs == CUBLAS_STATUS_SUCCESS && found > 0) {
        const float alpha = 1.0f;
        cublasCheck(cublasLtMatmul(c->lt, op, &alpha, A, la, B, lb, &beta, C, lc, C, lc, &res.algo,
                                   c->workspace, c->workspace_bytes, 0));
        ran = 1;
    }
    cublasCheck(cublasLtMatmulPreferenceDestroy(pref));
    cublasCheck(cublasLtMatrixLayoutDestroy(la));
    cublasCheck(cublasLtMatrixLayoutDestroy(lb));
    cublasCheck(cublasLtMatrixLayoutDestroy(lc));
    cublasCheck(cublasLtMatmulDescDestroy(op));
    return ran;
}

void cuda_gemm(int transa, int transb, int m, int n, int k, const float *A, int lda, const float *B,
               int ldb, float beta, float *C, int ldc, const float *bias) {
    if (m <= 0 || n <= 0) return;
    CudaCtx *c = cuda_ctx();
    if (k <= 0) { // empty product: C = beta C (+ bias)
        if (beta == 0.0f) cudaCheck(cudaMemsetAsync(C, 0, (size_t)n * ldc * sizeof(float), 0));
        if (bias) {
            bias_broadcast_kernel<<<cuda_grid((size_t)m * n, 256), 256>>>(C, bias, m, n, ldc);
            cudaCheckLaunch();
        }
        return;
    }
    const void *a = A, *b = B;
    if (c->precision == DRL_CUDA_BF16) {
        a = as_bf16(0, A, transa ? m : k, lda);
        b = as_bf16(1, B, transb ? k : n, ldb);
    }
    if (cuda_lt_matmul(c, transa, transb, m, n, k, a, lda, b, ldb, beta, C, ldc, bias)) return;
    cudaCheckCond(bias != NULL, "cuBLASLt has no algorithm for this matrix product");
    // no algorithm with the bias epilogue: preset C to the bias, then accumulate
    bias_broadcast_kernel<<<cuda_grid((size_t)m * n, 256), 256>>>(C, bias, m, n, ldc);
    cudaCheckLaunch();
    int ran = cuda_lt_matmul(c, transa, transb, m, n, k, a, lda, b, ldb, 1.0f, C, ldc, NULL);
    cudaCheckCond(ran, "cuBLASLt has no algorithm for this matrix product");
}

extern "C" void cuda_linear_fwd(float *out, const float *inp, const float *w, const float *bias,
                                int N, int IC, int OC) {
    // out (N, OC) = inp (N, IC) @ w (OC, IC)^T + bias (OC); col-major out^T (OC, N)
    cuda_gemm(1, 0, OC, N, IC, w, IC, inp, IC, 0.0f, out, OC, bias);
}

extern "C" void cuda_linear_bwd(float *dinp, float *dw, float *dbias, const float *dout,
                                const float *inp, const float *w, int N, int IC, int OC) {
    if (N <= 0 || OC <= 0) return;
    if (dbias) cuda_colsum_acc(dbias, dout, NULL, NULL, NULL, N, OC); // dbias (OC) += sum_n dout
    if (IC <= 0) return;
    // dinp (N, IC) += dout (N, OC) @ w (OC, IC); col-major dinp^T (IC, N) = w^T(IC,OC) dout^T
    if (dinp) cuda_gemm(0, 0, IC, N, OC, w, IC, dout, OC, 1.0f, dinp, IC, NULL);
    // dw (OC, IC) += dout^T @ inp; col-major dw^T (IC, OC) = inp^T (IC, N) . dout (N, OC)
    if (dw) cuda_gemm(0, 1, IC, OC, N, inp, IC, dout, OC, 1.0f, dw, IC, NULL);
}

extern "C" void cuda_matmul_fwd(float *out, const float *inp, const float *m, int N, int IC,
                                int OC) {
    // out (N, OC) = inp (N, IC) @ m (IC, OC); col-major out^T (OC, N) = m^T (OC, IC) inp^T
    cuda_gemm(0, 0, OC, N, IC, m, OC, inp, IC, 0.0f, out, OC, NULL);
}

extern "C" void cuda_matmul_bwd(float *dinp, float *dm, const float *dout, const float *inp,
                                const float *m, int N, int IC, int OC) {
    if (N <= 0 || OC <= 0 || IC <= 0) return;
    // dinp (N, IC) += dout (N, OC) @ m^T; col-major dinp^T (IC, N) = m (IC, OC) . dout^T
    if (dinp) cuda_gemm(1, 0, IC, N, OC, m, OC, dout, OC, 1.0f, dinp, IC, NULL);
    // dm (IC, OC) += inp^T @ dout; col-major dm^T (OC, IC) = dout^T (OC, N) . inp (N, IC)
    if (dm) cuda_gemm(0, 1, OC, IC, N, dout, OC, inp, IC, 1.0f, dm, OC, NULL);
}
