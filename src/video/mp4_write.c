/* MP4 writer for the synthetic dataset (see mp4_write.h). */
#include "video/mp4_write.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
#include <stdio.h>
#include <string.h>

static const AVCodec *pick_encoder(void) {
    const AVCodec *c = avcodec_find_encoder_by_name("libx264");
    return c ? c : avcodec_find_encoder(AV_CODEC_ID_MPEG4);
}

const char *mp4_encoder_name(void) {
    const AVCodec *c = pick_encoder();
    return c ? c->name : "none";
}

/* Sends one frame (or NULL to flush) and writes every packet that comes out. */
static int encode_and_mux(AVCodecContext *enc, AVFormatContext *fmt, AVStream *st,
                          const AVFrame *frame, AVPacket *pkt) {
    int rc = avcodec_send_frame(enc, frame);
    while (rc >= 0) {
        rc = avcodec_receive_packet(enc, pkt);
        if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return 0;
        if (rc < 0) return rc;
        av_packet_rescale_ts(pkt, enc->time_base, st->time_base);
        pkt->stream_index = st->index;
        rc = av_interleaved_write_frame(fmt, pkt);
    }
    return rc;
}

int mp4_write_rgb(const char *path, const uint8_t *frames, int n, int w, int h, int fps, char *err,
                  size_t errlen) {
    char msg[256] = "";
    const char *stage = "";
    AVFormatContext *fmt = NULL;
    AVCodecContext *enc = NULL;
    AVFrame *yuv = NULL;
    AVPacket *pkt = NULL;
    struct SwsContext *sws = NULL;
    int rc = AVERROR(EINVAL);
    const AVCodec *codec = pick_encoder();
    if (!codec || w % 2 || h % 2 || n <= 0 || fps <= 0) {
        snprintf(err, errlen, "%s: %s", path,
                 codec ? "frame size must be even and frames/fps positive"
                       : "no H.264/MPEG-4 encoder");
        return -1;
    }
    stage = "output context";
    rc = avformat_alloc_output_context2(&fmt, NULL, "mp4", path);
    if (rc < 0) goto fail;
    AVStream *st = avformat_new_stream(fmt, NULL);
    enc = avcodec_alloc_context3(codec);
    yuv = av_frame_alloc();
    pkt = av_packet_alloc();
    rc = AVERROR(ENOMEM);
    if (!st || !enc || !yuv || !pkt) goto fail;
    enc->width = w;
    enc->height = h;
    enc->pix_fmt = AV_PIX_FMT_YUV420P;
    enc->time_base = (AVRational){1, fps};
    enc->framerate = (AVRational){fps, 1};
    enc->gop_size = 2 * fps;
    enc->thread_count = 1;
    if (fmt->oformat->flags & AVFMT_GLOBALHEADER) enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if (!strcmp(codec->name, "libx264")) {
        av_opt_set(enc->priv_data, "preset", "veryfast", 0);
        av_opt_set(enc->priv_data, "crf", "18", 0);
    } else {
        enc->bit_rate = (int64_t)w * h * fps * 2;
        enc->max_b_frames = 0;
    }
    stage = "encoder";
    rc = avcodec_open2(enc, codec, NULL);
    if (rc < 0) goto fail;
    rc = avcodec_parameters_from_context(st->codecpar, enc);
    if (rc < 0) goto fail;
    st->time_base = enc->time_base;
    st->avg_frame_rate = enc->framerate;
    stage = "output file";
    rc = avio_open(&fmt->pb, path, AVIO_FLAG_WRITE);
    if (rc < 0) goto fail;
    rc = avformat_write_header(fmt, NULL);
    if (rc < 0) goto fail;

    yuv->format = AV_PIX_FMT_YUV420P;
    yuv->width = w;
    yuv->height = h;
    stage = "frame buffer";
    rc = av_frame_get_buffer(yuv, 32);
    if (rc < 0) goto fail;
    sws = sws_getContext(w, h, AV_PIX_FMT_RGB24, w, h, AV_PIX_FMT_YUV420P, SWS_BICUBIC, NULL, NULL,
                         NULL);
    rc = AVERROR(ENOMEM);
    if (!sws) goto fail;
    stage = "encoding";
    for (int t = 0; t < n; t++) {
        rc = av_frame_make_writable(yuv);
        if (rc < 0) goto fail;
        const uint8_t *src[1] = {frames + (size_t)t * w * h * 3};
        int src_ls[1] = {3 * w};
        sws_scale(sws, src, src_ls, 0, h, yuv->data, yuv->linesize);
        yuv->pts = t;
        rc = encode_and_mux(enc, fmt, st, yuv, pkt);
        if (rc < 0) goto fail;
    }
    rc = encode_and_mux(enc, fmt, st, NULL, pkt);
    if (rc < 0) goto fail;
    stage = "trailer";
    rc = av_write_trailer(fmt);
    if (rc < 0) goto fail;
    rc = 0;
fail:
    if (rc < 0) {
        av_strerror(rc, msg, sizeof msg);
        snprintf(err, errlen, "%s: %s failed (%s)", path, stage, msg);
    }
    sws_freeContext(sws);
    av_frame_free(&yuv);
    av_packet_free(&pkt);
    avcodec_free_context(&enc);
    if (fmt) {
        if (fmt->pb) avio_closep(&fmt->pb);
        avformat_free_context(fmt);
    }
    return rc < 0 ? -1 : 0;
}
