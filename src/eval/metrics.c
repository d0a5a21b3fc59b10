/* Ranks without sorting (spec/model.md §10). The reference sorts each row
 * descending and emits the position of every element equal to the ground
 * truth value d. In a descending sort the elements > d come first, then the
 * elements == d (in some order), so those occupy positions g .. g + q - 1
 * with g = #{> d}, q = #{== d}, whatever the sort's tie order. numpy's test
 * `sorted - d == 0` holds exactly when sorted == d for finite floats, so
 * counting reproduces it. The entries are kept as a histogram over
 * positions (a difference array), never as a list, so ties cannot blow up
 * memory. */
#include "eval/metrics.h"

#include <math.h>

#include "common/check.h"

typedef struct {
    int64_t npos;    /* positions lie in [0, npos) */
    int64_t *diff;   /* (npos + 1) difference array of the position histogram */
    int64_t entries; /* len(e) */
    int64_t queries;
    int64_t sum;      /* sum of positions, exact */
    int64_t below[3]; /* #{e < 1}, #{e < 5}, #{e < 10} */
} RankAccum;

static const int64_t kTopK[3] = {1, 5, 10};

static void accum_init(RankAccum *a, int64_t npos) {
    drlCheck(npos >= 1, "a similarity matrix needs at least one row and one column");
    a->npos = npos;
    a->diff = callocCheck((size_t)npos + 1, sizeof(int64_t));
    a->entries = a->queries = a->sum = 0;
    for (int k = 0; k < 3; k++)
        a->below[k] = 0;
}

/* Adds the positions first, first + 1, ..., first + count - 1 (one query). */
static void accum_add(RankAccum *a, int64_t first, int64_t count) {
    drlCheck(count >= 1 && first >= 0 && first + count <= a->npos, "rank out of range");
    a->diff[first] += 1;
    a->diff[first + count] -= 1;
    a->entries += count;
    a->queries += 1;
    a->sum += count * first + count * (count - 1) / 2;
    for (int k = 0; k < 3; k++) {
        int64_t hi = first + count < kTopK[k] ? first + count : kTopK[k];
        if (hi > first) a->below[k] += hi - first;
    }
}

/* The value at 0-based index `idx` of the sorted entries. */
static int64_t accum_order_stat(const RankAccum *a, int64_t idx) {
    int64_t run = 0, seen = 0;
    for (int64_t p = 0; p < a->npos; p++) {
        run += a->diff[p]; /* number of entries at position p */
        seen += run;
        if (seen > idx) return p;
    }
    drl_fail(__FILE__, __LINE__, "accum_order_stat", "index past the entries", NULL);
}

static void accum_finish(RankAccum *a, RetrievalMetrics *m) {
    drlCheck(a->entries > 0, "no query had a ground truth (are there captions at all?)");
    const double n = (double)a->entries;
    m->r1 = (double)a->below[0] * 100.0 / n;
    m->r5 = (double)a->below[1] * 100.0 / n;
    m->r10 = (double)a->below[2] * 100.0 / n;
    const int64_t half = a->entries / 2;
    double median;
    if (a->entries % 2) {
        median = (double)accum_order_stat(a, half);
    } else {
        median = 0.5 * ((double)accum_order_stat(a, half - 1) + (double)accum_order_stat(a, half));
    }
    m->mdr = median + 1.0;
    m->mnr = (double)a->sum / n + 1.0;
    m->entries = a->entries;
    m->queries = a->queries;
    free(a->diff);
    a->diff = NULL;
}

static void check_no_nan(const float *sim, int64_t rows, int64_t cols) {
    for (int64_t i = 0; i < rows; i++) {
        for (int64_t j = 0; j < cols; j++) {
            if (isnan(sim[i * cols + j])) {
                char msg[160];
                snprintf(msg, sizeof msg,
                         "similarity matrix (%lld x %lld) holds NaN at row %lld, column %lld",
                         (long long)rows, (long long)cols, (long long)i, (long long)j);
                drl_fail(__FILE__, __LINE__, "retrieval metrics", msg,
                         "the model produced NaN features or scores");
            }
        }
    }
}

/* t2v of a query row against the value d: (g, q) counts. */
static void count_row(const float *row, int64_t n, float d, int64_t *gt, int64_t *eq) {
    int64_t g = 0, q = 0;
    for (int64_t j = 0; j < n; j++) {
        g += row[j] > d;
        q += row[j] == d;
    }
    *gt = g;
    *eq = q;
}

void metrics_one_per_video(const float *sim, int64_t N, RetrievalMetrics *t2v,
                           RetrievalMetrics *v2t) {
    drlCheck(N >= 1, "metrics need N >= 1");
    check_no_nan(sim, N, N);
    RankAccum a;
    accum_init(&a, N);
    for (int64_t i = 0; i < N; i++) {
        int64_t g, q;
        count_row(sim + i * N, N, sim[i * N + i], &g, &q);
        accum_add(&a, g, q);
    }
    accum_finish(&a, t2v);

    /* v2t on s^T: column j against s[j, j], walked row by row. */
    int64_t *gt = callocCheck((size_t)N, sizeof(int64_t)); // (N)
    int64_t *eq = callocCheck((size_t)N, sizeof(int64_t)); // (N)
    float *diag = mallocCheck((size_t)N * sizeof(float));  // (N)
    for (int64_t j = 0; j < N; j++)
        diag[j] = sim[j * N + j];
    for (int64_t i = 0; i < N; i++) {
        const float *row = sim + i * N;
        for (int64_t j = 0; j < N; j++) {
            gt[j] += row[j] > diag[j];
            eq[j] += row[j] == diag[j];
        }
    }
    accum_init(&a, N);
    for (int64_t j = 0; j < N; j++)
        accum_add(&a, gt[j], eq[j]);
    accum_finish(&a, v2t);
    free(gt);
    free(eq);
    free(diag);
}

void metrics_multi_sentence(const float *sim, int64_t Nc, int64_t Nv, const int32_t *caption_video,
                            RetrievalMetrics *t2v, RetrievalMetrics *v2t) {
    drlCheck(Nc >= 1 && Nv >= 1, "multi-sentence metrics need at least one caption and video");
    for (int64_t c = 0; c < Nc; c++) {
        if (caption_video[c] < 0 || caption_video[c] >= Nv) {
            char msg[160];
            snprintf(msg, sizeof msg, "caption %lld maps to video %d, expected 0..%lld",
                     (long long)c, (int)caption_video[c], (long long)Nv - 1);
            drl_fail(__FILE__, __LINE__, "multi-sentence metrics", msg, NULL);
        }
    }
    check_no_nan(sim, Nc, Nv);

    RankAccum a;
    accum_init(&a, Nv);
    for (int64_t c = 0; c < Nc; c++) {
        int64_t g, q;
        count_row(sim + c * Nv, Nv, sim[c * Nv + caption_video[c]], &g, &q);
        accum_add(&a, g, q);
    }
    accum_finish(&a, t2v);

    /* v2t: best own score per video, then counts over all captions. */
    float *best = callocCheck((size_t)Nv, sizeof(float));         // (Nv)
    uint8_t *has = callocCheck((size_t)Nv, 1);                    // (Nv)
    int64_t *gt = callocCheck((size_t)Nv, sizeof(int64_t));       // (Nv)
    int64_t *eq_other = callocCheck((size_t)Nv, sizeof(int64_t)); // (Nv)
    for (int64_t c = 0; c < Nc; c++) {
        const int32_t v = caption_video[c];
        const float s = sim[c * Nv + v];
        if (!has[v] || s > best[v]) best[v] = s;
        has[v] = 1;
    }
    for (int64_t c = 0; c < Nc; c++) {
        const float *row = sim + c * Nv;
        const int32_t own = caption_video[c];
        for (int64_t v = 0; v < Nv; v++) {
            gt[v] += row[v] > best[v];
            eq_other[v] += row[v] == best[v] && v != own;
        }
    }
    accum_init(&a, Nc);
    for (int64_t v = 0; v < Nv; v++) {
        if (has[v]) accum_add(&a, gt[v], eq_other[v] + 1);
    }
    accum_finish(&a, v2t);
    free(best);
    free(has);
    free(gt);
    free(eq_other);
}

void metrics_chance(int64_t N, RetrievalMetrics *m) {
    drlCheck(N >= 1, "chance level needs N >= 1");
    const double n = (double)N;
    m->r1 = 100.0 * (double)(N < 1 ? N : 1) / n;
    m->r5 = 100.0 * (double)(N < 5 ? N : 5) / n;
    m->r10 = 100.0 * (double)(N < 10 ? N : 10) / n;
    m->mdr = m->mnr = (n + 1.0) / 2.0;
    m->entries = m->queries = N;
}
