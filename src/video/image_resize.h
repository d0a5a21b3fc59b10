/* Pillow-exact BICUBIC resize (shorter side to R, torchvision 0.9 rule) and
 * centre crop R x R (spec/data.md §2 steps 1-2), on 8-bit RGB. */
#ifndef DRL_VIDEO_IMAGE_RESIZE_H
#define DRL_VIDEO_IMAGE_RESIZE_H

#include <stdint.h>

/* Output size of the shorter-side resize: (*ow, *oh). */
void resize_shorter_side_size(int w, int h, int R, int *ow, int *oh);

/* Pillow's ImagingResample with BICUBIC (a = -0.5), antialiased:
 * src (h, w, 3) -> dst (oh, ow, 3). */
void image_resize_bicubic(const uint8_t *src, int w, int h, uint8_t *dst, int ow, int oh);

/* Shorter side to R, then centre crop: src (h, w, 3) -> dst (R, R, 3). */
void image_resize_crop(const uint8_t *src, int w, int h, int R, uint8_t *dst);

#endif
