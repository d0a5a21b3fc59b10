/* Video decoding with FFmpeg's libraries, reference semantics of
 * spec/data.md §2: average frame rate, frames numbered in presentation order,
 * rotated upright, RGB24 through libswscale, keep frames 0, s, 2s, ... with
 * s = round_half_even(fps / target_fps) (0 -> 1). */
#ifndef DRL_VIDEO_VIDEO_DECODE_H
#define DRL_VIDEO_VIDEO_DECODE_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint8_t *rgb;      /* (count, height, width, 3) kept frames, RGB24 */
    int count;         /* kept frames */
    int width, height; /* after rotation */
    double fps;        /* the stream's average frame rate */
    int total_frames;  /* frames decoded (n) */
    int stride;
} DecodedVideo;

/* Returns 0 on success; on failure -1 with a reason in err (missing file,
 * no video stream, truncated, undecodable, no frame). */
int video_decode_sampled(const char *path, double target_fps, DecodedVideo *out, char *err,
                         size_t errlen);
void decoded_video_free(DecodedVideo *v);

/* As video_decode_sampled, with the warning of a successful decode kept apart:
 * on success warn is "" or says what went wrong while some frames still came
 * out (truncated or damaged file, packets that failed to decode, a frame rate
 * taken from r_frame_rate, an odd rotation angle left as is). On failure err
 * holds the reason, e.g. "missing file", "no video stream", "no frame decoded:
 * ...". video_decode_sampled(path, fps, out, err, n) is this call with
 * warn = err: on success err then holds the warning or "". */
int video_decode_sampled_ex(const char *path, double target_fps, DecodedVideo *out, char *err,
                            size_t errlen, char *warn, size_t warnlen);

/* The stride rule alone: round_half_even(fps / target_fps), 1 when that is 0. */
int video_sampling_stride(double fps, double target_fps);

#endif
