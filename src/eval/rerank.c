/* Dual softmax and QB-Norm re-ranking (formulas in rerank.h). */
#include "eval/rerank.h"

#include <math.h>
#include <stdio.h>

#include "common/check.h"

static void check_finite(const char *what, const float *m, int64_t rows, int64_t cols) {
    for (int64_t k = 0; k < rows * cols; k++) {
        if (!isfinite(m[k])) {
            char msg[160];
            snprintf(msg, sizeof msg, "%s (%lld x %lld) holds %g at row %lld, column %lld", what,
                     (long long)rows, (long long)cols, (double)m[k], (long long)(k / cols),
                     (long long)(k % cols));
            drl_fail(__FILE__, __LINE__, "re-ranking", msg, NULL);
        }
    }
}

/* Per column v: max over rows and sum_r exp(scale * (m[r, v] - max)). */
static void column_logsumexp_parts(const float *m, int64_t rows, int64_t cols, double scale,
                                   double *colmax /* (cols) */, double *colsum /* (cols) */) {
    for (int64_t v = 0; v < cols; v++) {
        colmax[v] = -INFINITY;
        colsum[v] = 0.0;
    }
    for (int64_t r = 0; r < rows; r++) {
        for (int64_t v = 0; v < cols; v++) {
            const double x = scale * (double)m[r * cols + v];
            if (x > colmax[v]) colmax[v] = x;
        }
    }
    for (int64_t r = 0; r < rows; r++) {
        for (int64_t v = 0; v < cols; v++) {
            colsum[v] += exp(scale * (double)m[r * cols + v] - colmax[v]);
        }
    }
}

void rerank_dsl(const float *sim, int64_t Nq, int64_t Nv, float temp, float *out) {
    drlCheck(Nq >= 1 && Nv >= 1, "DSL needs a non-empty similarity matrix");
    drlCheck(out != sim, "rerank_dsl: out may not alias sim");
    drlCheck(temp > 0.0f && isfinite(temp), "DSL temperature must be positive and finite");
    check_finite("similarity matrix", sim, Nq, Nv);
    double *colmax = mallocCheck((size_t)Nv * sizeof(double)); // (Nv)
    double *colsum = mallocCheck((size_t)Nv * sizeof(double)); // (Nv)
    const double t = (double)temp;
    column_logsumexp_parts(sim, Nq, Nv, t, colmax, colsum);
    for (int64_t q = 0; q < Nq; q++) {
        for (int64_t v = 0; v < Nv; v++) {
            const double s = (double)sim[q * Nv + v];
            out[q * Nv + v] = (float)(s * (exp(t * s - colmax[v]) / colsum[v]));
        }
    }
    free(colmax);
    free(colsum);
}

void rerank_dsl_v2t(const float *sim, int64_t Nc, int64_t Nv, float temp, float *out) {
    drlCheck(Nc >= 1 && Nv >= 1, "DSL needs a non-empty similarity matrix");
    drlCheck(out != sim, "rerank_dsl_v2t: out may not alias sim");
    drlCheck(temp > 0.0f && isfinite(temp), "DSL temperature must be positive and finite");
    check_finite("similarity matrix", sim, Nc, Nv);
    const double t = (double)temp;
    for (int64_t c = 0; c < Nc; c++) {
        const float *row = sim + c * Nv;
        double mx = -INFINITY, sum = 0.0;
        for (int64_t v = 0; v < Nv; v++) {
            if (t * (double)row[v] > mx) mx = t * (double)row[v];
        }
        for (int64_t v = 0; v < Nv; v++)
            sum += exp(t * (double)row[v] - mx);
        for (int64_t v = 0; v < Nv; v++) {
            const double s = (double)row[v];
            out[c * Nv + v] = (float)(s * (exp(t * s - mx) / sum));
        }
    }
}

static int64_t row_argmax(const float *row, int64_t n) {
    int64_t best = 0;
    for (int64_t j = 1; j < n; j++) {
        if (row[j] > row[best]) best = j;
    }
    return best;
}

void rerank_qbnorm(const float *sim, int64_t Nq, int64_t Nv, const float *bank, int64_t Nb,
                   float beta, float *out) {
    drlCheck(Nq >= 1 && Nv >= 1, "QB-Norm needs a non-empty similarity matrix");
    drlCheck(Nb >= 1, "QB-Norm needs a non-empty query bank");
    drlCheck(out != sim, "rerank_qbnorm: out may not alias sim");
    drlCheck(beta > 0.0f && isfinite(beta), "QB-Norm beta must be positive and finite");
    check_finite("similarity matrix", sim, Nq, Nv);
    check_finite("QB-Norm query bank", bank, Nb, Nv);

    uint8_t *active = callocCheck((size_t)Nv, 1); // (Nv) top-1 of some bank query
    for (int64_t b = 0; b < Nb; b++)
        active[row_argmax(bank + b * Nv, Nv)] = 1;

    double *colmax = mallocCheck((size_t)Nv * sizeof(double)); // (Nv) beta * M_v
    double *colsum = mallocCheck((size_t)Nv * sizeof(double)); // (Nv)
    const double be = (double)beta;
    column_logsumexp_parts(bank, Nb, Nv, be, colmax, colsum);
    for (int64_t q = 0; q < Nq; q++) {
        const float *row = sim + q * Nv;
        float *o = out + q * Nv;
        if (!active[row_argmax(row, Nv)]) {
            for (int64_t v = 0; v < Nv; v++)
                o[v] = row[v];
            continue;
        }
        for (int64_t v = 0; v < Nv; v++) {
            o[v] = (float)(exp(be * (double)row[v] - colmax[v]) / colsum[v]);
        }
    }
    free(active);
    free(colmax);
    free(colsum);
}
