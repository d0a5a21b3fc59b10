/* Fused token-wise interaction scoring (ti / wti of spec/model.md §4) on
 * normalised features, the semantics of tokenwise_score_normalised in
 * src/drl/interaction.c: per (text a, video b), S (L, T) = tn[a] vn[b]^T with
 * masked entries multiplied by 0 (not skipped, as in the reference), the max
 * over j per token i (weights wt) and over i per frame j (weights wv), summed
 * in double in index order, sim = (t2v + v2t) / 2. It is the training
 * forward's kernel (cuda_heads.cu) with nothing kept for a backward: one block
 * per (a, b), the (L, T) block in shared memory, so the (Bt, Bv, L, T) tensor
 * is never materialised. Deterministic (fixed-order sums). */
#include "cuda/cuda_internal.cuh"

extern "C" void drl_cuda_tokenwise_score(float *sim, const float *tn, const int32_t *tm,
                                         const float *vn, const int32_t *vm, const float *wt,
                                         const float *wv, int Bt, int Bv, int L, int T, int D) {
    // sim (Bt, Bv); tn (Bt, L, D); tm (Bt, L); vn (Bv, T, D); vm (Bv, T); wt (Bt, L); wv (Bv, T)
    cuda_tokenwise_fwd_launch(sim, NULL, NULL, NULL, NULL, tn, tm, vn, vm, wt, wv, Bt, Bv, L, T, D);
}
