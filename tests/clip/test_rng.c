/* The Philox4x32-10 generator: Random123's known-answer vectors, resume from
 * a saved state, and the moments of the uniform and normal draws. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/rng.h"

static void test_known_answers(void **state) {
    /* Random123 kat_vectors: philox4x32 10 ctr[4] key[2] -> out[4] */
    const uint32_t cases[3][10] = {
        {0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
        {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0x408f276d,
         0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
        {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, 0xd16cfe09,
         0x94fdcceb, 0x5001e420, 0x24126ea1},
    };
    for (int k = 0; k < 3; k++) {
        uint32_t out[4];
        rng_philox4x32(cases[k], cases[k] + 4, out);
        for (int j = 0; j < 4; j++)
            assert_int_equal(out[j], cases[k][6 + j]);
    }
}

static void test_resume(void **state) {
    DrlRng a;
    rng_init(&a, 42);
    float first[100], second[100];
    rng_normal(&a, first, 37, 0.0f, 1.0f);
    DrlRng saved = a; /* the whole state: key and counter */
    rng_normal(&a, first + 37, 63, 0.0f, 1.0f);
    (void)rng_u32(&a);
    DrlRng b = saved;
    rng_normal(&b, second, 63, 0.0f, 1.0f);
    assert_memory_equal(first + 37, second, 63 * sizeof(float));
    /* same seed, same stream; another seed or a split, another stream */
    DrlRng c, d;
    rng_init(&c, 42);
    rng_init(&d, 43);
    DrlRng e = rng_split(&c, 1);
    uint32_t x = rng_u32(&c), y = rng_u32(&d), z = rng_u32(&e);
    DrlRng c2;
    rng_init(&c2, 42);
    assert_int_equal(x, rng_u32(&c2));
    assert_true(x != y && x != z);
}

static void test_moments(void **state) {
    const size_t n = 1 << 20;
    float *v = malloc(n * sizeof(float));
    DrlRng r;
    rng_init(&r, 7);
    rng_uniform(&r, v, n);
    double s = 0, s2 = 0;
    for (size_t i = 0; i < n; i++) {
        assert_true(v[i] >= 0.0f && v[i] < 1.0f);
        s += v[i];
        s2 += (double)v[i] * v[i];
    }
    /* mean 1/2, variance 1/12; standard error of the mean ~ 2.8e-4 */
    assert_true(fabs(s / n - 0.5) < 2e-3);
    assert_true(fabs(s2 / n - s * s / n / n - 1.0 / 12) < 2e-3);
    rng_normal(&r, v, n, 1.5f, 2.0f);
    s = s2 = 0;
    double s3 = 0, s4 = 0;
    for (size_t i = 0; i < n; i++) {
        double z = (v[i] - 1.5) / 2.0;
        s += z;
        s2 += z * z;
        s3 += z * z * z;
        s4 += z * z * z * z;
    }
    assert_true(fabs(s / n) < 5e-3);
    assert_true(fabs(s2 / n - 1.0) < 5e-3);
    assert_true(fabs(s3 / n) < 2e-2);
    assert_true(fabs(s4 / n - 3.0) < 3e-2);
    uint32_t counts[10] = {0};
    for (int i = 0; i < 100000; i++)
        counts[rng_below(&r, 10)]++;
    for (int k = 0; k < 10; k++)
        assert_true(counts[k] > 9500 && counts[k] < 10500);
    free(v);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_answers),
        cmocka_unit_test(test_resume),
        cmocka_unit_test(test_moments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
