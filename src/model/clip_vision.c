/* CLIP's vision tower (spec/model.md §1 "Vision tower"). */
#include "model/clip.h"

#include "common/check.h"

static const float *P(const ParamTable *pt, int i) {
    return params_at(pt, pt->data, i);
}
static float *G(const ParamTable *pt, int i) {
    return params_at(pt, pt->grad, i);
}

void clip_vision_fwd(Clip *c, const DrlOps *ops, const ParamTable *pt, const float *frames, int F,
                     float *out) {
    drlCheck(F > 0 && F <= c->max_frames, "more frames than the CLIP arena was sized for");
    const int Wv = c->s.vision_width, D = c->s.embed_dim, Pp = c->s.patch, Gg = c->s.grid;
    const int GG = Gg * Gg, S = GG + 1, K = 3 * Pp * Pp;
    c->last_frames = F;
    ops->im2col(c->patches, frames, F, Pp, Gg);                   // (F*GG, K) conv1 patches
    if (c->fp16) ops->round_fp16(c->patches, (size_t)F * GG * K); /* image.type(fp16) */
    // patch_emb (F*GG, Wv) = patches (F*GG, K) @ conv1 (Wv, K)^T
    ops->linear_fwd(c->patch_emb, c->patches, P(pt, c->conv1), NULL, F * GG, K, Wv);
    const size_t rowb = (size_t)Wv * sizeof(float);
    if (c->fp16) {
        ops->round_fp16(c->patch_emb, (size_t)F * GG * Wv);
        /* fp16(fp16([cls; patches]) + fp16(pos)); vx is scratch until ln_pre writes it */
        for (int f = 0; f < F; f++) {
            float *tok = c->vtok + (size_t)f * S * Wv; // (S, Wv)
            float *tmp = c->vx + (size_t)f * S * Wv;   // (S, Wv)
            ops->copy(tmp, P(pt, c->class_emb), rowb);
            ops->round_fp16(tmp, (size_t)Wv);
            ops->copy(tmp + Wv, c->patch_emb + (size_t)f * GG * Wv, rowb * GG);
            ops->copy(tok, P(pt, c->vis_pos), rowb * S);
            ops->round_fp16(tok, (size_t)S * Wv);
            ops->add(tok, tmp, tok, (size_t)S * Wv);
        }
        ops->round_fp16(c->vtok, (size_t)F * S * Wv);
    } else {
        for (int f = 0; f < F; f++) {
            float *tok = c->vtok + (size_t)f * S * Wv; // (S, Wv)
            ops->copy(tok, P(pt, c->class_emb), rowb);
            ops->copy(tok + Wv, c->patch_emb + (size_t)f * GG * Wv, rowb * GG);
            ops->add(tok, tok, P(pt, c->vis_pos), (size_t)S * Wv);
        }
    }
    ops->layernorm_fwd(c->vx, c->vpre_mean, c->vpre_rstd, c->vtok, P(pt, c->ln_pre_g),
                       P(pt, c->ln_pre_b), F * S, Wv, CLIP_LN_EPS);
    if (c->fp16) ops->round_fp16(c->vx, (size_t)F * S * Wv);
    transformer_fwd(&c->vis, ops, pt, c->vx, NULL, F, S);
    /* only token 0 feeds the output: ln_post and proj on it alone (exact) */
    for (int f = 0; f < F; f++)
        ops->copy(c->vcls + (size_t)f * Wv, c->vx + (size_t)f * S * Wv, rowb);
    ops->layernorm_fwd(c->vcls_ln, c->vpost_mean, c->vpost_rstd, c->vcls, P(pt, c->ln_post_g),
                       P(pt, c->ln_post_b), F, Wv, CLIP_LN_EPS);
    if (c->fp16) ops->round_fp16(c->vcls_ln, (size_t)F * Wv);
    ops->matmul_fwd(out, c->vcls_ln, P(pt, c->vis_proj), F, Wv, D);
    if (c->fp16) ops->round_fp16(out, (size_t)F * D); /* then .float() */
}

void clip_vision_bwd(Clip *c, const DrlOps *ops, const ParamTable *pt, const float *dout, int F) {
    drlCheck(F == c->last_frames, "vision backward must follow its forward with the same frames");
    const int Wv = c->s.vision_width, D = c->s.embed_dim, Pp = c->s.patch, Gg = c->s.grid;
    const int GG = Gg * Gg, S = GG + 1, K = 3 * Pp * Pp;
    const size_t rowb = (size_t)Wv * sizeof(float);
    if (c->fp16) {
        /* the backward of .float() rounds the features' gradient to fp16; vx
         * (F*S*Wv >= F*D floats) is free until it becomes dvx below */
        float *dout16 = c->vx; // (F, D)
        ops->copy(dout16, dout, (size_t)F * D * sizeof(float));
        ops->round_fp16(dout16, (size_t)F * D);
        dout = dout16;
    }
    ops->zero(c->dvcls_ln, (size_t)F * rowb);
    ops->matmul_bwd(c->dvcls_ln, G(pt, c->vis_proj), dout, c->vcls_ln, P(pt, c->vis_proj), F, Wv,
                    D);
    if (c->fp16) ops->round_fp16(c->dvcls_ln, (size_t)F * Wv);
    ops->zero(c->dvcls, (size_t)F * rowb);
    ops->layernorm_bwd(c->dvcls, G(pt, c->ln_post_g), G(pt, c->ln_post_b), c->dvcls_ln, c->vcls,
                       P(pt, c->ln_post_g), c->vpost_mean, c->vpost_rstd, F, Wv);
    if (c->fp16) ops->round_fp16(c->dvcls, (size_t)F * Wv);
    /* vx becomes the gradient of the blocks' output: token 0 only */
    float *dvx = c->vx; // (F, S, Wv)
    ops->zero(dvx, (size_t)F * S * rowb);
    for (int f = 0; f < F; f++)
        ops->copy(dvx + (size_t)f * S * Wv, c->dvcls + (size_t)f * Wv, rowb);
    transformer_bwd(&c->vis, ops, pt, dvx, F, S);
    ops->zero(c->dvtok, (size_t)F * S * rowb);
    ops->layernorm_bwd(c->dvtok, G(pt, c->ln_pre_g), G(pt, c->ln_pre_b), dvx, c->vtok,
                       P(pt, c->ln_pre_g), c->vpre_mean, c->vpre_rstd, F * S, Wv);
    if (c->fp16) ops->round_fp16(c->dvtok, (size_t)F * S * Wv);
    float *dpatch = c->patch_emb; // (F*GG, Wv) reused for the gradient of conv1's output
    for (int f = 0; f < F; f++) {
        const float *dtok = c->dvtok + (size_t)f * S * Wv; // (S, Wv)
        ops->axpy(G(pt, c->vis_pos), 1.0f, dtok, (size_t)S * Wv);
        ops->axpy(G(pt, c->class_emb), 1.0f, dtok, (size_t)Wv);
        ops->copy(dpatch + (size_t)f * GG * Wv, dtok + Wv, rowb * GG);
    }
    ops->linear_bwd(NULL, G(pt, c->conv1), NULL, dpatch, c->patches, P(pt, c->conv1), F * GG, K,
                    Wv);
}
