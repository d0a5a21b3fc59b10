#include "drl/interaction.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <string.h>

#include "common/check.h"
#include "ops/ops.h"

/* Evaluation scoring block: packed text rows x packed frame columns of one
 * sgemm (a 256 x 1024 float block, 1 MiB, stays in L2 for the max pass). */
#define WTI_ROWS 256
#define WTI_COLS 1024

/* The host heads use the CPU backend's op (one implementation). */
void l2norm_rows(float *out, float *norm, const float *x, int N, int C) {
    drl_cpu_ops()->l2norm_fwd(out, norm, x, N, C);
}

void l2norm_rows_bwd(float *dx, const float *dy, const float *y, const float *norm, int N, int C) {
    drl_cpu_ops()->l2norm_bwd(dx, dy, y, norm, N, C);
}

int drl_text_last_index(const int32_t *tm, int L) {
    int len = 0;
    for (int i = 0; i < L; i++)
        len += tm[i];
    /* PyTorch indexing with len - 1 = -1 wraps to the last position. */
    return len > 0 ? len - 1 : L - 1;
}

void drl_eot_rows(int32_t *rows, const int32_t *tm, int B, int L) {
    for (int a = 0; a < B; a++)
        rows[a] = a * L + drl_text_last_index(tm + (size_t)a * L, L);
}

/* ---- ti / wti ------------------------------------------------------------ */

void ti_uniform_weights(float *w, const int32_t *mask, int B, int K) {
    for (int b = 0; b < B; b++) {
        int cnt = 0;
        for (int k = 0; k < K; k++)
            cnt += mask[(size_t)b * K + k] ? 1 : 0;
        for (int k = 0; k < K; k++)
            w[(size_t)b * K + k] = (cnt && mask[(size_t)b * K + k]) ? 1.0f / (float)cnt : 0.0f;
    }
}

/* Valid rows of a masked (N, K, D) feature tensor packed contiguously:
 * rows (sum count, D), w (sum count) their weights, off (N + 1) the first
 * packed row of each item, pad (N) whether the item has masked positions. */
typedef struct {
    float *rows;  // (sum count, D)
    float *w;     // (sum count)
    int64_t *off; // (N + 1)
    uint8_t *pad; // (N)
} Packed;

static void pack_valid(Packed *p, const float *x, const int32_t *m, const float *w, int N, int K,
                       int D) {
    size_t total = 0;
    for (size_t k = 0; k < (size_t)N * K; k++)
        total += m[k] ? 1 : 0;
    p->rows = mallocCheck(sizeof(float) * (total > 0 ? total : 1) * D);
    p->w = mallocCheck(sizeof(float) * (total > 0 ? total : 1));
    p->off = mallocCheck(sizeof(int64_t) * ((size_t)N + 1));
    p->pad = mallocCheck((size_t)N > 0 ? (size_t)N : 1);
    size_t r = 0;
    for (int n = 0; n < N; n++) {
        p->off[n] = (int64_t)r;
        for (int k = 0; k < K; k++) {
            const size_t src = (size_t)n * K + k;
            if (!m[src]) continue;
            memcpy(p->rows + r * D, x + src * D, sizeof(float) * D);
            p->w[r++] = w[src];
        }
        p->pad[n] = (size_t)p->off[n] + K > r;
    }
    p->off[N] = (int64_t)r;
}

static void packed_free(Packed *p) {
    free(p->rows), free(p->w), free(p->off), free(p->pad);
}

/* Scores texts [a0, a1) against videos [b0, b1) from their similarity block
 * S (rows of the texts, columns of the videos; row stride ld). The masked
 * entries of the dense S are 0, so a max over a padded side also sees 0;
 * masked tokens and frames contribute nothing (their S row/column is 0). */
static void score_block(float *sim, int Bv, const Packed *t, const Packed *v, int a0, int a1,
                        int b0, int b1, const float *S, size_t ld, float *colmax /* (ld) */) {
    const int64_t r0 = t->off[a0], c0 = v->off[b0];
    const size_t nc = (size_t)(v->off[b1] - c0);
    for (int a = a0; a < a1; a++) {
        const int64_t ra = t->off[a], la = t->off[a + 1] - ra;
        const float *Sa = S + (size_t)(ra - r0) * ld; // (la, nc)
        // colmax (nc): max over the text's valid tokens for every frame column
        const float init = t->pad[a] ? 0.0f : -INFINITY;
        for (size_t c = 0; c < nc; c++)
            colmax[c] = init;
        for (int64_t i = 0; i < la; i++) {
            const float *s = Sa + (size_t)i * ld;
            for (size_t c = 0; c < nc; c++)
                colmax[c] = s[c] > colmax[c] ? s[c] : colmax[c];
        }
        const float *wt = t->w + ra;
        for (int b = b0; b < b1; b++) {
            const size_t cb = (size_t)(v->off[b] - c0), nb = (size_t)(v->off[b + 1] - v->off[b]);
            const float *wv = v->w + v->off[b];
            const float vinit = v->pad[b] ? 0.0f : -INFINITY;
            double t2v = 0.0, v2t = 0.0;
            for (int64_t i = 0; i < la; i++) {
                const float *s = Sa + (size_t)i * ld + cb;
                float best = vinit;
                for (size_t j = 0; j < nb; j++)
                    best = s[j] > best ? s[j] : best;
                t2v += (double)wt[i] * best;
            }
            for (size_t j = 0; j < nb; j++)
                v2t += (double)wv[j] * colmax[cb + j];
            sim[(size_t)a * Bv + b] = (float)((t2v + v2t) * 0.5);
        }
    }
}

/* Splits the items of p into blocks of about `target` packed rows each
 * (at least one item per block); bounds (n + 1) gets the first item of each
 * block and the end; returns the number of blocks. */
static int split_blocks(const Packed *p, int n, int64_t target, int *bounds) {
    int nb = 0;
    for (int i0 = 0; i0 < n; nb++) {
        bounds[nb] = i0;
        int i1 = i0 + 1;
        while (i1 < n && p->off[i1 + 1] - p->off[i0] <= target)
            i1++;
        i0 = i1;
    }
    bounds[nb] = n;
    return nb;
}

void tokenwise_score_normalised(float *sim, const float *tn, const int32_t *tm, const float *vn,
                                const int32_t *vm, const float *wt, const float *wv, int Bt, int Bv,
                                int L, int T, int D, float *scratch) {
    (void)scratch; // the blocks below use their own cache-sized scratch
    // Only valid tokens and frames are scored: both sides are packed, then
    // each tile of about WTI_ROWS text rows x WTI_COLS frame columns is one
    // sgemm followed by the max / weighted-sum pass while it is in cache.
    // Tiles run in parallel (OpenMP), each with a single-threaded sgemm.
    Packed t, v;
    pack_valid(&t, tn, tm, wt, Bt, L, D);
    pack_valid(&v, vn, vm, wv, Bv, T, D);
    const int64_t rows_cap = WTI_ROWS > L ? WTI_ROWS : L, cols_cap = WTI_COLS > T ? WTI_COLS : T;
    int *tb = mallocCheck(sizeof(int) * ((size_t)Bt + 1)); // (text blocks + 1) first text
    int *vb = mallocCheck(sizeof(int) * ((size_t)Bv + 1)); // (video blocks + 1) first video
    const int ntb = split_blocks(&t, Bt, rows_cap, tb), nvb = split_blocks(&v, Bv, cols_cap, vb);
    const int ntiles = ntb * nvb;
    const int nthreads = ntiles > 1 ? omp_get_max_threads() : 1;
    const int blas_threads = openblas_get_num_threads();
    if (nthreads > 1) openblas_set_num_threads(1);
#pragma omp parallel num_threads(nthreads)
    {
        float *S = mallocCheck(sizeof(float) * (size_t)rows_cap * cols_cap); // (rows, cols)
        float *colmax = mallocCheck(sizeof(float) * (size_t)cols_cap);       // (cols)
#pragma omp for schedule(dynamic, 1)
        for (int k = 0; k < ntiles; k++) {
            const int a0 = tb[k / nvb], a1 = tb[k / nvb + 1];
            const int b0 = vb[k % nvb], b1 = vb[k % nvb + 1];
            const int64_t nr = t.off[a1] - t.off[a0], nc = v.off[b1] - v.off[b0];
            if (nr > 0 && nc > 0) // S (nr, nc) = packed tokens . packed frames^T
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nr, (int)nc, D, 1.0f,
                            t.rows + (size_t)t.off[a0] * D, D, v.rows + (size_t)v.off[b0] * D, D,
                            0.0f, S, (int)cols_cap);
            score_block(sim, Bv, &t, &v, a0, a1, b0, b1, S, (size_t)cols_cap, colmax);
        }
        free(S), free(colmax);
    }
    if (nthreads > 1) openblas_set_num_threads(blas_threads);
    free(tb), free(vb);
    packed_free(&t), packed_free(&v);
}
