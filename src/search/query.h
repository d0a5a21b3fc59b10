/* Scoring one caption against indexed videos (drl_search): the dp first pass
 * on the pooled vectors, then the configured interaction on candidate blocks,
 * and a bounded best-K selection. */
#ifndef DRL_SEARCH_QUERY_H
#define DRL_SEARCH_QUERY_H

#include <stdint.h>

#include "search/encoder.h"

typedef struct {
    int L, T, D;
    HeadInteraction inter;
    float *tf;   /* (L, D) text features */
    int32_t *tm; /* (L) */
    float *t;    /* (D) dp text vector */
    float *tn;   /* (L, D) normalised tokens */
    float *wt;   /* (L) token weights (wti branch or uniform) */
} QueryText;

/* Encodes ids (L) / mask (L) with the encoder's text tower and prepares q. */
void query_prepare(Encoder *e, const int32_t *ids, const int32_t *mask, QueryText *q);
void query_free(QueryText *q);

/* out (n) = t . pooled[b] for pooled (n, D). */
void query_score_dp(const QueryText *q, const float *pooled, int64_t n, float *out);
/* out (n) = the configured interaction of the text with videos vf (n, T, D),
 * vm (n, T); wv (n, T) the stored wti weights (NULL: uniform; ignored for
 * other interactions). dp uses the pooled vectors of vf. */
void query_score_videos(Encoder *e, const QueryText *q, const float *vf, const int32_t *vm,
                        const float *wv, int n, float *out);

/* Best K (score, row) pairs: a min-heap; ties keep the smaller row. */
typedef struct {
    int K, n;
    float *score; /* (K) */
    int64_t *row; /* (K) */
} TopK;

void topk_init(TopK *h, int K);
void topk_free(TopK *h);
void topk_push(TopK *h, float score, int64_t row);
/* Sorts the kept entries best first (score descending, row ascending). */
void topk_sort(TopK *h);

#endif
