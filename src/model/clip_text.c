/* CLIP's text tower (spec/model.md §1 "Text tower"): causal, no padding mask,
 * features at every position. */
#include "model/clip.h"

#include "common/check.h"

static const float *P(const ParamTable *pt, int i) {
    return params_at(pt, pt->data, i);
}
static float *G(const ParamTable *pt, int i) {
    return params_at(pt, pt->grad, i);
}

void clip_text_fwd(Clip *c, const DrlOps *ops, const ParamTable *pt, const int32_t *ids, int B,
                   int L, float *out) {
    drlCheck(B > 0 && B <= c->max_captions && L > 0 && L <= c->max_len,
             "more captions or tokens than the CLIP arena was sized for");
    const int Wt = c->s.text_width, D = c->s.embed_dim, N = B * L;
    c->last_captions = B;
    c->last_len = L;
    ops->copy(c->ids, ids, (size_t)N * sizeof(int32_t));
    ops->embedding_fwd(c->tx, c->ids, P(pt, c->tok_emb), N, Wt);
    const float *pos = P(pt, c->txt_pos); // (L, Wt) rows used
    if (c->fp16) {
        /* fp16(fp16(token_embedding) + fp16(pos)); dtx (backward only) is scratch */
        ops->round_fp16(c->tx, (size_t)N * Wt);
        ops->copy(c->dtx, pos, (size_t)L * Wt * sizeof(float));
        ops->round_fp16(c->dtx, (size_t)L * Wt);
        pos = c->dtx;
    }
    for (int b = 0; b < B; b++) {
        float *x = c->tx + (size_t)b * L * Wt; // (L, Wt)
        ops->add(x, x, pos, (size_t)L * Wt);
    }
    if (c->fp16) ops->round_fp16(c->tx, (size_t)N * Wt);
    transformer_fwd(&c->txt, ops, pt, c->tx, NULL, B, L);
    ops->layernorm_fwd(c->tfin_ln, c->tfin_mean, c->tfin_rstd, c->tx, P(pt, c->ln_final_g),
                       P(pt, c->ln_final_b), N, Wt, CLIP_LN_EPS);
    if (c->fp16) ops->round_fp16(c->tfin_ln, (size_t)N * Wt);
    ops->matmul_fwd(out, c->tfin_ln, P(pt, c->text_proj), N, Wt, D);
    if (c->fp16) ops->round_fp16(out, (size_t)N * D); /* then .float() */
}

void clip_text_bwd(Clip *c, const DrlOps *ops, const ParamTable *pt, const float *dout, int B,
                   int L) {
    drlCheck(B == c->last_captions && L == c->last_len,
             "text backward must follow its forward with the same captions");
    const int Wt = c->s.text_width, D = c->s.embed_dim, N = B * L;
    const size_t nb = (size_t)N * Wt * sizeof(float);
    if (c->fp16) {
        /* the backward of .float() rounds the features' gradient to fp16; dtx
         * is free until the LayerNorm backward below */
        drlCheck(D <= Wt, "fp16 text backward needs embed_dim <= text width");
        float *dout16 = c->dtx; // (B, L, D)
        ops->copy(dout16, dout, (size_t)N * D * sizeof(float));
        ops->round_fp16(dout16, (size_t)N * D);
        dout = dout16;
    }
    ops->zero(c->dtfin_ln, nb);
    ops->matmul_bwd(c->dtfin_ln, G(pt, c->text_proj), dout, c->tfin_ln, P(pt, c->text_proj), N, Wt,
                    D);
    if (c->fp16) ops->round_fp16(c->dtfin_ln, (size_t)N * Wt);
    ops->zero(c->dtx, nb);
    ops->layernorm_bwd(c->dtx, G(pt, c->ln_final_g), G(pt, c->ln_final_b), c->dtfin_ln, c->tx,
                       P(pt, c->ln_final_g), c->tfin_mean, c->tfin_rstd, N, Wt);
    if (c->fp16) ops->round_fp16(c->dtx, (size_t)N * Wt);
    transformer_bwd(&c->txt, ops, pt, c->dtx, B, L);
    for (int b = 0; b < B; b++)
        ops->axpy(G(pt, c->txt_pos), 1.0f, c->dtx + (size_t)b * L * Wt, (size_t)L * Wt);
    ops->embedding_bwd(G(pt, c->tok_emb), c->dtx, c->ids, N, Wt);
}
