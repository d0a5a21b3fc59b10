/* The DRL model: CLIP towers + temporal aggregation + interaction + loss +
 * CDCR (spec/model.md §3-§6, §8-§9), one training step forward and backward.
 *
 * Parameter names are the reference implementation's state_dict names:
 *   clip.*                                 the CLIP towers (model/clip.h)
 *   frame_position_embeddings.weight       [ctx, D]  (seqTransf, seqLSTM)
 *   transformerClip.resblocks.N.*          seqTransf (agg_layers, width D, D/64 heads, eps 1e-12)
 *   lstm_visual.{weight_ih_l0,weight_hh_l0,bias_ih_l0,bias_hh_l0}   seqLSTM
 *   text_weight_fc.{0,2,4}.*, video_weight_fc.*                   wti
 *   cross.embeddings.position_embeddings.weight [ctx, D], cross.transformer.resblocks.N.*,
 *   cross.pooler.ln_pool.*, cross.pooler.dense.*, similarity_dense.*  xti
 *
 * Several ranks (§9): every rank encodes its local pairs, the features and
 * masks are all-gathered, every rank computes the full logits and loss, the
 * gather's backward keeps the local slice (xti: sums over ranks first), and
 * the caller averages the flat gradient buffer over ranks. */
#ifndef DRL_DRL_DRL_MODEL_H
#define DRL_DRL_DRL_MODEL_H

#include <stdint.h>

#include "comm/comm.h"
#include "drl/drl_dp.h"
#include "drl/drl_host.h"
#include "drl/head_kernels.h"
#include "drl/interaction.h"
#include "drl/lstm_agg.h"
#include "drl/weight_branch.h"
#include "drl/xti_seq.h"
#include "model/clip.h"
#include "model/params.h"
#include "model/rng.h"
#include "model/transformer.h"
#include "ops/ops.h"

typedef enum { HEAD_AGG_NONE, HEAD_AGG_SEQLSTM, HEAD_AGG_SEQTRANSF } HeadAgg;
typedef enum { HEAD_DP, HEAD_XTI, HEAD_TI, HEAD_WTI } HeadInteraction;

#define DRL_HEAD_LN_EPS  1e-12f
#define DRL_KEY_MASK_NEG (-1e6f)

typedef struct {
    HeadAgg agg;
    HeadInteraction interaction;
    int wti_arch; /* 1..3 */
    int cdcr;     /* 0..3 */
    float alpha1, alpha2, lambda;
    float xti_dropout;
    int agg_layers;   /* seqTransf blocks (4) */
    int cross_layers; /* xti blocks (4) */
    int L, T;         /* max_words, max_frames */
} DrlHeadsSpec;

/* One step's local pairs. Pointers are backend memory (ops->alloc). */
typedef struct {
    int B;                          /* local pairs */
    const int32_t *ids;             /* (B, L) */
    const int32_t *text_mask;       /* (B, L) */
    const float *video;             /* (B, T, 3, R, R) normalised pixels */
    const int32_t *video_mask;      /* (B, T) */
    const int32_t *cdcr_text_pick;  /* (B * world) global picks for CDCR 1, or NULL (generator) */
    const int32_t *cdcr_video_pick; /* (B * world) */
} DrlBatch;

typedef struct {
    double loss, loss_sim, loss_cdcr;
} DrlLosses;

typedef struct {
    const DrlOps *ops;
    const DrlHeadKernels *hk; /* the heads' kernels on ops' memory (NULL until set) */
    const DrlComm *comm;
    DrlHeadsSpec h;
    ClipShape shape;
    ParamTable pt;
    Clip clip;
    int D, L, T, R;

    /* heads' parameter indices (-1 when absent) */
    int frame_pos;
    Transformer agg_tf;
    int lstm_wih, lstm_whh, lstm_bih, lstm_bhh;
    WeightBranch wb_text, wb_video;
    Transformer cross;
    int cross_pos, pool_ln_g, pool_ln_b, pool_dense_w, pool_dense_b, sim_w, sim_b;

    /* ---- activations (valid after drl_model_alloc; backend memory) ------- */
    int max_local, max_global; /* pairs per rank, pairs over all ranks */
    float *video_norm;         /* (Bl*T, 3, R, R) scratch when frames arrive as uint8 */
    float *frame_feat;         /* (Bl, T, D) CLIP frame features F */
    float *agg_x;              /* (Bl, T, D) seqTransf transformer in/out (and its gradient) */
    float *keymask;            /* (Bl, T) additive key mask */
    float *text_feat;          /* (Bl, L, D) */
    float *video_feat;         /* (Bl, T, D) after aggregation */
    float *tf_g;               /* (Bg, L, D) gathered text features */
    float *vf_g;               /* (Bg, T, D) gathered video features */
    int32_t *tm_g;             /* (Bg, L) */
    int32_t *vm_g;             /* (Bg, T) */
    float *wt, *wv;            /* (Bg, L), (Bg, T) token weights */
    float *sim;                /* (Bg, Bg) s[a, b] (xti: tV) */
    float *sim_vt;             /* (Bg, Bg) xti: vT (rows are videos) */
    float *logits_t2v;         /* (Bg, Bg) exp(logit_scale) * s */
    float *logits_v2t;         /* (Bg, Bg) */
    /* gradients */
    float *d_tf_g, *d_vf_g;  /* (Bg, L, D), (Bg, T, D) */
    float *d_wt, *d_wv;      /* (Bg, L), (Bg, T) */
    float *d_text, *d_video; /* (Bl, L, D), (Bl, T, D) local slices */
    float *d_frame;          /* (Bl, T, D) gradient of F */
    float *dsim;             /* (Bg, Bg) dL/dsim (ti/wti) */
    /* ti / wti */
    float *tn, *tn_norm;        /* (Bg, L, D), (Bg, L) normalised tokens, their norms */
    float *vn, *vn_norm;        /* (Bg, T, D), (Bg, T) normalised frames */
    float *d_tn, *d_vn;         /* (Bg, L, D), (Bg, T, D) gradients on them */
    float *t2v_max, *v2t_max;   /* (Bg, Bg, L), (Bg, Bg, T) */
    int16_t *t2v_arg, *v2t_arg; /* (Bg, Bg, L), (Bg, Bg, T) */
    void *tw_ws;                /* (tw_ws_bytes) head kernels' workspace, then: */
    size_t tw_ws_bytes;
    void *loss_ws;       /* the loss kernel's workspace (in tw_ws's allocation) */
    double *loss_result; /* (2) the loss kernel's result (in tw_ws's allocation) */
    DrlScratch cdcr_mem; /* CDCR's arena in backend memory (ti / wti with CDCR) */
    DrlDp dp;            /* dp (backend memory) */
    LstmCache lstm;      /* host (seqLSTM island) */
    DrlHost host;        /* host mirrors of the islands (drl/drl_host.h) */
    /* xti */
    int xti_pairs, xti_seq; /* Bg*Bg sequences of 1+T tokens */
    float *xti_x;           /* (P, 1+T, D) cross transformer in/out and its gradient */
    float *xti_mask;        /* (P, 1+T) additive key mask */
    int32_t *xti_tok_ids;   /* (P) q * (1+T): rows of token 0 in xti_x viewed as (P*(1+T), D) */
    float *xti_dscore;      /* (P) gradient of the scores */
    float *xti_tok0;        /* (P, D) token 0 after the blocks */
    float *xti_ln, *xti_ln_mean, *xti_ln_rstd; /* (P, D), (P), (P) */
    float *xti_dense;                          /* (P, D) pooler dense output before QuickGELU */
    float *xti_pooled;                         /* (P, D) */
    float *xti_score;                          /* (P) */
    float *xti_scratch;                        /* (P, D) */
    float *xti_scratch2;                       /* (P, D) */
    DrlXtiSeq xseq;                            /* the sequences' tables (drl/xti_seq.h) */

    DrlRng rng;             /* CDCR 1 picks, xti dropout */
    int training;           /* dropout on */
    DrlLosses last;         /* losses of the last step */
    double cdcr_degenerate; /* channels with zero sd in the last CDCR (reported) */
} DrlModel;

/* Registers every tensor (CLIP + heads). With the CPU op table the heads'
 * kernels are the CPU ones; with any other table call
 * drl_model_set_head_kernels before the first step. */
void drl_model_init(DrlModel *m, const DrlOps *ops, const DrlComm *comm, const ClipShape *shape,
                    const DrlHeadsSpec *h, uint64_t seed);
/* Whole-block recomputation in every transformer (CLIP's towers and the
 * heads'; transformer.h recompute_blocks): between drl_model_init and
 * drl_model_alloc. */
void drl_model_set_recompute_blocks(DrlModel *m, int on);

/* Allocates parameters, gradients and activations for up to max_local pairs
 * per rank; logs the sizes. */
void drl_model_alloc(DrlModel *m, int max_local);
void drl_model_free(DrlModel *m);
/* The heads' kernels for the model's op table (e.g. drl_cuda_head_kernels()
 * with drl_cuda_ops()); before or after drl_model_alloc. */
void drl_model_set_head_kernels(DrlModel *m, const DrlHeadKernels *k);

/* From scratch: CLIP's scheme for clip.*, §8 for the heads. */
void drl_model_init_random(DrlModel *m, uint64_t seed);
/* After clip.* were loaded: §8 initialisation of the heads from CLIP
 * (position tables and blocks 0..3 copied from the text tower). */
void drl_model_init_heads_from_clip(DrlModel *m, uint64_t seed);

/* Forward (and backward when grads != 0) of one step on the local batch.
 * Zeroes pt.grad first when backward is requested. Returns the losses (the
 * same on every rank). Parameter gradients are NOT averaged over ranks. */
DrlLosses drl_step(DrlModel *m, const DrlBatch *batch, int backward);

/* Forward of the towers and the aggregation only (evaluation): text_out
 * (B, L, D) and video_out (B, T, D) for the batch's B local pairs, backend
 * memory (written with ops->copy). */
void drl_encode(DrlModel *m, const DrlBatch *batch, float *text_out, float *video_out);

/* 1 for tensors used after the gather (logit_scale, the WTI weight
 * branches, the cross model): every rank computes their full gradient. */
int drl_model_param_is_post_gather(const DrlModel *m, int index);

/* Names of tensors that take part in the configured model's computation. */
int drl_model_param_is_used(const DrlModel *m, int index);

#endif
