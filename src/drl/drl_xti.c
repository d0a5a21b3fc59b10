/* xti (spec/model.md §4). The sequences are built on the host (a host
 * island: EOT rows, frames, position table, key mask, dropout from the
 * model's generator) and uploaded; the cross model runs through the op
 * table; token 0 is gathered with embedding_fwd over xti_x viewed as
 * (P*(1+T), D) rows (ids q*(1+T)) and its gradient scattered back with
 * embedding_bwd; the sequences' gradient comes back to the host for the
 * dropout and the scatter into the features and the position table. */
#include "drl/drl_xti.h"

#include <string.h>

#include "common/check.h"
#include "drl/loss.h"

/* Builds P = Bt*Bv sequences (pair q = a*Bv + b) from teot (Bt, D), vf
 * (Bv, T, D), vm (Bv, T) (host) and the host position table h->pos, runs the
 * cross model and writes the scores (P) to the host array scores. With
 * dropout, draws a fresh mask into h->xti_drop. */
static void xti_pass_fwd(DrlModel *m, const float *teot, int Bt, const float *vf, const int32_t *vm,
                         int Bv, int dropout, float *scores) {
    const DrlOps *ops = m->ops;
    const ParamTable *pt = &m->pt;
    DrlHost *h = &m->host;
    const int T = m->T, D = m->D, S = T + 1, P = Bt * Bv;
    drlCheck(P <= m->xti_pairs, "xti: more pairs than allocated");
    const float *pos = h->pos; // (ctx, D)
    const float p = m->h.xti_dropout;
    for (int a = 0; a < Bt; a++) {
        const float *t = teot + (size_t)a * D;
        for (int b = 0; b < Bv; b++) {
            const size_t q = (size_t)a * Bv + b;
            float *x = h->xti_x + q * S * D; // (S, D)
            for (int d = 0; d < D; d++)
                x[d] = t[d] + pos[d];
            for (int j = 0; j < T; j++)
                for (int d = 0; d < D; d++)
                    x[(size_t)(1 + j) * D + d] =
                        vf[((size_t)b * T + j) * D + d] + pos[(size_t)(1 + j) * D + d];
            h->xti_mask[q * S] = 0.0f;
            for (int j = 0; j < T; j++)
                h->xti_mask[q * S + 1 + j] =
                    (1.0f - (float)vm[(size_t)b * T + j]) * DRL_KEY_MASK_NEG;
        }
    }
    const size_t n = (size_t)P * S * D;
    if (dropout) {
        drlCheck(h->xti_drop != NULL, "xti dropout without its mask buffer");
        rng_uniform(&m->rng, h->xti_drop, n);
        const float keep = 1.0f / (1.0f - p);
        for (size_t k = 0; k < n; k++) {
            h->xti_drop[k] = h->xti_drop[k] < p ? 0.0f : keep;
            h->xti_x[k] *= h->xti_drop[k];
        }
    }
    ops->to_device(m->xti_x, h->xti_x, sizeof(float) * n);
    ops->to_device(m->xti_mask, h->xti_mask, sizeof(float) * (size_t)P * S);
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

/* Backward of the last pass from dscore (P, host); accumulates into the host
 * arrays dteot (Bt, D), dvf (Bv, T, D) and h->dpos (ctx, D). */
static void xti_pass_bwd(DrlModel *m, int Bt, int Bv, int dropout, const float *dscore,
                         float *dteot, float *dvf) {
    const DrlOps *ops = m->ops;
    const ParamTable *pt = &m->pt;
    DrlHost *h = &m->host;
    const int T = m->T, D = m->D, S = T + 1, P = Bt * Bv;
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
    ops->to_host(h->xti_x, m->xti_x, sizeof(float) * n);
    if (dropout)
        for (size_t k = 0; k < n; k++)
            h->xti_x[k] *= h->xti_drop[k];
    float *dpos = h->dpos; // (ctx, D)
    for (int a = 0; a < Bt; a++) {
        float *dt = dteot + (size_t)a * D;
        for (int b = 0; b < Bv; b++) {
            const float *g = h->xti_x + ((size_t)a * Bv + b) * S * D; // (S, D)
            for (int d = 0; d < D; d++)
                dt[d] += g[d];
            for (int j = 0; j < T; j++)
                for (int d = 0; d < D; d++)
                    dvf[((size_t)b * T + j) * D + d] += g[(size_t)(1 + j) * D + d];
            for (size_t k = 0; k < (size_t)S * D; k++)
                dpos[k] += g[k];
        }
    }
}

double xti_forward_backward(DrlModel *m, int Bg, float e, int backward, double *dls) {
    DrlHost *h = &m->host;
    const size_t BB = (size_t)Bg * Bg;
    const int D = m->D, T = m->T;
    const int dropout = m->training && m->h.xti_dropout > 0.0f;
    double loss = 0.0;
    drl_host_get_param(m->ops, &m->pt, m->pt.data, m->cross_pos, h->pos);
    if (backward) {
        memset(h->dteot, 0, sizeof(float) * (size_t)Bg * D);
        memset(h->dvf, 0, sizeof(float) * (size_t)Bg * T * D);
        memset(h->dpos, 0, sizeof(float) * m->pt.info[m->cross_pos].numel);
    }
    float *ds = h->dsim; // (Bg, Bg) dL/dscore in pair order a*Bg + b
    memset(ds, 0, BB * sizeof(float));
    /* pass 1: tV, rows are texts; pair (a, b) at a*Bg + b = tV[a, b] */
    xti_pass_fwd(m, h->teot, Bg, h->vf, h->vm, Bg, dropout, h->sim);
    if (!dropout) {
        for (int a = 0; a < Bg; a++)
            for (int b = 0; b < Bg; b++)
                h->sim_vt[(size_t)b * Bg + a] = h->sim[(size_t)a * Bg + b];
        loss +=
            scaled_ce_loss(h->sim, h->logits_t2v, h->dZ, backward ? ds : NULL, dls, Bg, e, 0.5f, 0);
        loss +=
            scaled_ce_loss(h->sim, h->logits_v2t, h->dZ, backward ? ds : NULL, dls, Bg, e, 0.5f, 1);
        if (backward) xti_pass_bwd(m, Bg, Bg, 0, ds, h->dteot, h->dvf);
    } else {
        loss +=
            scaled_ce_loss(h->sim, h->logits_t2v, h->dZ, backward ? ds : NULL, dls, Bg, e, 0.5f, 0);
        if (backward) xti_pass_bwd(m, Bg, Bg, 1, ds, h->dteot, h->dvf);
        /* pass 2: vT with its own dropout mask; scores in pair order a*Bg + b */
        float *scores = h->xti_score; // (Bg*Bg)
        xti_pass_fwd(m, h->teot, Bg, h->vf, h->vm, Bg, 1, scores);
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
            xti_pass_bwd(m, Bg, Bg, 1, ds, h->dteot, h->dvf);
        }
    }
    if (backward) drl_host_add_grad(h, m->ops, &m->pt, m->cross_pos, h->dpos);
    return loss;
}

void xti_score(DrlModel *m, const float *tf, const int32_t *tm, int Bt, const float *vf,
               const int32_t *vm, int Bv, float *sim) {
    const int L = m->L, T = m->T, D = m->D;
    const int cap = m->xti_pairs; /* pairs the buffers hold */
    DrlHost *h = &m->host;
    drl_host_get_param(m->ops, &m->pt, m->pt.data, m->cross_pos, h->pos);
    int chunk_v = Bv < cap ? Bv : cap;
    for (int a = 0; a < Bt; a++) {
        const float *teot = tf + ((size_t)a * L + drl_text_last_index(tm + (size_t)a * L, L)) * D;
        for (int b0 = 0; b0 < Bv; b0 += chunk_v) {
            int nb = Bv - b0 < chunk_v ? Bv - b0 : chunk_v;
            xti_pass_fwd(m, teot, 1, vf + (size_t)b0 * T * D, vm + (size_t)b0 * T, nb, 0,
                         h->xti_score);
            memcpy(sim + (size_t)a * Bv + b0, h->xti_score, sizeof(float) * nb);
        }
    }
}
