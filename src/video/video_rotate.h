/* Autorotation as the ffmpeg 5.1 CLI does it: the stream's display matrix
 * gives theta = -rotation (degrees, normalised to [0, 360)); 90 inserts
 * transpose=clock, 180 hflip+vflip, 270 transpose=cclock. The transforms run
 * on the decoded (YUV) planes before the RGB conversion, as in the CLI's
 * filter graph, when the pixel format allows it (8-bit planar with equal
 * horizontal and vertical chroma subsampling — the formats vf_transpose
 * accepts); otherwise on the RGB result. */
#ifndef DRL_VIDEO_VIDEO_ROTATE_H
#define DRL_VIDEO_VIDEO_ROTATE_H

#include <libavformat/avformat.h>
#include <stdint.h>

/* 0, 90, 180 or 270 (clockwise turns needed to show the stream upright);
 * another angle gives -1 (the caller warns and leaves the frames as they are). */
int video_stream_rotation(const AVStream *st);

/* Whether rotate_frame_planes() handles this pixel format. */
int rotate_planes_supported(enum AVPixelFormat fmt);

/* src decoded frame -> dst (a fresh frame of the rotated size, same format). */
int rotate_frame_planes(const AVFrame *src, int rotation, AVFrame *dst);

/* RGB24: src (h, w, 3) -> dst (h', w', 3) rotated clockwise by rotation. */
void rotate_rgb(const uint8_t *src, int w, int h, int rotation, uint8_t *dst);

#endif
