/* Shared internals of the CUDA backend (nvcc only): check macros, the
 * process-wide backend context, launch helpers and the prototypes of every
 * kernel family behind the DrlOps table. */
#ifndef DRL_CUDA_CUDA_INTERNAL_CUH
#define DRL_CUDA_CUDA_INTERNAL_CUH

#include <cublasLt.h>
#include <cuda_runtime.h>
#include <stddef.h>
#include <stdint.h>

#include "cuda/cuda_backend.h"
#include "drl/head_kernels.h"

/* common/check.h is C11 (_Noreturn); its two entry points, declared for C++. */
extern "C" [[noreturn]] void drl_fail(const char *file, int line, const char *what,
                                      const char *detail, const char *hint);

#define cudaCheck(call)                                                                            \
    do {                                                                                           \
        cudaError_t cuda_status_ = (call);                                                         \
        if (cuda_status_ != cudaSuccess)                                                           \
            drl_fail(__FILE__, __LINE__, #call, cudaGetErrorString(cuda_status_),                  \
                     "a CUDA call failed: is the device present and is there memory left?");       \
    } while (0)

#define cublasCheck(call)                                                                          \
    do {                                                                                           \
        cublasStatus_t cublas_status_ = (call);                                                    \
        if (cublas_status_ != CUBLAS_STATUS_SUCCESS)                                               \
            drl_fail(__FILE__, __LINE__, #call, cublasGetStatusString(cublas_status_),             \
                     "a cuBLASLt call failed");                                                    \
    } while (0)

/* A kernel launch: checks the launch itself (asynchronous faults surface at
 * the next synchronising call, also checked). */
#define cudaCheckLaunch() cudaCheck(cudaGetLastError())

#define cudaCheckCond(cond, hint)                                                                  \
    do {                                                                                           \
        if (!(cond)) drl_fail(__FILE__, __LINE__, #cond, "condition is false", hint);              \
    } while (0)

/* The backend context. The DrlOps table has no context argument, so the
 * backend keeps one process-wide context (one device per process, as NCCL
 * ranks use): the cuBLASLt handle and workspace, the precision setting,
 * grow-only scratch buffers and the allocation counters. It is created on
 * first use and lives until exit. */
typedef struct {
    int ready;
    int device;
    cublasLtHandle_t lt;
    void *workspace; /* (workspace_bytes) cuBLASLt workspace */
    size_t workspace_bytes;
    DrlCudaPrecision precision;
    void *scratch[3]; /* grow-only device scratch (bf16 operand copies, partial sums) */
    size_t scratch_bytes[3];
    size_t mem_current, mem_peak;
    int smem_optin; /* max dynamic shared memory per block (opt-in) */
    /* the bf16 copy of the flat parameters (drl_cuda_register_param_shadow) */
    void *shadow;            /* (shadow_n) __nv_bfloat16, NULL when none */
    const float *shadow_src; /* (shadow_n) the fp32 masters it copies */
    size_t shadow_n;
} CudaCtx;

CudaCtx *cuda_ctx(void);
/* Device scratch slot `slot` (0..2) of at least `bytes` bytes (grows; the
 * contents do not survive growth). */
void *cuda_scratch(int slot, size_t bytes);
void cuda_count_alloc(ptrdiff_t bytes);

/* Grid size of a grid-stride loop over n elements with `threads` per block. */
static inline unsigned int cuda_grid(size_t n, int threads) {
    size_t blocks = (n + (size_t)threads - 1) / (size_t)threads;
    if (blocks > 65535u * 8u) blocks = 65535u * 8u;
    return (unsigned int)(blocks ? blocks : 1);
}

/* Row-major-friendly GEMM on column-major operands (cuBLASLt), fp32 C:
 * C (m, n, ldc) = alpha op(A) op(B) + beta C [+ bias (m) broadcast over n].
 * Precision from the context. */
void cuda_gemm(int transa, int transb, int m, int n, int k, const float *A, int lda, const float *B,
               int ldb, float beta, float *C, int ldc, const float *bias);

/* One cuBLASLt matmul on operands already in the context's precision (bf16
 * operands when it is BF16); returns 0 when no algorithm fits (nothing ran). */
int cuda_lt_matmul(CudaCtx *c, int transa, int transb, int m, int n, int k, const void *A, int lda,
                   const void *B, int ldb, float beta, float *C, int ldc, const float *bias);

/* The bf16 copy's element for x when the whole operand [x, x + extent)
 * lies inside the registered flat parameters and the precision is BF16,
 * else NULL (cuda_linear.cu). */
const void *cuda_param_shadow_lookup(const float *x, size_t extent);
/* The copy's base when w is the registered flat buffer itself (the Adam
 * update) and the precision is BF16, else NULL. */
void *cuda_param_shadow_for(const float *w);

/* ---- kernel families (one .cu each), the DrlOps entries ---- */
extern "C" {
void *cuda_alloc(size_t bytes);
void cuda_free(void *p);
void cuda_zero(void *p, size_t bytes);
void cuda_to_device(void *dst, const void *src_host, size_t bytes);
void cuda_to_host(void *dst_host, const void *src, size_t bytes);
void cuda_copy(void *dst, const void *src, size_t bytes);
void cuda_sync(void);

void cuda_linear_fwd(float *out, const float *inp, const float *w, const float *bias, int N, int IC,
                     int OC);
void cuda_linear_bwd(float *dinp, float *dw, float *dbias, const float *dout, const float *inp,
                     const float *w, int N, int IC, int OC);
void cuda_matmul_fwd(float *out, const float *inp, const float *m, int N, int IC, int OC);
void cuda_matmul_bwd(float *dinp, float *dm, const float *dout, const float *inp, const float *m,
                     int N, int IC, int OC);

void cuda_layernorm_fwd(float *out, float *mean, float *rstd, const float *inp, const float *g,
                        const float *b, int N, int C, float eps);
void cuda_layernorm_bwd(float *dinp, float *dg, float *db, const float *dout, const float *inp,
                        const float *g, const float *mean, const float *rstd, int N, int C);

void cuda_attention_fwd(float *out, float *probs, const float *qkv, const float *keymask,
                        int causal, int B, int T, int W, int H);
void cuda_attention_bwd(float *dqkv, const float *dout, const float *qkv, const float *probs, int B,
                        int T, int W, int H);
size_t cuda_attention_state_floats(int B, int T, int H);
/* cuda_heads.cu: the token-wise forward (maxima/argmaxima kept unless t2v_max == NULL) */
void cuda_tokenwise_fwd_launch(float *sim, float *t2v_max, int16_t *t2v_arg, float *v2t_max,
                               int16_t *v2t_arg, const float *tn, const int32_t *tm,
                               const float *vn, const int32_t *vm, const float *wt, const float *wv,
                               int Bt, int Bv, int L, int T, int D);
void cuda_residual_layernorm_fwd(float *sum, float *out, float *mean, float *rstd, const float *a,
                                 const float *b, const float *g, const float *beta, int N, int C,
                                 float eps);

void cuda_quickgelu_fwd(float *out, const float *inp, size_t n);
void cuda_quickgelu_bwd(float *dinp, const float *dout, const float *inp, size_t n);
void cuda_relu_fwd(float *out, const float *inp, size_t n);
void cuda_relu_bwd(float *dinp, const float *dout, const float *inp, size_t n);
void cuda_add(float *out, const float *a, const float *b, size_t n);
void cuda_axpy(float *y, float alpha, const float *x, size_t n);
void cuda_scale(float *x, float alpha, size_t n);
void cuda_round_fp16(float *x, size_t n);

void cuda_softmax_fwd(float *out, const float *inp, const int32_t *mask, int N, int C);
void cuda_softmax_bwd(float *dinp, const float *dout, const float *out, int N, int C);

void cuda_embedding_fwd(float *out, const int32_t *ids, const float *table, int N, int C);
void cuda_embedding_bwd(float *dtable, const float *dout, const int32_t *ids, int N, int C);

void cuda_l2norm_fwd(float *out, float *norm, const float *inp, int N, int C);
void cuda_l2norm_bwd(float *dinp, const float *dout, const float *out, const float *norm, int N,
                     int C);

void cuda_masked_mean_fwd(float *out, const float *inp, const int32_t *mask, int N, int K, int C);
void cuda_masked_mean_bwd(float *dinp, const float *dout, const int32_t *mask, int N, int K, int C);
void cuda_rowmax_fwd(float *out, int32_t *argmax, const float *inp, const int32_t *mask, int N,
                     int C);
void cuda_rowmax_bwd(float *dinp, const float *dout, const int32_t *argmax, int N, int C);

/* cuda_loss.cu: the head kernels of the loss and CDCR (drl/head_kernels.h) */
size_t cuda_clip_loss_ws_bytes(int B);
void cuda_clip_loss(const DrlClipLoss *cl);
void cuda_standardise_fwd(float *z, float *sd, uint8_t *degen, const float *x, int N, int D);
void cuda_standardise_bwd(float *dx, const float *dz, const float *z, const float *sd,
                          const uint8_t *degen, int N, int D);
void cuda_rows_scale(float *x, const float *w, int N, int D);
void cuda_rows_dot_add(float *out, const float *a, const float *b, int N, int D);
void cuda_decorrelation(double *result, const float *C, int D, float alpha1, float alpha2,
                        float *dC, float gscale);
/* cuda_xti.cu: xti's sequence kernels */
void cuda_dropout_bits(float *x, const uint8_t *bits, float keep, size_t n);
void cuda_xti_seq_bwd(float *dtable, float *dpos, const float *dx, int Bt, int Bv, int T, int D);
/* cuda_lstm.cu: seqLSTM's kernels */
void cuda_lstm_cell_fwd(float *g, float *c, float *tanhc, float *h, const float *c_prev,
                        const int32_t *len, int t, int B, int D);
void cuda_lstm_cell_bwd(float *dg, float *dc, const float *dh, const float *g, const float *tanhc,
                        const float *c_prev, const int32_t *len, int t, int B, int D);
void cuda_lstm_out_fwd(float *out, const float *F, const float *h_tm, const int32_t *len,
                       int maxlen, int B, int T, int D);
void cuda_lstm_out_bwd(float *dF, float *dh_tm, const float *dout, const int32_t *len, int maxlen,
                       int B, int T, int D);
}

/* dst (C) += column sums of src (N, C) [times (x - mean) * rstd when x is
 * given: the LayerNorm gain gradient], in a fixed order (deterministic). */
void cuda_colsum_acc(float *dst, const float *src, const float *x, const float *mean,
                     const float *rstd, int N, int C);

/* ---- device helpers ---- */
/* Sum over a block (blockDim.x a multiple of 32, <= 1024) in a fixed tree
 * order; every thread gets the result. shm: 32 elements of T. */
template <typename T> __device__ inline T block_sum(T v, T *shm) {
    for (int o = 16; o > 0; o >>= 1)
        v += __shfl_xor_sync(0xffffffffu, v, o);
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = blockDim.x >> 5;
    __syncthreads(); // shm may be in use by a previous call
    if (lane == 0) shm[warp] = v;
    __syncthreads();
    T r = 0;
    for (int i = 0; i < nw; i++)
        r += shm[i];
    return r;
}

template <typename T> __device__ inline T warp_sum(T v) {
    for (int o = 16; o > 0; o >>= 1)
        v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

__device__ inline float warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1)
        v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

#endif
