/* FFmpeg decoding with the reference's frame selection (spec/data.md §2). */
#include "video/video_decode.h"

#include "common/check.h"
#include "video/video_convert.h"
#include "video/video_rotate.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int video_sampling_stride(double fps, double target_fps) {
    double q = fps / target_fps;
    if (!isfinite(q) || q < 0.5) return 1;
    double r = nearbyint(q); /* half to even, as Python's round */
    if (r > 1e9) r = 1e9;
    return r < 1 ? 1 : (int)r;
}

void decoded_video_free(DecodedVideo *v) {
    free(v->rgb);
    memset(v, 0, sizeof *v);
}

/* Appends a "; "-separated message to a bounded string. */
static void append_msg(char *buf, size_t len, const char *fmt, ...) {
    if (!buf || len == 0) return;
    size_t used = strlen(buf);
    if (used && used + 2 < len) {
        strcat(buf, "; ");
        used += 2;
    }
    if (used + 1 >= len) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + used, len - used, fmt, ap);
    va_end(ap);
}

static const char *av_errstr(int rc, char *buf, size_t len) {
    if (av_strerror(rc, buf, len) < 0) snprintf(buf, len, "error %d", rc);
    return buf;
}

/* The decoding state of one call. */
typedef struct {
    AVFormatContext *fmt;
    AVCodecContext *dec;
    AVStream *st;
    int stream;
    int rotation; /* 0, 90, 180, 270 */
    int stride;
    RgbConverter conv;
    AVFrame *frame, *rotated;
    uint8_t *scratch; /* (h, w, 3) unrotated RGB when rotating after conversion */
    size_t cap;       /* frames allocated in out->rgb */
    int decode_errors, size_changes;
    DecodedVideo *out;
} DecodeState;

/* Converts (and rotates) one kept frame, appending it to out->rgb. */
static int keep_frame(DecodeState *s, const AVFrame *f) {
    DecodedVideo *out = s->out;
    int swap = s->rotation == 90 || s->rotation == 270;
    int w = swap ? f->height : f->width, h = swap ? f->width : f->height;
    if (out->count == 0) {
        out->width = w;
        out->height = h;
    } else if (w != out->width || h != out->height) {
        s->size_changes++;
        return 0;
    }
    size_t frame_bytes = (size_t)w * h * 3;
    if ((size_t)out->count == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 16;
        uint8_t *grown = realloc(out->rgb, s->cap * frame_bytes); // (cap, h, w, 3)
        if (!grown) return AVERROR(ENOMEM);
        out->rgb = grown;
    }
    uint8_t *dst = out->rgb + (size_t)out->count * frame_bytes;
    int rc;
    if (s->rotation == 0) {
        rc = rgb_convert(&s->conv, f, dst);
    } else if (rotate_planes_supported(f->format)) {
        av_frame_unref(s->rotated);
        rc = rotate_frame_planes(f, s->rotation, s->rotated);
        if (rc >= 0) rc = rgb_convert(&s->conv, s->rotated, dst);
    } else {
        free(s->scratch);
        s->scratch = malloc(frame_bytes); // (f->height, f->width, 3)
        if (!s->scratch) return AVERROR(ENOMEM);
        rc = rgb_convert(&s->conv, f, s->scratch);
        if (rc >= 0) rotate_rgb(s->scratch, f->width, f->height, s->rotation, dst);
    }
    if (rc < 0) return rc;
    out->count++;
    return 0;
}

/* Drains the decoder; frames come out in presentation order. */
static int receive_frames(DecodeState *s) {
    for (;;) {
        int rc = avcodec_receive_frame(s->dec, s->frame);
        if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return 0;
        if (rc < 0) {
            s->decode_errors++;
            return 0;
        }
        int n = s->out->total_frames++;
        if (n % s->stride == 0) rc = keep_frame(s, s->frame);
        av_frame_unref(s->frame);
        if (rc < 0) return rc;
    }
}

static int open_input(DecodeState *s, const char *path, char *err, size_t errlen, char *warn,
                      size_t warnlen) {
    char msg[256];
    int rc = avformat_open_input(&s->fmt, path, NULL, NULL);
    if (rc == AVERROR(ENOENT)) {
        snprintf(err, errlen, "missing file");
        return -1;
    }
    if (rc < 0) {
        snprintf(err, errlen, "not a readable media file (%s)", av_errstr(rc, msg, sizeof msg));
        return -1;
    }
    rc = avformat_find_stream_info(s->fmt, NULL);
    if (rc < 0) {
        snprintf(err, errlen, "cannot read stream info (%s)", av_errstr(rc, msg, sizeof msg));
        return -1;
    }
    const AVCodec *codec = NULL;
    s->stream = av_find_best_stream(s->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (s->stream == AVERROR_STREAM_NOT_FOUND) {
        snprintf(err, errlen, "no video stream");
        return -1;
    }
    if (s->stream < 0 || !codec) {
        snprintf(err, errlen, "no decoder for the video stream (%s)",
                 av_errstr(s->stream, msg, sizeof msg));
        return -1;
    }
    s->st = s->fmt->streams[s->stream];
    s->dec = avcodec_alloc_context3(codec);
    if (!s->dec) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    rc = avcodec_parameters_to_context(s->dec, s->st->codecpar);
    if (rc >= 0) {
        s->dec->pkt_timebase = s->st->time_base;
        s->dec->thread_count = 1; /* ranks decode in parallel; one thread each */
        rc = avcodec_open2(s->dec, codec, NULL);
    }
    if (rc < 0) {
        snprintf(err, errlen, "cannot open the %s decoder (%s)", codec->name,
                 av_errstr(rc, msg, sizeof msg));
        return -1;
    }
    AVRational fr = s->st->avg_frame_rate;
    if (fr.num <= 0 || fr.den <= 0) {
        fr = s->st->r_frame_rate;
        if (fr.num <= 0 || fr.den <= 0) {
            snprintf(err, errlen, "the video stream has no frame rate");
            return -1;
        }
        append_msg(warn, warnlen, "no average frame rate, using r_frame_rate %d/%d", fr.num,
                   fr.den);
    }
    s->out->fps = av_q2d(fr);
    s->rotation = video_stream_rotation(s->st);
    if (s->rotation < 0) {
        append_msg(warn, warnlen, "rotation by a non-right angle ignored");
        s->rotation = 0;
    }
    return 0;
}

static int decode_all(DecodeState *s, char *err, size_t errlen, char *warn, size_t warnlen) {
    char msg[256];
    AVPacket *pkt = av_packet_alloc();
    if (!pkt) return AVERROR(ENOMEM);
    int rc = 0;
    for (;;) {
        int rd = av_read_frame(s->fmt, pkt);
        if (rd == AVERROR_EOF) break;
        if (rd < 0) {
            append_msg(warn, warnlen, "read error after %d frames (%s)", s->out->total_frames,
                       av_errstr(rd, msg, sizeof msg));
            break;
        }
        if (pkt->stream_index == s->stream) {
            if (avcodec_send_packet(s->dec, pkt) < 0) s->decode_errors++;
            rc = receive_frames(s);
        }
        av_packet_unref(pkt);
        if (rc < 0) break;
    }
    if (rc >= 0) {
        avcodec_send_packet(s->dec, NULL); /* flush */
        rc = receive_frames(s);
    }
    av_packet_free(&pkt);
    if (rc < 0) {
        snprintf(err, errlen, "conversion failed (%s)", av_errstr(rc, msg, sizeof msg));
        return rc;
    }
    if (s->decode_errors)
        append_msg(warn, warnlen, "%d packets or frames failed to decode", s->decode_errors);
    if (s->size_changes)
        append_msg(warn, warnlen, "%d kept frames skipped: frame size changed mid-stream",
                   s->size_changes);
    if (s->st->nb_frames > 0 && s->out->total_frames < s->st->nb_frames)
        append_msg(warn, warnlen, "truncated or damaged: %d of %lld listed frames decoded",
                   s->out->total_frames, (long long)s->st->nb_frames);
    return 0;
}

int video_decode_sampled_ex(const char *path, double target_fps, DecodedVideo *out, char *err,
                            size_t errlen, char *warn, size_t warnlen) {
    char local_warn[512] = "";
    memset(out, 0, sizeof *out);
    if (err && errlen) err[0] = '\0';
    if (!(target_fps > 0)) {
        snprintf(err, errlen, "target frame rate must be positive (got %g)", target_fps);
        return -1;
    }
    DecodeState s = {.out = out, .stream = -1};
    int rc = open_input(&s, path, err, errlen, local_warn, sizeof local_warn);
    if (rc == 0) {
        out->stride = s.stride = video_sampling_stride(out->fps, target_fps);
        s.frame = av_frame_alloc();
        s.rotated = av_frame_alloc();
        s.conv.format = -1;
        if (!s.frame || !s.rotated) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
        } else {
            rc = decode_all(&s, err, errlen, local_warn, sizeof local_warn) < 0 ? -1 : 0;
        }
    }
    if (rc == 0 && out->count == 0) {
        snprintf(err, errlen, "no frame decoded%s%s", local_warn[0] ? ": " : "", local_warn);
        rc = -1;
    }
    rgb_converter_free(&s.conv);
    av_frame_free(&s.frame);
    av_frame_free(&s.rotated);
    free(s.scratch);
    avcodec_free_context(&s.dec);
    avformat_close_input(&s.fmt);
    if (rc < 0) {
        double fps = out->fps;
        decoded_video_free(out);
        out->fps = fps;
        return -1;
    }
    if (warn && warnlen) snprintf(warn, warnlen, "%s", local_warn);
    return 0;
}

int video_decode_sampled(const char *path, double target_fps, DecodedVideo *out, char *err,
                         size_t errlen) {
    return video_decode_sampled_ex(path, target_fps, out, err, errlen, err, errlen);
}
