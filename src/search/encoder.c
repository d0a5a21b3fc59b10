#include "search/encoder.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/check.h"
#include "drl/interaction.h"
#include "loader/loader.h"
#include "train/frames.h"
#include "train/model_setup.h"

void openblas_set_num_threads(int num_threads);

int encoder_resolve_checkpoint(const DrlConfig *cfg, const char *explicit_ckpt, char *out,
                               size_t outlen, char *err, size_t errlen) {
    if (explicit_ckpt && explicit_ckpt[0]) {
        if (access(explicit_ckpt, R_OK)) {
            snprintf(err, errlen, "--checkpoint %s: cannot read the file", explicit_ckpt);
            return -1;
        }
        snprintf(out, outlen, "%s", explicit_ckpt);
        return 0;
    }
    const char *names[2] = {"best.h5", "last.h5"};
    for (int i = 0; i < 2; i++) {
        snprintf(out, outlen, "%s/ckpt/%s", cfg->run.output_dir, names[i]);
        if (access(out, R_OK) == 0) return 0;
    }
    if (cfg->model.init_model[0]) {
        snprintf(out, outlen, "%s", cfg->model.init_model);
        return 0;
    }
    if (cfg->model.pretrained_clip[0]) {
        out[0] = '\0';
        return 0;
    }
    snprintf(err, errlen,
             "no trained model: neither %s/ckpt/best.h5 nor last.h5 exists and the configuration "
             "names no model.init_model or model.pretrained_clip (train it first or pass "
             "--checkpoint)",
             cfg->run.output_dir);
    return -1;
}

int encoder_open(Encoder *e, const DrlConfig *cfg, const char *checkpoint, const DrlComm *comm,
                 int max_local, char *err, size_t errlen) {
    memset(e, 0, sizeof *e);
    e->cfg = *cfg;
    if (checkpoint && checkpoint[0])
        snprintf(e->cfg.model.init_model, sizeof e->cfg.model.init_model, "%s", checkpoint);
    if (cfg->run.threads > 0) {
        omp_set_num_threads(cfg->run.threads);
        openblas_set_num_threads(1);
    }
    if (model_setup(&e->m, &e->cfg, drl_cpu_ops(), comm, max_local, err, errlen)) return -1;
    e->m.training = 0;
    e->L = e->m.L, e->T = e->m.T, e->D = e->m.D, e->R = e->m.R;
    e->max_local = max_local;
    e->dummy_ids = callocCheck((size_t)max_local * e->L, sizeof(int32_t));  // (B, L)
    e->dummy_mask = callocCheck((size_t)max_local * e->L, sizeof(int32_t)); // (B, L)
    for (int b = 0; b < max_local; b++)
        tokenizer_model_input(NULL, 0, e->L, e->dummy_ids + (size_t)b * e->L,
                              e->dummy_mask + (size_t)b * e->L);
    return 0;
}

void encoder_close(Encoder *e) {
    drl_model_free(&e->m);
    free(e->dummy_ids), free(e->dummy_mask);
    memset(e, 0, sizeof *e);
}

int encoder_caption_input(Tokenizer *tok, const char *caption, int L, int32_t *ids, int32_t *mask,
                          int32_t **raw, int *nraw, char *err, size_t errlen) {
    int32_t *bpe = NULL;
    int n = tokenizer_encode(tok, caption, &bpe, err, errlen);
    if (n < 0) return -1;
    int len = tokenizer_model_input(bpe, n, L, ids, mask);
    if (raw) {
        *raw = bpe;
        *nraw = n;
    } else {
        free(bpe);
    }
    return len;
}

void encoder_text(Encoder *e, const int32_t *ids, int B, float *out) {
    drlCheck(B >= 1 && B <= e->max_local, "text batch larger than the encoder was opened for");
    clip_text_fwd(&e->m.clip, e->m.ops, &e->m.pt, ids, B, e->L, out);
}

int encoder_read_video(const Store *s, int64_t v, int T, int R, uint8_t *frames, int32_t *mask,
                       char *err, size_t errlen) {
    const size_t frame_bytes = (size_t)R * R * 3;
    memset(frames, 0, frame_bytes * T);
    memset(mask, 0, sizeof(int32_t) * T);
    if (v < 0 || v >= store_num_videos(s)) {
        snprintf(err, errlen, "%s: video index %lld outside 0..%lld", store_path(s), (long long)v,
                 (long long)store_num_videos(s) - 1);
        return -1;
    }
    if (!store_video_ok(s, v)) return 0;
    int32_t *pos = callocCheck((size_t)T, sizeof(int32_t)); // (T)
    int n = loader_frame_positions(store_video_frame_count(s, v), T, pos);
    int rc = n > 0 ? store_read_frames(s, v, pos, n, frames, err, errlen) : 0;
    free(pos);
    if (rc < 0) return -1;
    for (int k = 0; k < n; k++)
        mask[k] = 1;
    return n;
}

void encoder_videos(Encoder *e, const uint8_t *frames, const int32_t *mask, int B, float *out) {
    drlCheck(B >= 1 && B <= e->max_local, "video batch larger than the encoder was opened for");
    DrlModel *m = &e->m;
    frames_normalise(m->video_norm, frames, mask, (int64_t)B * e->T, e->R);
    DrlBatch db = {.B = B,
                   .ids = e->dummy_ids,
                   .text_mask = e->dummy_mask,
                   .video = m->video_norm,
                   .video_mask = mask};
    float *text = callocCheck((size_t)B * e->L * e->D, sizeof(float)); // (B, L, D) unused
    drl_encode(m, &db, text, out);
    free(text);
}

static void normalise(float *x, int D) {
    double s = 0.0;
    for (int d = 0; d < D; d++)
        s += (double)x[d] * x[d];
    float inv = s > 0.0 ? (float)(1.0 / sqrt(s)) : 0.0f;
    for (int d = 0; d < D; d++)
        x[d] *= inv;
}

void encoder_pool_videos(const float *vf, const int32_t *mask, int B, int T, int D, float *v) {
    float *row = mallocCheck(sizeof(float) * D); // (D)
    for (int b = 0; b < B; b++) {
        float *out = v + (size_t)b * D;
        memset(out, 0, sizeof(float) * D);
        int cnt = 0;
        for (int j = 0; j < T; j++) {
            if (!mask[b * T + j]) continue;
            cnt++;
            memcpy(row, vf + ((size_t)b * T + j) * D, sizeof(float) * D);
            normalise(row, D);
            for (int d = 0; d < D; d++)
                out[d] += row[d];
        }
        float inv = 1.0f / (float)(cnt > 1 ? cnt : 1);
        for (int d = 0; d < D; d++)
            out[d] *= inv;
        normalise(out, D);
    }
    free(row);
}

void encoder_pool_text(const float *tf, const int32_t *mask, int L, int D, float *t) {
    int len = 0;
    for (int i = 0; i < L; i++)
        len += mask[i];
    int idx = len > 0 ? len - 1 : L - 1;
    memcpy(t, tf + (size_t)idx * D, sizeof(float) * D);
    normalise(t, D);
}

void encoder_text_weights(Encoder *e, const float *tf, const int32_t *mask, int B, float *w) {
    DrlModel *m = &e->m;
    if (m->h.interaction != HEAD_WTI) {
        ti_uniform_weights(w, mask, B, e->L);
        return;
    }
    for (int a = 0; a < B; a += m->max_global) {
        int n = B - a < m->max_global ? B - a : m->max_global;
        weight_branch_fwd(&m->wb_text, m->ops, &m->pt, tf + (size_t)a * e->L * e->D,
                          mask + (size_t)a * e->L, n, e->L, w + (size_t)a * e->L);
    }
}

void encoder_video_weights(Encoder *e, const float *vf, const int32_t *mask, int B, float *w) {
    DrlModel *m = &e->m;
    if (m->h.interaction != HEAD_WTI) {
        ti_uniform_weights(w, mask, B, e->T);
        return;
    }
    for (int a = 0; a < B; a += m->max_global) {
        int n = B - a < m->max_global ? B - a : m->max_global;
        weight_branch_fwd(&m->wb_video, m->ops, &m->pt, vf + (size_t)a * e->T * e->D,
                          mask + (size_t)a * e->T, n, e->T, w + (size_t)a * e->T);
    }
}
