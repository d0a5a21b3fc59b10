/* One DRL step: towers, aggregation, gather, interaction, loss, CDCR, and the
 * whole backward (spec/model.md §3-§6, §9). The heads run on host memory
 * (CPU backend). */
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
    const int T = m->T, D = m->D;
    const size_t n = (size_t)Bl * T * D;
    switch (m->h.agg) {
    case HEAD_AGG_NONE: ops->copy(m->video_feat, m->frame_feat, n * sizeof(float)); break;
    case HEAD_AGG_SEQTRANSF: {
        const float *E = params_at(&m->pt, m->pt.data, m->frame_pos); // (ctx, D), rows 0..T-1 used
        for (int b = 0; b < Bl; b++)
            ops->add(m->agg_x + (size_t)b * T * D, m->frame_feat + (size_t)b * T * D, E,
                     (size_t)T * D);
        for (int k = 0; k < Bl * T; k++) m->keymask[k] = (1.0f - (float)vm[k]) * DRL_KEY_MASK_NEG;
        transformer_fwd(&m->agg_tf, ops, &m->pt, m->agg_x, m->keymask, Bl, T);
        ops->add(m->video_feat, m->frame_feat, m->agg_x, n);
        break;
    }
    case HEAD_AGG_SEQLSTM:
        m->lstm.B = Bl;
        lstm_agg_forward(&m->lstm, m->video_feat, m->frame_feat, vm,
                         params_at(&m->pt, m->pt.data, m->lstm_wih),
                         params_at(&m->pt, m->pt.data, m->lstm_whh),
                         params_at(&m->pt, m->pt.data, m->lstm_bih),
                         params_at(&m->pt, m->pt.data, m->lstm_bhh));
        break;
    }
}

/* d_video (Bl, T, D) -> d_frame (Bl, T, D) and the heads' parameter gradients. */
static void agg_backward(DrlModel *m, int Bl) {
    const DrlOps *ops = m->ops;
    const int T = m->T, D = m->D;
    const size_t n = (size_t)Bl * T * D;
    switch (m->h.agg) {
    case HEAD_AGG_NONE: ops->copy(m->d_frame, m->d_video, n * sizeof(float)); break;
    case HEAD_AGG_SEQTRANSF: {
        ops->copy(m->d_frame, m->d_video, n * sizeof(float));
        ops->copy(m->agg_x, m->d_video, n * sizeof(float));
        transformer_bwd(&m->agg_tf, ops, &m->pt, m->agg_x, Bl, T); /* agg_x := d(input) */
        ops->add(m->d_frame, m->d_frame, m->agg_x, n);
        float *dE = params_at(&m->pt, m->pt.grad, m->frame_pos); // (ctx, D)
        for (int b = 0; b < Bl; b++) ops->add(dE, dE, m->agg_x + (size_t)b * T * D, (size_t)T * D);
        break;
    }
    case HEAD_AGG_SEQLSTM:
        ops->zero(m->d_frame, n * sizeof(float));
        lstm_agg_backward(&m->lstm, m->d_frame, params_at(&m->pt, m->pt.grad, m->lstm_wih),
                          params_at(&m->pt, m->pt.grad, m->lstm_whh),
                          params_at(&m->pt, m->pt.grad, m->lstm_bih),
                          params_at(&m->pt, m->pt.grad, m->lstm_bhh), m->d_video, m->frame_feat,
                          params_at(&m->pt, m->pt.data, m->lstm_wih),
                          params_at(&m->pt, m->pt.data, m->lstm_whh));
        break;
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

/* ---- the step ------------------------------------------------------------- */

DrlLosses drl_step(DrlModel *m, const DrlBatch *bt, int backward) {
    const DrlOps *ops = m->ops;
    ParamTable *pt = &m->pt;
    const int Bl = bt->B, world = m->comm->world, rank = m->comm->rank;
    const int Bg = Bl * world, L = m->L, T = m->T, D = m->D;
    drlCheck(Bl >= 1 && Bl <= m->max_local, "batch larger than the model was allocated for");
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

    const float ls = *params_at(pt, pt->data, m->clip.logit_scale);
    const float e = expf(ls);
    float *dZ = callocCheck((size_t)Bg * Bg, sizeof(float));    // (Bg, Bg)
    float *dsim = callocCheck((size_t)Bg * Bg, sizeof(float));  // (Bg, Bg)
    double dls = 0.0;
    DrlLosses out = {0};
    if (backward) {
        ops->zero(m->d_tf_g, sizeof(float) * (size_t)Bg * L * D);
        ops->zero(m->d_vf_g, sizeof(float) * (size_t)Bg * T * D);
        ops->zero(m->d_wt, sizeof(float) * (size_t)Bg * L);
        ops->zero(m->d_wv, sizeof(float) * (size_t)Bg * T);
    }

    if (m->h.interaction == HEAD_XTI) {
        out.loss_sim = xti_forward_backward(m, Bg, e, backward, &dls);
    } else {
        /* similarity */
        if (m->h.interaction == HEAD_DP) {
            dp_forward(&m->dp, m->sim, m->tf_g, m->tm_g, m->vf_g, m->vm_g);
        } else {
            if (m->h.interaction == HEAD_WTI) {
                weight_branch_fwd(&m->wb_text, ops, pt, m->tf_g, m->tm_g, Bg, L, m->wt);
                weight_branch_fwd(&m->wb_video, ops, pt, m->vf_g, m->vm_g, Bg, T, m->wv);
            } else {
                ti_uniform_weights(m->wt, m->tm_g, Bg, L);
                ti_uniform_weights(m->wv, m->vm_g, Bg, T);
            }
            m->tw.Bt = m->tw.Bv = Bg;
            tokenwise_forward(&m->tw, m->sim, m->tf_g, m->tm_g, m->vf_g, m->vm_g, m->wt, m->wv);
        }
        /* symmetric InfoNCE (§5) */
        double ce_t = scaled_ce_loss(m->sim, m->logits_t2v, dZ, backward ? dsim : NULL, &dls, Bg, e,
                                0.5f, 0);
        double ce_v = scaled_ce_loss(m->sim, m->logits_v2t, dZ, backward ? dsim : NULL, &dls, Bg, e,
                                0.5f, 1);
        out.loss_sim = ce_t + ce_v; /* each already weighted by 1/2 */
    }

    /* CDCR (§6) and the heads' backward */
    float *dtn = NULL, *dvn = NULL; // direct gradients on normalised features from CDCR
    if (m->h.cdcr != 0 && m->h.lambda != 0.0f) {
        CdcrGrads g = {0};
        out.loss_cdcr = drl_cdcr(m, Bg, bt->cdcr_text_pick, bt->cdcr_video_pick, backward, &g);
        dtn = g.dtn, dvn = g.dvn;
        if (m->h.interaction == HEAD_DP && backward) {
            dp_backward(&m->dp, m->d_tf_g, m->d_vf_g, dsim, g.dt, g.dv, m->tm_g, m->vm_g);
            free(g.dt), free(g.dv);
        }
    } else if (m->h.interaction == HEAD_DP && backward) {
        dp_backward(&m->dp, m->d_tf_g, m->d_vf_g, dsim, NULL, NULL, m->tm_g, m->vm_g);
    }
    out.loss = out.loss_sim + (double)m->h.lambda * out.loss_cdcr;

    if (backward) {
        if (m->h.interaction == HEAD_TI || m->h.interaction == HEAD_WTI) {
            const int wti = m->h.interaction == HEAD_WTI;
            tokenwise_backward(&m->tw, m->d_tf_g, m->d_vf_g, wti ? m->d_wt : NULL,
                               wti ? m->d_wv : NULL, dsim, dtn, dvn, m->tm_g, m->vm_g, m->wt,
                               m->wv);
            if (wti) {
                weight_branch_bwd(&m->wb_text, ops, pt, m->tf_g, m->wt, m->d_wt, Bg, L, m->d_tf_g);
                weight_branch_bwd(&m->wb_video, ops, pt, m->vf_g, m->wv, m->d_wv, Bg, T,
                                  m->d_vf_g);
            }
        }
        *params_at(pt, pt->grad, m->clip.logit_scale) += (float)dls;

        /* the gather's backward keeps the local slice (§9) */
        ops->copy(m->d_text, m->d_tf_g + (size_t)rank * Bl * L * D, sizeof(float) * Bl * L * D);
        ops->copy(m->d_video, m->d_vf_g + (size_t)rank * Bl * T * D, sizeof(float) * Bl * T * D);
        agg_backward(m, Bl);
        clip_vision_bwd(&m->clip, ops, pt, m->d_frame, Bl * T);
        clip_text_bwd(&m->clip, ops, pt, m->d_text, Bl, L);
    }
    free(dtn), free(dvn), free(dZ), free(dsim);
    m->last = out;
    return out;
}
