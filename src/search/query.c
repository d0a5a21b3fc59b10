#include "search/query.h"

#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "drl/drl_xti.h"
#include "drl/interaction.h"

void query_prepare(Encoder *e, const int32_t *ids, const int32_t *mask, QueryText *q) {
    const int L = e->L, T = e->T, D = e->D;
    memset(q, 0, sizeof *q);
    q->L = L, q->T = T, q->D = D, q->inter = e->m.h.interaction;
    q->tf = callocCheck((size_t)L * D, sizeof(float)); // (L, D)
    q->tm = callocCheck((size_t)L, sizeof(int32_t));   // (L)
    q->t = callocCheck((size_t)D, sizeof(float));      // (D)
    q->tn = callocCheck((size_t)L * D, sizeof(float)); // (L, D)
    q->wt = callocCheck((size_t)L, sizeof(float));     // (L)
    memcpy(q->tm, mask, sizeof(int32_t) * L);
    encoder_text(e, ids, 1, q->tf);
    encoder_pool_text(q->tf, q->tm, L, D, q->t);
    float *norm = callocCheck((size_t)L, sizeof(float)); // (L)
    l2norm_rows(q->tn, norm, q->tf, L, D);
    free(norm);
    encoder_text_weights(e, q->tf, q->tm, 1, q->wt);
}

void query_free(QueryText *q) {
    free(q->tf), free(q->tm), free(q->t), free(q->tn), free(q->wt);
    memset(q, 0, sizeof *q);
}

void query_score_dp(const QueryText *q, const float *pooled, int64_t n, float *out) {
    for (int64_t b = 0; b < n; b++) {
        const float *v = pooled + b * q->D;
        double acc = 0.0;
        for (int d = 0; d < q->D; d++)
            acc += (double)q->t[d] * v[d];
        out[b] = (float)acc;
    }
}

void query_score_videos(Encoder *e, const QueryText *q, const float *vf, const int32_t *vm,
                        const float *wv, int n, float *out) {
    const int L = q->L, T = q->T, D = q->D;
    if (n <= 0) return;
    if (q->inter == HEAD_DP) {
        float *pooled = callocCheck((size_t)n * D, sizeof(float)); // (n, D)
        encoder_pool_videos(vf, vm, n, T, D, pooled);
        query_score_dp(q, pooled, n, out);
        free(pooled);
        return;
    }
    if (q->inter == HEAD_XTI) {
        xti_score(&e->m, q->tf, q->tm, 1, vf, vm, n, out);
        return;
    }
    float *vn = callocCheck((size_t)n * T * D, sizeof(float));      // (n, T, D)
    float *norm = callocCheck((size_t)n * T, sizeof(float));        // (n, T)
    float *w = callocCheck((size_t)n * T, sizeof(float));           // (n, T)
    l2norm_rows(vn, norm, vf, n * T, D);
    if (q->inter == HEAD_WTI && wv)
        memcpy(w, wv, sizeof(float) * (size_t)n * T);
    else if (q->inter == HEAD_WTI)
        encoder_video_weights(e, vf, vm, n, w);
    else
        ti_uniform_weights(w, vm, n, T);
    tokenwise_score_normalised(out, q->tn, q->tm, vn, vm, q->wt, w, 1, n, L, T, D, NULL);
    free(vn), free(norm), free(w);
}

/* a ranks below b: lower score, or equal score and larger row */
static int worse(float sa, int64_t ra, float sb, int64_t rb) {
    return sa < sb || (sa == sb && ra > rb);
}

void topk_init(TopK *h, int K) {
    h->K = K, h->n = 0;
    h->score = callocCheck((size_t)K + 1, sizeof(float));
    h->row = callocCheck((size_t)K + 1, sizeof(int64_t));
}

void topk_free(TopK *h) {
    free(h->score), free(h->row);
    memset(h, 0, sizeof *h);
}

static void swap_at(TopK *h, int a, int b) {
    float s = h->score[a];
    int64_t r = h->row[a];
    h->score[a] = h->score[b], h->row[a] = h->row[b];
    h->score[b] = s, h->row[b] = r;
}

static void sift_down(TopK *h, int i) {
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n && worse(h->score[l], h->row[l], h->score[m], h->row[m])) m = l;
        if (r < h->n && worse(h->score[r], h->row[r], h->score[m], h->row[m])) m = r;
        if (m == i) return;
        swap_at(h, i, m);
        i = m;
    }
}

void topk_push(TopK *h, float score, int64_t row) {
    if (h->K <= 0) return;
    if (h->n < h->K) {
        int i = h->n++;
        h->score[i] = score, h->row[i] = row;
        while (i > 0) {
            int p = (i - 1) / 2;
            if (!worse(h->score[i], h->row[i], h->score[p], h->row[p])) break;
            swap_at(h, i, p);
            i = p;
        }
        return;
    }
    if (!worse(h->score[0], h->row[0], score, row)) return; /* not better than the worst kept */
    h->score[0] = score, h->row[0] = row;
    sift_down(h, 0);
}

void topk_sort(TopK *h) {
    /* heap sort: repeatedly move the worst to the end -> best first */
    int n = h->n;
    while (h->n > 1) {
        swap_at(h, 0, h->n - 1);
        h->n--;
        sift_down(h, 0);
    }
    h->n = n;
}
