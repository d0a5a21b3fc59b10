#include "drl/drl_xti.h"

#include <string.h>

#include "common/check.h"
#include "drl/loss.h"

static int eot_index(const int32_t *tm, int L) {
    int len = 0;
    for (int i = 0; i < L; i++) len += tm[i];
    return len > 0 ? len - 1 : L - 1;
}

/* Builds P = Bt*Bv sequences (pair p = a*Bv + b) and runs the cross model.
 * Writes scores (P). With dropout, draws a fresh mask into m->xti_drop. */
static void xti_pass_fwd(DrlModel *m, const float *tf, const int32_t *tm, int Bt, const float *vf,
                         const int32_t *vm, int Bv, int dropout, float *scores) {
    const DrlOps *ops = m->ops;
    const ParamTable *pt = &m->pt;
    const int L = m->L, T = m->T, D = m->D, S = T + 1, P = Bt * Bv;
    const float *pos = params_at(pt, pt->data, m->cross_pos); // (ctx, D)
    const float p = m->h.xti_dropout;
    for (int a = 0; a < Bt; a++) {
        const float *t = tf + ((size_t)a * L + eot_index(tm + (size_t)a * L, L)) * D;
        for (int b = 0; b < Bv; b++) {
            const size_t q = (size_t)a * Bv + b;
            float *x = m->xti_x + q * S * D; // (S, D)
            for (int d = 0; d < D; d++) x[d] = t[d] + pos[d];
            for (int j = 0; j < T; j++)
                for (int d = 0; d < D; d++)
                    x[(size_t)(1 + j) * D + d] = vf[((size_t)b * T + j) * D + d] + pos[(size_t)(1 + j) * D + d];
            m->xti_mask[q * S] = 0.0f;
            for (int j = 0; j < T; j++)
                m->xti_mask[q * S + 1 + j] = (1.0f - (float)vm[(size_t)b * T + j]) * DRL_KEY_MASK_NEG;
        }
    }
    const size_t n = (size_t)P * S * D;
    if (dropout) {
        rng_uniform(&m->rng, m->xti_drop, n);
        const float keep = 1.0f / (1.0f - p);
        for (size_t k = 0; k < n; k++) {
            m->xti_drop[k] = m->xti_drop[k] < p ? 0.0f : keep;
            m->xti_x[k] *= m->xti_drop[k];
        }
    }
    transformer_fwd(&m->cross, ops, pt, m->xti_x, m->xti_mask, P, S);
    for (int q = 0; q < P; q++)
        memcpy(m->xti_tok0 + (size_t)q * D, m->xti_x + (size_t)q * S * D, sizeof(float) * D);
    ops->layernorm_fwd(m->xti_ln, m->xti_ln_mean, m->xti_ln_rstd, m->xti_tok0,
                       params_at(pt, pt->data, m->pool_ln_g), params_at(pt, pt->data, m->pool_ln_b),
                       P, D, DRL_HEAD_LN_EPS);
    ops->linear_fwd(m->xti_dense, m->xti_ln, params_at(pt, pt->data, m->pool_dense_w),
                    params_at(pt, pt->data, m->pool_dense_b), P, D, D);
    ops->quickgelu_fwd(m->xti_pooled, m->xti_dense, (size_t)P * D);
    ops->linear_fwd(scores, m->xti_pooled, params_at(pt, pt->data, m->sim_w),
                    params_at(pt, pt->data, m->sim_b), P, D, 1);
}

/* Backward of the last pass from dscore (P); accumulates into dtf (Bt, L, D), dvf (Bv, T, D). */
static void xti_pass_bwd(DrlModel *m, const int32_t *tm, int Bt, int Bv, int dropout,
                         const float *dscore, float *dtf, float *dvf) {
    const DrlOps *ops = m->ops;
    const ParamTable *pt = &m->pt;
    const int L = m->L, T = m->T, D = m->D, S = T + 1, P = Bt * Bv;
    float *d_pooled = m->xti_scratch, *d_dense = m->xti_scratch2;
    ops->zero(d_pooled, sizeof(float) * (size_t)P * D);
    ops->linear_bwd(d_pooled, params_at(pt, pt->grad, m->sim_w), params_at(pt, pt->grad, m->sim_b),
                    dscore, m->xti_pooled, params_at(pt, pt->data, m->sim_w), P, D, 1);
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
    ops->zero(m->xti_x, sizeof(float) * (size_t)P * S * D);
    for (int q = 0; q < P; q++)
        memcpy(m->xti_x + (size_t)q * S * D, d_tok0 + (size_t)q * D, sizeof(float) * D);
    transformer_bwd(&m->cross, ops, pt, m->xti_x, P, S); /* xti_x := d(input) */
    const size_t n = (size_t)P * S * D;
    if (dropout)
        for (size_t k = 0; k < n; k++) m->xti_x[k] *= m->xti_drop[k];
    float *dpos = params_at(pt, pt->grad, m->cross_pos); // (ctx, D)
    for (int a = 0; a < Bt; a++) {
        float *dt = dtf + ((size_t)a * L + eot_index(tm + (size_t)a * L, L)) * D;
        for (int b = 0; b < Bv; b++) {
            const float *g = m->xti_x + ((size_t)a * Bv + b) * S * D; // (S, D)
            for (int d = 0; d < D; d++) dt[d] += g[d];
            for (int j = 0; j < T; j++)
                for (int d = 0; d < D; d++) dvf[((size_t)b * T + j) * D + d] += g[(size_t)(1 + j) * D + d];
            for (size_t k = 0; k < (size_t)S * D; k++) dpos[k] += g[k];
        }
    }
}

double xti_forward_backward(DrlModel *m, int Bg, float e, int backward, double *dls) {
    const size_t BB = (size_t)Bg * Bg;
    const int dropout = m->training && m->h.xti_dropout > 0.0f;
    float *dZ = callocCheck(BB, sizeof(float));     // (Bg, Bg)
    float *ds = callocCheck(BB, sizeof(float));     // (Bg, Bg) dL/dscore in pair order a*Bg + b
    double loss = 0.0;
    /* pass 1: tV, rows are texts; pair (a, b) at a*Bg + b = tV[a, b] */
    xti_pass_fwd(m, m->tf_g, m->tm_g, Bg, m->vf_g, m->vm_g, Bg, dropout, m->sim);
    if (!dropout) {
        for (int a = 0; a < Bg; a++)
            for (int b = 0; b < Bg; b++) m->sim_vt[(size_t)b * Bg + a] = m->sim[(size_t)a * Bg + b];
        loss += scaled_ce_loss(m->sim, m->logits_t2v, dZ, backward ? ds : NULL, dls, Bg, e, 0.5f, 0);
        loss += scaled_ce_loss(m->sim, m->logits_v2t, dZ, backward ? ds : NULL, dls, Bg, e, 0.5f, 1);
        if (backward) xti_pass_bwd(m, m->tm_g, Bg, Bg, 0, ds, m->d_tf_g, m->d_vf_g);
    } else {
        loss += scaled_ce_loss(m->sim, m->logits_t2v, dZ, backward ? ds : NULL, dls, Bg, e, 0.5f, 0);
        if (backward) xti_pass_bwd(m, m->tm_g, Bg, Bg, 1, ds, m->d_tf_g, m->d_vf_g);
        /* pass 2: vT with its own dropout mask; scores in pair order a*Bg + b */
        float *scores = callocCheck(BB, sizeof(float)); // (Bg*Bg)
        xti_pass_fwd(m, m->tf_g, m->tm_g, Bg, m->vf_g, m->vm_g, Bg, 1, scores);
        for (int a = 0; a < Bg; a++)
            for (int b = 0; b < Bg; b++) m->sim_vt[(size_t)b * Bg + a] = scores[(size_t)a * Bg + b];
        memset(ds, 0, BB * sizeof(float));
        /* rows of vT are videos: CE over sim_vt directly; its ds is in vT layout */
        float *ds_vt = callocCheck(BB, sizeof(float)); // (Bg, Bg)
        loss += scaled_ce_loss(m->sim_vt, m->logits_v2t, dZ, backward ? ds_vt : NULL, dls, Bg, e,
                               0.5f, 0);
        if (backward) {
            for (int a = 0; a < Bg; a++)
                for (int b = 0; b < Bg; b++) ds[(size_t)a * Bg + b] = ds_vt[(size_t)b * Bg + a];
            xti_pass_bwd(m, m->tm_g, Bg, Bg, 1, ds, m->d_tf_g, m->d_vf_g);
        }
        free(scores), free(ds_vt);
    }
    free(dZ), free(ds);
    return loss;
}

void xti_score(DrlModel *m, const float *tf, const int32_t *tm, int Bt, const float *vf,
               const int32_t *vm, int Bv, float *sim) {
    const int L = m->L, T = m->T, D = m->D;
    const int cap = m->xti_pairs; /* pairs the buffers hold */
    float *scores = callocCheck((size_t)cap, sizeof(float)); // (cap)
    int chunk_v = Bv < cap ? Bv : cap;
    for (int a = 0; a < Bt; a++)
        for (int b0 = 0; b0 < Bv; b0 += chunk_v) {
            int nb = Bv - b0 < chunk_v ? Bv - b0 : chunk_v;
            xti_pass_fwd(m, tf + (size_t)a * L * D, tm + (size_t)a * L, 1, vf + (size_t)b0 * T * D,
                         vm + (size_t)b0 * T, nb, 0, scores);
            memcpy(sim + (size_t)a * Bv + b0, scores, sizeof(float) * nb);
        }
    free(scores);
}
