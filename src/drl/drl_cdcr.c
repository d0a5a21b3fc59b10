/* CDCR (spec §6) composed from the op table and the head kernels, so that it
 * runs where its inputs are: the model's backend for ti / wti, the host for
 * dp (drl_cdcr.h). The row indices are built on the host and uploaded. */
#include "drl/drl_cdcr.h"

#include <string.h>

#include "common/check.h"
#include "common/log.h"
#include "drl/loss.h"

/* Where CDCR runs: the model's kernels, an arena of their memory, and a host
 * arena for the indices. */
typedef struct {
    const DrlOps *ops;
    const DrlHeadKernels *hk;
    DrlScratch *mem; /* the kernels' memory */
    DrlScratch *idx; /* host */
    int D;
} CdcrEnv;

/* One correlation term over N row pairs: rows ia of table A with rows ib of
 * table B, row weights w gathered from a weight table at iw (cdcr 3).
 * C (D, D) = sum_r w_r za_r^T zb_r / divisor with za, zb the rows
 * standardised per channel. */
typedef struct {
    int N;
    int32_t *ia, *ib, *iw; /* (N) host: row indices */
    int weighted;
    int32_t *d_ia, *d_ib, *d_iw; /* (N) kernel memory copies */
    float *w;                    /* (N) gathered weights or NULL */
    float *za, *zb;              /* (N, D) standardised rows */
    float *A, *B;                /* (N, D) gathered rows; reused as dA, dB */
    float *sda, *sdb;            /* (D) */
    uint8_t *dga, *dgb;          /* (D) degenerate channels */
    float *C;                    /* (D, D) */
    float divisor;
} CorrTerm;

static int count_valid(const int32_t *mask, int K) {
    int n = 0;
    for (int k = 0; k < K; k++)
        n += mask[k] ? 1 : 0;
    return n;
}

static void *mem_get(CdcrEnv *env, size_t bytes) {
    return scratch_get(env->mem, bytes);
}

static void term_alloc(CdcrEnv *env, CorrTerm *t, int N, int weighted) {
    memset(t, 0, sizeof *t);
    t->N = N;
    t->weighted = weighted;
    const size_t ni = sizeof(int32_t) * (size_t)(N > 0 ? N : 1);
    t->ia = scratch_zget(env->idx, ni);
    t->ib = scratch_zget(env->idx, ni);
    t->iw = scratch_zget(env->idx, ni);
}

/* Bytes of one term of N rows in the kernels' memory, forward and backward:
 * 3 index tables, w and dw, 7 (N, D) buffers, sd and flags, C. */
static size_t term_bytes(size_t N, size_t D) {
    const size_t ND = scratch_round(sizeof(float) * N * D);
    return 3 * scratch_round(sizeof(int32_t) * N) + 2 * scratch_round(sizeof(float) * N) + 7 * ND +
           2 * scratch_round(sizeof(float) * D) + 2 * scratch_round(D) +
           scratch_round(sizeof(float) * D * D);
}

size_t drl_cdcr_scratch_bytes(int Bg, int L, int T, int D) {
    const size_t dd = 2 * scratch_round(sizeof(float) * (size_t)D * D); // dC, combined C
    return dd + scratch_round(sizeof(double)) + term_bytes((size_t)Bg * L, (size_t)D) +
           term_bytes((size_t)Bg * T, (size_t)D);
}

size_t drl_cdcr_index_bytes(int Bg, int L, int T, int D) {
    const size_t rows[2] = {(size_t)Bg * L, (size_t)Bg * T};
    size_t n = 0;
    for (int k = 0; k < 2; k++)
        n += 3 * scratch_round(sizeof(int32_t) * (rows[k] > 0 ? rows[k] : 1)) +
             2 * scratch_round((size_t)D);
    return n;
}

/* Uploads the indices, gathers the rows (and weights), standardises, and
 * C = za^T (w zb) / divisor. */
static void term_forward(CdcrEnv *env, CorrTerm *t, const float *A_tab, const float *B_tab,
                         const float *w_tab, float divisor) {
    const DrlOps *ops = env->ops;
    const DrlHeadKernels *hk = env->hk;
    const int N = t->N, D = env->D;
    const size_t ni = sizeof(int32_t) * (size_t)N, nd = sizeof(float) * (size_t)N * D;
    t->divisor = divisor;
    t->d_ia = mem_get(env, ni);
    t->d_ib = mem_get(env, ni);
    t->d_iw = mem_get(env, ni);
    ops->to_device(t->d_ia, t->ia, ni);
    ops->to_device(t->d_ib, t->ib, ni);
    t->A = mem_get(env, nd);
    t->B = mem_get(env, nd);
    t->za = mem_get(env, nd);
    t->zb = mem_get(env, nd);
    t->sda = mem_get(env, sizeof(float) * D);
    t->sdb = mem_get(env, sizeof(float) * D);
    t->dga = mem_get(env, (size_t)D);
    t->dgb = mem_get(env, (size_t)D);
    t->C = mem_get(env, sizeof(float) * (size_t)D * D);
    ops->embedding_fwd(t->A, t->d_ia, A_tab, N, D);
    ops->embedding_fwd(t->B, t->d_ib, B_tab, N, D);
    hk->standardise_fwd(t->za, t->sda, t->dga, t->A, N, D);
    hk->standardise_fwd(t->zb, t->sdb, t->dgb, t->B, N, D);
    const float *zbw = t->zb; // (N, D) w_r * zb_r
    if (t->weighted) {
        ops->to_device(t->d_iw, t->iw, ni);
        t->w = mem_get(env, sizeof(float) * (size_t)N);
        ops->embedding_fwd(t->w, t->d_iw, w_tab, N, 1);
        float *scaled = t->A; // A is free after the standardisation
        ops->copy(scaled, t->zb, nd);
        hk->rows_scale(scaled, t->w, N, D);
        zbw = scaled;
    }
    ops->zero(t->C, sizeof(float) * (size_t)D * D);
    ops->matmul_bwd(NULL, t->C, zbw, t->za, NULL, N, D, D); // C (D, D) += za^T zbw
    ops->scale(t->C, 1.0f / divisor, (size_t)D * D);
}

/* From dC (D, D): scatters into dA_tab / dB_tab and dw_tab (per row). */
static void term_backward(CdcrEnv *env, CorrTerm *t, const float *dC, float *dA_tab, float *dB_tab,
                          float *dw_tab) {
    const DrlOps *ops = env->ops;
    const DrlHeadKernels *hk = env->hk;
    const int N = t->N, D = env->D;
    const size_t nd = sizeof(float) * (size_t)N * D;
    const float s = 1.0f / t->divisor;
    float *dza = mem_get(env, nd); // (N, D) = zb dC^T / div
    float *dzb = mem_get(env, nd); // (N, D) = za dC / div
    ops->linear_fwd(dza, t->zb, dC, NULL, N, D, D);
    ops->matmul_fwd(dzb, t->za, dC, N, D, D);
    ops->scale(dza, s, (size_t)N * D);
    ops->scale(dzb, s, (size_t)N * D);
    if (t->weighted) {
        if (dw_tab) {
            /* dw_r = za_r . (dC zb_r) / div = za_r . dza_r */
            float *dw = mem_get(env, sizeof(float) * (size_t)N); // (N)
            ops->zero(dw, sizeof(float) * (size_t)N);
            hk->rows_dot_add(dw, t->za, dza, N, D);
            ops->embedding_bwd(dw_tab, dw, t->d_iw, N, 1);
        }
        hk->rows_scale(dza, t->w, N, D);
        hk->rows_scale(dzb, t->w, N, D);
    }
    float *dA = t->A, *dB = t->B; // (N, D) each
    ops->zero(dA, nd);
    ops->zero(dB, nd);
    hk->standardise_bwd(dA, dza, t->za, t->sda, t->dga, N, D);
    hk->standardise_bwd(dB, dzb, t->zb, t->sdb, t->dgb, N, D);
    if (dA_tab) ops->embedding_bwd(dA_tab, dA, t->d_ia, N, D);
    if (dB_tab) ops->embedding_bwd(dB_tab, dB, t->d_ib, N, D);
}

static int degenerate_channels(CdcrEnv *env, const CorrTerm *t) {
    const int D = env->D;
    uint8_t *flags = scratch_get(env->idx, 2 * (size_t)D); // (2, D) host
    env->ops->to_host(flags, t->dga, (size_t)D);
    env->ops->to_host(flags + D, t->dgb, (size_t)D);
    int n = 0;
    for (int d = 0; d < 2 * D; d++)
        n += flags[d];
    return n;
}

static double decorrelation(CdcrEnv *env, const float *C, const DrlModel *m, float *dC) {
    double *res = mem_get(env, sizeof(double)); // (1)
    env->hk->decorrelation(res, C, env->D, m->h.alpha1, m->h.alpha2, dC, m->h.lambda);
    double loss = 0.0;
    env->ops->to_host(&loss, res, sizeof(double));
    return loss;
}

/* CDCR 1: one picked token and one picked frame per pair. */
static void pick_rows(DrlModel *m, CorrTerm *t, int Bg, const int32_t *text_pick,
                      const int32_t *video_pick) {
    const DrlHost *h = &m->host;
    const int L = m->L, T = m->T;
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
        t->ia[a] = a * L + pt_;
        t->ib[a] = a * T + pv;
    }
}

/* Variants 2 and 3: every valid token with its best frame of its own video
 * (tok), every valid frame with its best token (frm); ties: first. */
static void best_match_rows(const DrlModel *m, CorrTerm *tok, CorrTerm *frm, int Bg) {
    const DrlHost *h = &m->host;
    const int L = m->L, T = m->T;
    int r = 0;
    for (int a = 0; a < Bg; a++) {
        const int16_t *arg = h->targ + (size_t)a * L; // (L) argmax_j S[a,a,i,:]
        for (int i = 0; i < L; i++) {
            if (!h->tm[(size_t)a * L + i]) continue;
            tok->ia[r] = a * L + i;
            tok->ib[r] = a * T + arg[i];
            tok->iw[r] = a * L + i;
            r++;
        }
    }
    r = 0;
    for (int b = 0; b < Bg; b++) {
        const int16_t *arg = h->varg + (size_t)b * T; // (T) argmax_i S[b,b,:,j]
        for (int j = 0; j < T; j++) {
            if (!h->vm[(size_t)b * T + j]) continue;
            frm->ia[r] = b * T + j;
            frm->ib[r] = b * L + arg[j];
            frm->iw[r] = b * T + j;
            r++;
        }
    }
}

double drl_cdcr(DrlModel *m, int Bg, const int32_t *text_pick, const int32_t *video_pick,
                int backward, CdcrGrads *g) {
    const int L = m->L, T = m->T, D = m->D, variant = m->h.cdcr;
    const int dp = m->h.interaction == HEAD_DP;
    CdcrEnv env = {.ops = m->ops, .hk = m->hk, .mem = &m->cdcr_mem, .idx = &m->host.cdcr, .D = D};
    scratch_reset(env.mem);
    scratch_reset(env.idx);
    const DrlOps *ops = env.ops;
    float *dC = mem_get(&env, sizeof(float) * (size_t)D * D); // (D, D)
    ops->zero(dC, sizeof(float) * (size_t)D * D);
    float *dCp = backward ? dC : NULL;
    double loss = 0.0;
    int degen = 0;

    if (dp || variant == 1) {
        CorrTerm t;
        term_alloc(&env, &t, Bg, 0);
        if (dp)
            for (int a = 0; a < Bg; a++)
                t.ia[a] = t.ib[a] = a;
        else
            pick_rows(m, &t, Bg, text_pick, video_pick);
        term_forward(&env, &t, dp ? m->dp.t : m->tn, dp ? m->dp.v : m->vn, NULL, (float)Bg);
        loss = decorrelation(&env, t.C, m, dCp);
        degen = degenerate_channels(&env, &t);
        if (backward) term_backward(&env, &t, dC, dp ? g->dt : g->dtn, dp ? g->dv : g->dvn, NULL);
    } else {
        const int weighted = variant == 3;
        int ntok = 0, nfrm = 0;
        for (int a = 0; a < Bg; a++)
            ntok += count_valid(m->host.tm + (size_t)a * L, L);
        for (int b = 0; b < Bg; b++)
            nfrm += count_valid(m->host.vm + (size_t)b * T, T);
        CorrTerm tok, frm;
        term_alloc(&env, &tok, ntok, weighted);
        term_alloc(&env, &frm, nfrm, weighted);
        best_match_rows(m, &tok, &frm, Bg);
        term_forward(&env, &tok, m->tn, m->vn, m->wt, weighted ? (float)Bg : (float)ntok);
        term_forward(&env, &frm, m->vn, m->tn, m->wv, weighted ? (float)Bg : (float)nfrm);
        float *C = mem_get(&env, sizeof(float) * (size_t)D * D); // (D, D) (C1 + C2) / 2
        ops->add(C, tok.C, frm.C, (size_t)D * D);
        ops->scale(C, 0.5f, (size_t)D * D);
        loss = decorrelation(&env, C, m, dCp);
        degen = degenerate_channels(&env, &tok) + degenerate_channels(&env, &frm);
        if (backward) {
            ops->scale(dC, 0.5f, (size_t)D * D);
            term_backward(&env, &tok, dC, g->dtn, g->dvn, weighted ? g->dwt : NULL);
            term_backward(&env, &frm, dC, g->dvn, g->dtn, weighted ? g->dwv : NULL);
        }
    }
    if (degen && m->cdcr_degenerate == 0)
        log_warn("CDCR: %d feature channels have zero standard deviation over the batch "
                 "(a batch of one, or identical rows); they are left unstandardised",
                 degen);
    m->cdcr_degenerate = degen;
    return loss;
}
