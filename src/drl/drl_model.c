/* DRL model: registration of every tensor, memory, initialisation (§8). */
#include "drl/drl_model.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/check.h"
#include "common/log.h"
#include "drl/drl_cdcr.h"
#include "model/param_buffers.h"

void drl_model_init(DrlModel *m, const DrlOps *ops, const DrlComm *comm, const ClipShape *shape,
                    const DrlHeadsSpec *h, uint64_t seed) {
    memset(m, 0, sizeof *m);
    m->ops = ops;
    m->comm = comm;
    m->h = *h;
    m->shape = *shape;
    m->D = shape->embed_dim;
    m->L = h->L;
    m->T = h->T;
    m->R = shape->resolution;
    drlCheck(h->L <= shape->context_length, "max_words must not exceed CLIP's context length");
    drlCheck(h->T + 1 <= shape->context_length, "max_frames must be below the position table size");
    params_init(&m->pt);
    clip_init(&m->clip, &m->pt, shape);
    const int64_t D = m->D, ctx = shape->context_length;
    m->frame_pos = m->lstm_wih = m->lstm_whh = m->lstm_bih = m->lstm_bhh = -1;
    m->cross_pos = m->pool_ln_g = m->pool_ln_b = m->pool_dense_w = m->pool_dense_b = -1;
    m->sim_w = m->sim_b = -1;
    if (h->agg != HEAD_AGG_NONE)
        m->frame_pos = params_add_dims(&m->pt, "frame_position_embeddings.weight", 2, ctx, D, 0, 0);
    if (h->agg == HEAD_AGG_SEQTRANSF)
        transformer_init(&m->agg_tf, &m->pt, "transformerClip", (int)D,
                         (int)(D / 64 > 0 ? D / 64 : 1), h->agg_layers, DRL_HEAD_LN_EPS, 0);
    if (h->agg == HEAD_AGG_SEQLSTM) {
        m->lstm_wih = params_add_dims(&m->pt, "lstm_visual.weight_ih_l0", 2, 4 * D, D, 0, 0);
        m->lstm_whh = params_add_dims(&m->pt, "lstm_visual.weight_hh_l0", 2, 4 * D, D, 0, 0);
        m->lstm_bih = params_add_dims(&m->pt, "lstm_visual.bias_ih_l0", 1, 4 * D, 0, 0, 0);
        m->lstm_bhh = params_add_dims(&m->pt, "lstm_visual.bias_hh_l0", 1, 4 * D, 0, 0, 0);
    }
    if (h->interaction == HEAD_WTI) {
        weight_branch_init(&m->wb_text, &m->pt, "text_weight_fc", h->wti_arch, (int)D);
        weight_branch_init(&m->wb_video, &m->pt, "video_weight_fc", h->wti_arch, (int)D);
    }
    if (h->interaction == HEAD_XTI) {
        m->cross_pos =
            params_add_dims(&m->pt, "cross.embeddings.position_embeddings.weight", 2, ctx, D, 0, 0);
        transformer_init(&m->cross, &m->pt, "cross.transformer", (int)D, 8, h->cross_layers,
                         DRL_HEAD_LN_EPS, 0);
        m->pool_ln_g = params_add_dims(&m->pt, "cross.pooler.ln_pool.weight", 1, D, 0, 0, 0);
        m->pool_ln_b = params_add_dims(&m->pt, "cross.pooler.ln_pool.bias", 1, D, 0, 0, 0);
        m->pool_dense_w = params_add_dims(&m->pt, "cross.pooler.dense.weight", 2, D, D, 0, 0);
        m->pool_dense_b = params_add_dims(&m->pt, "cross.pooler.dense.bias", 1, D, 0, 0, 0);
        m->sim_w = params_add_dims(&m->pt, "similarity_dense.weight", 2, 1, D, 0, 0);
        m->sim_b = params_add_dims(&m->pt, "similarity_dense.bias", 1, 1, 0, 0, 0);
    }
    rng_init(&m->rng, seed ^ 0x5D1CDC0FFEEULL);
    m->training = 1;
    m->hk = drl_ops_is_cpu(ops) ? drl_cpu_head_kernels() : NULL;
}

static int tokenwise(const DrlModel *m) {
    return m->h.interaction == HEAD_TI || m->h.interaction == HEAD_WTI;
}

/* The loss runs as a head kernel in backend memory (all but xti). */
static int kernel_loss(const DrlModel *m) {
    return m->h.interaction != HEAD_XTI;
}

/* The head kernels' workspace for the allocated sizes (backend memory). */
static void alloc_tw_ws(DrlModel *m) {
    if (m->tw_ws) m->ops->free(m->tw_ws);
    m->tw_ws = m->loss_ws = NULL, m->tw_ws_bytes = 0;
    m->loss_result = NULL;
    if (!m->hk || !kernel_loss(m) || m->max_global == 0) return;
    const int Bg = m->max_global;
    const size_t tw =
        tokenwise(m) ? scratch_round(m->hk->tokenwise_ws_bytes(Bg, Bg, m->L, m->T, m->D)) : 0;
    const size_t cl = scratch_round(m->hk->clip_loss_ws_bytes(Bg));
    m->tw_ws_bytes = tw + cl + 2 * sizeof(double);
    m->tw_ws = m->ops->alloc(m->tw_ws_bytes);
    m->loss_ws = (char *)m->tw_ws + tw;
    m->loss_result = (double *)((char *)m->tw_ws + tw + cl);
}

void drl_model_set_recompute_blocks(DrlModel *m, int on) {
    drlCheck(m->max_local == 0, "recomputation is chosen before drl_model_alloc");
    m->clip.vis.recompute_blocks = on;
    m->clip.txt.recompute_blocks = on;
    m->agg_tf.recompute_blocks = on;
    m->cross.recompute_blocks = on;
}

void drl_model_set_head_kernels(DrlModel *m, const DrlHeadKernels *k) {
    m->hk = k;
    alloc_tw_ws(m);
}

static void *hcalloc(size_t n, size_t size) {
    return callocCheck(n > 0 ? n : 1, size);
}

/* Host mirrors of the islands the configuration uses (drl/drl_host.h). */
static size_t alloc_host(DrlModel *m, size_t Bl, size_t Bg) {
    DrlHost *h = &m->host;
    const size_t L = (size_t)m->L, T = (size_t)m->T, D = (size_t)m->D;
    const int dp = m->h.interaction == HEAD_DP, xti = m->h.interaction == HEAD_XTI;
    const int cdcr = m->h.cdcr != 0 && m->h.lambda != 0.0f;
    size_t n = 0; // floats (and ints) allocated
    memset(h, 0, sizeof *h);
    h->vm_local = hcalloc(Bl * T, sizeof(int32_t));
    h->keymask = hcalloc(Bl * T, sizeof(float));
    h->tm = hcalloc(Bg * L, sizeof(int32_t));
    h->vm = hcalloc(Bg * T, sizeof(int32_t));
    h->pick_t = hcalloc(Bg, sizeof(int32_t));
    h->pick_v = hcalloc(Bg, sizeof(int32_t));
    h->sim = hcalloc(Bg * Bg, sizeof(float));
    h->sim_vt = hcalloc(Bg * Bg, sizeof(float));
    h->logits_t2v = hcalloc(Bg * Bg, sizeof(float));
    h->logits_v2t = hcalloc(Bg * Bg, sizeof(float));
    h->dZ = hcalloc(Bg * Bg, sizeof(float));
    h->dsim = hcalloc(Bg * Bg, sizeof(float));
    h->dsim2 = hcalloc(Bg * Bg, sizeof(float));
    h->wt = hcalloc(Bg * L, sizeof(float));
    h->wv = hcalloc(Bg * T, sizeof(float));
    n += 2 * Bl * T + 2 * Bg * (L + T) + 2 * Bg + 7 * Bg * Bg;
    if (cdcr) {
        const size_t nl = dp ? 1 : L, nt = dp ? 1 : T; // dp: (Bg, D) rows
        h->targ = hcalloc(Bg * L, sizeof(int16_t));
        h->varg = hcalloc(Bg * T, sizeof(int16_t));
        n += Bg * (L + T) / 2;
        /* the row indices (the arena itself is m->cdcr_mem) */
        const size_t ws = drl_cdcr_index_bytes((int)Bg, (int)nl, (int)nt, (int)D);
        scratch_init(&h->cdcr, ws, "CDCR indices");
        n += ws / sizeof(float);
    }
    h->gtmp_n = 1;
    if (xti) {
        h->xti_score = hcalloc(Bg * Bg, sizeof(float));
        n += Bg * Bg;
    }
    h->gtmp = hcalloc(h->gtmp_n, sizeof(float));
    return (n + h->gtmp_n) * sizeof(float);
}

/* n floats of backend memory for drl_model_alloc, counted into *acc (the
 * activation bytes it logs). */
static float *alloc_f(const DrlOps *ops, size_t n, size_t *acc) {
    return drl_alloc_counted(ops, n * sizeof(float), acc);
}

void drl_model_alloc(DrlModel *m, int max_local) {
    const DrlOps *ops = m->ops;
    const int world = m->comm->world;
    const size_t Bl = (size_t)max_local, Bg = (size_t)max_local * world;
    const size_t L = (size_t)m->L, T = (size_t)m->T, D = (size_t)m->D, R = (size_t)m->R;
    m->max_local = max_local;
    m->max_global = (int)Bg;
    params_alloc_buffers(&m->pt, ops);
    size_t clip_bytes = clip_alloc(&m->clip, ops, &m->pt, (int)(Bl * T), (int)Bl, (int)L);
    size_t bytes = clip_bytes;
    m->video_norm = alloc_f(ops, Bl * T * 3 * R * R, &bytes);
    m->frame_feat = alloc_f(ops, Bl * T * D, &bytes);
    m->agg_x = alloc_f(ops, Bl * T * D, &bytes);
    m->keymask = alloc_f(ops, Bl * T, &bytes);
    m->text_feat = alloc_f(ops, Bl * L * D, &bytes);
    m->video_feat = alloc_f(ops, Bl * T * D, &bytes);
    m->tf_g = alloc_f(ops, Bg * L * D, &bytes);
    m->vf_g = alloc_f(ops, Bg * T * D, &bytes);
    m->tm_g = drl_alloc_counted(ops, Bg * L * sizeof(int32_t), &bytes);
    m->vm_g = drl_alloc_counted(ops, Bg * T * sizeof(int32_t), &bytes);
    m->wt = alloc_f(ops, Bg * L, &bytes);
    m->wv = alloc_f(ops, Bg * T, &bytes);
    m->sim = alloc_f(ops, Bg * Bg, &bytes);
    m->sim_vt = alloc_f(ops, Bg * Bg, &bytes);
    m->logits_t2v = alloc_f(ops, Bg * Bg, &bytes);
    m->logits_v2t = alloc_f(ops, Bg * Bg, &bytes);
    m->d_tf_g = alloc_f(ops, Bg * L * D, &bytes);
    m->d_vf_g = alloc_f(ops, Bg * T * D, &bytes);
    m->d_wt = alloc_f(ops, Bg * L, &bytes);
    m->d_wv = alloc_f(ops, Bg * T, &bytes);
    m->d_text = alloc_f(ops, Bl * L * D, &bytes);
    m->d_video = alloc_f(ops, Bl * T * D, &bytes);
    m->d_frame = alloc_f(ops, Bl * T * D, &bytes);
    if (m->h.agg == HEAD_AGG_SEQTRANSF)
        bytes += transformer_alloc(&m->agg_tf, ops, (int)Bl, (int)T);
    size_t host_bytes = alloc_host(m, Bl, Bg);
    if (m->h.agg == HEAD_AGG_SEQLSTM)
        bytes += lstm_cache_alloc(&m->lstm, ops, (int)Bl, (int)T, (int)D);
    if (m->h.interaction == HEAD_DP) bytes += drl_dp_alloc(&m->dp, ops, (int)Bg, (int)T, (int)D);
    if (kernel_loss(m)) {
        m->dsim = alloc_f(ops, Bg * Bg, &bytes);
        alloc_tw_ws(m);
        bytes += m->tw_ws_bytes;
        if (m->h.cdcr != 0 && m->h.lambda != 0.0f) {
            const int dp1 = m->h.interaction == HEAD_DP; // dp: (Bg, D) rows
            const size_t cb =
                drl_cdcr_scratch_bytes((int)Bg, dp1 ? 1 : (int)L, dp1 ? 1 : (int)T, (int)D);
            scratch_attach(&m->cdcr_mem, drl_alloc_counted(ops, cb, &bytes), cb, "CDCR");
        }
    }
    if (tokenwise(m)) {
        drlCheck(L < 32768 && T < 32768, "token-wise interaction: L and T must fit int16");
        m->tn = alloc_f(ops, Bg * L * D, &bytes);
        m->tn_norm = alloc_f(ops, Bg * L, &bytes);
        m->vn = alloc_f(ops, Bg * T * D, &bytes);
        m->vn_norm = alloc_f(ops, Bg * T, &bytes);
        m->d_tn = alloc_f(ops, Bg * L * D, &bytes);
        m->d_vn = alloc_f(ops, Bg * T * D, &bytes);
        m->t2v_max = alloc_f(ops, Bg * Bg * L, &bytes);
        m->v2t_max = alloc_f(ops, Bg * Bg * T, &bytes);
        m->t2v_arg = drl_alloc_counted(ops, Bg * Bg * L * sizeof(int16_t), &bytes);
        m->v2t_arg = drl_alloc_counted(ops, Bg * Bg * T * sizeof(int16_t), &bytes);
    }
    if (m->h.interaction == HEAD_WTI) {
        weight_branch_alloc(&m->wb_text, ops, (int)(Bg * L));
        weight_branch_alloc(&m->wb_video, ops, (int)(Bg * T));
    }
    if (m->h.interaction == HEAD_XTI) {
        const size_t P = Bg * Bg, S = T + 1;
        m->xti_pairs = (int)P;
        m->xti_seq = (int)S;
        bytes += transformer_alloc(&m->cross, ops, (int)P, (int)S);
        m->xti_x = alloc_f(ops, P * S * D, &bytes);
        m->xti_mask = alloc_f(ops, P * S, &bytes);
        m->xti_tok_ids = drl_alloc_counted(ops, P * sizeof(int32_t), &bytes);
        m->xti_dscore = alloc_f(ops, P, &bytes);
        int32_t *ids = hcalloc(P, sizeof(int32_t)); // (P) q * S
        for (size_t q = 0; q < P; q++)
            ids[q] = (int32_t)(q * S);
        ops->to_device(m->xti_tok_ids, ids, P * sizeof(int32_t));
        free(ids);
        m->xti_tok0 = alloc_f(ops, P * D, &bytes);
        m->xti_ln = alloc_f(ops, P * D, &bytes);
        m->xti_ln_mean = alloc_f(ops, P, &bytes);
        m->xti_ln_rstd = alloc_f(ops, P, &bytes);
        m->xti_dense = alloc_f(ops, P * D, &bytes);
        m->xti_pooled = alloc_f(ops, P * D, &bytes);
        m->xti_score = alloc_f(ops, P, &bytes);
        m->xti_scratch = alloc_f(ops, P * D, &bytes);
        m->xti_scratch2 = alloc_f(ops, P * D, &bytes);
        bytes += xti_seq_alloc(&m->xseq, ops, (int)Bg, (int)T, (int)D, m->h.xti_dropout > 0.0f);
        host_bytes += xti_seq_host_bytes(&m->xseq);
    }
    log_info("model: %zu parameters in %d tensors (%.1f MiB, with gradients %.1f MiB); "
             "activations %.1f MiB (host mirrors %.1f MiB) for %zu local pairs x %zu frames",
             params_count_scalars(&m->pt), m->pt.count, m->pt.total * 4.0 / 1048576.0,
             m->pt.total * 8.0 / 1048576.0, bytes / 1048576.0, host_bytes / 1048576.0, Bl, T);
}

void drl_model_free(DrlModel *m) {
    const DrlOps *ops = m->ops;
    void *bufs[] = {m->video_norm,   m->frame_feat, m->agg_x,      m->keymask,      m->text_feat,
                    m->video_feat,   m->tf_g,       m->vf_g,       m->tm_g,         m->vm_g,
                    m->wt,           m->wv,         m->sim,        m->sim_vt,       m->logits_t2v,
                    m->logits_v2t,   m->d_tf_g,     m->d_vf_g,     m->d_wt,         m->d_wv,
                    m->d_text,       m->d_video,    m->d_frame,    m->xti_x,        m->xti_mask,
                    m->xti_tok_ids,  m->xti_dscore, m->xti_tok0,   m->xti_ln,       m->xti_ln_mean,
                    m->xti_ln_rstd,  m->xti_dense,  m->xti_pooled, m->xti_score,    m->xti_scratch,
                    m->xti_scratch2, m->dsim,       m->tn,         m->tn_norm,      m->vn,
                    m->vn_norm,      m->d_tn,       m->d_vn,       m->t2v_max,      m->v2t_max,
                    m->t2v_arg,      m->v2t_arg,    m->tw_ws,      m->cdcr_mem.base};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        if (bufs[i]) ops->free(bufs[i]);
    if (m->h.agg == HEAD_AGG_SEQTRANSF) transformer_free(&m->agg_tf, ops);
    if (m->h.interaction == HEAD_XTI) {
        transformer_free(&m->cross, ops);
        xti_seq_free(&m->xseq, ops);
    }
    if (m->h.agg == HEAD_AGG_SEQLSTM) lstm_cache_free(&m->lstm, ops);
    if (m->h.interaction == HEAD_DP) drl_dp_free(&m->dp, ops);
    drl_host_free(&m->host);
    if (m->h.interaction == HEAD_WTI) {
        weight_branch_free(&m->wb_text, ops);
        weight_branch_free(&m->wb_video, ops);
    }
    clip_free(&m->clip, ops);
    params_free_buffers(&m->pt, ops);
    params_free_table(&m->pt);
}

/* ---- initialisation ------------------------------------------------------ */

static void fill_normal(const ParamTable *pt, float *host, int i, DrlRng *rng, float std) {
    if (i >= 0) rng_normal(rng, host + pt->info[i].offset, pt->info[i].numel, 0.0f, std);
}
static void fill_const(const ParamTable *pt, float *host, int i, float v) {
    if (i < 0) return;
    float *p = host + pt->info[i].offset;
    for (size_t k = 0; k < pt->info[i].numel; k++)
        p[k] = v;
}

/* New blocks of a heads' transformer: Linear weights normal(0, 0.02), biases 0, LN 1 / 0. */
static void init_new_blocks(const Transformer *t, const ParamTable *pt, float *host, DrlRng *rng,
                            int from_layer) {
    for (int l = from_layer; l < t->layers; l++) {
        const TransformerBlockParams *b = &t->blocks[l];
        fill_normal(pt, host, b->in_w, rng, 0.02f);
        fill_normal(pt, host, b->out_w, rng, 0.02f);
        fill_normal(pt, host, b->fc_w, rng, 0.02f);
        fill_normal(pt, host, b->proj_w, rng, 0.02f);
        fill_const(pt, host, b->in_b, 0.0f), fill_const(pt, host, b->out_b, 0.0f);
        fill_const(pt, host, b->fc_b, 0.0f), fill_const(pt, host, b->proj_b, 0.0f);
        fill_const(pt, host, b->ln1_g, 1.0f), fill_const(pt, host, b->ln1_b, 0.0f);
        fill_const(pt, host, b->ln2_g, 1.0f), fill_const(pt, host, b->ln2_b, 0.0f);
    }
}

/* Copies CLIP text block l into block l of t (same width), for l < min(layers). */
static int copy_text_blocks(const Transformer *dst, const Transformer *src, const ParamTable *pt,
                            float *host) {
    int n = dst->layers < src->layers ? dst->layers : src->layers;
    for (int l = 0; l < n; l++) {
        const int *d = &dst->blocks[l].in_w, *s = &src->blocks[l].in_w;
        for (int k = 0; k < (int)(sizeof(TransformerBlockParams) / sizeof(int)); k++) {
            drlCheck(pt->info[d[k]].numel == pt->info[s[k]].numel,
                     "heads' blocks and CLIP text blocks differ in width");
            memcpy(host + pt->info[d[k]].offset, host + pt->info[s[k]].offset,
                   sizeof(float) * pt->info[d[k]].numel);
        }
    }
    return n;
}

static void init_heads(DrlModel *m, float *host, DrlRng *rng, int copy_from_clip) {
    const ParamTable *pt = &m->pt;
    const int D = m->D;
    if (m->frame_pos >= 0) {
        if (copy_from_clip)
            memcpy(host + pt->info[m->frame_pos].offset, host + pt->info[m->clip.txt_pos].offset,
                   sizeof(float) * pt->info[m->frame_pos].numel);
        else
            fill_normal(pt, host, m->frame_pos, rng, 0.02f);
    }
    if (m->h.agg == HEAD_AGG_SEQTRANSF) {
        int copied = copy_from_clip ? copy_text_blocks(&m->agg_tf, &m->clip.txt, pt, host) : 0;
        init_new_blocks(&m->agg_tf, pt, host, rng, copied);
    }
    if (m->h.agg == HEAD_AGG_SEQLSTM) {
        const float k = 1.0f / sqrtf((float)D);
        int idx[4] = {m->lstm_wih, m->lstm_whh, m->lstm_bih, m->lstm_bhh};
        for (int i = 0; i < 4; i++) {
            float *p = host + pt->info[idx[i]].offset;
            rng_uniform(rng, p, pt->info[idx[i]].numel);
            for (size_t j = 0; j < pt->info[idx[i]].numel; j++)
                p[j] = (2.0f * p[j] - 1.0f) * k;
        }
    }
    if (m->h.interaction == HEAD_WTI) {
        weight_branch_init_params(&m->wb_text, pt, host, rng);
        weight_branch_init_params(&m->wb_video, pt, host, rng);
    }
    if (m->h.interaction == HEAD_XTI) {
        if (copy_from_clip)
            memcpy(host + pt->info[m->cross_pos].offset, host + pt->info[m->clip.txt_pos].offset,
                   sizeof(float) * pt->info[m->cross_pos].numel);
        else
            fill_normal(pt, host, m->cross_pos, rng, 0.02f);
        int copied = copy_from_clip ? copy_text_blocks(&m->cross, &m->clip.txt, pt, host) : 0;
        init_new_blocks(&m->cross, pt, host, rng, copied);
        fill_const(pt, host, m->pool_ln_g, 1.0f), fill_const(pt, host, m->pool_ln_b, 0.0f);
        fill_normal(pt, host, m->pool_dense_w, rng, 0.02f);
        fill_const(pt, host, m->pool_dense_b, 0.0f);
        fill_normal(pt, host, m->sim_w, rng, 0.02f);
        fill_const(pt, host, m->sim_b, 0.0f);
    }
}

static float *download_all(const DrlModel *m) {
    float *host = mallocCheck(sizeof(float) * m->pt.total); // (total) host copy of the parameters
    m->ops->to_host(host, m->pt.data, sizeof(float) * m->pt.total);
    return host;
}

void drl_model_init_random(DrlModel *m, uint64_t seed) {
    DrlRng rng;
    rng_init(&rng, seed);
    clip_init_random(&m->clip, &m->pt, m->ops, &rng);
    float *host = download_all(m);
    DrlRng heads = rng_split(&rng, 1);
    init_heads(m, host, &heads, 0);
    m->ops->to_device(m->pt.data, host, sizeof(float) * m->pt.total);
    free(host);
}

void drl_model_init_heads_from_clip(DrlModel *m, uint64_t seed) {
    DrlRng rng;
    rng_init(&rng, seed);
    DrlRng heads = rng_split(&rng, 1);
    float *host = download_all(m);
    init_heads(m, host, &heads, 1);
    m->ops->to_device(m->pt.data, host, sizeof(float) * m->pt.total);
    free(host);
}

int drl_model_param_is_used(const DrlModel *m, int index) {
    /* Only the tensors the configuration uses are registered, except the
     * frame position table, which the reference keeps under seqLSTM without
     * using it: it receives no gradient and the optimiser skips it. */
    return !(index == m->frame_pos && m->h.agg == HEAD_AGG_SEQLSTM);
}

int drl_model_param_is_post_gather(const DrlModel *m, int index) {
    const char *name = m->pt.info[index].name;
    if (strcmp(name, "clip.logit_scale") == 0) return 1;
    if (strncmp(name, "text_weight_fc.", 15) == 0 || strncmp(name, "video_weight_fc.", 16) == 0)
        return 1;
    return strncmp(name, "cross.", 6) == 0 || strncmp(name, "similarity_dense.", 17) == 0;
}
