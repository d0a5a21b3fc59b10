#include "xb_check.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"

static double next_unit(Xb *x) {
    // xorshift64*: uniform in [0, 1)
    x->rng ^= x->rng >> 12;
    x->rng ^= x->rng << 25;
    x->rng ^= x->rng >> 27;
    return (double)((x->rng * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

float *xb_rand(Xb *x, size_t n, float scale) {
    float *p = mallocCheck((n ? n : 1) * sizeof(float)); // (n)
    for (size_t i = 0; i < n; i++)
        p[i] = (float)((2.0 * next_unit(x) - 1.0) * scale);
    return p;
}

int32_t *xb_rand_int(Xb *x, size_t n, int lo, int hi) {
    int32_t *p = mallocCheck((n ? n : 1) * sizeof(int32_t)); // (n)
    for (size_t i = 0; i < n; i++)
        p[i] = lo + (int32_t)(next_unit(x) * (hi - lo + 1));
    return p;
}

float *xb_dev(Xb *x, const float *host, size_t n) {
    float *d = x->gpu->alloc((n ? n : 1) * sizeof(float)); // (n)
    x->gpu->to_device(d, host, n * sizeof(float));
    return d;
}

int32_t *xb_dev_int(Xb *x, const int32_t *host, size_t n) {
    int32_t *d = x->gpu->alloc((n ? n : 1) * sizeof(int32_t)); // (n)
    x->gpu->to_device(d, host, n * sizeof(int32_t));
    return d;
}

float *xb_copy(const float *host, size_t n) {
    float *p = mallocCheck((n ? n : 1) * sizeof(float)); // (n)
    memcpy(p, host, n * sizeof(float));
    return p;
}

void xb_check(Xb *x, const char *op, const float *ref, const float *dev, size_t n, double tol) {
    float *got = mallocCheck((n ? n : 1) * sizeof(float)); // (n)
    x->gpu->to_host(got, dev, n * sizeof(float));
    double maxdiff = 0.0, maxref = 0.0;
    size_t worst = 0;
    int finite = 1;
    for (size_t i = 0; i < n; i++)
        if (isfinite(ref[i]) && fabs(ref[i]) > maxref) maxref = fabs(ref[i]);
    for (size_t i = 0; i < n; i++) {
        if (got[i] == ref[i]) continue; // equal, infinities included
        if (!isfinite(got[i]) || !isfinite(ref[i])) finite = 0;
        double d = fabs((double)got[i] - ref[i]);
        if (d > maxdiff) maxdiff = d, worst = i;
    }
    double rel = maxdiff / (maxref > 1e-30 ? maxref : 1.0);
    int ok = finite && rel <= tol;
    printf("%s [%s] %-34s rel err %.2e (tol %.0e)", ok ? "PASS" : "FAIL", x->prec, op, rel, tol);
    if (!ok && n)
        printf("  worst [%zu] gpu %.8g cpu %.8g%s", worst, got[worst], ref[worst],
               finite ? "" : " non-finite");
    printf("\n");
    if (ok)
        x->passed++;
    else
        x->failed++;
    free(got);
}

void xb_check_exact(Xb *x, const char *op, const void *ref, const void *dev, size_t n,
                    size_t elem) {
    unsigned char *got = mallocCheck((n ? n : 1) * elem); // (n * elem) bytes
    x->gpu->to_host(got, dev, n * elem);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += memcmp(got + i * elem, (const unsigned char *)ref + i * elem, elem) != 0;
    printf("%s [%s] %-34s %zu of %zu differ\n", bad ? "FAIL" : "PASS", x->prec, op, bad, n);
    if (bad)
        x->failed++;
    else
        x->passed++;
    free(got);
}

void xb_check_int(Xb *x, const char *op, const int32_t *ref, const int32_t *dev, size_t n) {
    xb_check_exact(x, op, ref, dev, n, sizeof(int32_t));
}

void xb_free_dev(Xb *x, ...) {
    va_list ap;
    va_start(ap, x);
    for (void *p = va_arg(ap, void *); p; p = va_arg(ap, void *))
        x->gpu->free(p);
    va_end(ap);
}
