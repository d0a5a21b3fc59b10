/* Fused token-wise interaction scoring (ti / wti of spec/model.md §4) on
 * normalised features, the semantics of tokenwise_score_normalised in
 * src/drl/interaction.c: per (text a, video b), S (L, T) = tn[a] vn[b]^T with
 * masked entries multiplied by 0 (not skipped, as in the reference), the max
 * over j per token i (weights wt) and over i per frame j (weights wv), summed
 * in double in index order, sim = (t2v + v2t) / 2. One block per (a, b); the
 * (L, T) block lives in shared memory, so the (Bt, Bv, L, T) tensor is never
 * materialised. Deterministic (fixed-order sums). */
#include "cuda/cuda_internal.cuh"

#define TW_THREADS 256

__global__ void tokenwise_kernel(float *sim, const float *tn, const int32_t *tm, const float *vn,
                                 const int32_t *vm, const float *wt, const float *wv, int Bv, int L,
                                 int T, int D) {
    extern __shared__ float S[]; // (L, T), then best_t (L), best_v (T)
    float *best_t = S + (size_t)L * T, *best_v = best_t + L;
    const int a = blockIdx.x / Bv, b = blockIdx.x % Bv;
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
        for (int j = 1; j < T; j++) {
            float v = S[(size_t)i * T + j] * mi * (float)vm_b[j];
            if (v > best) best = v;
        }
        best_t[i] = best;
    }
    for (int j = threadIdx.x; j < T; j += blockDim.x) {
        float mj = (float)vm_b[j];
        float best = S[j] * (float)tm_a[0] * mj;
        for (int i = 1; i < L; i++) {
            float v = S[(size_t)i * T + j] * (float)tm_a[i] * mj;
            if (v > best) best = v;
        }
        best_v[j] = best;
    }
    __syncthreads();
    if (threadIdx.x == 0) {
        double t2v = 0.0, v2t = 0.0;
        for (int i = 0; i < L; i++)
            t2v += (double)wt[(size_t)a * L + i] * best_t[i];
        for (int j = 0; j < T; j++)
            v2t += (double)wv[(size_t)b * T + j] * best_v[j];
        sim[blockIdx.x] = (float)((t2v + v2t) * 0.5);
    }
}

extern "C" void drl_cuda_tokenwise_score(float *sim, const float *tn, const int32_t *tm,
                                         const float *vn, const int32_t *vm, const float *wt,
                                         const float *wv, int Bt, int Bv, int L, int T, int D) {
    // sim (Bt, Bv); tn (Bt, L, D); tm (Bt, L); vn (Bv, T, D); vm (Bv, T); wt (Bt, L); wv (Bv, T)
    if (Bt <= 0 || Bv <= 0) return;
    cudaCheckCond(L > 0 && T > 0, "token-wise scoring needs L > 0 and T > 0");
    size_t bytes = ((size_t)L * T + L + T) * sizeof(float);
    cudaCheckCond(bytes <= 48 * 1024, "token-wise scoring: L * T too large for one block");
    tokenwise_kernel<<<(unsigned int)((size_t)Bt * Bv), TW_THREADS, bytes>>>(sim, tn, tm, vn, vm,
                                                                             wt, wv, Bv, L, T, D);
    cudaCheckLaunch();
}
