/* The heads' own kernels: the token-wise (ti / wti) training scoring of
 * spec/model.md §4, forward with the per-token maxima and argmaxima kept,
 * and its backward. A small table of function pointers, like the op table of
 * src/ops/ops.h: the CPU implementation is here (drl_cpu_head_kernels(),
 * src/drl/head_kernels_cpu.c); the CUDA one is cuda/cuda_heads.h
 * (drl_cuda_head_kernels()). Every pointer in DrlTokenwise and every
 * argument is backend memory of the matching op table.
 *
 * Semantics (both backends): for text a and video b, S[i, j] = tn[a, i] .
 * vn[b, j] multiplied by tm[a, i] * vm[b, j] (masked entries are 0, not
 * skipped, as in the reference); t2v_max[a, b, i] = max_j S[i, j] with
 * t2v_arg the first maximal j; v2t_max[a, b, j] = max_i S[i, j] with v2t_arg
 * the first maximal i; sim[a, b] = (sum_i wt[a, i] t2v_max + sum_j wv[b, j]
 * v2t_max) / 2, each sum in double in index order. The (Bt, Bv, L, T) tensor
 * is never materialised.
 *
 * Backward from dsim (Bt, Bv), g = dsim[a, b] / 2: dtn[a, i] += g wt[a, i]
 * vn[b, t2v_arg] and dvn[b, t2v_arg] += g wt[a, i] tn[a, i] where both masks
 * are 1 (likewise for v2t with wv); dwt[a, i] += g t2v_max; dwv[b, j] += g
 * v2t_max. Deterministic, no atomics: dtn and dwt are summed per text over
 * videos b in order (for each b: tokens i, then frames j), dvn and dwv per
 * video over texts a in order (for each a: frames j, then tokens i). */
#ifndef DRL_DRL_HEAD_KERNELS_H
#define DRL_DRL_HEAD_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* One token-wise scoring problem and its saved maxima. */
typedef struct {
    int Bt, Bv, L, T, D;
    const float *tn;   /* (Bt, L, D) normalised tokens */
    const int32_t *tm; /* (Bt, L) */
    const float *vn;   /* (Bv, T, D) normalised frames */
    const int32_t *vm; /* (Bv, T) */
    const float *wt;   /* (Bt, L) token weights */
    const float *wv;   /* (Bv, T) frame weights */
    float *t2v_max;    /* (Bt, Bv, L) */
    int16_t *t2v_arg;  /* (Bt, Bv, L) */
    float *v2t_max;    /* (Bt, Bv, T) */
    int16_t *v2t_arg;  /* (Bt, Bv, T) */
    void *ws;          /* workspace of tokenwise_ws_bytes bytes (backend memory) */
} DrlTokenwise;

typedef struct DrlHeadKernels {
    const char *name; /* "cpu" or "cuda" */
    /* Bytes of workspace the two calls need for these sizes (may be 0). */
    size_t (*tokenwise_ws_bytes)(int Bt, int Bv, int L, int T, int D);
    /* sim (Bt, Bv) = ... ; writes t2v_max/arg, v2t_max/arg. */
    void (*tokenwise_fwd)(const DrlTokenwise *tw, float *sim);
    /* Accumulates dtn (Bt, L, D), dvn (Bv, T, D), dwt (Bt, L), dwv (Bv, T)
     * (dwt / dwv may be NULL) from dsim (Bt, Bv) and the forward's maxima. */
    void (*tokenwise_bwd)(const DrlTokenwise *tw, const float *dsim, float *dtn, float *dvn,
                          float *dwt, float *dwv);
} DrlHeadKernels;

/* The CPU implementation (host memory; OpenBLAS and OpenMP). */
const DrlHeadKernels *drl_cpu_head_kernels(void);

#endif
