/* Autorotation of decoded frames (see video_rotate.h). */
#include "video/video_rotate.h"

#include "common/check.h"

#include <libavutil/display.h>
#include <libavutil/pixdesc.h>
#include <math.h>

int video_stream_rotation(const AVStream *st) {
    const uint8_t *m = av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, NULL);
    if (!m) return 0;
    double theta = -round(av_display_rotation_get((const int32_t *)m));
    if (isnan(theta)) return 0;
    theta -= 360 * floor(theta / 360 + 0.9 / 360);
    if (fabs(theta - 90) < 1.0) return 90;
    if (fabs(theta - 180) < 1.0) return 180;
    if (fabs(theta - 270) < 1.0) return 270;
    if (fabs(theta) < 1.0 || fabs(theta - 360) < 1.0) return 0;
    return -1;
}

int rotate_planes_supported(enum AVPixelFormat fmt) {
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(fmt);
    if (!d) return 0;
    if (d->flags & (AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_HWACCEL | AV_PIX_FMT_FLAG_BITSTREAM))
        return 0;
    if (!(d->flags & AV_PIX_FMT_FLAG_PLANAR) && d->nb_components > 1) return 0;
    if (d->log2_chroma_w != d->log2_chroma_h) return 0;
    for (int c = 0; c < d->nb_components; c++)
        if (d->comp[c].depth != 8 || d->comp[c].step != 1 || d->comp[c].shift != 0) return 0;
    return 1;
}

/* One 8-bit plane: src (h, w) -> dst rotated clockwise by rotation. */
static void rotate_plane(const uint8_t *src, int src_ls, int w, int h, int rotation, uint8_t *dst,
                         int dst_ls) {
    if (rotation == 90) { /* transpose=clock: dst (w, h) */
        for (int y = 0; y < w; y++)
            for (int x = 0; x < h; x++)
                dst[y * dst_ls + x] = src[(h - 1 - x) * src_ls + y];
    } else if (rotation == 270) { /* transpose=cclock: dst (w, h) */
        for (int y = 0; y < w; y++)
            for (int x = 0; x < h; x++)
                dst[y * dst_ls + x] = src[x * src_ls + (w - 1 - y)];
    } else { /* 180: hflip + vflip, dst (h, w) */
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                dst[y * dst_ls + x] = src[(h - 1 - y) * src_ls + (w - 1 - x)];
    }
}

int rotate_frame_planes(const AVFrame *src, int rotation, AVFrame *dst) {
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(src->format);
    int swap = rotation == 90 || rotation == 270;
    dst->format = src->format;
    dst->width = swap ? src->height : src->width;
    dst->height = swap ? src->width : src->height;
    int rc = av_frame_get_buffer(dst, 32);
    if (rc < 0) return rc;
    rc = av_frame_copy_props(dst, src);
    if (rc < 0) return rc;
    int planes = av_pix_fmt_count_planes(src->format);
    for (int p = 0; p < planes; p++) {
        int chroma = (p == 1 || p == 2) && !(d->flags & AV_PIX_FMT_FLAG_RGB);
        int pw = chroma ? AV_CEIL_RSHIFT(src->width, d->log2_chroma_w) : src->width;
        int ph = chroma ? AV_CEIL_RSHIFT(src->height, d->log2_chroma_h) : src->height;
        rotate_plane(src->data[p], src->linesize[p], pw, ph, rotation, dst->data[p],
                     dst->linesize[p]);
    }
    return 0;
}

void rotate_rgb(const uint8_t *src, int w, int h, int rotation, uint8_t *dst) {
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            size_t o;
            if (rotation == 90) /* pixel (x, y) lands at row x, column h-1-y of (w, h) */
                o = ((size_t)x * h + (h - 1 - y)) * 3;
            else if (rotation == 270)
                o = ((size_t)(w - 1 - x) * h + y) * 3;
            else if (rotation == 180)
                o = ((size_t)(h - 1 - y) * w + (w - 1 - x)) * 3;
            else
                o = ((size_t)y * w + x) * 3;
            const uint8_t *s = src + ((size_t)y * w + x) * 3;
            dst[o] = s[0];
            dst[o + 1] = s[1];
            dst[o + 2] = s[2];
        }
    }
}
