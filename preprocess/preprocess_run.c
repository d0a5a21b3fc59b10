#include "preprocess/preprocess_run.h"
#include "common/log.h"
#include "preprocess/datasets/datasets.h"
#include "store/store.h"
#include "video/image_resize.h"
#include "video/video_decode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void format_duration(double s, char *buf, size_t n) {
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, n, "%ldh%02ldm", t / 3600, (t / 60) % 60);
    else
        snprintf(buf, n, "%ldm%02lds", t / 60, t % 60);
}

/* Rank 0's progress line. Rank 0 owns every world-th video, so its share
 * done is an estimate of the whole job's (the final summary is exact). */
static void progress_line(int64_t done0, int64_t mine, int64_t total, int world, int64_t frames0,
                          double elapsed) {
    double frac = mine ? (double)done0 / (double)mine : 1.0;
    double est = frac * (double)total;
    double rate = elapsed > 0 ? est / elapsed : 0;
    double eta = rate > 0 ? ((double)total - est) / rate : 0;
    char eta_s[32];
    format_duration(eta, eta_s, sizeof eta_s);
    log_info("progress: ~%.0f/%lld videos (%.1f%%), %.2f videos/s, %.1f frames/s, ETA %s "
             "(estimated from rank 0's %lld/%lld of %d ranks)",
             est, (long long)total, 100.0 * frac, rate,
             elapsed > 0 ? (double)frames0 * world / elapsed : 0.0, eta_s, (long long)done0,
             (long long)mine, world);
}

/* Keeps the kept frames whose time (frame index / fps) lies in window
 * [start, end] (end < 0: to the end), moving them to the front of dv->rgb.
 * 0 with a reason when none does. */
static int keep_window(DecodedVideo *dv, double target_fps, const double *window, char *reason,
                       size_t n) {
    double start = window[0], end = window[1];
    if (start <= 0 && end < 0) return 1;
    int stride = video_sampling_stride(dv->fps, target_fps);
    size_t bytes = (size_t)dv->width * (size_t)dv->height * 3;
    int kept = 0;
    for (int k = 0; k < dv->count; k++) {
        double t = (double)k * stride / dv->fps;
        if (t < start - 1e-6 || (end >= 0 && t > end + 1e-6)) continue;
        if (kept != k) memmove(dv->rgb + (size_t)kept * bytes, dv->rgb + (size_t)k * bytes, bytes);
        kept++;
    }
    if (kept == 0) {
        snprintf(reason, n,
                 "no frame within the annotated window [%g, %g] s (%d frames kept at "
                 "%g fps before cutting)",
                 start, end, dv->count, dv->fps);
        return 0;
    }
    dv->count = kept;
    return 1;
}

int preprocess_decode_part(const PreprocessArgs *a, const Annotations *ann, int rank, int world,
                           const char *part_path, PartStats *st, char *err, size_t errlen) {
    memset(st, 0, sizeof *st);
    StoreAttributes attrs = {.resolution = a->resolution,
                             .frame_rate = a->fps,
                             .tokenizer_sha256 = "",
                             .tool_version = "drl_preprocess " DRL_VERSION " part",
                             .dataset = a->dataset};
    StoreWriter *w = store_writer_create(part_path, &attrs, err, errlen);
    if (!w) return -1;
    const int R = a->resolution;
    const size_t frame_bytes = (size_t)R * (size_t)R * 3;
    uint8_t *frames = NULL; // (cap_frames, R, R, 3)
    size_t cap_frames = 0;
    int64_t mine = ann->n_videos > rank ? (ann->n_videos - rank + world - 1) / world : 0;
    double t0 = now_s(), last = t0;
    for (int64_t v = rank; v < ann->n_videos; v += world) {
        const char *id = ann->video_ids[v];
        char path[8192], reason[512] = "";
        const char *file = v < ann->meta_cap ? ann->video_files[v] : NULL;
        if (file)
            dataset_video_path(a->videos, file, path, sizeof path);
        else
            snprintf(path, sizeof path, "%s/%s.mp4", a->videos, id);
        DecodedVideo dv;
        memset(&dv, 0, sizeof dv);
        int ok = video_decode_sampled(path, a->fps, &dv, reason, sizeof reason) == 0;
        if (ok && dv.count <= 0) {
            snprintf(reason, sizeof reason, "no frame decoded");
            ok = 0;
        }
        if (ok && v < ann->meta_cap)
            ok = keep_window(&dv, a->fps, ann->video_window + 2 * v, reason, sizeof reason);
        if (ok && (size_t)dv.count > cap_frames) {
            free(frames);
            cap_frames = (size_t)dv.count;
            frames = malloc(cap_frames * frame_bytes);
            if (!frames) {
                snprintf(err, errlen, "out of memory for %d frames of %s", dv.count, id);
                decoded_video_free(&dv);
                store_writer_abort(w);
                return -1;
            }
        }
        if (ok) {
            size_t src_bytes = (size_t)dv.width * (size_t)dv.height * 3;
            for (int f = 0; f < dv.count; f++)
                image_resize_crop(dv.rgb + (size_t)f * src_bytes, dv.width, dv.height, R,
                                  frames + (size_t)f * frame_bytes);
        } else {
            if (!reason[0] || strcmp(reason, DRL_STORE_STATUS_OK) == 0)
                snprintf(reason, sizeof reason, "decoding failed");
            log_all("video %s: %s (recorded, the job goes on)", id, reason);
        }
        int32_t count = ok ? dv.count : 0;
        if (store_writer_add_video(w, id, ok ? dv.fps : 0.0, ok ? DRL_STORE_STATUS_OK : reason,
                                   frames, count, err, errlen) < 0) {
            decoded_video_free(&dv);
            free(frames);
            store_writer_abort(w);
            return -1;
        }
        decoded_video_free(&dv);
        st->videos++;
        st->ok += ok;
        st->failed += !ok;
        st->frames += count;
        double t = now_s();
        if (rank == 0 && a->progress_s > 0 && t - last >= a->progress_s) {
            progress_line(st->videos, mine, ann->n_videos, world, st->frames, t - t0);
            last = t;
        }
    }
    free(frames);
    st->seconds = now_s() - t0;
    if (rank == 0 && a->progress_s > 0)
        progress_line(st->videos, mine, ann->n_videos, world, st->frames, st->seconds);
    return store_writer_finish(w, err, errlen);
}

int preprocess_merge(const PreprocessArgs *a, const Annotations *ann, const CaptionTokens *tok,
                     int world, char **part_paths, const char *tmp_path, char *err, size_t errlen) {
    Store **parts = calloc((size_t)world, sizeof *parts);
    StoreWriter *w = NULL;
    uint8_t *frames = NULL; // (count, R, R, 3)
    int32_t *pos = NULL;    // (count)
    size_t cap = 0;
    int rc = -1;
    StoreOpenOptions opt = {.expect_resolution = a->resolution};
    for (int r = 0; r < world; r++)
        if (!(parts[r] = store_open(part_paths[r], &opt, err, errlen))) goto done;
    char version[64];
    snprintf(version, sizeof version, "drl_preprocess %s", DRL_VERSION);
    StoreAttributes attrs = {.resolution = a->resolution,
                             .frame_rate = a->fps,
                             .tokenizer_sha256 = tok->sha256,
                             .tool_version = version,
                             .dataset = a->dataset};
    if (!(w = store_writer_create(tmp_path, &attrs, err, errlen))) goto done;
    const size_t frame_bytes = (size_t)a->resolution * (size_t)a->resolution * 3;
    for (int64_t v = 0; v < ann->n_videos; v++) {
        Store *p = parts[v % world];
        int64_t lv = v / world;
        if (lv >= store_num_videos(p) || strcmp(store_video_id(p, lv), ann->video_ids[v]) != 0) {
            snprintf(err, errlen, "%s: video %lld is not %s (parts out of step)",
                     part_paths[v % world], (long long)lv, ann->video_ids[v]);
            goto done;
        }
        int32_t n = store_video_frame_count(p, lv);
        if ((size_t)n > cap) {
            cap = (size_t)n;
            free(frames);
            free(pos);
            frames = malloc(cap * frame_bytes);
            pos = malloc(cap * sizeof *pos);
            if (!frames || !pos) {
                snprintf(err, errlen, "out of memory for %d frames", n);
                goto done;
            }
        }
        for (int32_t i = 0; i < n; i++)
            pos[i] = i;
        if (n > 0 && store_read_frames(p, lv, pos, n, frames, err, errlen) < 0) goto done;
        if (store_writer_add_video(w, ann->video_ids[v], store_video_fps(p, lv),
                                   store_video_status(p, lv), frames, n, err, errlen) < 0)
            goto done;
    }
    for (int64_t c = 0; c < ann->n_captions; c++)
        if (store_writer_add_caption(w, ann->captions[c], ann->caption_video[c], tok->ids[c],
                                     tok->n[c], err, errlen) < 0)
            goto done;
    for (int s = 0; s < ann->n_splits; s++)
        if (store_writer_add_split(w, ann->splits[s].name, ann->splits[s].captions,
                                   ann->splits[s].n, err, errlen) < 0)
            goto done;
    rc = store_writer_finish(w, err, errlen);
    w = NULL;
done:
    if (w) store_writer_abort(w);
    for (int r = 0; r < world; r++)
        store_close(parts[r]);
    free(parts);
    free(frames);
    free(pos);
    return rc;
}
