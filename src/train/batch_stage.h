/* A loader batch (host memory) staged in backend memory for drl_step /
 * drl_encode: token ids and masks uploaded with ops->to_device, the uint8
 * frames uploaded as they are and normalised in backend memory (padded
 * frames become zeros of the normalised input, spec/model.md §3) into the
 * model's video_norm buffer. On the CPU backend the uploads are copies and
 * the normalisation is train/frames.c, so the same code path runs. */
#ifndef DRL_TRAIN_BATCH_STAGE_H
#define DRL_TRAIN_BATCH_STAGE_H

#include <stddef.h>
#include <stdint.h>

#include "drl/drl_model.h"
#include "loader/loader.h"
#include "train/run_backend.h"

typedef struct {
    const RunBackend *be;
    int max_b, L, T, R;
    int32_t *ids;        // (max_b, L) backend
    int32_t *text_mask;  // (max_b, L) backend
    int32_t *video_mask; // (max_b, T) backend
    uint8_t *frames;     // (max_b * T, R, R, 3) backend
    size_t bytes;        /* backend bytes held */
} BatchStage;

/* Buffers for up to max_b pairs of the model's L, T, R. */
void batch_stage_init(BatchStage *s, const RunBackend *be, const DrlModel *m, int max_b);
void batch_stage_free(BatchStage *s);
/* Uploads b and normalises its frames into m->video_norm; *out points at
 * backend memory (B = b->count real pairs; the frames of all b->B rows are
 * normalised). The CDCR picks are left NULL (the model's generator draws). */
void batch_stage_upload(BatchStage *s, DrlModel *m, const LoaderBatch *b, DrlBatch *out);

#endif
