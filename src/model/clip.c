#include "model/clip.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/check.h"
#include "common/log.h"
#include "model/param_buffers.h"

void clip_init(Clip *c, ParamTable *pt, const ClipShape *shape) {
    memset(c, 0, sizeof *c);
    char err[512];
    if (clip_shape_validate(shape, err, sizeof err) != 0) {
        fprintf(stderr, "error: %s\n", err);
        drl_die(1);
    }
    c->s = *shape;
    const int64_t Wv = shape->vision_width, Wt = shape->text_width, D = shape->embed_dim;
    const int64_t P = shape->patch, G = shape->grid;
    c->first_param = pt->count;
    c->conv1 = params_add_dims(pt, "clip.visual.conv1.weight", 4, Wv, 3, P, P);
    c->class_emb = params_add_dims(pt, "clip.visual.class_embedding", 1, Wv, 0, 0, 0);
    c->vis_pos = params_add_dims(pt, "clip.visual.positional_embedding", 2, G * G + 1, Wv, 0, 0);
    c->ln_pre_g = params_add_dims(pt, "clip.visual.ln_pre.weight", 1, Wv, 0, 0, 0);
    c->ln_pre_b = params_add_dims(pt, "clip.visual.ln_pre.bias", 1, Wv, 0, 0, 0);
    transformer_init(&c->vis, pt, "clip.visual.transformer", (int)Wv, shape->vision_heads,
                     shape->vision_layers, CLIP_LN_EPS, 0);
    c->ln_post_g = params_add_dims(pt, "clip.visual.ln_post.weight", 1, Wv, 0, 0, 0);
    c->ln_post_b = params_add_dims(pt, "clip.visual.ln_post.bias", 1, Wv, 0, 0, 0);
    c->vis_proj = params_add_dims(pt, "clip.visual.proj", 2, Wv, D, 0, 0);
    c->tok_emb = params_add_dims(pt, "clip.token_embedding.weight", 2, shape->vocab, Wt, 0, 0);
    c->txt_pos =
        params_add_dims(pt, "clip.positional_embedding", 2, shape->context_length, Wt, 0, 0);
    transformer_init(&c->txt, pt, "clip.transformer", (int)Wt, shape->text_heads,
                     shape->text_layers, CLIP_LN_EPS, 1);
    c->ln_final_g = params_add_dims(pt, "clip.ln_final.weight", 1, Wt, 0, 0, 0);
    c->ln_final_b = params_add_dims(pt, "clip.ln_final.bias", 1, Wt, 0, 0, 0);
    c->text_proj = params_add_dims(pt, "clip.text_projection", 2, Wt, D, 0, 0);
    c->logit_scale = params_add(pt, "clip.logit_scale", 0, NULL);
    c->last_param = pt->count - 1;
}

/* Carves the arena; with mem == NULL only counts floats. */
static size_t carve(Clip *c, const DrlOps *ops, float *mem) {
    const size_t F = (size_t)c->max_frames, B = (size_t)c->max_captions, L = (size_t)c->max_len;
    const size_t Wv = (size_t)c->s.vision_width, Wt = (size_t)c->s.text_width;
    const size_t GG = (size_t)c->s.grid * c->s.grid, S = GG + 1;
    const size_t K = 3 * (size_t)c->s.patch * c->s.patch;
    size_t off = 0;
#define CARVE(field, type, count)                                                                  \
    do {                                                                                           \
        if (mem) c->field = (type *)(mem + off);                                                   \
        off += ((size_t)(count) + 15) & ~(size_t)15;                                               \
    } while (0)
    if (F > 0) {
        CARVE(patches, float, F *GG *K);
        CARVE(patch_emb, float, F *GG *Wv);
        CARVE(vtok, float, F *S *Wv);
        CARVE(vpre_mean, float, F *S);
        CARVE(vpre_rstd, float, F *S);
        CARVE(vx, float, F *S *Wv);
        CARVE(dvtok, float, F *S *Wv);
        CARVE(vcls, float, F *Wv);
        CARVE(vcls_ln, float, F *Wv);
        CARVE(vpost_mean, float, F);
        CARVE(vpost_rstd, float, F);
        CARVE(dvcls, float, F *Wv);
        CARVE(dvcls_ln, float, F *Wv);
    }
    if (B > 0) {
        CARVE(ids, int32_t, B * L); /* int32 and float have the same size */
        CARVE(tx, float, B *L *Wt);
        CARVE(tfin_ln, float, B *L *Wt);
        CARVE(tfin_mean, float, B *L);
        CARVE(tfin_rstd, float, B *L);
        CARVE(dtx, float, B *L *Wt);
        CARVE(dtfin_ln, float, B *L *Wt);
    }
#undef CARVE
    size_t vis_floats = F > 0 ? transformer_act_floats(&c->vis, ops, (int)F, (int)S) : 0;
    size_t txt_floats = B > 0 ? transformer_act_floats(&c->txt, ops, (int)B, (int)L) : 0;
    if (mem && F > 0) transformer_bind(&c->vis, ops, mem + off, (int)F, (int)S);
    off += vis_floats;
    if (mem && B > 0) transformer_bind(&c->txt, ops, mem + off, (int)B, (int)L);
    off += txt_floats;
    return off;
}

size_t clip_alloc(Clip *c, const DrlOps *ops, const ParamTable *pt, int max_frames,
                  int max_captions, int max_len) {
    drlCheck(c->arena == NULL, "the CLIP arena is allocated once");
    drlCheck(max_frames >= 0 && max_captions >= 0, "CLIP arena sizes must be >= 0");
    if (max_captions > 0 && (max_len <= 0 || max_len > c->s.context_length)) {
        fprintf(stderr, "error: text length %d must be in 1..context_length (%d)\n", max_len,
                c->s.context_length);
        drl_die(1);
    }
    c->max_frames = max_frames;
    c->max_captions = max_captions;
    c->max_len = max_captions > 0 ? max_len : 0;
    size_t floats = carve(c, ops, NULL);
    c->arena = ops->alloc((floats ? floats : 1) * sizeof(float)); // (floats)
    drlCheck(c->arena != NULL, "out of memory for the CLIP activation arena");
    carve(c, ops, c->arena);
    c->arena_bytes = floats * sizeof(float);
    size_t n = 0;
    for (int i = c->first_param; i <= c->last_param; i++)
        n += pt->info[i].numel;
    char desc[512];
    clip_shape_describe(&c->s, desc, sizeof desc);
    log_info("CLIP %s", desc);
    log_info("CLIP parameters: %zu (%.1f MB fp32); activation arena: %.1f MB for %d frames, %d "
             "captions x %d tokens",
             n, n * 4.0 / 1e6, c->arena_bytes / 1e6, max_frames, max_captions, c->max_len);
    return c->arena_bytes;
}

void clip_free(Clip *c, const DrlOps *ops) {
    if (c->arena) ops->free(c->arena);
    transformer_free(&c->vis, ops);
    transformer_free(&c->txt, ops);
    memset(c, 0, sizeof *c);
}

static void fill_normal(const ParamTable *pt, float *host, int i, DrlRng *rng, float std) {
    rng_normal(rng, host + pt->info[i].offset, pt->info[i].numel, 0.0f, std);
}

static void fill_const(const ParamTable *pt, float *host, int i, float v) {
    float *p = host + pt->info[i].offset;
    for (size_t k = 0; k < pt->info[i].numel; k++)
        p[k] = v;
}

void clip_init_random(const Clip *c, const ParamTable *pt, const DrlOps *ops, DrlRng *rng) {
    float *host = callocCheck(pt->total ? pt->total : 1, sizeof(float)); // (total)
    const float Wv = (float)c->s.vision_width, Wt = (float)c->s.text_width;
    fill_normal(pt, host, c->tok_emb, rng, 0.02f);
    fill_normal(pt, host, c->txt_pos, rng, 0.01f);
    /* conv1: PyTorch's default (kaiming-uniform, a = sqrt 5): U(-1/sqrt(fan_in), 1/sqrt(fan_in)) */
    {
        const ParamInfo *p = &pt->info[c->conv1];
        float bound = 1.0f / sqrtf((float)(3 * c->s.patch * c->s.patch));
        float *w = host + p->offset;
        rng_uniform(rng, w, p->numel);
        for (size_t k = 0; k < p->numel; k++)
            w[k] = (2.0f * w[k] - 1.0f) * bound;
    }
    fill_normal(pt, host, c->class_emb, rng, 1.0f / sqrtf(Wv));
    fill_normal(pt, host, c->vis_pos, rng, 1.0f / sqrtf(Wv));
    fill_normal(pt, host, c->vis_proj, rng, 1.0f / sqrtf(Wv));
    transformer_init_clip_scheme(&c->txt, pt, host, rng);
    transformer_init_clip_scheme(&c->vis, pt, host, rng);
    fill_normal(pt, host, c->text_proj, rng, 1.0f / sqrtf(Wt));
    const int ones[] = {c->ln_pre_g, c->ln_post_g, c->ln_final_g};
    const int zeros[] = {c->ln_pre_b, c->ln_post_b, c->ln_final_b};
    for (int k = 0; k < 3; k++) {
        fill_const(pt, host, ones[k], 1.0f);
        fill_const(pt, host, zeros[k], 0.0f);
    }
    fill_const(pt, host, c->logit_scale, logf(1.0f / 0.07f));
    for (int i = c->first_param; i <= c->last_param; i++)
        params_upload(pt, ops, pt->data, i, host + pt->info[i].offset);
    free(host);
}
