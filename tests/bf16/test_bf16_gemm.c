/* The CPU bf16 matrix product (src/cpu/cpu_bf16_gemm.h) against a double
 * reference: the rounding against its arithmetic definition (nearest bf16,
 * ties to even, computed in double), and C = alpha op(A) op(B) + beta C for
 * every transpose form, odd sizes, padded leading dimensions, beta 0 (stale
 * NaN in C) and beta != 0, against the double-precision sum of the
 * bf16-rounded inputs: only fp32 accumulation rounding may remain (1e-5 of
 * the sum of |products|). Plus the op table drl_cpu_ops_bf16(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu_bf16_gemm.h"
#include "bf16_ref.h"
#include "ops/ops.h"

/* Relative tolerance of the product against the sum of |terms|: fp32
 * accumulation of exact bf16 x bf16 products (K <= 300 here). */
#define GEMM_RTOL 1e-5

static uint64_t next_u64(uint64_t *s) {
    *s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
    return *s;
}

static float uniform(uint64_t *s, float lo, float hi) {
    return lo + (hi - lo) * (float)((next_u64(s) >> 40) * 0x1p-24);
}

static void test_rounding(void **state) {
    (void)state;
    const float special[] = {0.0f,
                             -0.0f,
                             1.0f,
                             1.0f + 0x1p-8f,
                             1.0f + 3 * 0x1p-8f,
                             1.0f + 0x1p-8f + 0x1p-20f,
                             -2.5f,
                             FLT_MAX,
                             -FLT_MAX,
                             0x1.fep127f,
                             0x1.fdp127f,
                             FLT_MIN,
                             0x1p-140f,
                             0x1.8p-133f,
                             0x1p-149f,
                             INFINITY,
                             -INFINITY};
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++) {
        float got = cpu_bf16_to_float(cpu_bf16_from_float(special[i]));
        double want = ref_bf16(special[i]);
        if (!(got == want && !signbit(got) == !signbit(want)))
            fail_msg("bf16(%a) = %a, expected %a", (double)special[i], (double)got, want);
    }
    assert_true(isnan(cpu_bf16_to_float(cpu_bf16_from_float(NAN))));
    uint32_t nan_low = 0x7f800001u; /* a NaN whose payload is all in the dropped half */
    float fnan;
    memcpy(&fnan, &nan_low, sizeof fnan);
    assert_true(isnan(cpu_bf16_to_float(cpu_bf16_from_float(fnan))));
    uint64_t s = 0x243f6a8885a308d3ull;
    for (int i = 0; i < 1000000; i++) {
        uint32_t u = (uint32_t)next_u64(&s);
        float x;
        memcpy(&x, &u, sizeof x);
        if (isnan(x)) continue;
        float got = cpu_bf16_to_float(cpu_bf16_from_float(x));
        double want = ref_bf16(x);
        if (!(got == want && !signbit(got) == !signbit(want)))
            fail_msg("bf16(%a) = %a, expected %a", (double)x, (double)got, want);
    }
}

/* op(X)[i][k] of X stored rows x cols with leading dimension ld. */
static float at(const float *X, int trans, int ld, int i, int k) {
    return trans ? X[(size_t)k * ld + i] : X[(size_t)i * ld + k];
}

static void gemm_case(int ta, int tb, int M, int N, int K, float alpha, float beta, int pad,
                      uint64_t seed) {
    uint64_t s = seed;
    const int a_rows = ta ? K : M, a_cols = ta ? M : K, b_rows = tb ? N : K, b_cols = tb ? K : N;
    const int lda = a_cols + pad, ldb = b_cols + pad, ldc = N + pad;
    float *A = malloc(sizeof(float) * (size_t)a_rows * lda); // (a_rows, lda)
    float *B = malloc(sizeof(float) * (size_t)b_rows * ldb); // (b_rows, ldb)
    float *C = malloc(sizeof(float) * (size_t)M * ldc);      // (M, ldc)
    float *C0 = malloc(sizeof(float) * (size_t)M * ldc);     // (M, ldc) before the call
    assert_non_null(A), assert_non_null(B), assert_non_null(C), assert_non_null(C0);
    for (size_t i = 0; i < (size_t)a_rows * lda; i++)
        A[i] = uniform(&s, -2.0f, 2.0f);
    for (size_t i = 0; i < (size_t)b_rows * ldb; i++)
        B[i] = uniform(&s, -2.0f, 2.0f);
    for (size_t i = 0; i < (size_t)M * ldc; i++)
        C0[i] = beta == 0.0f ? NAN : uniform(&s, -3.0f, 3.0f);
    memcpy(C, C0, sizeof(float) * (size_t)M * ldc);
    cpu_bf16_gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    for (int i = 0; i < M; i++) {
        for (int j = 0; j < N; j++) {
            double sum = 0.0, mag = 0.0;
            for (int k = 0; k < K; k++) {
                double p = ref_bf16(at(A, ta, lda, i, k)) * ref_bf16(at(B, tb, ldb, k, j));
                sum += p, mag += fabs(p);
            }
            double c0 = C0[(size_t)i * ldc + j];
            double want = alpha * sum + (beta == 0.0f ? 0.0 : beta * c0);
            double scale = fabs(alpha) * mag + (beta == 0.0f ? 0.0 : fabs(beta * c0));
            double got = C[(size_t)i * ldc + j];
            if (!(fabs(got - want) <= GEMM_RTOL * scale + 1e-30))
                fail_msg("%c%c M=%d N=%d K=%d alpha=%g beta=%g: C[%d][%d] = %.9g, expected %.9g "
                         "(|terms| %.3g)",
                         ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K, alpha, beta, i, j, got, want,
                         scale);
        }
        for (int j = N; j < ldc; j++) { /* the padding is not written */
            float c = C[(size_t)i * ldc + j], c0 = C0[(size_t)i * ldc + j];
            assert_memory_equal(&c, &c0, sizeof c);
        }
    }
    free(A), free(B), free(C), free(C0);
}

static void test_gemm_forms(void **state) {
    (void)state;
    /* {260, 200, 330}: M >= CPU_BF16_BLOCKED_B_MIN_M and K*N large enough that
     * oneDNN picks its blocked B layout (padded: N and K no multiple of its
     * blocks), with pad 0 (a padded C takes oneDNN's other kernel) */
    const int sizes[][3] = {{1, 1, 1},       {37, 53, 71}, {130, 67, 257},
                            {260, 200, 330}, {5, 300, 3},  {64, 48, 32}};
    const float ab[][2] = {{1.0f, 0.0f}, {1.0f, 1.0f}, {0.5f, -0.75f}};
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++)
            for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++)
                for (size_t c = 0; c < sizeof ab / sizeof ab[0]; c++)
                    gemm_case(ta, tb, sizes[z][0], sizes[z][1], sizes[z][2], ab[c][0], ab[c][1],
                              (int)(z % 3), seed += 0x1234567ull);
}

/* K = 0: C = beta C (beta 0: zeros even over NaN), like BLAS. */
static void test_gemm_empty_k(void **state) {
    (void)state;
    float C[6] = {NAN, NAN, NAN, NAN, NAN, NAN}, A[1] = {1}, B[1] = {1};
    cpu_bf16_gemm(0, 0, 2, 3, 0, 1.0f, A, 1, B, 3, 0.0f, C, 3);
    for (int i = 0; i < 6; i++)
        assert_true(C[i] == 0.0f);
    float D[2] = {2.0f, -4.0f};
    cpu_bf16_gemm(1, 1, 1, 2, 0, 1.0f, A, 1, B, 1, 0.5f, D, 2);
    assert_true(D[0] == 1.0f && D[1] == -2.0f);
}

/* The table: host memory like drl_cpu_ops(), every entry but linear, matmul
 * and attention shared with it. */
static void test_table(void **state) {
    (void)state;
    char why[256] = "";
    const DrlOps *b = drl_cpu_ops_bf16(why, sizeof why);
    if (!b) fail_msg("drl_cpu_ops_bf16: %s", why);
    const DrlOps *f = drl_cpu_ops();
    assert_true(drl_ops_is_cpu(b) && drl_ops_is_cpu(f));
    assert_false(drl_ops_is_cpu(NULL));
    assert_string_equal(b->name, "cpu");
    assert_true(b->linear_fwd != f->linear_fwd && b->linear_bwd != f->linear_bwd);
    assert_true(b->matmul_fwd != f->matmul_fwd && b->matmul_bwd != f->matmul_bwd);
    assert_true(b->attention_fwd != f->attention_fwd && b->attention_bwd != f->attention_bwd);
    assert_true(b->layernorm_fwd == f->layernorm_fwd && b->alloc == f->alloc);
    assert_true(b->softmax_fwd == f->softmax_fwd && b->im2col == f->im2col);
}

int main(void) {
    char why[256];
    if (!cpu_bf16_gemm_available(why, sizeof why)) {
        fprintf(stderr, "test_bf16_gemm: %s\n", why);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rounding),
        cmocka_unit_test(test_gemm_forms),
        cmocka_unit_test(test_gemm_empty_k),
        cmocka_unit_test(test_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
