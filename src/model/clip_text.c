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
    for (int b = 0; b < B; b++) {
        float *x = c->tx + (size_t)b * L * Wt; // (L, Wt)
        ops->add(x, x, P(pt, c->txt_pos), (size_t)L * Wt);
    }
    transformer_fwd(&c->txt, ops, pt, c->tx, NULL, B, L);
    ops->layernorm_fwd(c->tfin_ln, c->tfin_mean, c->tfin_rstd, c->tx, P(pt, c->ln_final_g),
                       P(pt, c->ln_final_b), N, Wt, CLIP_LN_EPS);
    ops->matmul_fwd(out, c->tfin_ln, P(pt, c->text_proj), N, Wt, D);
}

void clip_text_bwd(Clip *c, const DrlOps *ops, const ParamTable *pt, const float *dout, int B,
                   int L) {
    drlCheck(B == c->last_captions && L == c->last_len,
             "text backward must follow its forward with the same captions");
    const int Wt = c->s.text_width, D = c->s.embed_dim, N = B * L;
    const size_t nb = (size_t)N * Wt * sizeof(float);
    ops->zero(c->dtfin_ln, nb);
    ops->matmul_bwd(c->dtfin_ln, G(pt, c->text_proj), dout, c->tfin_ln, P(pt, c->text_proj), N, Wt,
                    D);
    ops->zero(c->dtx, nb);
    ops->layernorm_bwd(c->dtx, G(pt, c->ln_final_g), G(pt, c->ln_final_b), c->dtfin_ln, c->tx,
                       P(pt, c->ln_final_g), c->tfin_mean, c->tfin_rstd, N, Wt);
    transformer_bwd(&c->txt, ops, pt, c->dtx, B, L);
    for (int b = 0; b < B; b++)
        ops->axpy(G(pt, c->txt_pos), 1.0f, c->dtx + (size_t)b * L * Wt, (size_t)L * Wt);
    ops->embedding_bwd(G(pt, c->tok_emb), c->dtx, c->ids, N, Wt);
}
