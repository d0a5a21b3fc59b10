/* xti (spec/model.md §4). The sequences are built in backend memory
 * (drl/xti_seq.h: gathers from a small table of EOT rows and frames, the
 * cross position table, the key masks, dropout bits drawn from the model's
 * generator); the cross model runs through the op table; token 0 is gathered
 * with embedding_fwd over xti_x viewed as (P*(1+T), D) rows (ids q*(1+T))
 * and its gradient scattered back with embedding_bwd; the sequences'
 * gradient is summed back into the table rows and the positions by the
 * xti_seq_bwd head kernel. Only the scores (P) and their gradient cross to
 * the host, where the loss is taken. */
#include "drl/drl_xti.h"

#include <string.h>

#include "common/check.h"
#include "drl/loss.h"

/* Scores P = Bt*Bv pairs (q = a*Bv + b) of the rows in m->xseq's table (filled
 * by the caller), vm (Bv, T) host, into the host array scores (P). With
 * dropout, draws a fresh mask. */
static void xti_pass_fwd(DrlModel *m, int Bt, const int32_t *vm, int Bv, int dropout,
                         float *scores) {
    const DrlOps *ops = m->ops;
    const ParamTable *pt = &m->pt;
    const int T = m->T, D = m->D, S = T + 1, P = Bt * Bv;
    drlCheck(P <= m->xti_pairs, "xti: more pairs than allocated");
    xti_seq_build(&m->xseq, ops, m->hk, &m->rng, params_at(pt, pt->data, m->cross_pos), vm, Bt, Bv,
                  T, dropout ? m->h.xti_dropout : 0.0f, m->xti_x, m->xti_mask);
    transformer_fwd(&m->cross, ops, pt, m->xti_x, m->xti_mask, P, S);
    // xti_tok0 (P, D) = rows q*S of xti_x (P*S, D)
    ops->embedding_fwd(m->xti_tok0, m->xti_tok_ids, m->xti_x, P, D);
    ops->layernorm_fwd(m->xti_ln, m->xti_ln_mean, m->xti_ln_rstd, m->xti_tok0,
                       params_at(pt, pt->data, m->pool_ln_g), params_at(pt, pt->data, m->pool_ln_b),
                       P, D, DRL_HEAD_LN_EPS);
    ops->linear_fwd(m->xti_dense, m->xti_ln, params_at(pt, pt->data, m->pool_dense_w),
                    params_at(pt, pt->data, m->pool_dense_b), P, D, D);
    ops->quickgelu_fwd(m->xti_pooled, m->xti_dense, (size_t)P * D);
    ops->linear_fwd(m->xti_score, m->xti_pooled, params_at(pt, pt->data, m->sim_w),
                    params_at(pt, pt->data, m->sim_b), P, D, 1);
    ops->to_host(scores, m->xti_score, sizeof(float) * (size_t)P);
}

/* Backward of the last pass (training, Bg x Bg) from dscore (P, host):
 * accumulates into m->d_tf_g's EOT rows, m->d_vf_g, the position table's
 * gradient and the cross model's parameters. */
static void xti_pass_bwd(DrlModel *m, int Bg, int dropout, const float *dscore) {
    const DrlOps *ops = m->ops;
    const ParamTable *pt = &m->pt;
    const int T = m->T, D = m->D, S = T + 1, P = Bg * Bg;
    float *d_pooled = m->xti_scratch, *d_dense = m->xti_scratch2;
    ops->to_device(m->xti_dscore, dscore, sizeof(float) * (size_t)P);
    ops->zero(d_pooled, sizeof(float) * (size_t)P * D);
    ops->linear_bwd(d_pooled, params_at(pt, pt->grad, m->sim_w), params_at(pt, pt->grad, m->sim_b),
                    m->xti_dscore, m->xti_pooled, params_at(pt, pt->data, m->sim_w), P, D, 1);
    ops->zero(d_dense, sizeof(float) * (size_t)P * D);
    ops->quickgelu_bwd(d_dense, d_pooled, m->xti_dense, (size_t)P * D);
    float *d_ln = d_pooled; /* reuse */
    ops->zero(d_ln, sizeof(float) * (size_t)P * D);
    ops->linear_bwd(d_ln, params_at(pt, pt->grad, m->pool_dense_w),
                    params_at(pt, pt->grad, m->pool_dense_b), d_dense, m->xti_ln,
                    params_at(pt, pt->data, m->pool_dense_w), P, D, D);
    float *d_tok0 = d_dense; /* reuse */
    ops->zero(d_tok0, sizeof(float) * (size_t)P * D);
    ops->layernorm_bwd(d_tok0, params_at(pt, pt->grad, m->pool_ln_g),
                       params_at(pt, pt->grad, m->pool_ln_b), d_ln, m->xti_tok0,
                       params_at(pt, pt->data, m->pool_ln_g), m->xti_ln_mean, m->xti_ln_rstd, P, D);
    const size_t n = (size_t)P * S * D;
    ops->zero(m->xti_x, sizeof(float) * n);
    ops->embedding_bwd(m->xti_x, d_tok0, m->xti_tok_ids, P, D); /* rows q*S += d_tok0[q] */
    transformer_bwd(&m->cross, ops, pt, m->xti_x, P, S);        /* xti_x := d(input) */
    xti_seq_backward(&m->xseq, ops, m->hk, m->xti_x, Bg, Bg, T, dropout ? m->h.xti_dropout : 0.0f,
                     params_at(pt, pt->grad, m->cross_pos));
    xti_seq_scatter_train(&m->xseq, ops, m->d_tf_g, m->d_vf_g, Bg, T);
}

double xti_forward_backward(DrlModel *m, int Bg, float e, int backward, double *dls) {
    DrlHost *h = &m->host;
    const size_t BB = (size_t)Bg * Bg;
    const int dropout = m->training && m->h.xti_dropout > 0.0f;
    double loss = 0.0;
    xti_seq_fill_device(&m->xseq, m->ops, m->tf_g, h->tm, m->vf_g, Bg, m->L, m->T);
    float *ds = h->dsim; // (Bg, Bg) dL/dscore in pair order a*Bg + b
    memset(ds, 0, BB * sizeof(float));
    /* pass 1: tV, rows are texts; pair (a, b) at a*Bg + b = tV[a, b] */
    xti_pass_fwd(m, Bg, h->vm, Bg, dropout, h->sim);
    if (!dropout) {
        for (int a = 0; a < Bg; a++)
            for (int b = 0; b < Bg; b++)
                h->sim_vt[(size_t)b * Bg + a] = h->sim[(size_t)a * Bg + b];
        loss +=
            scaled_ce_loss(h->sim, h->logits_t2v, h->dZ, backward ? ds : NULL, dls, Bg, e, 0.5f, 0);
        loss +=
            scaled_ce_loss(h->sim, h->logits_v2t, h->dZ, backward ? ds : NULL, dls, Bg, e, 0.5f, 1);
        if (backward) xti_pass_bwd(m, Bg, 0, ds);
    } else {
        loss +=
            scaled_ce_loss(h->sim, h->logits_t2v, h->dZ, backward ? ds : NULL, dls, Bg, e, 0.5f, 0);
        if (backward) xti_pass_bwd(m, Bg, 1, ds);
        /* pass 2: vT with its own dropout mask; scores in pair order a*Bg + b */
        float *scores = h->xti_score; // (Bg*Bg)
        xti_pass_fwd(m, Bg, h->vm, Bg, 1, scores);
        for (int a = 0; a < Bg; a++)
            for (int b = 0; b < Bg; b++)
                h->sim_vt[(size_t)b * Bg + a] = scores[(size_t)a * Bg + b];
        /* rows of vT are videos: CE over sim_vt directly; its ds is in vT layout */
        float *ds_vt = h->dsim2; // (Bg, Bg)
        memset(ds_vt, 0, BB * sizeof(float));
        loss += scaled_ce_loss(h->sim_vt, h->logits_v2t, h->dZ, backward ? ds_vt : NULL, dls, Bg, e,
                               0.5f, 0);
        if (backward) {
            for (int a = 0; a < Bg; a++)
                for (int b = 0; b < Bg; b++)
                    ds[(size_t)a * Bg + b] = ds_vt[(size_t)b * Bg + a];
            xti_pass_bwd(m, Bg, 1, ds);
        }
    }
    return loss;
}

void xti_score(DrlModel *m, const float *tf, const int32_t *tm, int Bt, const float *vf,
               const int32_t *vm, int Bv, float *sim) {
    const int L = m->L, T = m->T, D = m->D;
    /* chunks of at most Bg texts x Bg videos: the table's and the pairs' capacity */
    const int cap = m->max_global;
    float *rows = m->xseq.h_rows;      // (cap, D) the chunk's EOT rows
    float *scores = m->host.xti_score; // (cap * cap)
    for (int a0 = 0; a0 < Bt; a0 += cap) {
        const int na = Bt - a0 < cap ? Bt - a0 : cap;
        for (int a = 0; a < na; a++) {
            const int32_t *tm_a = tm + (size_t)(a0 + a) * L;
            memcpy(rows + (size_t)a * D,
                   tf + ((size_t)(a0 + a) * L + drl_text_last_index(tm_a, L)) * D,
                   sizeof(float) * D);
        }
        for (int b0 = 0; b0 < Bv; b0 += cap) {
            const int nb = Bv - b0 < cap ? Bv - b0 : cap;
            xti_seq_fill_host(&m->xseq, m->ops, rows, na, vf + (size_t)b0 * T * D, nb, T);
            xti_pass_fwd(m, na, vm + (size_t)b0 * T, nb, 0, scores);
            for (int a = 0; a < na; a++)
                memcpy(sim + (size_t)(a0 + a) * Bv + b0, scores + (size_t)a * nb,
                       sizeof(float) * nb);
        }
    }
}
