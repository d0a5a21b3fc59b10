/* Masked mean along the middle axis and masked row max with argmax (first
 * maximal index wins; a row with no valid entry gives 0 and -1). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "ops/ops.h"
#include "ops_check.h"

typedef struct RedCtx {
    int N, K, C;
    const int32_t *mask; /* masked mean: (N, K); rowmax: (N, C); or NULL */
} RedCtx;

/* in[0] inp (N, K, C); out (N, C) */
static void ref_masked_mean(const void *vctx, double *const *in, double *out) {
    const RedCtx *c = vctx;
    for (int n = 0; n < c->N; n++) {
        double cnt = 0.0;
        for (int k = 0; k < c->K; k++)
            cnt += c->mask ? c->mask[n * c->K + k] : 1;
        for (int i = 0; i < c->C; i++) {
            double s = 0.0;
            for (int k = 0; k < c->K; k++)
                s += (c->mask ? c->mask[n * c->K + k] : 1) * in[0][(n * c->K + k) * c->C + i];
            out[n * c->C + i] = s / fmax(1.0, cnt);
        }
    }
}

/* in[0] inp (N, C); out (N): max over valid entries, 0 when none */
static void ref_rowmax(const void *vctx, double *const *in, double *out) {
    const RedCtx *c = vctx;
    for (int n = 0; n < c->N; n++) {
        double m = -INFINITY;
        for (int i = 0; i < c->C; i++)
            if (!c->mask || c->mask[n * c->C + i]) m = fmax(m, in[0][n * c->C + i]);
        out[n] = m == -INFINITY ? 0.0 : m;
    }
}

static void masked_mean_case(int N, int K, int C, const int32_t *mask, size_t step, uint64_t seed) {
    const DrlOps *ops = drl_cpu_ops();
    TRng r = trng(seed);
    RedCtx ctx = {N, K, C, mask};
    size_t nx = (size_t)N * K * C, ny = (size_t)N * C;
    float *x = fvec_rand(nx, -1, 1, &r); // (N, K, C)
    float *y = fvec_nan(ny);             // (N, C)
    ops->masked_mean_fwd(y, x, mask, N, K, C);
    double *in[1] = {dvec_of(x, nx)};
    double *yref = dvec(ny);
    ref_masked_mean(&ctx, in, yref);
    check_close("masked_mean_fwd", y, yref, ny, FWD_RTOL, 1e-7);

    float *dout = fvec_rand(ny, -1, 1, &r);
    double *wts = dvec_of(dout, ny);
    GradBuf g = gbuf(nx, &r);
    for (int call = 0; call < 2; call++) {
        ops->masked_mean_bwd(g.g, dout, mask, N, K, C);
        if (call == 0) gbuf_mark(&g);
    }
    ops->masked_mean_bwd(NULL, dout, mask, N, K, C);
    double *fd = dvec(nx);
    fd_grad(ref_masked_mean, &ctx, in, 0, nx, ny, wts, step, fd);
    gbuf_check("masked_mean_bwd", &g, fd);
    gbuf_free(&g);
    free(in[0]), free(x), free(y), free(yref), free(dout), free(wts), free(fd);
}

static void test_masked_mean(void **state) {
    (void)state;
    masked_mean_case(3, 5, 7, NULL, 1, 1);
    masked_mean_case(1, 1, 1, NULL, 1, 2);
    int N = 3, K = 5;
    int32_t *mask = ivec((size_t)N * K); // row 1 empty: its mean is 0
    for (int n = 0; n < N; n++)
        for (int k = 0; k < K; k++)
            mask[n * K + k] = n == 1 ? 0 : (k % 2 == n % 2 || k == 4);
    masked_mean_case(N, K, 7, mask, 1, 3);
    free(mask);
    int N2 = 64, K2 = 12;
    int32_t *mask2 = ivec((size_t)N2 * K2); // frames: a prefix of each video is valid
    for (int n = 0; n < N2; n++)
        for (int k = 0; k < K2; k++)
            mask2[n * K2 + k] = k <= n % K2;
    masked_mean_case(N2, K2, 512, mask2, 3001, 4);
    free(mask2);
}

static void rowmax_case(int N, int C, const int32_t *mask, size_t step, uint64_t seed) {
    const DrlOps *ops = drl_cpu_ops();
    TRng r = trng(seed);
    RedCtx ctx = {N, 1, C, mask};
    size_t n = (size_t)N * C;
    float *x = fvec_rand(n, -3, 3, &r); // (N, C)
    float *y = fvec_nan((size_t)N);     // (N)
    int32_t *am = ivec((size_t)N);      // (N)
    ops->rowmax_fwd(y, am, x, mask, N, C);
    double *in[1] = {dvec_of(x, n)};
    double *yref = dvec((size_t)N);
    ref_rowmax(&ctx, in, yref);
    check_close("rowmax_fwd", y, yref, (size_t)N, 0, 0);
    for (int i = 0; i < N; i++) {
        int any = 0;
        for (int c = 0; c < C; c++)
            any |= !mask || mask[i * C + c];
        if (!any) {
            assert_int_equal(am[i], -1);
            continue;
        }
        assert_true(am[i] >= 0 && am[i] < C);
        assert_true(x[i * C + am[i]] == y[i]);
        assert_true(!mask || mask[i * C + am[i]]);
    }

    float *dout = fvec_rand((size_t)N, -1, 1, &r);
    double *wts = dvec_of(dout, (size_t)N);
    GradBuf g = gbuf(n, &r);
    for (int call = 0; call < 2; call++) {
        ops->rowmax_bwd(g.g, dout, am, N, C);
        if (call == 0) gbuf_mark(&g);
    }
    ops->rowmax_bwd(NULL, dout, am, N, C);
    double *fd = dvec(n);
    fd_grad(ref_rowmax, &ctx, in, 0, n, (size_t)N, wts, step, fd);
    gbuf_check("rowmax_bwd", &g, fd);
    gbuf_free(&g);
    free(in[0]), free(x), free(y), free(am), free(yref), free(dout), free(wts), free(fd);
}

static void test_rowmax(void **state) {
    (void)state;
    rowmax_case(3, 7, NULL, 1, 5);
    rowmax_case(1, 1, NULL, 1, 6);
    int N = 4, C = 7;
    int32_t *mask = ivec((size_t)N * C); // row 3 empty
    for (int n = 0; n < N; n++)
        for (int c = 0; c < C; c++)
            mask[n * C + c] = n == 3 ? 0 : (n * c) % 3 != 1;
    rowmax_case(N, C, mask, 1, 7);
    int32_t *none = ivec((size_t)N * C); // every row empty
    rowmax_case(N, C, none, 1, 8);
    free(mask), free(none);
    rowmax_case(301, 777, NULL, 2003, 9); // OpenMP path
}

/* Ties: the first maximal index wins, also when earlier copies are masked. */
static void test_rowmax_ties(void **state) {
    (void)state;
    const DrlOps *ops = drl_cpu_ops();
    float x[3 * 5] = {1, 4, 2, 4, 4, /**/ 7, 7, 7, 7, 7, /**/ -1, 3, 0, 3, 3};
    int32_t mask[3 * 5] = {1, 1, 1, 1, 1, /**/ 1, 1, 1, 1, 1, /**/ 1, 0, 1, 1, 1};
    float y[3];
    int32_t am[3];
    ops->rowmax_fwd(y, am, x, NULL, 3, 5);
    assert_int_equal(am[0], 1);
    assert_int_equal(am[1], 0);
    assert_int_equal(am[2], 1);
    ops->rowmax_fwd(y, am, x, mask, 3, 5);
    assert_int_equal(am[2], 3);
    assert_true(y[0] == 4.0f && y[1] == 7.0f && y[2] == 3.0f);
    float dout[3] = {0.5f, -1.0f, 2.0f}, dx[3 * 5] = {0};
    ops->rowmax_bwd(dx, dout, am, 3, 5);
    float expect[3 * 5] = {0, 0.5f, 0, 0, 0, /**/ -1.0f, 0, 0, 0, 0, /**/ 0, 0, 0, 2.0f, 0};
    for (int i = 0; i < 15; i++)
        assert_true(dx[i] == expect[i]);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_masked_mean),
        cmocka_unit_test(test_rowmax),
        cmocka_unit_test(test_rowmax_ties),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
