/* A generic pre-LN transformer (stack of residual blocks), used by CLIP's
 * two towers and by the DRL heads (seqTransf, cross transformer):
 *
 *   x = x + out_proj(attention(in_proj(LN1(x)), mask))
 *   x = x + c_proj(QuickGELU(c_fc(LN2(x))))
 *
 * Parameters are registered in a ParamTable under `prefix` with the
 * reference's names (W = width):
 *   <prefix>.resblocks.N.attn.in_proj_weight  [3W, W]   attn.in_proj_bias  [3W]
 *   <prefix>.resblocks.N.attn.out_proj.weight [W, W]    attn.out_proj.bias [W]
 *   <prefix>.resblocks.N.ln_1.weight / .bias  [W]
 *   <prefix>.resblocks.N.mlp.c_fc.weight      [4W, W]   mlp.c_fc.bias      [4W]
 *   <prefix>.resblocks.N.mlp.c_proj.weight    [W, 4W]   mlp.c_proj.bias    [W]
 *   <prefix>.resblocks.N.ln_2.weight / .bias  [W]
 * in that order per block (CLIP's state_dict order).
 *
 * Activations (what backward needs, plus backward scratch) live in one block
 * of backend memory sized for (max_batch, max_seq): either the module's own
 * (transformer_alloc) or a slice of a caller's arena (transformer_bind).
 *
 * Use:
 *   transformer_init(&t, &pt, "clip.transformer", 512, 8, 12, 1e-5f, 1);
 *   ... register other parameters, params_alloc_buffers(&pt, ops) ...
 *   transformer_alloc(&t, ops, max_batch, max_seq);
 *   transformer_fwd(&t, ops, &pt, x, keymask, B, T);     // x (B, T, W) in/out
 *   transformer_bwd(&t, ops, &pt, dx, B, T);             // dx (B, T, W) in/out
 * A backward must follow the forward it differentiates, with the same B, T
 * (the saved activations are those of the last forward). */
#ifndef DRL_MODEL_TRANSFORMER_H
#define DRL_MODEL_TRANSFORMER_H

#include <stddef.h>

#include "model/params.h"
#include "model/rng.h"
#include "ops/ops.h"

/* Indices into the ParamTable of one block's tensors. */
typedef struct {
    int in_w, in_b, out_w, out_b, ln1_g, ln1_b, fc_w, fc_b, proj_w, proj_b, ln2_g, ln2_b;
} TransformerBlockParams;

typedef struct {
    char prefix[96];
    int width, heads, layers;
    float eps;  /* LayerNorm eps: CLIP 1e-5, DRL heads 1e-12 */
    int causal; /* 1: key j > query i masked (CLIP's text tower) */
    /* 1: emulate the reference's fp16 GPU blocks (spec §11; set by clip_set_fp16): every op
     * output and activation gradient is rounded to fp16 (see transformer.c) */
    int fp16;
    /* 1: whole-block recomputation (set before transformer_alloc / bind):
     * only each block's input (resid) is kept per layer; the backward re-runs
     * the block's forward up to c_fc from it into one layer's buffers before
     * differentiating it (about one more forward of compute, a fraction of
     * the activation memory; gradients bit-identical to the default). */
    int recompute_blocks;
    TransformerBlockParams *blocks; /* (layers) */

    /* ---- activations (backend memory), valid after transformer_alloc/bind */
    int max_batch, max_seq;
    float *own_mem; /* non-NULL when transformer_alloc allocated the block */
    size_t act_floats;
    /* "slots" below is layers, or 1 with recompute_blocks (the layer being
     * differentiated) */
    float *resid;         /* (layers, maxN, W) input of each block, maxN = max_batch*max_seq */
    float *mid;           /* (slots, maxN, W) after the attention residual */
    float *ln1_mean;      /* (slots, maxN) */
    float *ln1_rstd;      /* (slots, maxN) */
    float *qkv;           /* (slots, maxN, 3W) */
    size_t att_state;     /* floats of attention state per layer (ops->attention_state_floats) */
    float *probs;         /* (slots, att_state): the attention's saved state (CPU: probabilities) */
    float *att;           /* (maxN, W) one layer's attention output before out_proj (the
                             backward recomputes it from qkv: one cheap attention
                             forward instead of layers x maxN x W floats kept) */
    const float *keymask; /* the last forward's key mask (the caller's buffer, read again
                             by the backward's recomputation) */
    float *ln2_mean;      /* (slots, maxN) */
    float *ln2_rstd;      /* (slots, maxN) */
    float *fc;            /* (slots, maxN, 4W) c_fc output, before QuickGELU */
    /* one layer's buffers, shared by forward and backward (the LayerNorm and
     * QuickGELU outputs are recomputed in backward, bit-identical):
     *   x4a (maxN, 4W): forward QuickGELU out; backward QuickGELU out, then
     *                   d(c_fc out), then the recomputed attention out, then
     *                   the recomputed LN1 out;
     *   x4b (maxN, 4W): backward d(QuickGELU out), then d(qkv) (3W used);
     *   d_att (maxN, W): the recomputed LN2 out, d(attention out), scratch of
     *                   the fp16 LayerNorm backward;
     *   d_ln (maxN, W): d(LN out). */
    float *x4a;
    float *x4b;
    float *d_ln;
    float *d_att;
} Transformer;

/* Registers the parameters of `layers` blocks under `prefix` (see above).
 * heads must divide width. No memory is allocated besides the index table. */
void transformer_init(Transformer *t, ParamTable *pt, const char *prefix, int width, int heads,
                      int layers, float eps, int causal);

/* Floats of activation memory needed for (max_batch, max_seq). */
size_t transformer_act_floats(const Transformer *t, const DrlOps *ops, int max_batch, int max_seq);
/* Uses `mem` (transformer_act_floats floats of backend memory) for activations. */
void transformer_bind(Transformer *t, const DrlOps *ops, float *mem, int max_batch, int max_seq);
/* Allocates its own activation memory; returns its size in bytes. */
size_t transformer_alloc(Transformer *t, const DrlOps *ops, int max_batch, int max_seq);

/* Forward over x (B, T, W), in place: in the input, out the output.
 * keymask (B, T) additive mask on keys (0 or a large negative number), or NULL.
 * Saves the activations for transformer_bwd. B <= max_batch, T <= max_seq. */
void transformer_fwd(Transformer *t, const DrlOps *ops, const ParamTable *pt, float *x,
                     const float *keymask, int B, int T);

/* Backward of the last forward. dx (B, T, W): in, the gradient of the output;
 * out, the gradient of the input (OVERWRITTEN in place, not accumulated).
 * Parameter gradients are ACCUMULATED (+=) into pt->grad. */
void transformer_bwd(Transformer *t, const DrlOps *ops, const ParamTable *pt, float *dx, int B,
                     int T);

/* Frees the index table and the module's own activation memory (not a bound arena). */
void transformer_free(Transformer *t, const DrlOps *ops);

/* Initialises the blocks' tensors on the host copy `host_flat` (ParamTable
 * layout, t->total floats) with CLIP's scheme (spec/model.md §8 "ours"):
 * in_proj normal(0, W^-0.5), out_proj and c_proj normal(0, W^-0.5 (2 layers)^-0.5),
 * c_fc normal(0, (2W)^-0.5), biases 0, LayerNorm 1 / 0. */
void transformer_init_clip_scheme(const Transformer *t, const ParamTable *pt, float *host_flat,
                                  DrlRng *rng);

#endif
