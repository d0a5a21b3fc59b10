/* Decoded frame -> RGB24 with libswscale, set up as the ffmpeg 5.1 CLI's
 * auto-inserted `scale` filter does it (flags=bicubic, the frame's colour
 * matrix and range, MPEG-2 vertical chroma position for yuv420p); no resizing. */
#ifndef DRL_VIDEO_VIDEO_CONVERT_H
#define DRL_VIDEO_VIDEO_CONVERT_H

#include <libavutil/frame.h>
#include <stdint.h>

typedef struct {
    struct SwsContext *sws;
    int width, height, format; /* the input the context was made for */
    AVFrame *rgb;              /* aligned RGB24 scratch frame (height, width, 3) */
} RgbConverter;

/* frame -> dst (frame->height, frame->width, 3), tightly packed.
 * Returns 0, or a negative AVERROR. */
int rgb_convert(RgbConverter *c, const AVFrame *frame, uint8_t *dst);
void rgb_converter_free(RgbConverter *c);

#endif
