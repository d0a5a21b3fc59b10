/* BertAdam on the device over the flat buffers: per-tensor gradient squared
 * norms (one block per tensor, fixed-order sums in double) and the element
 * update with the per-tensor factors computed on the host (cuda_optim.c). */
#include "cuda/cuda_internal.cuh"

#define ADAM_THREADS 256

__global__ void sqnorm_kernel(double *out, const float *g, const DrlCudaAdamSeg *segs,
                              const float *pre) {
    __shared__ double shm[32];
    const DrlCudaAdamSeg s = segs[blockIdx.x];
    const float f = pre ? pre[blockIdx.x] : 1.0f;
    double acc = 0.0;
    for (size_t k = threadIdx.x; k < s.numel; k += blockDim.x) {
        float x = g[s.offset + k];
        if (f != 1.0f) x *= f;
        acc += (double)x * x;
    }
    acc = block_sum(acc, shm);
    if (threadIdx.x == 0) out[blockIdx.x] = acc;
}

__global__ void adam_kernel(float *w, float *g, float *m, float *v, const DrlCudaAdamSeg *segs,
                            float b1, float b2, float eps) {
    const DrlCudaAdamSeg s = segs[blockIdx.y];
    for (size_t k = blockIdx.x * (size_t)blockDim.x + threadIdx.x; k < s.numel;
         k += (size_t)gridDim.x * blockDim.x) {
        size_t i = s.offset + k;
        float gi = g[i];
        if (s.clip1 != 1.0f) gi *= s.clip1;
        if (s.clip2 != 1.0f) gi *= s.clip2;
        g[i] = gi;
        float mi = b1 * m[i] + (1.0f - b1) * gi;
        float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
        float u = mi / (sqrtf(vi) + eps);
        if (s.wd > 0.0f) u += s.wd * w[i];
        w[i] -= s.lr * u;
        m[i] = mi;
        v[i] = vi;
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
                                     float eps) {
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
    adam_kernel<<<grid, ADAM_THREADS>>>(w, g, m, v, segs_dev, b1, b2, eps);
    cudaCheckLaunch();
}
