/* The CPU table: every entry present, memory ops (zero-filled alloc, zero,
 * copies in both directions, overlapping device copy, sync). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ops/ops.h"

static void test_table_complete(void **state) {
    (void)state;
    const DrlOps *ops = drl_cpu_ops();
    assert_non_null(ops);
    assert_string_equal(ops->name, "cpu");
    assert_ptr_equal(ops, drl_cpu_ops());
    // every function pointer after the name is set
    const unsigned char *p = (const unsigned char *)ops + offsetof(DrlOps, alloc);
    size_t nfn = (sizeof(DrlOps) - offsetof(DrlOps, alloc)) / sizeof(void (*)(void));
    for (size_t i = 0; i < nfn; i++) {
        void (*fn)(void);
        memcpy(&fn, p + i * sizeof fn, sizeof fn);
        if (!fn) fail_msg("DrlOps entry %zu after alloc is NULL", i);
    }
}

static void test_memory(void **state) {
    (void)state;
    const DrlOps *ops = drl_cpu_ops();
    size_t n = 1001;
    float *d = ops->alloc(n * sizeof(float)); // (n) zero-filled
    assert_non_null(d);
    for (size_t i = 0; i < n; i++)
        assert_true(d[i] == 0.0f);
    float *h = malloc(n * sizeof(float)), *back = malloc(n * sizeof(float));
    assert_non_null(h), assert_non_null(back);
    for (size_t i = 0; i < n; i++)
        h[i] = (float)i * 0.5f - 3.0f;
    ops->to_device(d, h, n * sizeof(float));
    ops->sync();
    float *d2 = ops->alloc(n * sizeof(float));
    ops->copy(d2, d, n * sizeof(float));
    ops->to_host(back, d2, n * sizeof(float));
    assert_memory_equal(back, h, n * sizeof(float));
    ops->copy(d2 + 1, d2, (n - 1) * sizeof(float)); // overlapping
    for (size_t i = 1; i < n; i++)
        assert_true(d2[i] == h[i - 1]);
    ops->zero(d2, n * sizeof(float));
    for (size_t i = 0; i < n; i++)
        assert_true(d2[i] == 0.0f);
    void *empty = ops->alloc(0);
    ops->free(empty);
    ops->copy(d, d2, 0);
    ops->free(d), ops->free(d2);
    ops->free(NULL);
    free(h), free(back);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_complete),
        cmocka_unit_test(test_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
