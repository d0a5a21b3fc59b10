/* Writes RGB frames as an MP4 file through libavcodec/libavformat: libx264
 * (CRF 18, one thread, so the bytes are deterministic) when FFmpeg has it,
 * else the built-in mpeg4 encoder; yuv420p; constant frame rate. */
#ifndef DRL_VIDEO_MP4_WRITE_H
#define DRL_VIDEO_MP4_WRITE_H

#include <stddef.h>
#include <stdint.h>

/* frames (n, h, w, 3) RGB24, w and h even. Returns 0, or -1 with a reason. */
int mp4_write_rgb(const char *path, const uint8_t *frames, int n, int w, int h, int fps, char *err,
                  size_t errlen);

/* The encoder mp4_write_rgb uses ("libx264" or "mpeg4"). */
const char *mp4_encoder_name(void);

#endif
