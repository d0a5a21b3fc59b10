#include "ops_check.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "common/check.h"

TRng trng(uint64_t seed) {
    TRng r = {seed * 0x9E3779B97F4A7C15ull + 1};
    return r;
}

double trng_uniform(TRng *r, double lo, double hi) {
    // splitmix64
    uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return lo + (hi - lo) * ((double)(z >> 11) / 9007199254740992.0);
}

float *fvec(size_t n) {
    return callocCheck(n, sizeof(float));
}

float *fvec_rand(size_t n, double lo, double hi, TRng *r) {
    float *x = fvec(n);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)trng_uniform(r, lo, hi);
    return x;
}

float *fvec_nan(size_t n) {
    float *x = fvec(n);
    for (size_t i = 0; i < n; i++)
        x[i] = NAN;
    return x;
}

double *dvec(size_t n) {
    return callocCheck(n, sizeof(double));
}

double *dvec_rand(size_t n, double lo, double hi, TRng *r) {
    double *x = dvec(n);
    for (size_t i = 0; i < n; i++)
        x[i] = trng_uniform(r, lo, hi);
    return x;
}

double *dvec_of(const float *x, size_t n) {
    double *d = dvec(n);
    for (size_t i = 0; i < n; i++)
        d[i] = x[i];
    return d;
}

int32_t *ivec(size_t n) {
    return callocCheck(n, sizeof(int32_t));
}

static double max_abs(const double *x, size_t n) {
    double m = 0.0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i]) && fabs(x[i]) > m) m = fabs(x[i]);
    return m;
}

void check_close(const char *what, const float *got, const double *ref, size_t n, double rtol,
                 double atol) {
    double tol = rtol * max_abs(ref, n) + atol;
    for (size_t i = 0; i < n; i++) {
        double diff = fabs((double)got[i] - ref[i]);
        if (!(diff <= tol))
            fail_msg("%s: index %zu: got %.9g, reference %.9g (|diff| %.3g > tol %.3g)", what, i,
                     (double)got[i], ref[i], diff, tol);
    }
}

static double weighted_sum(RefFn f, const void *ctx, double *const *in, size_t out_len,
                           const double *wts, double *out) {
    f(ctx, in, out);
    double s = 0.0;
    for (size_t o = 0; o < out_len; o++)
        s += out[o] * wts[o];
    return s;
}

void fd_grad(RefFn f, const void *ctx, double *const *in, int which, size_t in_len, size_t out_len,
             const double *wts, size_t step, double *grad) {
    double *out = dvec(out_len); // scratch for the reference's output
    double *x = in[which];
    for (size_t i = 0; i < in_len; i++) {
        if (i % step != 0) {
            grad[i] = NAN;
            continue;
        }
        double saved = x[i];
        x[i] = saved + FD_EPS;
        double lp = weighted_sum(f, ctx, in, out_len, wts, out);
        x[i] = saved - FD_EPS;
        double lm = weighted_sum(f, ctx, in, out_len, wts, out);
        x[i] = saved;
        grad[i] = (lp - lm) / (2.0 * FD_EPS);
    }
    free(out);
}

void check_accumulated(const char *what, const double *g0, const double *g1, const float *g2,
                       const double *fd, size_t n) {
    double tol = BWD_RTOL * max_abs(fd, n) + 1e-6;
    size_t checked = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(fd[i])) continue;
        double inc1 = g1[i] - g0[i], inc2 = (double)g2[i] - g1[i];
        if (!(fabs(inc1 - fd[i]) <= tol))
            fail_msg("%s: index %zu: first backward added %.9g, finite differences %.9g "
                     "(tol %.3g)",
                     what, i, inc1, fd[i], tol);
        if (!(fabs(inc2 - fd[i]) <= tol))
            fail_msg("%s: index %zu: second backward added %.9g, finite differences %.9g "
                     "(tol %.3g): the backward does not accumulate",
                     what, i, inc2, fd[i], tol);
        checked++;
    }
    assert_true(checked > 0);
}

void check_zero(const char *what, const float *x, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (x[i] != 0.0f)
            fail_msg("%s: index %zu is %.9g, expected exactly 0", what, i, (double)x[i]);
}

GradBuf gbuf(size_t n, TRng *r) {
    GradBuf b = {fvec_rand(n, -1.0, 1.0, r), NULL, NULL, n};
    b.g0 = dvec_of(b.g, n);
    return b;
}

void gbuf_mark(GradBuf *b) {
    free(b->g1);
    b->g1 = dvec_of(b->g, b->n);
}

void gbuf_check(const char *what, const GradBuf *b, const double *fd) {
    assert_non_null(b->g1);
    check_accumulated(what, b->g0, b->g1, b->g, fd, b->n);
}

void gbuf_free(GradBuf *b) {
    free(b->g);
    free(b->g0);
    free(b->g1);
    b->g = NULL;
    b->g0 = b->g1 = NULL;
}
