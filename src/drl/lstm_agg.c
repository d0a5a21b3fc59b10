#include "drl/lstm_agg.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"

void lstm_cache_alloc(LstmCache *c, int B, int T, int D) {
    memset(c, 0, sizeof *c);
    c->B = B, c->T = T, c->D = D;
    c->len = callocCheck((size_t)B, sizeof(int));
    c->gates = callocCheck((size_t)B * T * 4 * D, sizeof(float));
    c->c = callocCheck((size_t)B * T * D, sizeof(float));
    c->h = callocCheck((size_t)B * T * D, sizeof(float));
    c->tanhc = callocCheck((size_t)B * T * D, sizeof(float));
    c->dgates = callocCheck((size_t)B * T * 4 * D, sizeof(float));
    c->dh = callocCheck((size_t)D, sizeof(float));
    c->dc = callocCheck((size_t)D, sizeof(float));
}

void lstm_cache_free(LstmCache *c) {
    free(c->len), free(c->gates), free(c->c), free(c->h), free(c->tanhc);
    free(c->dgates), free(c->dh), free(c->dc);
    memset(c, 0, sizeof *c);
}

static float sigmoidf(float x) {
    return 1.0f / (1.0f + expf(-x));
}

void lstm_agg_forward(LstmCache *c, float *out, const float *F, const int32_t *vm,
                      const float *w_ih, const float *w_hh, const float *b_ih, const float *b_hh) {
    const int B = c->B, T = c->T, D = c->D, G = 4 * D;
    c->maxlen = 0;
    for (int b = 0; b < B; b++) {
        int n = 0;
        for (int t = 0; t < T; t++)
            n += vm[(size_t)b * T + t] ? 1 : 0;
        c->len[b] = n;
        if (n > c->maxlen) c->maxlen = n;
    }
    /* input projections for every position: gates (B*T, 4D) = F W_ih^T + b_ih + b_hh */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B * T, G, D, 1.0f, F, D, w_ih, D, 0.0f,
                c->gates, G);
    for (int b = 0; b < B; b++) {
        for (int t = 0; t < c->len[b]; t++) {
            float *g = c->gates + ((size_t)b * T + t) * G; // (4D)
            for (int k = 0; k < G; k++)
                g[k] += b_ih[k] + b_hh[k];
            if (t > 0) {
                const float *hp = c->h + ((size_t)b * T + t - 1) * D;
                cblas_sgemv(CblasRowMajor, CblasNoTrans, G, D, 1.0f, w_hh, D, hp, 1, 1.0f, g, 1);
            }
            const float *cp = t > 0 ? c->c + ((size_t)b * T + t - 1) * D : NULL;
            float *cc = c->c + ((size_t)b * T + t) * D;
            float *hh = c->h + ((size_t)b * T + t) * D;
            float *tc = c->tanhc + ((size_t)b * T + t) * D;
            for (int d = 0; d < D; d++) {
                float gi = sigmoidf(g[d]), gf = sigmoidf(g[D + d]);
                float gg = tanhf(g[2 * D + d]), go = sigmoidf(g[3 * D + d]);
                g[d] = gi, g[D + d] = gf, g[2 * D + d] = gg, g[3 * D + d] = go;
                cc[d] = gf * (cp ? cp[d] : 0.0f) + gi * gg;
                tc[d] = tanhf(cc[d]);
                hh[d] = go * tc[d];
            }
        }
    }
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            const float *f = F + ((size_t)b * T + t) * D;
            float *o = out + ((size_t)b * T + t) * D;
            if (t < c->len[b]) {
                const float *hh = c->h + ((size_t)b * T + t) * D;
                for (int d = 0; d < D; d++)
                    o[d] = hh[d] + f[d];
            } else if (t < c->maxlen) {
                for (int d = 0; d < D; d++)
                    o[d] = f[d]; /* 0 + F */
            } else {
                for (int d = 0; d < D; d++)
                    o[d] = f[d] + f[d]; /* original copied in, + F */
            }
        }
}

void lstm_agg_backward(const LstmCache *c, float *dF, float *dw_ih, float *dw_hh, float *db_ih,
                       float *db_hh, const float *dout, const float *F, const float *w_ih,
                       const float *w_hh) {
    const int B = c->B, T = c->T, D = c->D, G = 4 * D;
    float *dgates = c->dgates; // (B, T, 4D) pre-activation grads
    float *dh = c->dh;         // (D) carried hidden grad
    float *dc = c->dc;         // (D) carried cell grad
    memset(dgates, 0, sizeof(float) * (size_t)B * T * G);
    for (int b = 0; b < B; b++) {
        for (int t = 0; t < T; t++) {
            const float *g = dout + ((size_t)b * T + t) * D;
            float *df = dF + ((size_t)b * T + t) * D;
            float k = (t >= c->maxlen && t >= c->len[b]) ? 2.0f : 1.0f;
            for (int d = 0; d < D; d++)
                df[d] += k * g[d];
        }
        memset(dh, 0, sizeof(float) * D);
        memset(dc, 0, sizeof(float) * D);
        for (int t = c->len[b] - 1; t >= 0; t--) {
            const float *go_ = dout + ((size_t)b * T + t) * D;
            const float *gt = c->gates + ((size_t)b * T + t) * G;
            const float *tc = c->tanhc + ((size_t)b * T + t) * D;
            const float *cp = t > 0 ? c->c + ((size_t)b * T + t - 1) * D : NULL;
            float *dg = dgates + ((size_t)b * T + t) * G;
            for (int d = 0; d < D; d++) {
                float dhh = dh[d] + go_[d];
                float gi = gt[d], gf = gt[D + d], gg = gt[2 * D + d], go = gt[3 * D + d];
                float dcc = dc[d] + dhh * go * (1.0f - tc[d] * tc[d]);
                dg[3 * D + d] = dhh * tc[d] * go * (1.0f - go);
                dg[d] = dcc * gg * gi * (1.0f - gi);
                dg[2 * D + d] = dcc * gi * (1.0f - gg * gg);
                dg[D + d] = cp ? dcc * cp[d] * gf * (1.0f - gf) : 0.0f;
                dc[d] = dcc * gf;
            }
            /* dh_{t-1} = W_hh^T dg */
            if (t > 0)
                cblas_sgemv(CblasRowMajor, CblasTrans, G, D, 1.0f, w_hh, D, dg, 1, 0.0f, dh, 1);
            if (t > 0 && dw_hh)
                cblas_sger(CblasRowMajor, G, D, 1.0f, dg, 1, c->h + ((size_t)b * T + t - 1) * D, 1,
                           dw_hh, D);
            for (int k = 0; k < G; k++) {
                if (db_ih) db_ih[k] += dg[k];
                if (db_hh) db_hh[k] += dg[k];
            }
        }
    }
    /* dF += dgates W_ih ; dW_ih += dgates^T F (padded rows have zero dgates) */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B * T, D, G, 1.0f, dgates, G, w_ih, D,
                1.0f, dF, D);
    if (dw_ih)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, G, D, B * T, 1.0f, dgates, G, F, D,
                    1.0f, dw_ih, D);
}
