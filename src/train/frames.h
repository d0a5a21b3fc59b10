/* Pixel normalisation of 8-bit frames (spec/data.md §2 step 3), the part of
 * preprocessing that runs in the training step: in (N, R, R, 3) uint8 RGB ->
 * out (N, 3, R, R) float, (x / 255 - mean[c]) / std[c]. */
#ifndef DRL_TRAIN_FRAMES_H
#define DRL_TRAIN_FRAMES_H

#include <stdint.h>

#define CLIP_MEAN_R 0.48145466f
#define CLIP_MEAN_G 0.4578275f
#define CLIP_MEAN_B 0.40821073f
#define CLIP_STD_R 0.26862954f
#define CLIP_STD_G 0.26130258f
#define CLIP_STD_B 0.27577711f

/* Padded frames (video_mask 0) must be zeros of the normalised input, not a
 * black image (spec/model.md §3): pass mask (N) to zero them, or NULL. */
void frames_normalise(float *out, const uint8_t *in, const int32_t *mask, int64_t N, int R);

#endif
