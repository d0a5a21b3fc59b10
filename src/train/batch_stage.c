#include "train/batch_stage.h"

#include <string.h>

#include "common/check.h"

void batch_stage_init(BatchStage *s, const RunBackend *be, const DrlModel *m, int max_b) {
    memset(s, 0, sizeof *s);
    s->be = be;
    s->max_b = max_b, s->L = m->L, s->T = m->T, s->R = m->R;
    const DrlOps *ops = be->ops;
    const size_t B = (size_t)(max_b > 0 ? max_b : 1), L = (size_t)m->L, T = (size_t)m->T;
    const size_t frame_bytes = B * T * (size_t)m->R * (size_t)m->R * 3;
    s->ids = ops->alloc(B * L * sizeof(int32_t));
    s->text_mask = ops->alloc(B * L * sizeof(int32_t));
    s->video_mask = ops->alloc(B * T * sizeof(int32_t));
    s->frames = ops->alloc(frame_bytes);
    s->bytes = 2 * B * L * sizeof(int32_t) + B * T * sizeof(int32_t) + frame_bytes;
}

void batch_stage_free(BatchStage *s) {
    if (!s->be) return;
    const DrlOps *ops = s->be->ops;
    ops->free(s->ids), ops->free(s->text_mask), ops->free(s->video_mask), ops->free(s->frames);
    memset(s, 0, sizeof *s);
}

void batch_stage_upload(BatchStage *s, DrlModel *m, const LoaderBatch *b, DrlBatch *out) {
    drlCheck(b->B <= s->max_b && b->L == s->L && b->T == s->T && b->R == s->R,
             "a loader batch larger than the staging buffers (or of other L, T, R)");
    const DrlOps *ops = s->be->ops;
    const size_t B = (size_t)b->B, L = (size_t)b->L, T = (size_t)b->T, R = (size_t)b->R;
    ops->to_device(s->ids, b->text, B * L * sizeof(int32_t));
    ops->to_device(s->text_mask, b->text_mask, B * L * sizeof(int32_t));
    ops->to_device(s->video_mask, b->video_mask, B * T * sizeof(int32_t));
    ops->to_device(s->frames, b->frames, B * T * R * R * 3);
    s->be->normalise_frames(m->video_norm, s->frames, s->video_mask, (int64_t)(B * T), b->R);
    memset(out, 0, sizeof *out);
    out->B = b->count;
    out->ids = s->ids;
    out->text_mask = s->text_mask;
    out->video = m->video_norm;
    out->video_mask = s->video_mask;
}
