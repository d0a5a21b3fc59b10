/* CLIP's two towers (spec/model.md §1), forward and backward, written once
 * against the op interface. Parameters are registered in a ParamTable under
 * "clip." with OpenAI's state_dict names:
 *   clip.visual.conv1.weight [Wv, 3, P, P]      clip.visual.class_embedding [Wv]
 *   clip.visual.positional_embedding [G*G+1, Wv] clip.visual.ln_pre.{weight,bias}
 *   clip.visual.transformer.resblocks.N.*        clip.visual.ln_post.{weight,bias}
 *   clip.visual.proj [Wv, D]                     clip.token_embedding.weight [vocab, Wt]
 *   clip.positional_embedding [ctx, Wt]          clip.transformer.resblocks.N.*
 *   clip.ln_final.{weight,bias}                  clip.text_projection [Wt, D]
 *   clip.logit_scale (0-d)
 *
 * Activations of both towers live in one arena (backend memory) sized at
 * clip_alloc for (max frames, max captions, max text length) per step.
 *
 * Sequence: clip_init (register) -> [other modules register] ->
 * params_alloc_buffers -> clip_init_random or an import -> clip_alloc ->
 * clip_vision_fwd / clip_vision_bwd, clip_text_fwd / clip_text_bwd.
 * Every buffer argument is backend memory. Each backward must follow its own
 * forward, once: the vision backward reuses forward buffers as gradient
 * scratch. The conv1 patch extraction (im2col) is done with ops->copy, one
 * row of P pixels per call (cheap on the CPU; a dedicated op would suit CUDA). */
#ifndef DRL_MODEL_CLIP_H
#define DRL_MODEL_CLIP_H

#include <stddef.h>
#include <stdint.h>

#include "model/clip_shape.h"
#include "model/params.h"
#include "model/rng.h"
#include "model/transformer.h"
#include "ops/ops.h"

#define CLIP_LN_EPS 1e-5f

typedef struct {
    ClipShape s;
    Transformer vis; /* clip.visual.transformer */
    Transformer txt; /* clip.transformer, causal */
    /* parameter indices */
    int conv1, class_emb, vis_pos, ln_pre_g, ln_pre_b, ln_post_g, ln_post_b, vis_proj;
    int tok_emb, txt_pos, ln_final_g, ln_final_b, text_proj, logit_scale;
    int first_param, last_param; /* clip.* tensors are indices first..last of the table */
    int fp16; /* 1: the reference's fp16 GPU towers emulated (spec §11, clip_set_fp16) */

    /* ---- activation arena (valid after clip_alloc) --------------------- */
    int max_frames, max_captions, max_len;
    float *arena;
    size_t arena_bytes;
    /* vision (F = frames of the last forward, S = G*G + 1 tokens) */
    float *patches;    /* (F*G*G, 3*P*P) im2col of the frames */
    float *patch_emb;  /* (F*G*G, Wv) conv1 output; backward: its gradient */
    float *vtok;       /* (F, S, Wv) ln_pre input */
    float *vpre_mean;  /* (F*S) */
    float *vpre_rstd;  /* (F*S) */
    float *vx;         /* (F, S, Wv) transformer in/out; backward: its gradient */
    float *dvtok;      /* (F, S, Wv) gradient of the ln_pre input */
    float *vcls;       /* (F, Wv) token 0 after the blocks (ln_post input) */
    float *vcls_ln;    /* (F, Wv) ln_post output */
    float *vpost_mean; /* (F) */
    float *vpost_rstd; /* (F) */
    float *dvcls;      /* (F, Wv) */
    float *dvcls_ln;   /* (F, Wv) */
    /* text (B captions of length L) */
    int32_t *ids;     /* (B, L) copy of the ids (for the embedding backward) */
    float *tx;        /* (B, L, Wt) transformer in/out = ln_final input */
    float *tfin_ln;   /* (B, L, Wt) ln_final output */
    float *tfin_mean; /* (B*L) */
    float *tfin_rstd; /* (B*L) */
    float *dtx;       /* (B, L, Wt) */
    float *dtfin_ln;  /* (B, L, Wt) */
    int last_frames, last_captions, last_len;
} Clip;

/* Registers every CLIP tensor under "clip." in the table. */
void clip_init(Clip *c, ParamTable *pt, const ClipShape *shape);

/* Allocates the activation arena for up to max_frames frames and max_captions
 * captions of up to max_len tokens (max_len <= context_length) per step;
 * logs its size and the parameter count; returns the arena's bytes. */
size_t clip_alloc(Clip *c, const DrlOps *ops, const ParamTable *pt, int max_frames,
                  int max_captions, int max_len);
void clip_free(Clip *c, const DrlOps *ops);

/* From-scratch initialisation of the clip.* tensors (spec/model.md §8 "ours"),
 * generated on the host from `rng` and uploaded into pt->data. */
void clip_init_random(const Clip *c, const ParamTable *pt, const DrlOps *ops, DrlRng *rng);

/* ---- precision (spec/model.md §11; model.clip_precision = "fp16") --------
 * 1 when `name` is one of the tensors the reference stores in fp16: every
 * Linear/conv weight and bias of both towers (conv1, in_proj_weight/bias,
 * out_proj, c_fc, c_proj), visual.proj and text_projection (names under
 * "clip."). Embeddings, position tables, class_embedding, LayerNorms and
 * logit_scale are not. */
int clip_param_is_fp16(const char *name);
/* Switches both towers to the fp16 emulation (clip_fp16.c: activations and
 * activation gradients rounded to fp16 where the reference's fp16 ops round)
 * and rounds the fp16 tensors' values in pt->data to fp16. Call after the
 * weights are loaded; the optimiser keeps them fp16 (optim.h, clip_fp16).
 * Dies with a message when the backend lacks ops->round_fp16. */
void clip_set_fp16(Clip *c, const DrlOps *ops, const ParamTable *pt);

/* frames (F, 3, R, R) normalised pixels -> out (F, D) features (token 0). */
void clip_vision_fwd(Clip *c, const DrlOps *ops, const ParamTable *pt, const float *frames, int F,
                     float *out);
/* dout (F, D): accumulates the gradients of every visual tensor into pt->grad. */
void clip_vision_bwd(Clip *c, const DrlOps *ops, const ParamTable *pt, const float *dout, int F);

/* ids (B, L) int32 -> out (B, L, D) features at every position (causal). */
void clip_text_fwd(Clip *c, const DrlOps *ops, const ParamTable *pt, const int32_t *ids, int B,
                   int L, float *out);
/* dout (B, L, D): accumulates the gradients of every text tensor into pt->grad. */
void clip_text_bwd(Clip *c, const DrlOps *ops, const ParamTable *pt, const float *dout, int B,
                   int L);

#endif
