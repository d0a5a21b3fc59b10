/* BertAdam on the device over the flat buffers: per-tensor gradient squared
 * norms (one block per tensor, fixed-order sums in double) and the element
 * update with the per-tensor factors computed on the host (cuda_optim.c).
 *
 * The element update spells every operation with the IEEE intrinsics
 * (__fmul_rn, __fadd_rn, __fdiv_rn; sqrtf is IEEE by default), so nvcc
 * cannot contract them into FMAs: given the same gradient and factors, the
 * update is the CPU's (src/drl/optim.c) operation for operation. fp16
 * segments (spec §11) round the gradient, the moments, the update and the
 * parameter to fp16 after every operation, as optim.c fp16_adam does. With
 * a registered bf16 copy of the parameters (cuda_linear.cu), the copy of
 * every updated element is written with stochastic rounding. */
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "cuda/cuda_internal.cuh"

#define ADAM_THREADS 256

__device__ inline float h16(float x) {
    return __half2float(__float2half_rn(x));
}

/* The gradient as the update sees it before the per-tensor factor: g,
 * rounded to fp16 for fp16 tensors, times f (when f != 1), rounded again. */
__device__ inline float grad_in(float g, float f, int fp16) {
    if (fp16) g = h16(g);
    if (f != 1.0f) {
        g = __fmul_rn(g, f);
        if (fp16) g = h16(g);
    }
    return g;
}

__global__ void sqnorm_kernel(double *out, const float *g, const DrlCudaAdamSeg *segs,
                              const float *pre) {
    __shared__ double shm[32];
    const DrlCudaAdamSeg s = segs[blockIdx.x];
    const float f = pre ? pre[blockIdx.x] : 1.0f;
    double acc = 0.0;
    for (size_t k = threadIdx.x; k < s.numel; k += blockDim.x) {
        float x = grad_in(g[s.offset + k], f, s.fp16);
        acc += (double)x * x;
    }
    acc = block_sum(acc, shm);
    if (threadIdx.x == 0) out[blockIdx.x] = acc;
}

/* A 64-bit mix of (step, index) (splitmix64's finaliser over a combined
 * counter): the random bits of stochastic rounding, the same on every run. */
__device__ inline uint32_t sr_bits(uint64_t step, uint64_t index) {
    uint64_t z = index + step * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (uint32_t)z;
}

/* x to bf16 rounding up with probability (the dropped low 16 bits) / 2^16:
 * add 16 random bits below the kept ones, then truncate. Non-finite values
 * round to nearest. */
__device__ inline __nv_bfloat16 bf16_stochastic(float x, uint32_t bits) {
    if (!isfinite(x)) return __float2bfloat16_rn(x);
    uint32_t u = __float_as_uint(x);
    u += bits & 0xFFFFu;
    u &= 0xFFFF0000u;
    return __ushort_as_bfloat16((unsigned short)(u >> 16));
}

__global__ void adam_kernel(float *w, float *g, float *m, float *v, __nv_bfloat16 *shadow,
                            const DrlCudaAdamSeg *segs, float b1, float b2, float eps, float a1,
                            float a2) {
    const DrlCudaAdamSeg s = segs[blockIdx.y];
    for (size_t k = blockIdx.x * (size_t)blockDim.x + threadIdx.x; k < s.numel;
         k += (size_t)gridDim.x * blockDim.x) {
        size_t i = s.offset + k;
        float gi = grad_in(g[i], s.clip1, s.fp16);
        if (s.clip2 != 1.0f) {
            gi = __fmul_rn(gi, s.clip2);
            if (s.fp16) gi = h16(gi);
        }
        g[i] = gi;
        float wi = w[i], mi, vi;
        if (s.fp16) { // optim.c fp16_adam
            mi = h16(__fadd_rn(h16(__fmul_rn(b1, m[i])), __fmul_rn(a1, gi)));
            vi = h16(__fadd_rn(h16(__fmul_rn(b2, v[i])), __fmul_rn(__fmul_rn(a2, gi), gi)));
            float u = h16(__fdiv_rn(mi, h16(__fadd_rn(h16(sqrtf(vi)), eps))));
            if (s.wd > 0.0f) u = h16(__fadd_rn(u, h16(__fmul_rn(s.wd, wi))));
            wi = h16(__fsub_rn(wi, h16(__fmul_rn(s.lr, u))));
        } else {
            mi = __fadd_rn(__fmul_rn(b1, m[i]), __fmul_rn(1.0f - b1, gi));
            vi = __fadd_rn(__fmul_rn(b2, v[i]), __fmul_rn(__fmul_rn(1.0f - b2, gi), gi));
            float u = __fdiv_rn(mi, __fadd_rn(sqrtf(vi), eps));
            if (s.wd > 0.0f) u = __fadd_rn(u, __fmul_rn(s.wd, wi));
            wi = __fsub_rn(wi, __fmul_rn(s.lr, u));
        }
        w[i] = wi;
        m[i] = mi;
        v[i] = vi;
        if (shadow) shadow[i] = bf16_stochastic(wi, sr_bits(s.step, i));
    }
}

/* The segments (and optional per-segment floats) in device scratch slot 2. */
static DrlCudaAdamSeg *upload_segs(const DrlCudaAdamSeg *segs, int count, const float *pre,
                                   float **pre_dev) {
    size_t sb = (size_t)count * sizeof *segs, pb = pre ? (size_t)count * sizeof(float) : 0;
    char *buf = (char *)cuda_scratch(2, sb + pb + 16);
    cudaCheck(cudaMemcpy(buf, segs, sb, cudaMemcpyHostToDevice));
    *pre_dev = NULL;
    if (pre) {
        *pre_dev = (float *)(buf + sb);
        cudaCheck(cudaMemcpy(*pre_dev, pre, pb, cudaMemcpyHostToDevice));
    }
    return (DrlCudaAdamSeg *)buf;
}

extern "C" void drl_cuda_tensor_sqnorms(double *sq, const float *g, const DrlCudaAdamSeg *segs,
                                        const float *pre, int count) {
    // sq (count) host; g (total) device; segs (count) host; pre (count) host or NULL
    if (count <= 0) return;
    float *pre_dev;
    DrlCudaAdamSeg *segs_dev = upload_segs(segs, count, pre, &pre_dev);
    double *out = (double *)cuda_scratch(1, (size_t)count * sizeof(double)); // (count)
    sqnorm_kernel<<<count, ADAM_THREADS>>>(out, g, segs_dev, pre_dev);
    cudaCheckLaunch();
    cudaCheck(cudaMemcpy(sq, out, (size_t)count * sizeof(double), cudaMemcpyDeviceToHost));
}

extern "C" void drl_cuda_adam_update(float *w, float *g, float *m, float *v,
                                     const DrlCudaAdamSeg *segs, int count, float b1, float b2,
                                     float eps, float a1, float a2) {
    // w, g, m, v (total) device; segs (count) host
    if (count <= 0) return;
    cudaCheckCond(count <= 65535, "Adam: more than 65535 tensors in one update");
    size_t maxn = 0;
    for (int i = 0; i < count; i++)
        if (segs[i].numel > maxn) maxn = segs[i].numel;
    if (maxn == 0) return;
    float *unused;
    DrlCudaAdamSeg *segs_dev = upload_segs(segs, count, NULL, &unused);
    size_t bx = (maxn + ADAM_THREADS - 1) / ADAM_THREADS;
    dim3 grid((unsigned int)(bx < 256 ? bx : 256), (unsigned int)count);
    __nv_bfloat16 *shadow = (__nv_bfloat16 *)cuda_param_shadow_for(w);
    adam_kernel<<<grid, ADAM_THREADS>>>(w, g, m, v, shadow, segs_dev, b1, b2, eps, a1, a2);
    cudaCheckLaunch();
}
