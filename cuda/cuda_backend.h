/* The CUDA backend of the op interface (src/ops/ops.h) and its extra device
 * kernels: frame normalisation, the fused token-wise (WTI/TI) scoring, the
 * BertAdam update and gradient norms. A plain C header: the implementation is
 * in the .cu files of cuda/ (nvcc) and links CUDA::cudart, cuBLAS/cuBLASLt and NCCL.
 *
 * Every pointer documented as "device" is CUDA device memory (from
 * drl_cuda_ops()->alloc); host arrays are said to be host. All work runs in
 * order on one CUDA stream (the legacy default stream), so ops->sync() or any
 * to_host copy orders it with the host. */
#ifndef DRL_CUDA_CUDA_BACKEND_H
#define DRL_CUDA_CUDA_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "ops/ops.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 1 when a usable CUDA device and driver are present; else 0 with the reason
 * (e.g. "cudaGetDeviceCount: no CUDA-capable device is detected") in why. */
int drl_cuda_available(char *why, size_t len);

/* The op table on device pointers. Dies with a clear message on first use
 * when no device is present (call drl_cuda_available first). */
const DrlOps *drl_cuda_ops(void);

/* Matrix-product precision of linear/matmul (everything else is fp32):
 * FP32: fp32 inputs, CUBLAS_COMPUTE_32F (bitwise-stable fp32 reference path);
 * TF32: fp32 inputs, CUBLAS_COMPUTE_32F_FAST_TF32;
 * BF16: inputs rounded to bf16 (round-to-nearest-even), fp32 accumulation and
 *       fp32 outputs (the weights stay fp32 masters). */
typedef enum { DRL_CUDA_FP32 = 0, DRL_CUDA_TF32 = 1, DRL_CUDA_BF16 = 2 } DrlCudaPrecision;
void drl_cuda_set_precision(DrlCudaPrecision p);
DrlCudaPrecision drl_cuda_get_precision(void);
const char *drl_cuda_precision_name(DrlCudaPrecision p);

/* Bytes of the cuBLASLt workspace (allocated with the context). */
size_t drl_cuda_workspace_bytes(void);

/* The bf16 copy of the flat parameter buffer (precision BF16): flat (n)
 * device floats, the fp32 masters. Registration allocates the copy (2n
 * bytes) and fills it from flat with round-to-nearest-even; registering the
 * same buffer again refreshes it (after a checkpoint load). From then on
 * linear/matmul read a weight that lies inside [flat, flat + n) from the
 * copy instead of converting it on every call, and drl_cuda_adam_update
 * writes the copy of every element it updates with stochastic rounding
 * (random bits from a counter-based hash of (the tensor's step, the
 * element's index): deterministic). The fp32 masters stay authoritative.
 * Only used while the precision is BF16. */
void drl_cuda_register_param_shadow(const float *flat, size_t n);
void drl_cuda_release_param_shadow(void);
/* 2n after registration, else 0. */
size_t drl_cuda_param_shadow_bytes(void);

/* Bytes currently allocated through ops->alloc and the peak since start (or
 * since the last reset), plus the cuBLASLt workspace and scratch buffers. */
void drl_cuda_mem_stats(size_t *current, size_t *peak);
void drl_cuda_mem_reset_peak(void);

/* ---- extra kernels (device pointers) -------------------------------------- */

/* CLIP pixel normalisation (spec/data.md §2 step 3): out (N, 3, R, R) =
 * (in (N, R, R, 3) / 255 - mean[c]) / std[c]. */
void drl_cuda_normalise_frames(float *out, const uint8_t *in, int N, int R);
/* The same with mask (N) int32 device (or NULL): frames with mask 0 are
 * zeros of the normalised input (padded frames, spec/model.md §3), as
 * train/frames.c frames_normalise. */
void drl_cuda_normalise_frames_masked(float *out, const uint8_t *in, const int32_t *mask, int N,
                                      int R);

/* conv1 patch extraction: patches (F*G*G, 3*P*P) from frames (F, 3, R, R),
 * R = P*G; row (f, gy, gx), column (c, ky, kx). One kernel instead of the
 * F*G*G*3*P row copies of model/clip_vision.c. */
void drl_cuda_im2col(float *patches, const float *frames, int F, int P, int G);

/* Fused token-wise scoring of normalised features (the semantics of
 * tokenwise_score_normalised in src/drl/interaction.c) without the
 * (Bt, Bv, L, T) tensor: one block per (text a, video b) computes its (L, T)
 * similarity block in shared memory.
 * sim (Bt, Bv); tn (Bt, L, D); tm (Bt, L); vn (Bv, T, D); vm (Bv, T);
 * wt (Bt, L); wv (Bv, T). */
void drl_cuda_tokenwise_score(float *sim, const float *tn, const int32_t *tm, const float *vn,
                              const int32_t *vm, const float *wt, const float *wv, int Bt, int Bv,
                              int L, int T, int D);

/* One contiguous tensor of the flat parameter buffer, for the optimizer. */
typedef struct {
    size_t offset, numel; /* in floats */
    float clip1, clip2;   /* gradient factors applied in turn (1 = none): global, per tensor */
    float lr, wd;         /* learning rate and weight decay of this tensor */
    int fp16;             /* 1: an fp16 tensor (spec §11): every operation rounds to fp16 */
    uint64_t step;        /* the tensor's step count before this update (stochastic rounding) */
} DrlCudaAdamSeg;

/* sq (count) host doubles: sum of squares of each tensor's gradient g' in a
 * fixed order (deterministic), where g' = g, rounded to fp16 for fp16
 * segments, then times pre (count host floats, or NULL for 1) when that is
 * not 1, rounded again for fp16 segments. g (total) device. */
void drl_cuda_tensor_sqnorms(double *sq, const float *g, const DrlCudaAdamSeg *segs,
                             const float *pre, int count);

/* BertAdam element update (src/drl/optim.c) over the tensors segs (host
 * array of count). fp32 segments: g = g*clip1 (when clip1 != 1), then g*clip2
 * (written back), m = b1 m + (1-b1) g, v = b2 v + (1-b2) g^2,
 * u = m / (sqrt v + eps) + wd w, w -= lr u. fp16 segments (optim.c
 * fp16_adam): g rounded to fp16, and the gradient, moments, update and
 * parameter rounded to fp16 after every operation, with a1 = 1-b1 and
 * a2 = 1-b2 as given. w, g, m, v (total) device. With a registered bf16
 * copy of w (drl_cuda_register_param_shadow), the copy of every updated
 * element is written with stochastic rounding. */
void drl_cuda_adam_update(float *w, float *g, float *m, float *v, const DrlCudaAdamSeg *segs,
                          int count, float b1, float b2, float eps, float a1, float a2);

/* Measured dense bf16 GEMM rate (TFLOP/s) of cuBLASLt at n x n x n, best of
 * `reps` (benchmarks: MFU denominators). */
double drl_cuda_bf16_gemm_tflops(int n, int reps);

#ifdef __cplusplus
}
#endif

#endif
