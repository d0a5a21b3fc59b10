/* Token-wise (ti / wti) training scoring on the device, the semantics of
 * src/drl/head_kernels.h (and of its CPU implementation, head_kernels_cpu.c):
 * - forward: one block per (text a, video b); the (L, T) similarity block in
 *   shared memory (warp dot products), maxima and first argmaxima per token
 *   and per frame written to the (Bt, Bv, L) / (Bt, Bv, T) buffers, the two
 *   weighted sums in double in index order;
 * - backward: one block per text for dtn / dwt (videos in order; for each,
 *   tokens then frames), one block per video for dvn / dwv (texts in order;
 *   for each, frames then tokens); threads own feature columns (dtn, dvn) or
 *   positions (dwt, dwv), so every sum has a fixed order and no atomics.
 * (Bt, Bv, L, T) is never materialised. */
#include "cuda/cuda_heads.h"
#include "cuda/cuda_internal.cuh"

#define HEADS_THREADS 256

__global__ void tokenwise_fwd_kernel(float *sim, float *t2v_max, int16_t *t2v_arg, float *v2t_max,
                                     int16_t *v2t_arg, const float *tn, const int32_t *tm,
                                     const float *vn, const int32_t *vm, const float *wt,
                                     const float *wv, int Bv, int L, int T, int D) {
    extern __shared__ float S[]; // (L, T), then best_t (L), best_v (T)
    float *best_t = S + (size_t)L * T, *best_v = best_t + L;
    const int a = blockIdx.x / Bv, b = blockIdx.x % Bv;
    const size_t ab = blockIdx.x;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = blockDim.x >> 5;
    const float *ta = tn + (size_t)a * L * D; // (L, D)
    const float *vb = vn + (size_t)b * T * D; // (T, D)
    const int32_t *tm_a = tm + (size_t)a * L; // (L)
    const int32_t *vm_b = vm + (size_t)b * T; // (T)
    for (int p = warp; p < L * T; p += nw) {
        int i = p / T, j = p % T;
        float acc = 0.0f;
        for (int d = lane; d < D; d += 32)
            acc += ta[(size_t)i * D + d] * vb[(size_t)j * D + d];
        acc = warp_sum(acc);
        if (lane == 0) S[p] = acc;
    }
    __syncthreads();
    for (int i = threadIdx.x; i < L; i += blockDim.x) {
        float mi = (float)tm_a[i];
        float best = S[(size_t)i * T] * mi * (float)vm_b[0];
        int arg = 0;
        for (int j = 1; j < T; j++) {
            float v = S[(size_t)i * T + j] * mi * (float)vm_b[j];
            if (v > best) best = v, arg = j;
        }
        best_t[i] = best;
        if (t2v_max) t2v_max[ab * L + i] = best, t2v_arg[ab * L + i] = (int16_t)arg;
    }
    for (int j = threadIdx.x; j < T; j += blockDim.x) {
        float mj = (float)vm_b[j];
        float best = S[j] * (float)tm_a[0] * mj;
        int arg = 0;
        for (int i = 1; i < L; i++) {
            float v = S[(size_t)i * T + j] * (float)tm_a[i] * mj;
            if (v > best) best = v, arg = i;
        }
        best_v[j] = best;
        if (v2t_max) v2t_max[ab * T + j] = best, v2t_arg[ab * T + j] = (int16_t)arg;
    }
    __syncthreads();
    if (threadIdx.x == 0) {
        double t2v = 0.0, v2t = 0.0;
        for (int i = 0; i < L; i++)
            t2v += (double)wt[(size_t)a * L + i] * best_t[i];
        for (int j = 0; j < T; j++)
            v2t += (double)wv[(size_t)b * T + j] * best_v[j];
        sim[ab] = (float)((t2v + v2t) * 0.5);
    }
}

/* One block per text a: dtn[a] (L, D) and dwt[a] (L). */
__global__ void tokenwise_bwd_text_kernel(float *dtn, float *dwt, const float *dsim,
                                          const float *t2v_max, const int16_t *t2v_arg,
                                          const int16_t *v2t_arg, const float *vn,
                                          const int32_t *tm, const int32_t *vm, const float *wt,
                                          const float *wv, int Bv, int L, int T, int D) {
    const int a = blockIdx.x;
    const int32_t *tm_a = tm + (size_t)a * L;
    float *dta = dtn + (size_t)a * L * D; // (L, D)
    for (int b = 0; b < Bv; b++) {
        const float g = 0.5f * dsim[(size_t)a * Bv + b];
        if (g == 0.0f) continue;
        const size_t ab = (size_t)a * Bv + b;
        const int32_t *vm_b = vm + (size_t)b * T;
        const float *vb = vn + (size_t)b * T * D; // (T, D)
        for (int i = 0; i < L; i++) {
            const int j = t2v_arg[ab * L + i];
            if (!(tm_a[i] && vm_b[j])) continue;
            const float c = g * wt[(size_t)a * L + i];
            for (int d = threadIdx.x; d < D; d += blockDim.x)
                dta[(size_t)i * D + d] += c * vb[(size_t)j * D + d];
        }
        for (int j = 0; j < T; j++) {
            const int i = v2t_arg[ab * T + j];
            if (!(tm_a[i] && vm_b[j])) continue;
            const float c = g * wv[(size_t)b * T + j];
            for (int d = threadIdx.x; d < D; d += blockDim.x)
                dta[(size_t)i * D + d] += c * vb[(size_t)j * D + d];
        }
    }
    if (!dwt) return;
    for (int i = threadIdx.x; i < L; i += blockDim.x) {
        float acc = dwt[(size_t)a * L + i];
        for (int b = 0; b < Bv; b++) {
            const float g = 0.5f * dsim[(size_t)a * Bv + b];
            if (g == 0.0f) continue;
            acc += g * t2v_max[((size_t)a * Bv + b) * L + i];
        }
        dwt[(size_t)a * L + i] = acc;
    }
}

/* One block per video b: dvn[b] (T, D) and dwv[b] (T). */
__global__ void tokenwise_bwd_video_kernel(float *dvn, float *dwv, const float *dsim,
                                           const float *v2t_max, const int16_t *t2v_arg,
                                           const int16_t *v2t_arg, const float *tn,
                                           const int32_t *tm, const int32_t *vm, const float *wt,
                                           const float *wv, int Bt, int Bv, int L, int T, int D) {
    const int b = blockIdx.x;
    const int32_t *vm_b = vm + (size_t)b * T;
    float *dvb = dvn + (size_t)b * T * D; // (T, D)
    for (int a = 0; a < Bt; a++) {
        const float g = 0.5f * dsim[(size_t)a * Bv + b];
        if (g == 0.0f) continue;
        const size_t ab = (size_t)a * Bv + b;
        const int32_t *tm_a = tm + (size_t)a * L;
        const float *ta = tn + (size_t)a * L * D; // (L, D)
        for (int j = 0; j < T; j++) {
            const int i = v2t_arg[ab * T + j];
            if (!(tm_a[i] && vm_b[j])) continue;
            const float c = g * wv[(size_t)b * T + j];
            for (int d = threadIdx.x; d < D; d += blockDim.x)
                dvb[(size_t)j * D + d] += c * ta[(size_t)i * D + d];
        }
        for (int i = 0; i < L; i++) {
            const int j = t2v_arg[ab * L + i];
            if (!(tm_a[i] && vm_b[j])) continue;
            const float c = g * wt[(size_t)a * L + i];
            for (int d = threadIdx.x; d < D; d += blockDim.x)
                dvb[(size_t)j * D + d] += c * ta[(size_t)i * D + d];
        }
    }
    if (!dwv) return;
    for (int j = threadIdx.x; j < T; j += blockDim.x) {
        float acc = dwv[(size_t)b * T + j];
        for (int a = 0; a < Bt; a++) {
            const float g = 0.5f * dsim[(size_t)a * Bv + b];
            if (g == 0.0f) continue;
            acc += g * v2t_max[((size_t)a * Bv + b) * T + j];
        }
        dwv[(size_t)b * T + j] = acc;
    }
}

static size_t cuda_tokenwise_ws_bytes(int, int, int, int, int) {
    return 0;
}

/* The launch shared by training (maxima and argmaxima kept) and evaluation
 * (drl_cuda_tokenwise_score: t2v_max == NULL, nothing kept). */
extern "C" void cuda_tokenwise_fwd_launch(float *sim, float *t2v_max, int16_t *t2v_arg,
                                          float *v2t_max, int16_t *v2t_arg, const float *tn,
                                          const int32_t *tm, const float *vn, const int32_t *vm,
                                          const float *wt, const float *wv, int Bt, int Bv, int L,
                                          int T, int D) {
    // sim (Bt, Bv); maxima (Bt, Bv, L) / (Bt, Bv, T) or NULL
    if (Bt <= 0 || Bv <= 0) return;
    cudaCheckCond(L > 0 && T > 0, "token-wise scoring needs L > 0 and T > 0");
    const size_t bytes = ((size_t)L * T + L + T) * sizeof(float);
    cudaCheckCond(bytes <= 48 * 1024, "token-wise scoring: L * T too large for one block");
    tokenwise_fwd_kernel<<<(unsigned int)((size_t)Bt * Bv), HEADS_THREADS, bytes>>>(
        sim, t2v_max, t2v_arg, v2t_max, v2t_arg, tn, tm, vn, vm, wt, wv, Bv, L, T, D);
    cudaCheckLaunch();
}

static void cuda_tokenwise_fwd(const DrlTokenwise *tw, float *sim) {
    cuda_tokenwise_fwd_launch(sim, tw->t2v_max, tw->t2v_arg, tw->v2t_max, tw->v2t_arg, tw->tn,
                              tw->tm, tw->vn, tw->vm, tw->wt, tw->wv, tw->Bt, tw->Bv, tw->L, tw->T,
                              tw->D);
}

static void cuda_tokenwise_bwd(const DrlTokenwise *tw, const float *dsim, float *dtn, float *dvn,
                               float *dwt, float *dwv) {
    if (tw->Bt <= 0 || tw->Bv <= 0) return;
    const int threads = tw->D < HEADS_THREADS ? ((tw->D + 31) / 32) * 32 : HEADS_THREADS;
    tokenwise_bwd_text_kernel<<<(unsigned int)tw->Bt, threads>>>(
        dtn, dwt, dsim, tw->t2v_max, tw->t2v_arg, tw->v2t_arg, tw->vn, tw->tm, tw->vm, tw->wt,
        tw->wv, tw->Bv, tw->L, tw->T, tw->D);
    cudaCheckLaunch();
    tokenwise_bwd_video_kernel<<<(unsigned int)tw->Bv, threads>>>(
        dvn, dwv, dsim, tw->v2t_max, tw->t2v_arg, tw->v2t_arg, tw->tn, tw->tm, tw->vm, tw->wt,
        tw->wv, tw->Bt, tw->Bv, tw->L, tw->T, tw->D);
    cudaCheckLaunch();
}

static const DrlHeadKernels cuda_heads = {
    "cuda",
    cuda_tokenwise_ws_bytes,
    cuda_tokenwise_fwd,
    cuda_tokenwise_bwd,
    cuda_clip_loss_ws_bytes,
    cuda_clip_loss,
    cuda_standardise_fwd,
    cuda_standardise_bwd,
    cuda_rows_scale,
    cuda_rows_dot_add,
    cuda_decorrelation,
    cuda_dropout_bits,
    cuda_xti_seq_bwd,
    cuda_lstm_cell_fwd,
    cuda_lstm_cell_bwd,
    cuda_lstm_out_fwd,
    cuda_lstm_out_bwd,
};

extern "C" const DrlHeadKernels *drl_cuda_head_kernels(void) {
    return &cuda_heads;
}
