/* Plain, DSL and QB-Norm metrics in both directions (see report.h). */
#include "eval/report.h"

#include <math.h>

#include "common/check.h"
#include "eval/rerank.h"

void eval_metrics(const float *sim, int64_t Nc, int64_t Nv, const int32_t *caption_video,
                  RetrievalMetrics *t2v, RetrievalMetrics *v2t) {
    if (caption_video) {
        metrics_multi_sentence(sim, Nc, Nv, caption_video, t2v, v2t);
    } else {
        drlCheck(Nc == Nv, "one caption per video needs a square similarity matrix");
        metrics_one_per_video(sim, Nc, t2v, v2t);
    }
}

void eval_metrics_dsl(const float *sim, int64_t Nc, int64_t Nv, const int32_t *caption_video,
                      float temp, RetrievalMetrics *t2v, RetrievalMetrics *v2t) {
    float *r = mallocCheck((size_t)(Nc * Nv) * sizeof(float)); // (Nc, Nv)
    RetrievalMetrics unused;
    rerank_dsl(sim, Nc, Nv, temp, r);
    eval_metrics(r, Nc, Nv, caption_video, t2v, &unused);
    rerank_dsl_v2t(sim, Nc, Nv, temp, r);
    eval_metrics(r, Nc, Nv, caption_video, &unused, v2t);
    free(r);
}

static void not_computed(RetrievalMetrics *m) {
    m->r1 = m->r5 = m->r10 = m->mdr = m->mnr = NAN;
    m->entries = m->queries = 0;
}

/* dst (cols, rows) = src (rows, cols)^T */
static void transpose(const float *src, int64_t rows, int64_t cols, float *dst) {
    for (int64_t i = 0; i < rows; i++) {
        for (int64_t j = 0; j < cols; j++)
            dst[j * rows + i] = src[i * cols + j];
    }
}

void eval_metrics_qbnorm(const float *sim, int64_t Nc, int64_t Nv, const int32_t *caption_video,
                         const float *bank_t2v, int64_t Nbt, const float *bank_v2t, int64_t Nbv,
                         float beta, RetrievalMetrics *t2v, RetrievalMetrics *v2t) {
    const size_t bytes = (size_t)(Nc * Nv) * sizeof(float);
    float *r = mallocCheck(bytes); // (Nc, Nv)
    RetrievalMetrics unused;
    not_computed(t2v);
    not_computed(v2t);
    if (bank_t2v) {
        rerank_qbnorm(sim, Nc, Nv, bank_t2v, Nbt, beta, r);
        eval_metrics(r, Nc, Nv, caption_video, t2v, &unused);
    }
    if (bank_v2t) {
        float *st = mallocCheck(bytes); // (Nv, Nc)
        transpose(sim, Nc, Nv, st);
        float *rt = mallocCheck(bytes); // (Nv, Nc)
        rerank_qbnorm(st, Nv, Nc, bank_v2t, Nbv, beta, rt);
        transpose(rt, Nv, Nc, r);
        eval_metrics(r, Nc, Nv, caption_video, &unused, v2t);
        free(st);
        free(rt);
    }
    free(r);
}
