#include "model/transformer.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/check.h"

static int add_param(ParamTable *pt, const char *prefix, int layer, const char *leaf, int ndim,
                     int64_t d0, int64_t d1) {
    char name[DRL_PARAM_NAME_MAX];
    int n = snprintf(name, sizeof name, "%s.resblocks.%d.%s", prefix, layer, leaf);
    drlCheck(n > 0 && n < (int)sizeof name, "transformer parameter name too long");
    return params_add_dims(pt, name, ndim, d0, d1, 0, 0);
}

void transformer_init(Transformer *t, ParamTable *pt, const char *prefix, int width, int heads,
                      int layers, float eps, int causal) {
    memset(t, 0, sizeof *t);
    drlCheck(width > 0 && heads > 0 && width % heads == 0, "heads must divide the width");
    drlCheck(layers >= 0, "a transformer has zero or more layers");
    drlCheck(strlen(prefix) < sizeof t->prefix, "transformer prefix too long");
    snprintf(t->prefix, sizeof t->prefix, "%s", prefix);
    t->width = width;
    t->heads = heads;
    t->layers = layers;
    t->eps = eps;
    t->causal = causal;
    t->blocks = callocCheck((size_t)(layers ? layers : 1), sizeof *t->blocks);
    int64_t W = width;
    for (int l = 0; l < layers; l++) {
        TransformerBlockParams *b = &t->blocks[l];
        b->in_w = add_param(pt, prefix, l, "attn.in_proj_weight", 2, 3 * W, W);
        b->in_b = add_param(pt, prefix, l, "attn.in_proj_bias", 1, 3 * W, 0);
        b->out_w = add_param(pt, prefix, l, "attn.out_proj.weight", 2, W, W);
        b->out_b = add_param(pt, prefix, l, "attn.out_proj.bias", 1, W, 0);
        b->ln1_g = add_param(pt, prefix, l, "ln_1.weight", 1, W, 0);
        b->ln1_b = add_param(pt, prefix, l, "ln_1.bias", 1, W, 0);
        b->fc_w = add_param(pt, prefix, l, "mlp.c_fc.weight", 2, 4 * W, W);
        b->fc_b = add_param(pt, prefix, l, "mlp.c_fc.bias", 1, 4 * W, 0);
        b->proj_w = add_param(pt, prefix, l, "mlp.c_proj.weight", 2, W, 4 * W);
        b->proj_b = add_param(pt, prefix, l, "mlp.c_proj.bias", 1, W, 0);
        b->ln2_g = add_param(pt, prefix, l, "ln_2.weight", 1, W, 0);
        b->ln2_b = add_param(pt, prefix, l, "ln_2.bias", 1, W, 0);
    }
}

/* Carves the activation block; with mem == NULL only counts. */
static size_t carve(Transformer *t, float *mem, int max_batch, int max_seq) {
    size_t L = (size_t)t->layers, W = (size_t)t->width, H = (size_t)t->heads;
    size_t N = (size_t)max_batch * (size_t)max_seq;
    size_t S = (size_t)max_seq;
    size_t off = 0;
#define CARVE(field, count)                                                                        \
    do {                                                                                           \
        if (mem) t->field = mem + off;                                                             \
        off += ((size_t)(count) + 15) & ~(size_t)15;                                               \
    } while (0)
    CARVE(resid, L * N * W);
    CARVE(mid, L * N * W);
    CARVE(ln1, L * N * W);
    CARVE(ln1_mean, L * N);
    CARVE(ln1_rstd, L * N);
    CARVE(qkv, L * N * 3 * W);
    CARVE(probs, L * (size_t)max_batch * H * S * S);
    CARVE(att, L * N * W);
    CARVE(ln2, L * N * W);
    CARVE(ln2_mean, L * N);
    CARVE(ln2_rstd, L * N);
    CARVE(fc, L * N * 4 * W);
    CARVE(gelu, L * N * 4 * W);
    CARVE(d_ln, N * W);
    CARVE(d_att, N * W);
    CARVE(d_qkv, N * 3 * W);
    CARVE(d_h, N * 4 * W);
    CARVE(d_fc, N * 4 * W);
#undef CARVE
    return off;
}

size_t transformer_act_floats(const Transformer *t, int max_batch, int max_seq) {
    Transformer tmp = *t;
    return carve(&tmp, NULL, max_batch, max_seq);
}

void transformer_bind(Transformer *t, float *mem, int max_batch, int max_seq) {
    drlCheck(max_batch > 0 && max_seq > 0, "transformer activations need a positive size");
    t->max_batch = max_batch;
    t->max_seq = max_seq;
    t->act_floats = carve(t, mem, max_batch, max_seq);
}

size_t transformer_alloc(Transformer *t, const DrlOps *ops, int max_batch, int max_seq) {
    size_t floats = transformer_act_floats(t, max_batch, max_seq);
    float *mem = ops->alloc(floats * sizeof(float)); // (act_floats)
    drlCheck(mem != NULL, "out of memory for transformer activations");
    t->own_mem = mem;
    transformer_bind(t, mem, max_batch, max_seq);
    return floats * sizeof(float);
}

void transformer_free(Transformer *t, const DrlOps *ops) {
    if (t->own_mem) ops->free(t->own_mem);
    free(t->blocks);
    memset(t, 0, sizeof *t);
}

static const float *P(const ParamTable *pt, int index) {
    return params_at(pt, pt->data, index);
}
static float *G(const ParamTable *pt, int index) {
    return params_at(pt, pt->grad, index);
}

void transformer_fwd(Transformer *t, const DrlOps *ops, const ParamTable *pt, float *x,
                     const float *keymask, int B, int T) {
    drlCheck(B > 0 && B <= t->max_batch && T > 0 && T <= t->max_seq,
             "transformer called with a batch or sequence larger than its activations");
    const int W = t->width, H = t->heads, N = B * T;
    const size_t maxN = (size_t)t->max_batch * t->max_seq;
    const size_t maxP = (size_t)t->max_batch * H * t->max_seq * t->max_seq;
    for (int l = 0; l < t->layers; l++) {
        const TransformerBlockParams *b = &t->blocks[l];
        float *resid = t->resid + l * maxN * W;   // (B, T, W)
        float *mid = t->mid + l * maxN * W;       // (B, T, W)
        float *ln1 = t->ln1 + l * maxN * W;       // (B, T, W)
        float *ln1_mean = t->ln1_mean + l * maxN; // (B*T)
        float *ln1_rstd = t->ln1_rstd + l * maxN; // (B*T)
        float *qkv = t->qkv + l * maxN * 3 * W;   // (B, T, 3W)
        float *probs = t->probs + l * maxP;       // (B, H, T, T)
        float *att = t->att + l * maxN * W;       // (B, T, W)
        float *ln2 = t->ln2 + l * maxN * W;       // (B, T, W)
        float *ln2_mean = t->ln2_mean + l * maxN; // (B*T)
        float *ln2_rstd = t->ln2_rstd + l * maxN; // (B*T)
        float *fc = t->fc + l * maxN * 4 * W;     // (B, T, 4W)
        float *gelu = t->gelu + l * maxN * 4 * W; // (B, T, 4W)

        ops->copy(resid, x, (size_t)N * W * sizeof(float));
        ops->layernorm_fwd(ln1, ln1_mean, ln1_rstd, resid, P(pt, b->ln1_g), P(pt, b->ln1_b), N, W,
                           t->eps);
        ops->linear_fwd(qkv, ln1, P(pt, b->in_w), P(pt, b->in_b), N, W, 3 * W);
        ops->attention_fwd(att, probs, qkv, keymask, t->causal, B, T, W, H);
        ops->linear_fwd(mid, att, P(pt, b->out_w), P(pt, b->out_b), N, W, W);
        ops->add(mid, mid, resid, (size_t)N * W);
        ops->layernorm_fwd(ln2, ln2_mean, ln2_rstd, mid, P(pt, b->ln2_g), P(pt, b->ln2_b), N, W,
                           t->eps);
        ops->linear_fwd(fc, ln2, P(pt, b->fc_w), P(pt, b->fc_b), N, W, 4 * W);
        ops->quickgelu_fwd(gelu, fc, (size_t)N * 4 * W);
        ops->linear_fwd(x, gelu, P(pt, b->proj_w), P(pt, b->proj_b), N, 4 * W, W);
        ops->add(x, x, mid, (size_t)N * W);
    }
}

void transformer_bwd(Transformer *t, const DrlOps *ops, const ParamTable *pt, float *dx, int B,
                     int T) {
    drlCheck(B > 0 && B <= t->max_batch && T > 0 && T <= t->max_seq,
             "transformer backward with a batch or sequence larger than its activations");
    const int W = t->width, H = t->heads, N = B * T;
    const size_t maxN = (size_t)t->max_batch * t->max_seq;
    const size_t maxP = (size_t)t->max_batch * H * t->max_seq * t->max_seq;
    const size_t nW = (size_t)N * W * sizeof(float);
    for (int l = t->layers - 1; l >= 0; l--) {
        const TransformerBlockParams *b = &t->blocks[l];
        const float *resid = t->resid + l * maxN * W;   // (B, T, W)
        const float *mid = t->mid + l * maxN * W;       // (B, T, W)
        const float *ln1 = t->ln1 + l * maxN * W;       // (B, T, W)
        const float *ln1_mean = t->ln1_mean + l * maxN; // (B*T)
        const float *ln1_rstd = t->ln1_rstd + l * maxN; // (B*T)
        const float *qkv = t->qkv + l * maxN * 3 * W;   // (B, T, 3W)
        const float *probs = t->probs + l * maxP;       // (B, H, T, T)
        const float *att = t->att + l * maxN * W;       // (B, T, W)
        const float *ln2 = t->ln2 + l * maxN * W;       // (B, T, W)
        const float *ln2_mean = t->ln2_mean + l * maxN; // (B*T)
        const float *ln2_rstd = t->ln2_rstd + l * maxN; // (B*T)
        const float *fc = t->fc + l * maxN * 4 * W;     // (B, T, 4W)
        const float *gelu = t->gelu + l * maxN * 4 * W; // (B, T, 4W)

        /* MLP branch: dx holds d(block output) = d(mid) through the residual. */
        ops->zero(t->d_h, nW * 4);
        ops->linear_bwd(t->d_h, G(pt, b->proj_w), G(pt, b->proj_b), dx, gelu, P(pt, b->proj_w), N,
                        4 * W, W);
        ops->zero(t->d_fc, nW * 4);
        ops->quickgelu_bwd(t->d_fc, t->d_h, fc, (size_t)N * 4 * W);
        ops->zero(t->d_ln, nW);
        ops->linear_bwd(t->d_ln, G(pt, b->fc_w), G(pt, b->fc_b), t->d_fc, ln2, P(pt, b->fc_w), N, W,
                        4 * W);
        ops->layernorm_bwd(dx, G(pt, b->ln2_g), G(pt, b->ln2_b), t->d_ln, mid, P(pt, b->ln2_g),
                           ln2_mean, ln2_rstd, N, W);
        /* attention branch: dx now holds d(mid) = d(block input) through the residual. */
        ops->zero(t->d_att, nW);
        ops->linear_bwd(t->d_att, G(pt, b->out_w), G(pt, b->out_b), dx, att, P(pt, b->out_w), N, W,
                        W);
        ops->zero(t->d_qkv, nW * 3);
        ops->attention_bwd(t->d_qkv, t->d_att, qkv, probs, B, T, W, H);
        ops->zero(t->d_ln, nW);
        ops->linear_bwd(t->d_ln, G(pt, b->in_w), G(pt, b->in_b), t->d_qkv, ln1, P(pt, b->in_w), N,
                        W, 3 * W);
        ops->layernorm_bwd(dx, G(pt, b->ln1_g), G(pt, b->ln1_b), t->d_ln, resid, P(pt, b->ln1_g),
                           ln1_mean, ln1_rstd, N, W);
    }
}

static void fill_normal(const ParamTable *pt, float *host_flat, int index, DrlRng *rng, float std) {
    rng_normal(rng, host_flat + pt->info[index].offset, pt->info[index].numel, 0.0f, std);
}

static void fill_const(const ParamTable *pt, float *host_flat, int index, float v) {
    float *p = host_flat + pt->info[index].offset;
    for (size_t i = 0; i < pt->info[index].numel; i++)
        p[i] = v;
}

void transformer_init_clip_scheme(const Transformer *t, const ParamTable *pt, float *host_flat,
                                  DrlRng *rng) {
    const float W = (float)t->width;
    const float attn_std = 1.0f / sqrtf(W);
    const float proj_std = attn_std / sqrtf(2.0f * (float)(t->layers > 0 ? t->layers : 1));
    const float fc_std = 1.0f / sqrtf(2.0f * W);
    for (int l = 0; l < t->layers; l++) {
        const TransformerBlockParams *b = &t->blocks[l];
        fill_normal(pt, host_flat, b->in_w, rng, attn_std);
        fill_const(pt, host_flat, b->in_b, 0.0f);
        fill_normal(pt, host_flat, b->out_w, rng, proj_std);
        fill_const(pt, host_flat, b->out_b, 0.0f);
        fill_const(pt, host_flat, b->ln1_g, 1.0f);
        fill_const(pt, host_flat, b->ln1_b, 0.0f);
        fill_normal(pt, host_flat, b->fc_w, rng, fc_std);
        fill_const(pt, host_flat, b->fc_b, 0.0f);
        fill_normal(pt, host_flat, b->proj_w, rng, proj_std);
        fill_const(pt, host_flat, b->proj_b, 0.0f);
        fill_const(pt, host_flat, b->ln2_g, 1.0f);
        fill_const(pt, host_flat, b->ln2_b, 0.0f);
    }
}
