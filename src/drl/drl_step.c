/* One DRL step: towers, aggregation, gather, interaction, loss, CDCR, and the
 * whole backward (spec/model.md §3-§6, §9), on any backend.
 *
 * Memory. Every DrlModel buffer, the flat parameter / gradient buffers and
 * every DrlBatch pointer are backend memory (ops->alloc): host memory for
 * the CPU table, device memory for CUDA. The towers, the seqTransf
 * aggregation, the WTI weight branches, the xti cross model and the L2
 * normalisations run through the op table; the token-wise ti / wti scoring
 * (forward with argmax kept, and backward) runs through the heads' kernel
 * table m->hk (drl/head_kernels.h: CPU here, cuda/cuda_heads.h on the GPU),
 * which never materialises (Bg, Bg, L, T).
 *
 * dp (drl_dp.c) runs through the op table as well. The loss and CDCR: for
 * dp, ti and wti the symmetric InfoNCE on (Bg, Bg) and CDCR stay in backend
 * memory too: the loss is a head kernel, CDCR
 * (drl_cdcr.c) composes the op table's gathers, scatters and products with
 * the head kernels' standardisation and decorrelation; only the losses, a
 * few scalars and CDCR's row indices cross to the host.
 *
 * Host islands. The remaining small computations stay host C code on every
 * backend and work on the host mirrors m->host (drl/drl_host.h, allocated
 * once by drl_model_alloc): the seqTransf key mask and the gathered masks,
 * the logit scale, CDCR's row choice (masks, picks and the diagonal
 * argmaxima), the seqLSTM's lengths (its steps run on the backend,
 * drl/lstm_agg.h), xti's loss on its (Bg, Bg) scores and its dropout
 * draws (drl_xti.c; its sequences are built in backend memory,
 * drl/xti_seq.h).
 * Transfers go through ops->to_host / ops->to_device (memcpy on the CPU
 * backend), so the CPU backend runs the very same code path: the PyTorch
 * reference cases (tests/drl) check the plumbing. The step
 * allocates nothing. */
#include <math.h>
#include <string.h>

#include "common/check.h"
#include "common/log.h"
#include "drl/drl_cdcr.h"
#include "drl/drl_model.h"
#include "drl/drl_xti.h"
#include "drl/loss.h"

/* ---- aggregation ---------------------------------------------------------- */

static void agg_forward(DrlModel *m, const int32_t *vm, int Bl) {
    const DrlOps *ops = m->ops;
    DrlHost *h = &m->host;
    const int T = m->T, D = m->D;
    const size_t n = (size_t)Bl * T * D;
    switch (m->h.agg) {
    case HEAD_AGG_NONE:
        ops->copy(m->video_feat, m->frame_feat, n * sizeof(float));
        break;
    case HEAD_AGG_SEQTRANSF: {
        const float *E = params_at(&m->pt, m->pt.data, m->frame_pos); // (ctx, D), rows 0..T-1 used
        for (int b = 0; b < Bl; b++)
            ops->add(m->agg_x + (size_t)b * T * D, m->frame_feat + (size_t)b * T * D, E,
                     (size_t)T * D);
        ops->to_host(h->vm_local, vm, sizeof(int32_t) * (size_t)Bl * T);
        for (int k = 0; k < Bl * T; k++)
            h->keymask[k] = (1.0f - (float)h->vm_local[k]) * DRL_KEY_MASK_NEG;
        ops->to_device(m->keymask, h->keymask, sizeof(float) * (size_t)Bl * T);
        transformer_fwd(&m->agg_tf, ops, &m->pt, m->agg_x, m->keymask, Bl, T);
        ops->add(m->video_feat, m->frame_feat, m->agg_x, n);
        break;
    }
    case HEAD_AGG_SEQLSTM: {
        ops->to_host(h->vm_local, vm, sizeof(int32_t) * (size_t)Bl * T);
        const ParamTable *pt = &m->pt;
        lstm_agg_forward(&m->lstm, ops, m->hk, m->video_feat, m->frame_feat, h->vm_local, Bl,
                         params_at(pt, pt->data, m->lstm_wih), params_at(pt, pt->data, m->lstm_whh),
                         params_at(pt, pt->data, m->lstm_bih),
                         params_at(pt, pt->data, m->lstm_bhh));
        break;
    }
    }
}

/* d_video (Bl, T, D) -> d_frame (Bl, T, D) and the heads' parameter gradients. */
static void agg_backward(DrlModel *m, int Bl) {
    const DrlOps *ops = m->ops;
    const int T = m->T, D = m->D;
    const size_t n = (size_t)Bl * T * D;
    switch (m->h.agg) {
    case HEAD_AGG_NONE:
        ops->copy(m->d_frame, m->d_video, n * sizeof(float));
        break;
    case HEAD_AGG_SEQTRANSF: {
        ops->copy(m->d_frame, m->d_video, n * sizeof(float));
        ops->copy(m->agg_x, m->d_video, n * sizeof(float));
        transformer_bwd(&m->agg_tf, ops, &m->pt, m->agg_x, Bl, T); /* agg_x := d(input) */
        ops->add(m->d_frame, m->d_frame, m->agg_x, n);
        float *dE = params_at(&m->pt, m->pt.grad, m->frame_pos); // (ctx, D)
        for (int b = 0; b < Bl; b++)
            ops->add(dE, dE, m->agg_x + (size_t)b * T * D, (size_t)T * D);
        break;
    }
    case HEAD_AGG_SEQLSTM: {
        const ParamTable *pt = &m->pt;
        ops->zero(m->d_frame, n * sizeof(float));
        lstm_agg_backward(
            &m->lstm, ops, m->hk, m->d_frame, params_at(pt, pt->grad, m->lstm_wih),
            params_at(pt, pt->grad, m->lstm_whh), params_at(pt, pt->grad, m->lstm_bih),
            params_at(pt, pt->grad, m->lstm_bhh), m->d_video, params_at(pt, pt->data, m->lstm_wih),
            params_at(pt, pt->data, m->lstm_whh));
        break;
    }
    }
}

/* ---- encoding for evaluation ---------------------------------------------- */

void drl_encode(DrlModel *m, const DrlBatch *bt, float *text_out, float *video_out) {
    const DrlOps *ops = m->ops;
    const int Bl = bt->B, L = m->L, T = m->T, D = m->D;
    drlCheck(Bl >= 1 && Bl <= m->max_local, "batch larger than the model was allocated for");
    clip_text_fwd(&m->clip, ops, &m->pt, bt->ids, Bl, L, m->text_feat);
    clip_vision_fwd(&m->clip, ops, &m->pt, bt->video, Bl * T, m->frame_feat);
    agg_forward(m, bt->video_mask, Bl);
    ops->copy(text_out, m->text_feat, sizeof(float) * (size_t)Bl * L * D);
    ops->copy(video_out, m->video_feat, sizeof(float) * (size_t)Bl * T * D);
}

static DrlTokenwise tokenwise_args(const DrlModel *m, int Bg) {
    DrlTokenwise tw = {.Bt = Bg,
                       .Bv = Bg,
                       .L = m->L,
                       .T = m->T,
                       .D = m->D,
                       .tn = m->tn,
                       .tm = m->tm_g,
                       .vn = m->vn,
                       .vm = m->vm_g,
                       .wt = m->wt,
                       .wv = m->wv,
                       .t2v_max = m->t2v_max,
                       .t2v_arg = m->t2v_arg,
                       .v2t_max = m->v2t_max,
                       .v2t_arg = m->v2t_arg,
                       .ws = m->tw_ws};
    return tw;
}

/* What CDCR's row choice needs on the host: CDCR 1's picks, the argmaxima
 * of the diagonal pairs (a, a) for variants 2 and 3. */
static void download_cdcr_inputs(DrlModel *m, const DrlBatch *bt, int Bg) {
    const DrlOps *ops = m->ops;
    DrlHost *h = &m->host;
    const int L = m->L, T = m->T;
    if (bt->cdcr_text_pick) {
        ops->to_host(h->pick_t, bt->cdcr_text_pick, sizeof(int32_t) * (size_t)Bg);
        ops->to_host(h->pick_v, bt->cdcr_video_pick, sizeof(int32_t) * (size_t)Bg);
    }
    if (m->h.interaction == HEAD_DP || m->h.cdcr < 2) return;
    for (int a = 0; a < Bg; a++) {
        const size_t aa = (size_t)a * Bg + a;
        ops->to_host(h->targ + (size_t)a * L, m->t2v_arg + aa * L, sizeof(int16_t) * L);
        ops->to_host(h->varg + (size_t)a * T, m->v2t_arg + aa * T, sizeof(int16_t) * T);
    }
}

/* The symmetric InfoNCE (§5) through the head kernels, in backend memory
 * (m->sim, the logits, m->dsim). Returns the loss; adds dL/dlogit_scale to
 * *dls. */
static double clip_loss(DrlModel *m, int Bg, float e, int backward, double *dls) {
    DrlClipLoss cl = {.B = Bg,
                      .e = e,
                      .sim = m->sim,
                      .logits_t2v = m->logits_t2v,
                      .logits_v2t = m->logits_v2t,
                      .sim_vt = m->sim_vt,
                      .dsim = backward ? m->dsim : NULL,
                      .result = m->loss_result,
                      .ws = m->loss_ws};
    m->hk->clip_loss(&cl);
    double r[2];
    m->ops->to_host(r, m->loss_result, sizeof r);
    *dls += r[1];
    return r[0];
}

/* ---- the step ------------------------------------------------------------- */

DrlLosses drl_step(DrlModel *m, const DrlBatch *bt, int backward) {
    const DrlOps *ops = m->ops;
    ParamTable *pt = &m->pt;
    DrlHost *h = &m->host;
    const int Bl = bt->B, world = m->comm->world, rank = m->comm->rank;
    const int Bg = Bl * world, L = m->L, T = m->T, D = m->D;
    const HeadInteraction inter = m->h.interaction;
    const int tokenwise = inter == HEAD_TI || inter == HEAD_WTI;
    const int cdcr = m->h.cdcr != 0 && m->h.lambda != 0.0f;
    drlCheck(Bl >= 1 && Bl <= m->max_local, "batch larger than the model was allocated for");
    drlCheck(m->hk != NULL, "no head kernels for this op table: call drl_model_set_head_kernels");
    drlCheck(!(cdcr && inter == HEAD_XTI), "CDCR is defined for dp, ti and wti, not xti");
    if (backward) ops->zero(pt->grad, sizeof(float) * pt->total);

    /* towers */
    clip_text_fwd(&m->clip, ops, pt, bt->ids, Bl, L, m->text_feat);
    clip_vision_fwd(&m->clip, ops, pt, bt->video, Bl * T, m->frame_feat);
    agg_forward(m, bt->video_mask, Bl);

    /* gather (§9) */
    comm_allgather_f32(m->comm, m->text_feat, m->tf_g, (size_t)Bl * L * D);
    comm_allgather_f32(m->comm, m->video_feat, m->vf_g, (size_t)Bl * T * D);
    comm_allgather_i32(m->comm, bt->text_mask, m->tm_g, (size_t)Bl * L);
    comm_allgather_i32(m->comm, bt->video_mask, m->vm_g, (size_t)Bl * T);
    ops->to_host(h->tm, m->tm_g, sizeof(int32_t) * (size_t)Bg * L);
    ops->to_host(h->vm, m->vm_g, sizeof(int32_t) * (size_t)Bg * T);

    float ls = 0.0f;
    ops->to_host(&ls, params_at(pt, pt->data, m->clip.logit_scale), sizeof(float));
    const float e = expf(ls);
    const size_t BB = (size_t)Bg * Bg;
    double dls = 0.0;
    DrlLosses out = {0};
    if (backward) {
        ops->zero(m->d_tf_g, sizeof(float) * (size_t)Bg * L * D);
        ops->zero(m->d_vf_g, sizeof(float) * (size_t)Bg * T * D);
        ops->zero(m->d_wt, sizeof(float) * (size_t)Bg * L);
        ops->zero(m->d_wv, sizeof(float) * (size_t)Bg * T);
        if (tokenwise) {
            ops->zero(m->d_tn, sizeof(float) * (size_t)Bg * L * D);
            ops->zero(m->d_vn, sizeof(float) * (size_t)Bg * T * D);
        }
        if (inter != HEAD_XTI) ops->zero(m->dsim, sizeof(float) * BB);
    }
    memset(h->dsim, 0, sizeof(float) * BB);
    DrlTokenwise tw = tokenwise_args(m, Bg);

    if (inter == HEAD_XTI) {
        out.loss_sim = xti_forward_backward(m, Bg, e, backward, &dls);
    } else {
        /* similarity */
        if (inter == HEAD_DP) {
            drl_dp_forward(&m->dp, ops, m->sim, m->tf_g, h->tm, m->vf_g, m->vm_g, Bg, L, T, D);
        } else {
            if (inter == HEAD_WTI) {
                weight_branch_fwd(&m->wb_text, ops, pt, m->tf_g, m->tm_g, Bg, L, m->wt);
                weight_branch_fwd(&m->wb_video, ops, pt, m->vf_g, m->vm_g, Bg, T, m->wv);
            } else {
                ti_uniform_weights(h->wt, h->tm, Bg, L);
                ti_uniform_weights(h->wv, h->vm, Bg, T);
                ops->to_device(m->wt, h->wt, sizeof(float) * (size_t)Bg * L);
                ops->to_device(m->wv, h->wv, sizeof(float) * (size_t)Bg * T);
            }
            ops->l2norm_fwd(m->tn, m->tn_norm, m->tf_g, Bg * L, D);
            ops->l2norm_fwd(m->vn, m->vn_norm, m->vf_g, Bg * T, D);
            m->hk->tokenwise_fwd(&tw, m->sim);
        }
        /* symmetric InfoNCE (§5) */
        out.loss_sim = clip_loss(m, Bg, e, backward, &dls);
    }
    if (inter == HEAD_XTI) { /* the host island's similarity, logits and sim^T */
        ops->to_device(m->sim, h->sim, sizeof(float) * BB);
        ops->to_device(m->sim_vt, h->sim_vt, sizeof(float) * BB);
        ops->to_device(m->logits_t2v, h->logits_t2v, sizeof(float) * BB);
        ops->to_device(m->logits_v2t, h->logits_v2t, sizeof(float) * BB);
    }

    /* CDCR (§6): gradients on the normalised features (and weights) */
    CdcrGrads g = {0};
    if (cdcr) {
        download_cdcr_inputs(m, bt, Bg);
        if (backward && inter == HEAD_DP) {
            g.dt = m->dp.dt, g.dv = m->dp.dv; /* zeroed by drl_dp_forward */
        } else if (backward) {
            g.dtn = m->d_tn, g.dvn = m->d_vn, g.dwt = m->d_wt, g.dwv = m->d_wv;
        }
        out.loss_cdcr = drl_cdcr(m, Bg, bt->cdcr_text_pick ? h->pick_t : NULL,
                                 bt->cdcr_video_pick ? h->pick_v : NULL, backward, &g);
    }
    out.loss = out.loss_sim + (double)m->h.lambda * out.loss_cdcr;

    if (backward) {
        if (inter == HEAD_DP)
            drl_dp_backward(&m->dp, ops, m->d_tf_g, m->d_vf_g, m->dsim, m->vm_g, Bg, T, D);
        if (tokenwise) {
            const int wti = inter == HEAD_WTI;
            m->hk->tokenwise_bwd(&tw, m->dsim, m->d_tn, m->d_vn, wti ? m->d_wt : NULL,
                                 wti ? m->d_wv : NULL);
            ops->l2norm_bwd(m->d_tf_g, m->d_tn, m->tn, m->tn_norm, Bg * L, D);
            ops->l2norm_bwd(m->d_vf_g, m->d_vn, m->vn, m->vn_norm, Bg * T, D);
            if (wti) {
                weight_branch_bwd(&m->wb_text, ops, pt, m->tf_g, m->wt, m->d_wt, Bg, L, m->d_tf_g);
                weight_branch_bwd(&m->wb_video, ops, pt, m->vf_g, m->wv, m->d_wv, Bg, T, m->d_vf_g);
            }
        }
        const float gls = (float)dls;
        drl_host_add_grad(h, ops, pt, m->clip.logit_scale, &gls);

        /* the gather's backward keeps the local slice (§9) */
        ops->copy(m->d_text, m->d_tf_g + (size_t)rank * Bl * L * D, sizeof(float) * Bl * L * D);
        ops->copy(m->d_video, m->d_vf_g + (size_t)rank * Bl * T * D, sizeof(float) * Bl * T * D);
        agg_backward(m, Bl);
        clip_vision_bwd(&m->clip, ops, pt, m->d_frame, Bl * T);
        clip_text_bwd(&m->clip, ops, pt, m->d_text, Bl, L);
    }
    m->last = out;
    return out;
}
