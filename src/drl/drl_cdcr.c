#include "drl/drl_cdcr.h"

#include <string.h>

#include "common/check.h"
#include "common/log.h"
#include "drl/loss.h"

static int count_valid(const int32_t *mask, int K) {
    int n = 0;
    for (int k = 0; k < K; k++)
        n += mask[k] ? 1 : 0;
    return n;
}

/* Gathers rows src[idx[r]] (each D floats) into dst (N, D). */
static void gather_rows(float *dst, const float *src, const int *idx, int N, int D) {
    for (int r = 0; r < N; r++)
        memcpy(dst + (size_t)r * D, src + (size_t)idx[r] * D, sizeof(float) * D);
}
/* dst[idx[r]] += g[r] */
static void scatter_rows(float *dst, const float *g, const int *idx, int N, int D) {
    for (int r = 0; r < N; r++)
        for (int d = 0; d < D; d++)
            dst[(size_t)idx[r] * D + d] += g[(size_t)r * D + d];
}

/* One correlation term over row pairs (ia into A's table, ib into B's table):
 * forward into cc; backward scatters into dA_tab / dB_tab and dw (per row). */
typedef struct {
    int N;
    int *ia, *ib; /* (N) row indices */
    float *w;     /* (N) row weights or NULL */
    int *iw;      /* (N) index of each row's weight in the weight table */
    float *A, *B; /* (N, D) gathered rows */
    CorrCache cc;
} CorrTerm;

static void term_forward(CorrTerm *t, DrlScratch *s, const float *A_tab, const float *B_tab, int D,
                         float divisor) {
    t->A = scratch_get(s, sizeof(float) * (size_t)t->N * D);
    t->B = scratch_get(s, sizeof(float) * (size_t)t->N * D);
    gather_rows(t->A, A_tab, t->ia, t->N, D);
    gather_rows(t->B, B_tab, t->ib, t->N, D);
    corr_forward(&t->cc, s, t->A, t->B, t->w, t->N, D, divisor);
}

static void term_backward(CorrTerm *t, DrlScratch *s, const float *dC, float *dA_tab, float *dB_tab,
                          float *dw_tab, int D) {
    float *dA = scratch_zget(s, sizeof(float) * (size_t)t->N * D);           // (N, D)
    float *dB = scratch_zget(s, sizeof(float) * (size_t)t->N * D);           // (N, D)
    float *dw = t->w ? scratch_zget(s, sizeof(float) * (size_t)t->N) : NULL; // (N)
    corr_backward(&t->cc, s, dC, dA, dB, dw);
    scatter_rows(dA_tab, dA, t->ia, t->N, D);
    scatter_rows(dB_tab, dB, t->ib, t->N, D);
    if (dw && dw_tab)
        for (int r = 0; r < t->N; r++)
            dw_tab[t->iw[r]] += dw[r];
}

static void term_alloc(CorrTerm *t, DrlScratch *s, int N, int weighted) {
    memset(t, 0, sizeof *t);
    t->N = N;
    t->ia = scratch_zget(s, sizeof(int) * (size_t)N);
    t->ib = scratch_zget(s, sizeof(int) * (size_t)N);
    t->iw = scratch_zget(s, sizeof(int) * (size_t)N);
    if (weighted) t->w = scratch_zget(s, sizeof(float) * (size_t)N);
}

/* Bytes of one term of N rows, forward and backward. */
static size_t term_bytes(size_t N, size_t D) {
    const size_t ND = scratch_round(sizeof(float) * N * D);
    return 4 * scratch_round(sizeof(int) * N) + 4 * ND + scratch_round(sizeof(float) * N) +
           corr_scratch_bytes((int)N, (int)D);
}

size_t drl_cdcr_scratch_bytes(int Bg, int L, int T, int D) {
    const size_t dd = 2 * scratch_round(sizeof(float) * (size_t)D * D); // dC, C
    return dd + term_bytes((size_t)Bg * L, (size_t)D) + term_bytes((size_t)Bg * T, (size_t)D);
}

static int degenerate_channels(const CorrTerm *t, int D) {
    int n = 0;
    for (int d = 0; d < D; d++)
        n += t->cc.degen_a[d] + t->cc.degen_b[d];
    return n;
}

double drl_cdcr(DrlModel *m, int Bg, const int32_t *text_pick, const int32_t *video_pick,
                int backward, CdcrGrads *g) {
    const int L = m->L, T = m->T, D = m->D, variant = m->h.cdcr;
    const float a1 = m->h.alpha1, a2 = m->h.alpha2, lambda = m->h.lambda;
    DrlScratch *s = &m->host.cdcr;
    scratch_reset(s);
    float *dC = scratch_zget(s, sizeof(float) * (size_t)D * D); // (D, D)
    double loss = 0.0;
    int degen = 0;
    const DrlHost *h = &m->host;

    if (m->h.interaction == HEAD_DP) {
        CorrTerm t;
        term_alloc(&t, s, Bg, 0);
        for (int a = 0; a < Bg; a++)
            t.ia[a] = t.ib[a] = a;
        term_forward(&t, s, m->dp.t, m->dp.v, D, (float)Bg);
        loss = decorrelation_loss(t.cc.C, D, a1, a2, dC, lambda);
        degen = degenerate_channels(&t, D);
        if (backward) term_backward(&t, s, dC, g->dt, g->dv, NULL, D);
    } else if (variant == 1) {
        CorrTerm t;
        term_alloc(&t, s, Bg, 0);
        for (int a = 0; a < Bg; a++) {
            int lt = count_valid(h->tm + (size_t)a * L, L);
            int lv = count_valid(h->vm + (size_t)a * T, T);
            int pt_, pv;
            if (text_pick) {
                pt_ = text_pick[a], pv = video_pick[a];
            } else {
                pt_ = (int)(rng_below(&m->rng, 10000) % (uint32_t)(lt > 0 ? lt : 1));
                pv = (int)(rng_below(&m->rng, 10000) % (uint32_t)(lv > 0 ? lv : 1));
            }
            drlCheck(pt_ >= 0 && pt_ < L && pv >= 0 && pv < T, "CDCR 1 pick out of range");
            t.ia[a] = a * L + pt_;
            t.ib[a] = a * T + pv;
        }
        term_forward(&t, s, h->tn, h->vn, D, (float)Bg);
        loss = decorrelation_loss(t.cc.C, D, a1, a2, dC, lambda);
        degen = degenerate_channels(&t, D);
        if (backward) term_backward(&t, s, dC, g->dtn, g->dvn, NULL, D);
    } else {
        /* variants 2 and 3: every valid token with its best frame of its own
         * video, every valid frame with its best token (ties: first). */
        const int weighted = variant == 3;
        int ntok = 0, nfrm = 0;
        for (int a = 0; a < Bg; a++)
            ntok += count_valid(h->tm + (size_t)a * L, L);
        for (int b = 0; b < Bg; b++)
            nfrm += count_valid(h->vm + (size_t)b * T, T);
        CorrTerm tok, frm;
        term_alloc(&tok, s, ntok, weighted);
        term_alloc(&frm, s, nfrm, weighted);
        int r = 0;
        for (int a = 0; a < Bg; a++) {
            const int16_t *arg = h->targ + (size_t)a * L; // (L) argmax_j S[a,a,i,:]
            for (int i = 0; i < L; i++) {
                if (!h->tm[(size_t)a * L + i]) continue;
                tok.ia[r] = a * L + i;
                tok.ib[r] = a * T + arg[i];
                tok.iw[r] = a * L + i;
                if (weighted) tok.w[r] = h->wt[(size_t)a * L + i];
                r++;
            }
        }
        r = 0;
        for (int b = 0; b < Bg; b++) {
            const int16_t *arg = h->varg + (size_t)b * T; // (T) argmax_i S[b,b,:,j]
            for (int j = 0; j < T; j++) {
                if (!h->vm[(size_t)b * T + j]) continue;
                frm.ia[r] = b * T + j;
                frm.ib[r] = b * L + arg[j];
                frm.iw[r] = b * T + j;
                if (weighted) frm.w[r] = h->wv[(size_t)b * T + j];
                r++;
            }
        }
        term_forward(&tok, s, h->tn, h->vn, D, weighted ? (float)Bg : (float)ntok);
        term_forward(&frm, s, h->vn, h->tn, D, weighted ? (float)Bg : (float)nfrm);
        float *C = scratch_get(s, sizeof(float) * (size_t)D * D); // (D, D) (C1 + C2) / 2
        for (size_t k = 0; k < (size_t)D * D; k++)
            C[k] = 0.5f * (tok.cc.C[k] + frm.cc.C[k]);
        loss = decorrelation_loss(C, D, a1, a2, dC, lambda);
        degen = degenerate_channels(&tok, D) + degenerate_channels(&frm, D);
        if (backward) {
            for (size_t k = 0; k < (size_t)D * D; k++)
                dC[k] *= 0.5f;
            term_backward(&tok, s, dC, g->dtn, g->dvn, weighted ? g->dwt : NULL, D);
            term_backward(&frm, s, dC, g->dvn, g->dtn, weighted ? g->dwv : NULL, D);
        }
    }
    if (degen && m->cdcr_degenerate == 0)
        log_warn("CDCR: %d feature channels have zero standard deviation over the batch "
                 "(a batch of one, or identical rows); they are left unstandardised",
                 degen);
    m->cdcr_degenerate = degen;
    return loss;
}
