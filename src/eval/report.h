/* Plain and re-ranked metrics of one evaluation in both directions, each
 * direction on the matrix that suits it (the re-ranked ones are reported
 * BESIDE the plain ones, never instead). sim is (Nc, Nv) captions x videos;
 * caption_video (Nc) maps captions to videos, or NULL for one caption per
 * video on the diagonal (Nc == Nv, metrics_one_per_video). */
#ifndef DRL_EVAL_REPORT_H
#define DRL_EVAL_REPORT_H

#include <stdint.h>

#include "eval/metrics.h"

/* metrics_one_per_video or metrics_multi_sentence. */
void eval_metrics(const float *sim /* (Nc, Nv) */, int64_t Nc, int64_t Nv,
                  const int32_t *caption_video /* (Nc) or NULL */, RetrievalMetrics *t2v,
                  RetrievalMetrics *v2t);

/* DSL: t2v ranks the rows of rerank_dsl(sim) (softmax over captions per
 * video), v2t ranks the columns of rerank_dsl_v2t(sim) (softmax over videos
 * per caption). temp: 100 in the reference. */
void eval_metrics_dsl(const float *sim, int64_t Nc, int64_t Nv, const int32_t *caption_video,
                      float temp, RetrievalMetrics *t2v, RetrievalMetrics *v2t);

/* QB-Norm (beta 20 in the paper): t2v ranks the rows of rerank_qbnorm(sim,
 * bank_t2v) with bank_t2v (Nbt, Nv) = bank captions x test videos; v2t ranks
 * rerank_qbnorm(sim^T, bank_v2t)^T with bank_v2t (Nbv, Nc) = bank videos x
 * test captions. A NULL bank leaves that direction uncomputed: its metrics
 * are NaN with entries = queries = 0 (JSON null). */
void eval_metrics_qbnorm(const float *sim, int64_t Nc, int64_t Nv, const int32_t *caption_video,
                         const float *bank_t2v, int64_t Nbt, const float *bank_v2t, int64_t Nbv,
                         float beta, RetrievalMetrics *t2v, RetrievalMetrics *v2t);

#endif
