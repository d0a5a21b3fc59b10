/* The bf16 tests' reference rounding: the nearest bf16 of x by its definition,
 * in double, independent of src/cpu's bit manipulation. */
#ifndef DRL_TESTS_BF16_BF16_REF_H
#define DRL_TESTS_BF16_BF16_REF_H

#include <math.h>

/* 8 significant bits, the quantum of x's binade (at least 2^-133, bf16's
 * subnormal step), ties to even (nearbyint in the default rounding mode),
 * 2^128 and above is infinity. */
static inline double ref_bf16(float x) {
    if (isnan(x) || isinf(x) || x == 0.0f) return x;
    int e;
    frexp((double)x, &e); /* |x| in [2^(e-1), 2^e) */
    double q = ldexp(1.0, e - 8 > -133 ? e - 8 : -133);
    double r = nearbyint((double)x / q) * q;
    if (fabs(r) >= 0x1p128) return r > 0 ? INFINITY : -INFINITY;
    return r;
}

#endif
