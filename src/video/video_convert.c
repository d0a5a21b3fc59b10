/* Pixel-format conversion to RGB24 (see video_convert.h). */
#include "video/video_convert.h"

#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
#include <string.h>

/* vf_scale's parse_yuv_type("auto", colorspace). */
static const int *matrix_for(enum AVColorSpace cs) {
    if (cs < 1 || cs > 10 || cs == 8) cs = AVCOL_SPC_BT470BG;
    return sws_getCoefficients(cs);
}

static int converter_setup(RgbConverter *c, const AVFrame *f) {
    rgb_converter_free(c);
    c->sws = sws_alloc_context();
    if (!c->sws) return AVERROR(ENOMEM);
    struct SwsContext *s = c->sws;
    int rc = 0;
    rc |= av_opt_set_int(s, "srcw", f->width, 0);
    rc |= av_opt_set_int(s, "srch", f->height, 0);
    rc |= av_opt_set_int(s, "src_format", f->format, 0);
    rc |= av_opt_set_int(s, "dstw", f->width, 0);
    rc |= av_opt_set_int(s, "dsth", f->height, 0);
    rc |= av_opt_set_int(s, "dst_format", AV_PIX_FMT_RGB24, 0);
    rc |= av_opt_set_int(s, "sws_flags", SWS_BICUBIC, 0);
    /* vf_scale: yuv420p input uses the MPEG-2 chroma position by convention */
    if (f->format == AV_PIX_FMT_YUV420P) rc |= av_opt_set_int(s, "src_v_chr_pos", 128, 0);
    if (rc < 0) return AVERROR(EINVAL);
    rc = sws_init_context(s, NULL, NULL);
    if (rc < 0) return rc;

    int *inv_table, *table, in_full, out_full, brightness, contrast, saturation;
    if (sws_getColorspaceDetails(s, &inv_table, &in_full, &table, &out_full, &brightness, &contrast,
                                 &saturation) >= 0) {
        const int *inv = matrix_for(f->colorspace);
        if (f->color_range != AVCOL_RANGE_UNSPECIFIED) in_full = f->color_range == AVCOL_RANGE_JPEG;
        sws_setColorspaceDetails(s, inv, in_full, inv, out_full, brightness, contrast, saturation);
    }
    c->width = f->width;
    c->height = f->height;
    c->format = f->format;
    c->rgb = av_frame_alloc();
    if (!c->rgb) return AVERROR(ENOMEM);
    c->rgb->format = AV_PIX_FMT_RGB24;
    c->rgb->width = f->width;
    c->rgb->height = f->height;
    return av_frame_get_buffer(c->rgb, 64);
}

int rgb_convert(RgbConverter *c, const AVFrame *f, uint8_t *dst) {
    if (!c->sws || c->width != f->width || c->height != f->height || c->format != f->format) {
        int rc = converter_setup(c, f);
        if (rc < 0) return rc;
    }
    int rc = sws_scale(c->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height,
                       c->rgb->data, c->rgb->linesize);
    if (rc < 0) return rc;
    for (int y = 0; y < f->height; y++)
        memcpy(dst + (size_t)y * f->width * 3, c->rgb->data[0] + (size_t)y * c->rgb->linesize[0],
               (size_t)f->width * 3);
    return 0;
}

void rgb_converter_free(RgbConverter *c) {
    if (c->sws) sws_freeContext(c->sws);
    av_frame_free(&c->rgb);
    c->sws = NULL;
    c->width = c->height = 0;
    c->format = -1;
}
