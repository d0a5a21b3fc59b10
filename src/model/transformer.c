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
static size_t carve(Transformer *t, const DrlOps *ops, float *mem, int max_batch, int max_seq) {
    size_t L = (size_t)t->layers, W = (size_t)t->width, H = (size_t)t->heads;
    size_t S = t->recompute_blocks && L > 0 ? 1 : L; /* slots of per-layer state */
    size_t N = (size_t)max_batch * (size_t)max_seq;
    size_t off = 0;
#define CARVE(field, count)                                                                        \
    do {                                                                                           \
        if (mem) t->field = mem + off;                                                             \
        off += ((size_t)(count) + 15) & ~(size_t)15;                                               \
    } while (0)
    CARVE(resid, L * N * W);
    CARVE(mid, S * N * W);
    CARVE(ln1_mean, S * N);
    CARVE(ln1_rstd, S * N);
    CARVE(qkv, S * N * 3 * W);
    t->att_state = ops->attention_state_floats(max_batch, max_seq, (int)H); /* per layer */
    CARVE(probs, S * t->att_state);
    CARVE(att, N * W); /* one layer: recomputed in backward */
    CARVE(ln2_mean, S * N);
    CARVE(ln2_rstd, S * N);
    CARVE(fc, S * N * 4 * W);
    CARVE(x4a, N * 4 * W); /* one layer (see transformer.h) */
    CARVE(x4b, N * 4 * W);
    CARVE(d_ln, N * W);
    CARVE(d_att, N * W);
#undef CARVE
    return off;
}

size_t transformer_act_floats(const Transformer *t, const DrlOps *ops, int max_batch, int max_seq) {
    Transformer tmp = *t;
    return carve(&tmp, ops, NULL, max_batch, max_seq);
}

void transformer_bind(Transformer *t, const DrlOps *ops, float *mem, int max_batch, int max_seq) {
    drlCheck(max_batch > 0 && max_seq > 0, "transformer activations need a positive size");
    t->max_batch = max_batch;
    t->max_seq = max_seq;
    t->act_floats = carve(t, ops, mem, max_batch, max_seq);
}

size_t transformer_alloc(Transformer *t, const DrlOps *ops, int max_batch, int max_seq) {
    size_t floats = transformer_act_floats(t, ops, max_batch, max_seq);
    float *mem = ops->alloc(floats * sizeof(float)); // (act_floats)
    drlCheck(mem != NULL, "out of memory for transformer activations");
    t->own_mem = mem;
    transformer_bind(t, ops, mem, max_batch, max_seq);
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

/* ---- fp16 emulation (spec/model.md §11; t->fp16, CLIP's towers only) --------
 * The reference's towers on GPU run with fp16 weights and activations: every
 * PyTorch op on fp16 tensors computes in fp32 and rounds its output to fp16
 * once. Emulated here by rounding, after the fp32 op, at these points:
 *   forward:  LN1 out, qkv (in_proj out), attention out, out_proj out, the
 *             residual sum, LN2 out, c_fc out, QuickGELU out, c_proj out, the
 *             residual sum;
 *   backward: the gradient out of every op, i.e. d(gelu), d(fc), d(ln2), the
 *             LayerNorm input gradient (rounded, then added to the residual
 *             gradient and the sum rounded: autograd sums two fp16 gradients),
 *             d(att), d(qkv), d(ln1).
 * Choices (the emulation is not bit-exact with cuBLAS/cuDNN, see the report):
 *   - a matmul (fp16 GEMM, fp32 accumulation) is our fp32 matmul of fp16-valued
 *     operands, rounded once at the end: no rounding of partial sums;
 *   - the bias is added in fp32 before that one rounding (cuBLASLt epilogue);
 *   - inside attention, the scores q.k/sqrt(d) and the softmax probabilities are
 *     NOT rounded (the fused op keeps them fp32); only its output is;
 *   - QuickGELU x*sigmoid(1.702x) is rounded once, at its output (PyTorch
 *     rounds 1.702x, the sigmoid and the product separately);
 *   - parameter gradients are rounded in the optimiser (each fp16 weight is
 *     used once per step, so this is the same as rounding after its GEMM). */
static void r16(const Transformer *t, const DrlOps *ops, float *x, size_t n) {
    if (t->fp16) ops->round_fp16(x, n);
}

/* dx (N, W): the LayerNorm backward's input gradient added to it (fp32: one
 * accumulation; fp16: rounded, added, the sum rounded; scratch (N, W)). */
static void ln_bwd_add(const Transformer *t, const DrlOps *ops, float *dx, float *scratch,
                       float *dg, float *db, const float *dout, const float *inp, const float *g,
                       const float *mean, const float *rstd, int N, int W) {
    if (!t->fp16) {
        ops->layernorm_bwd(dx, dg, db, dout, inp, g, mean, rstd, N, W);
        return;
    }
    const size_t n = (size_t)N * W;
    ops->zero(scratch, n * sizeof(float));
    ops->layernorm_bwd(scratch, dg, db, dout, inp, g, mean, rstd, N, W);
    ops->round_fp16(scratch, n);
    ops->add(dx, dx, scratch, n);
    ops->round_fp16(dx, n);
}

/* Slot of layer l's saved state (transformer.h: "slots"). */
static size_t slot(const Transformer *t, int l) {
    return t->recompute_blocks ? 0 : (size_t)l;
}

/* Block l's forward. full: from x (B, T, W), saved into resid[l], to the
 * block output written over x. !full (whole-block recomputation): from
 * resid[l] up to c_fc, writing the saved state of layer l's slot exactly as
 * the full forward did (the same ops on the same inputs); x unused. */
static void block_fwd(Transformer *t, const DrlOps *ops, const ParamTable *pt, int l, float *x,
                      int B, int T, int full) {
    const int W = t->width, H = t->heads, N = B * T;
    const size_t maxN = (size_t)t->max_batch * t->max_seq;
    const size_t s = slot(t, l);
    const TransformerBlockParams *b = &t->blocks[l];
    float *resid = t->resid + l * maxN * W;     // (B, T, W)
    float *mid = t->mid + s * maxN * W;         // (B, T, W)
    float *ln1 = t->d_ln;                       // (B, T, W) this layer only
    float *ln1_mean = t->ln1_mean + s * maxN;   // (B*T)
    float *ln1_rstd = t->ln1_rstd + s * maxN;   // (B*T)
    float *qkv = t->qkv + s * maxN * 3 * W;     // (B, T, 3W)
    float *probs = t->probs + s * t->att_state; // (att_state) attention's saved state
    float *att = t->att;                        // (B, T, W) this layer only
    float *ln2 = t->d_ln;                       // (B, T, W) this layer only
    float *ln2_mean = t->ln2_mean + s * maxN;   // (B*T)
    float *ln2_rstd = t->ln2_rstd + s * maxN;   // (B*T)
    float *fc = t->fc + s * maxN * 4 * W;       // (B, T, 4W)
    float *gelu = t->x4a;                       // (B, T, 4W) this layer only

    const size_t nw = (size_t)N * W;
    if (full) ops->copy(resid, x, nw * sizeof(float));
    ops->layernorm_fwd(ln1, ln1_mean, ln1_rstd, resid, P(pt, b->ln1_g), P(pt, b->ln1_b), N, W,
                       t->eps);
    r16(t, ops, ln1, nw);
    ops->linear_fwd(qkv, ln1, P(pt, b->in_w), P(pt, b->in_b), N, W, 3 * W);
    r16(t, ops, qkv, 3 * nw);
    ops->attention_fwd(att, probs, qkv, t->keymask, t->causal, B, T, W, H);
    r16(t, ops, att, nw);
    ops->linear_fwd(mid, att, P(pt, b->out_w), P(pt, b->out_b), N, W, W);
    r16(t, ops, mid, nw);
    if (t->fp16) { /* the residual sum is rounded before the LayerNorm reads it */
        ops->add(mid, mid, resid, nw);
        r16(t, ops, mid, nw);
        ops->layernorm_fwd(ln2, ln2_mean, ln2_rstd, mid, P(pt, b->ln2_g), P(pt, b->ln2_b), N, W,
                           t->eps);
    } else {
        ops->residual_layernorm_fwd(mid, ln2, ln2_mean, ln2_rstd, mid, resid, P(pt, b->ln2_g),
                                    P(pt, b->ln2_b), N, W, t->eps);
    }
    r16(t, ops, ln2, nw);
    ops->linear_fwd(fc, ln2, P(pt, b->fc_w), P(pt, b->fc_b), N, W, 4 * W);
    r16(t, ops, fc, 4 * nw);
    if (!full) return;
    ops->quickgelu_fwd(gelu, fc, 4 * nw);
    r16(t, ops, gelu, 4 * nw);
    ops->linear_fwd(x, gelu, P(pt, b->proj_w), P(pt, b->proj_b), N, 4 * W, W);
    r16(t, ops, x, nw);
    ops->add(x, x, mid, nw);
    r16(t, ops, x, nw);
}

void transformer_fwd(Transformer *t, const DrlOps *ops, const ParamTable *pt, float *x,
                     const float *keymask, int B, int T) {
    drlCheck(B > 0 && B <= t->max_batch && T > 0 && T <= t->max_seq,
             "transformer called with a batch or sequence larger than its activations");
    t->keymask = keymask;
    for (int l = 0; l < t->layers; l++)
        block_fwd(t, ops, pt, l, x, B, T, 1);
}

void transformer_bwd(Transformer *t, const DrlOps *ops, const ParamTable *pt, float *dx, int B,
                     int T) {
    drlCheck(B > 0 && B <= t->max_batch && T > 0 && T <= t->max_seq,
             "transformer backward with a batch or sequence larger than its activations");
    const int W = t->width, H = t->heads, N = B * T;
    const size_t maxN = (size_t)t->max_batch * t->max_seq;
    const size_t nW = (size_t)N * W * sizeof(float);
    for (int l = t->layers - 1; l >= 0; l--) {
        if (t->recompute_blocks) block_fwd(t, ops, pt, l, NULL, B, T, 0);
        const size_t s = slot(t, l);
        const TransformerBlockParams *b = &t->blocks[l];
        const float *resid = t->resid + l * maxN * W; // (B, T, W)
        const float *mid = t->mid + s * maxN * W;     // (B, T, W)
        float *ln1_mean = t->ln1_mean + s * maxN;     // (B*T)
        float *ln1_rstd = t->ln1_rstd + s * maxN;     // (B*T)
        const float *qkv = t->qkv + s * maxN * 3 * W; // (B, T, 3W)
        float *probs = t->probs + s * t->att_state;   // (att_state)
        float *att = t->x4a;                          // (B, T, W) recomputed
        float *ln2_mean = t->ln2_mean + s * maxN;     // (B*T)
        float *ln2_rstd = t->ln2_rstd + s * maxN;     // (B*T)
        const float *fc = t->fc + s * maxN * 4 * W;   // (B, T, 4W)
        float *gelu = t->x4a;                         // (B, T, 4W) recomputed
        float *d_h = t->x4b;                          // (B, T, 4W)
        float *d_fc = t->x4a;                         // (B, T, 4W) once gelu is used
        float *ln2 = t->d_att;                        // (B, T, W) recomputed
        float *d_qkv = t->x4b;                        // (B, T, 3W) once d_h is used
        float *ln1 = t->x4a;                          // (B, T, W) recomputed

        /* MLP branch: dx holds d(block output) = d(mid) through the residual. */
        ops->zero(d_h, nW * 4);
        const size_t nw = (size_t)N * W;
        /* QuickGELU and LayerNorm outputs recomputed from their saved inputs
         * (the same ops: bit-identical to the forward; the LayerNorm rewrites
         * its saved mean / rstd with the same values) instead of keeping them
         * per layer. */
        ops->quickgelu_fwd(gelu, fc, 4 * nw);
        r16(t, ops, gelu, 4 * nw);
        ops->linear_bwd(d_h, G(pt, b->proj_w), G(pt, b->proj_b), dx, gelu, P(pt, b->proj_w), N,
                        4 * W, W);
        r16(t, ops, d_h, 4 * nw);
        ops->zero(d_fc, nW * 4);
        ops->quickgelu_bwd(d_fc, d_h, fc, 4 * nw);
        r16(t, ops, d_fc, 4 * nw);
        ops->layernorm_fwd(ln2, ln2_mean, ln2_rstd, mid, P(pt, b->ln2_g), P(pt, b->ln2_b), N, W,
                           t->eps);
        r16(t, ops, ln2, nw);
        ops->zero(t->d_ln, nW);
        ops->linear_bwd(t->d_ln, G(pt, b->fc_w), G(pt, b->fc_b), d_fc, ln2, P(pt, b->fc_w), N, W,
                        4 * W);
        r16(t, ops, t->d_ln, nw);
        /* d_att is free here: scratch of the fp16 LayerNorm backward */
        ln_bwd_add(t, ops, dx, t->d_att, G(pt, b->ln2_g), G(pt, b->ln2_b), t->d_ln, mid,
                   P(pt, b->ln2_g), ln2_mean, ln2_rstd, N, W);
        /* attention branch: dx now holds d(mid) = d(block input) through the residual.
         * The attention output is recomputed from qkv (x4a is free: d_fc is used);
         * the state it rewrites gets the same values. */
        ops->attention_fwd(att, probs, qkv, t->keymask, t->causal, B, T, W, H);
        r16(t, ops, att, nw);
        ops->zero(t->d_att, nW);
        ops->linear_bwd(t->d_att, G(pt, b->out_w), G(pt, b->out_b), dx, att, P(pt, b->out_w), N, W,
                        W);
        r16(t, ops, t->d_att, nw);
        ops->zero(d_qkv, nW * 3);
        ops->attention_bwd(d_qkv, t->d_att, qkv, probs, B, T, W, H);
        r16(t, ops, d_qkv, 3 * nw);
        ops->layernorm_fwd(ln1, ln1_mean, ln1_rstd, resid, P(pt, b->ln1_g), P(pt, b->ln1_b), N, W,
                           t->eps);
        r16(t, ops, ln1, nw);
        ops->zero(t->d_ln, nW);
        ops->linear_bwd(t->d_ln, G(pt, b->in_w), G(pt, b->in_b), d_qkv, ln1, P(pt, b->in_w), N, W,
                        3 * W);
        r16(t, ops, t->d_ln, nw);
        /* d_att is no longer needed: scratch again */
        ln_bwd_add(t, ops, dx, t->d_att, G(pt, b->ln1_g), G(pt, b->ln1_b), t->d_ln, resid,
                   P(pt, b->ln1_g), ln1_mean, ln1_rstd, N, W);
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
