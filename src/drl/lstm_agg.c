/* seqLSTM (lstm_agg.h): the step loop over the op table and the head
 * kernels, and the kernels' CPU entries. */
#include "drl/lstm_agg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "drl/scratch.h"

size_t lstm_cache_alloc(LstmCache *c, const DrlOps *ops, int B, int T, int D) {
    memset(c, 0, sizeof *c);
    c->B = B, c->T = T, c->D = D;
    const size_t BT = (size_t)B * T, f = sizeof(float);
    size_t n = 0;
    c->len_h = callocCheck((size_t)B, sizeof(int32_t));
    c->len = drl_alloc_counted(ops, sizeof(int32_t) * B, &n);
    c->perm = drl_alloc_counted(ops, sizeof(int32_t) * BT, &n);
    c->F_tm = drl_alloc_counted(ops, f * BT * D, &n);
    c->gates = drl_alloc_counted(ops, f * BT * 4 * D, &n);
    c->c = drl_alloc_counted(ops, f * BT * D, &n);
    c->tanhc = drl_alloc_counted(ops, f * BT * D, &n);
    c->h = drl_alloc_counted(ops, f * BT * D, &n);
    c->zero = drl_alloc_counted(ops, f * B * D, &n);
    c->rec = drl_alloc_counted(ops, f * B * 4 * D, &n);
    c->dgates = drl_alloc_counted(ops, f * BT * 4 * D, &n);
    c->dh_tm = drl_alloc_counted(ops, f * BT * D, &n);
    c->dh = drl_alloc_counted(ops, f * B * D, &n);
    c->dc = drl_alloc_counted(ops, f * B * D, &n);
    c->dF_tm = drl_alloc_counted(ops, f * BT * D, &n);
    return n;
}

void lstm_cache_free(LstmCache *c, const DrlOps *ops) {
    void *bufs[] = {c->len,  c->perm, c->F_tm,   c->gates, c->c,  c->tanhc, c->h,
                    c->zero, c->rec,  c->dgates, c->dh_tm, c->dh, c->dc,    c->dF_tm};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        if (bufs[i]) ops->free(bufs[i]);
    free(c->len_h);
    memset(c, 0, sizeof *c);
}

/* perm (B*T): time-major row t*B + b <- batch-major row b*T + t. */
static void build_perm(LstmCache *c, const DrlOps *ops, int B) {
    if (c->perm_b == B) return;
    const int T = c->T;
    int32_t *p = mallocCheck(sizeof(int32_t) * (size_t)B * T); // (T, B) host
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++)
            p[(size_t)t * B + b] = b * T + t;
    ops->to_device(c->perm, p, sizeof(int32_t) * (size_t)B * T);
    free(p);
    c->perm_b = B;
}

void lstm_agg_forward(LstmCache *c, const DrlOps *ops, const DrlHeadKernels *hk, float *out,
                      const float *F, const int32_t *vm_host, int B, const float *w_ih,
                      const float *w_hh, const float *b_ih, const float *b_hh) {
    const int T = c->T, D = c->D, G = 4 * D;
    drlCheck(B >= 1 && B <= c->B, "seqLSTM: batch larger than allocated");
    c->Bc = B;
    c->maxlen = 0;
    for (int b = 0; b < B; b++) {
        int n = 0;
        for (int t = 0; t < T; t++)
            n += vm_host[(size_t)b * T + t] ? 1 : 0;
        c->len_h[b] = n;
        if (n > c->maxlen) c->maxlen = n;
    }
    ops->to_device(c->len, c->len_h, sizeof(int32_t) * (size_t)B);
    build_perm(c, ops, B);
    const size_t BD = (size_t)B * D;
    ops->embedding_fwd(c->F_tm, c->perm, F, B * T, D);
    /* input projections of every position: gates (T*B, 4D) = F W_ih^T + b_ih */
    ops->linear_fwd(c->gates, c->F_tm, w_ih, b_ih, B * T, D, G);
    ops->zero(c->zero, sizeof(float) * BD);
    for (int t = 0; t < c->maxlen; t++) {
        const float *hp = t > 0 ? c->h + (size_t)(t - 1) * BD : c->zero; // (B, D)
        float *g = c->gates + (size_t)t * B * G;                         // (B, 4D)
        ops->linear_fwd(c->rec, hp, w_hh, b_hh, B, D, G);
        ops->add(g, g, c->rec, (size_t)B * G);
        hk->lstm_cell_fwd(g, c->c + (size_t)t * BD, c->tanhc + (size_t)t * BD,
                          c->h + (size_t)t * BD, t > 0 ? c->c + (size_t)(t - 1) * BD : NULL, c->len,
                          t, B, D);
    }
    hk->lstm_out_fwd(out, F, c->h, c->len, c->maxlen, B, T, D);
}

void lstm_agg_backward(LstmCache *c, const DrlOps *ops, const DrlHeadKernels *hk, float *dF,
                       float *dw_ih, float *dw_hh, float *db_ih, float *db_hh, const float *dout,
                       const float *w_ih, const float *w_hh) {
    const int B = c->Bc, T = c->T, D = c->D, G = 4 * D;
    const size_t BD = (size_t)B * D;
    ops->zero(c->dgates, sizeof(float) * (size_t)T * B * G);
    hk->lstm_out_bwd(dF, c->dh_tm, dout, c->len, c->maxlen, B, T, D);
    ops->zero(c->dh, sizeof(float) * BD);
    ops->zero(c->dc, sizeof(float) * BD);
    for (int t = c->maxlen - 1; t >= 0; t--) {
        float *dg = c->dgates + (size_t)t * B * G; // (B, 4D)
        /* the hidden state's gradient: the output's plus the next step's */
        ops->add(c->dh, c->dh, c->dh_tm + (size_t)t * BD, BD);
        hk->lstm_cell_bwd(dg, c->dc, c->dh, c->gates + (size_t)t * B * G, c->tanhc + (size_t)t * BD,
                          t > 0 ? c->c + (size_t)(t - 1) * BD : NULL, c->len, t, B, D);
        const float *hp = t > 0 ? c->h + (size_t)(t - 1) * BD : c->zero; // (B, D)
        ops->zero(c->dh, sizeof(float) * BD);
        ops->linear_bwd(t > 0 ? c->dh : NULL, dw_hh, db_hh, dg, hp, w_hh, B, D, G);
    }
    /* every position: dF_tm = dgates W_ih, dW_ih += dgates^T F, db_ih */
    ops->zero(c->dF_tm, sizeof(float) * (size_t)T * BD);
    ops->linear_bwd(c->dF_tm, dw_ih, db_ih, c->dgates, c->F_tm, w_ih, B * T, D, G);
    ops->embedding_bwd(dF, c->dF_tm, c->perm, B * T, D);
}

/* ---- the CPU entries of the head kernels ------------------------------------ */

static float sigmoidf(float x) {
    return 1.0f / (1.0f + expf(-x));
}

void lstm_cell_fwd_cpu(float *g, float *c, float *tanhc, float *h, const float *c_prev,
                       const int32_t *len, int t, int B, int D) {
    // g (B, 4D) pre-activations in, activations out; c, tanhc, h (B, D); c_prev (B, D) or NULL
    for (int b = 0; b < B; b++) {
        float *gb = g + (size_t)b * 4 * D;
        float *cb = c + (size_t)b * D, *tb = tanhc + (size_t)b * D, *hb = h + (size_t)b * D;
        if (t >= len[b]) {
            memset(gb, 0, sizeof(float) * 4 * (size_t)D);
            memset(cb, 0, sizeof(float) * D);
            memset(tb, 0, sizeof(float) * D);
            memset(hb, 0, sizeof(float) * D);
            continue;
        }
        const float *cp = c_prev ? c_prev + (size_t)b * D : NULL;
        for (int d = 0; d < D; d++) {
            float gi = sigmoidf(gb[d]), gf = sigmoidf(gb[D + d]);
            float gg = tanhf(gb[2 * D + d]), go = sigmoidf(gb[3 * D + d]);
            gb[d] = gi, gb[D + d] = gf, gb[2 * D + d] = gg, gb[3 * D + d] = go;
            cb[d] = gf * (cp ? cp[d] : 0.0f) + gi * gg;
            tb[d] = tanhf(cb[d]);
            hb[d] = go * tb[d];
        }
    }
}

void lstm_cell_bwd_cpu(float *dg, float *dc, const float *dh, const float *g, const float *tanhc,
                       const float *c_prev, const int32_t *len, int t, int B, int D) {
    // dg (B, 4D) =; dc (B, D) carried in and out; dh (B, D); g (B, 4D) activated; tanhc (B, D)
    for (int b = 0; b < B; b++) {
        float *dgb = dg + (size_t)b * 4 * D, *dcb = dc + (size_t)b * D;
        if (t >= len[b]) {
            memset(dgb, 0, sizeof(float) * 4 * (size_t)D);
            continue;
        }
        const float *gb = g + (size_t)b * 4 * D, *tc = tanhc + (size_t)b * D;
        const float *dhb = dh + (size_t)b * D;
        const float *cp = c_prev ? c_prev + (size_t)b * D : NULL;
        for (int d = 0; d < D; d++) {
            float gi = gb[d], gf = gb[D + d], gg = gb[2 * D + d], go = gb[3 * D + d];
            float dhh = dhb[d];
            float dcc = dcb[d] + dhh * go * (1.0f - tc[d] * tc[d]);
            dgb[3 * D + d] = dhh * tc[d] * go * (1.0f - go);
            dgb[d] = dcc * gg * gi * (1.0f - gi);
            dgb[2 * D + d] = dcc * gi * (1.0f - gg * gg);
            dgb[D + d] = cp ? dcc * cp[d] * gf * (1.0f - gf) : 0.0f;
            dcb[d] = dcc * gf;
        }
    }
}

void lstm_out_fwd_cpu(float *out, const float *F, const float *h_tm, const int32_t *len, int maxlen,
                      int B, int T, int D) {
    // out (B, T, D), F (B, T, D), h_tm (T, B, D)
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            const float *f = F + ((size_t)b * T + t) * D;
            float *o = out + ((size_t)b * T + t) * D;
            if (t < len[b]) {
                const float *hh = h_tm + ((size_t)t * B + b) * D;
                for (int d = 0; d < D; d++)
                    o[d] = hh[d] + f[d];
            } else if (t < maxlen) {
                for (int d = 0; d < D; d++)
                    o[d] = f[d]; /* 0 + F */
            } else {
                for (int d = 0; d < D; d++)
                    o[d] = f[d] + f[d]; /* original copied in, + F */
            }
        }
}

void lstm_out_bwd_cpu(float *dF, float *dh_tm, const float *dout, const int32_t *len, int maxlen,
                      int B, int T, int D) {
    // dF (B, T, D) +=, dh_tm (T, B, D) =, dout (B, T, D)
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            const float *g = dout + ((size_t)b * T + t) * D;
            float *df = dF + ((size_t)b * T + t) * D;
            float *dh = dh_tm + ((size_t)t * B + b) * D;
            const float k = (t >= maxlen && t >= len[b]) ? 2.0f : 1.0f;
            for (int d = 0; d < D; d++) {
                df[d] += k * g[d];
                dh[d] = t < len[b] ? g[d] : 0.0f;
            }
        }
}
