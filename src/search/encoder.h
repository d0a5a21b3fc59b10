/* The trained model as the tools (drl_viz, drl_index, drl_search) use it:
 * a configuration plus a checkpoint, the towers and the aggregation in
 * evaluation mode, and the inputs built the way the evaluation loader builds
 * them (spec/data.md §2-3): [SOT] + ids[:L-2] + [EOT] for a caption, the
 * loader's frame positions for a video, 8-bit frames normalised here. */
#ifndef DRL_SEARCH_ENCODER_H
#define DRL_SEARCH_ENCODER_H

#include <stddef.h>
#include <stdint.h>

#include "comm/comm.h"
#include "config/config.h"
#include "drl/drl_model.h"
#include "store/store.h"
#include "tokenizer/tokenizer.h"

typedef struct {
    DrlConfig cfg; /* the configuration, init_model = the checkpoint used */
    DrlModel m;
    int L, T, D, R;
    int max_local;                   /* videos per drl_encode call */
    int32_t *dummy_ids, *dummy_mask; /* (max_local, L) [SOT, EOT] texts for video-only batches */
} Encoder;

/* The checkpoint a configuration's tools use: `explicit` when given, else
 * <run.output_dir>/ckpt/best.h5, else .../last.h5, else model.init_model,
 * else "" when model.pretrained_clip is set (zero-shot). -1 with err when
 * there is nothing to load. */
int encoder_resolve_checkpoint(const DrlConfig *cfg, const char *explicit_ckpt, char *out,
                               size_t outlen, char *err, size_t errlen);

/* Builds the model of cfg with the weights of `checkpoint` ("" = as cfg
 * says) for up to max_local videos per call; sets OpenMP threads from
 * run.threads. comm must outlive the encoder. */
int encoder_open(Encoder *e, const DrlConfig *cfg, const char *checkpoint, const DrlComm *comm,
                 int max_local, char *err, size_t errlen);
void encoder_close(Encoder *e);

/* Caption -> model input ids (L), mask (L); returns the real length (SOT and
 * EOT included) or -1 with err. *raw / *nraw (optional) receive the BPE ids
 * without SOT/EOT (malloc'ed, caller frees). */
int encoder_caption_input(Tokenizer *tok, const char *caption, int L, int32_t *ids, int32_t *mask,
                          int32_t **raw, int *nraw, char *err, size_t errlen);

/* Text features out (B, L, D) of ids (B, L) (the text tower; B <= max_local). */
void encoder_text(Encoder *e, const int32_t *ids, int B, float *out);

/* Video v of the store as the evaluation loader serves it: frames (T, R, R, 3)
 * uint8 zero padded, mask (T). Returns the number of real frames (0 for a
 * failed video) or -1 with err. */
int encoder_read_video(const Store *s, int64_t v, int T, int R, uint8_t *frames, int32_t *mask,
                       char *err, size_t errlen);

/* Frame features after aggregation out (B, T, D) of frames (B, T, R, R, 3) and
 * masks (B, T); B <= max_local. */
void encoder_videos(Encoder *e, const uint8_t *frames, const int32_t *mask, int B, float *out);

/* Pooled dp video vectors (spec/model.md §4): v (B, D) = normalised masked
 * mean of the normalised frames of vf (B, T, D), mask (B, T). */
void encoder_pool_videos(const float *vf, const int32_t *mask, int B, int T, int D, float *v);
/* dp text vector t (D) = normalised tf[len - 1] of tf (L, D), mask (L). */
void encoder_pool_text(const float *tf, const int32_t *mask, int L, int D, float *t);

/* Token weights of texts tf (B, L, D) / videos vf (B, K, D): the WTI weight
 * branches, or uniform over the mask for ti (other interactions: uniform). */
void encoder_text_weights(Encoder *e, const float *tf, const int32_t *mask, int B, float *w);
void encoder_video_weights(Encoder *e, const float *vf, const int32_t *mask, int B, float *w);

#endif
