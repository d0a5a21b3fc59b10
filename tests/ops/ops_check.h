/* Helpers shared by the op tests: a seeded generator, float/double buffers,
 * comparisons with a tolerance relative to the reference's largest magnitude,
 * and central finite differences on a double reference. */
#ifndef DRL_TESTS_OPS_CHECK_H
#define DRL_TESTS_OPS_CHECK_H

#include <stddef.h>
#include <stdint.h>

/* Tolerances: forward results against the double reference, and backward
 * increments against finite differences (both relative to the reference's
 * largest magnitude, plus a small absolute floor for O(1) buffers). */
#define FWD_RTOL 2e-5
#define BWD_RTOL 1e-3
#define FD_EPS   1e-3

typedef struct TRng {
    uint64_t state;
} TRng;

TRng trng(uint64_t seed);
double trng_uniform(TRng *r, double lo, double hi);

float *fvec(size_t n);                                     /* zero-filled */
float *fvec_rand(size_t n, double lo, double hi, TRng *r); /* uniform */
float *fvec_nan(size_t n); /* NaN-filled: stale output that must be overwritten */
double *dvec(size_t n);    /* zero-filled */
double *dvec_rand(size_t n, double lo, double hi, TRng *r); /* uniform */
double *dvec_of(const float *x, size_t n);                  /* widened copy */
int32_t *ivec(size_t n);                                    /* zero-filled */

/* Asserts |got - ref| <= rtol * max|ref| + atol everywhere (NaN fails) and
 * names the first offending index. */
void check_close(const char *what, const float *got, const double *ref, size_t n, double rtol,
                 double atol);

/* A double reference: in[] are its inputs, out its output (overwritten). */
typedef void (*RefFn)(const void *ctx, double *const *in, double *out);

/* grad[i] = d/d in[which][i] of sum(out * wts) by central differences of step
 * FD_EPS, for i % step == 0 (the other entries are set to NaN and skipped by
 * check_accumulated). out_len is the length of the reference's output. */
void fd_grad(RefFn f, const void *ctx, double *const *in, int which, size_t in_len, size_t out_len,
             const double *wts, size_t step, double *grad);

/* The backward was called twice on a gradient buffer that started at g0 and
 * held g1 after the first call and g2 after the second: asserts that both
 * increments (g1 - g0, g2 - g1) match fd within BWD_RTOL of max|fd|. */
void check_accumulated(const char *what, const double *g0, const double *g1, const float *g2,
                       const double *fd, size_t n);

/* A gradient buffer for the accumulation check: g starts random (g0), mark()
 * after the first backward call, check() after the second. */
typedef struct GradBuf {
    float *g;   /* (n) the buffer handed to the backward */
    double *g0; /* (n) its initial value */
    double *g1; /* (n) its value after the first call */
    size_t n;
} GradBuf;

GradBuf gbuf(size_t n, TRng *r);
void gbuf_mark(GradBuf *b);
void gbuf_check(const char *what, const GradBuf *b, const double *fd);
void gbuf_free(GradBuf *b);

/* Asserts every entry is exactly zero. */
void check_zero(const char *what, const float *x, size_t n);

#endif
