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
 * video over texts a in order (for each a: frames j, then tokens i).
 *
 * The loss (spec §5) and the pieces of CDCR (§6) are in the table too, so
 * that the whole training step stays in backend memory: the symmetric
 * InfoNCE over (B, B) in both directions, the per-channel standardisation
 * over rows and its backward, row scaling and row dot products, and the
 * decorrelation loss. drl_cdcr.c composes them with the op table's products,
 * gathers and scatters. Reductions are summed in double in a fixed order
 * (no atomics) on both backends. */
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

/* The symmetric InfoNCE of spec §5 on a similarity matrix. */
typedef struct {
    int B;
    float e;           /* exp(logit_scale) */
    const float *sim;  /* (B, B) text rows, video columns */
    float *logits_t2v; /* (B, B) written: e * sim */
    float *logits_v2t; /* (B, B) written: e * sim^T */
    float *sim_vt;     /* (B, B) written: sim^T */
    float *dsim;       /* (B, B) += dL/dsim, or NULL for the forward only */
    double *result;    /* (2) written: L = (CE(t2v) + CE(v2t)) / 2, dL/dlogit_scale
                          (0 without dsim) */
    void *ws;          /* workspace of clip_loss_ws_bytes(B) bytes */
} DrlClipLoss;

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

    /* ---- the loss (§5) ------------------------------------------------- */
    size_t (*clip_loss_ws_bytes)(int B);
    void (*clip_loss)(const DrlClipLoss *cl);

    /* ---- CDCR's pieces (§6; drl/loss.h corr_forward / corr_backward) ---- */
    /* Per channel d over the N rows of x (N, D): mean, the sd over
     * max(N - 1, 1); where the variance is <= 1e-12 (or not finite) the
     * channel is degenerate: sd = 1, degen = 1. z (N, D) = (x - mean) / sd. */
    void (*standardise_fwd)(float *z, float *sd, uint8_t *degen, const float *x, int N, int D);
    /* dx (N, D) += (dz - mean(dz) - z * sum(dz z) / max(N - 1, 1)) / sd per
     * channel; the last term is 0 for a degenerate channel. */
    void (*standardise_bwd)(float *dx, const float *dz, const float *z, const float *sd,
                            const uint8_t *degen, int N, int D);
    /* x (N, D): row n *= w[n] */
    void (*rows_scale)(float *x, const float *w, int N, int D);
    /* out (N) += a[n] . b[n] for a, b (N, D), each dot summed in double */
    void (*rows_dot_add)(float *out, const float *a, const float *b, int N, int D);
    /* result (1) = alpha1 sum_i (C_ii - 1)^2 + alpha2 sum_{i != j} C_ij^2 (in
     * double) for C (D, D); dC (D, D) += gscale dL/dC when dC != NULL. */
    void (*decorrelation)(double *result, const float *C, int D, float alpha1, float alpha2,
                          float *dC, float gscale);

    /* ---- xti's sequences (drl/xti_seq.h) ------------------------------- */
    /* x (n) *= keep where bit i (bit i % 8 of byte i / 8) of bits is set, else 0 */
    void (*dropout_bits)(float *x, const uint8_t *bits, float keep, size_t n);
    /* From dx (Bt*Bv, 1+T, D), pair q = a*Bv + b, written (=):
     * dtable (Bt + Bv*T, D): row a = sum over b in order of dx[q, 0]; row
     * Bt + b*T + j = sum over a in order of dx[q, 1+j];
     * dpos (1+T, D): row 0 = sum over a of dtable[a]; row 1+j = sum over b
     * of dtable[Bt + b*T + j] (in order). */
    void (*xti_seq_bwd)(float *dtable, float *dpos, const float *dx, int Bt, int Bv, int T, int D);

    /* ---- seqLSTM (drl/lstm_agg.h), step t of B videos, rows b < B -------- */
    /* Where t < len[b]: g (B, 4D) pre-activations (i, f, g, o) become the
     * activations sigma, sigma, tanh, sigma; c = f c_prev + i g (c_prev NULL:
     * 0); tanhc = tanh(c); h = o tanhc. Elsewhere g, c, tanhc, h = 0. */
    void (*lstm_cell_fwd)(float *g, float *c, float *tanhc, float *h, const float *c_prev,
                          const int32_t *len, int t, int B, int D);
    /* Where t < len[b], from dh (B, D) and the carried dc (B, D): dg (B, 4D)
     * = the pre-activation gradients, dc = the cell gradient carried to
     * t - 1; elsewhere dg = 0 and dc untouched. */
    void (*lstm_cell_bwd)(float *dg, float *dc, const float *dh, const float *g, const float *tanhc,
                          const float *c_prev, const int32_t *len, int t, int B, int D);
    /* out (B, T, D) = h_tm[t, b] + F where t < len[b]; F where len[b] <= t <
     * maxlen; 2F beyond (the reference's quirk). h_tm (T, B, D). */
    void (*lstm_out_fwd)(float *out, const float *F, const float *h_tm, const int32_t *len,
                         int maxlen, int B, int T, int D);
    /* dF (B, T, D) += dout (times 2 beyond maxlen); dh_tm (T, B, D) = dout
     * where t < len[b], else 0. */
    void (*lstm_out_bwd)(float *dF, float *dh_tm, const float *dout, const int32_t *len, int maxlen,
                         int B, int T, int D);
} DrlHeadKernels;

/* The CPU implementation (host memory; OpenBLAS and OpenMP). */
const DrlHeadKernels *drl_cpu_head_kernels(void);

#endif
