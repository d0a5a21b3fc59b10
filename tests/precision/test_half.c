/* src/ops/half.h and the CPU op round_fp16 against IEEE binary16 arithmetic
 * worked out from first principles: every finite half converts exactly and
 * back; every midpoint between neighbouring halves rounds to the one with an
 * even significand, and the floats just beside it to the nearer neighbour;
 * overflow, underflow, signed zero, inf and NaN. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ops/half.h"
#include "ops/ops.h"

/* The value of half bits h (finite), from the definition. */
static double half_value(uint16_t h) {
    int e = (h >> 10) & 0x1f, m = h & 0x3ff;
    double v = e == 0 ? ldexp(m, -24) : ldexp(1024 + m, e - 25);
    return (h & 0x8000) ? -v : v;
}

static void test_every_half_roundtrips(void **state) {
    (void)state;
    for (uint32_t h = 0; h < 0x10000; h++) {
        if (((h >> 10) & 0x1f) == 0x1f) continue; /* inf/NaN below */
        float f = half_to_float((uint16_t)h);
        assert_true((double)f == half_value((uint16_t)h));
        assert_int_equal(half_from_float(f), h);
    }
}

static void test_midpoints_tie_to_even(void **state) {
    (void)state;
    for (uint16_t h = 0; h < 0x7bff; h++) { /* positive finite halves and their successor */
        double lo = half_value(h), hi = half_value((uint16_t)(h + 1));
        double mid = 0.5 * (lo + hi); /* exact in double, and in float (<= 12 bits) */
        float fm = (float)mid;
        assert_true((double)fm == mid);
        uint16_t even = (h & 1) ? (uint16_t)(h + 1) : h;
        assert_int_equal(half_from_float(fm), even);
        assert_int_equal(half_from_float(nextafterf(fm, 0.0f)), h);
        assert_int_equal(half_from_float(nextafterf(fm, INFINITY)), h + 1);
        assert_int_equal(half_from_float(-fm), even | 0x8000);
    }
}

static void test_special_values(void **state) {
    (void)state;
    assert_int_equal(half_from_float(65504.0f), 0x7bff);
    assert_int_equal(half_from_float(65519.99f), 0x7bff);
    assert_int_equal(half_from_float(65520.0f), 0x7c00); /* the midpoint to 2^16 ties up to inf */
    assert_int_equal(half_from_float(1e30f), 0x7c00);
    assert_int_equal(half_from_float(-INFINITY), 0xfc00);
    assert_true(isinf(half_to_float(0x7c00)));
    assert_true(isnan(half_round(NAN)));
    assert_int_equal(half_from_float(0x1p-25f), 0x0000);   /* tie between 0 and 2^-24: even 0 */
    assert_int_equal(half_from_float(0x1.8p-25f), 0x0001); /* above the tie */
    assert_int_equal(half_from_float(1e-10f), 0x0000);
    assert_int_equal(half_from_float(-0.0f), 0x8000);
    assert_true(signbit(half_round(-1e-10f)));
}

static void test_cpu_op(void **state) {
    (void)state;
    const DrlOps *ops = drl_cpu_ops();
    assert_non_null(ops->round_fp16);
    enum { N = 100000 };
    static float x[N], y[N];
    uint32_t s = 12345u;
    for (int i = 0; i < N; i++) {
        s = s * 1664525u + 1013904223u;
        x[i] = ldexpf((float)(s >> 8) / 16777216.0f - 0.5f, (int)(s % 40) - 30);
        y[i] = x[i];
    }
    ops->round_fp16(y, N);
    for (int i = 0; i < N; i++)
        assert_true(y[i] == half_round(x[i]));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_half_roundtrips), cmocka_unit_test(test_midpoints_tie_to_even),
        cmocka_unit_test(test_special_values), cmocka_unit_test(test_cpu_op)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
