/* Helpers of the cross-backend test: random host data, device copies, and the
 * comparison of a device result with the CPU backend's (max |gpu - cpu| over
 * max |cpu|, against a tolerance), counted and printed per op. */
#ifndef DRL_TESTS_CUDA_XB_CHECK_H
#define DRL_TESTS_CUDA_XB_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "ops/ops.h"

typedef struct {
    const DrlOps *cpu, *gpu;
    uint64_t rng;
    int passed, failed;
    const char *prec; /* precision label of the pass */
} Xb;

/* Uniform floats in [-scale, scale]. */
float *xb_rand(Xb *x, size_t n, float scale);          /* (n) host, free() */
int32_t *xb_rand_int(Xb *x, size_t n, int lo, int hi); /* (n) host in [lo, hi] */
float *xb_dev(Xb *x, const float *host, size_t n);     /* (n) device copy */
int32_t *xb_dev_int(Xb *x, const int32_t *host, size_t n);
float *xb_copy(const float *host, size_t n); /* host duplicate */
/* Compares device dev (n) with host ref (n); relative error <= tol passes. */
void xb_check(Xb *x, const char *op, const float *ref, const float *dev, size_t n, double tol);
/* Element by element bit equality of n elements of elem bytes (dev: device). */
void xb_check_exact(Xb *x, const char *op, const void *ref, const void *dev, size_t n, size_t elem);
void xb_check_int(Xb *x, const char *op, const int32_t *ref, const int32_t *dev, size_t n);
/* Frees device pointers (NULL-terminated list). */
void xb_free_dev(Xb *x, ...);

#endif
