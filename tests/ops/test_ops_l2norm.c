/* L2 normalisation over the last axis: forward and saved norm against double,
 * backward against finite differences; a zero row stays zero with gradient 0. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "ops/ops.h"
#include "ops_check.h"

typedef struct L2Ctx {
    int N, C;
} L2Ctx;

/* in[0] inp (N, C); out (N, C) */
static void ref_l2norm(const void *vctx, double *const *in, double *out) {
    const L2Ctx *c = vctx;
    for (int n = 0; n < c->N; n++) {
        double s = 0.0;
        for (int i = 0; i < c->C; i++)
            s += in[0][n * c->C + i] * in[0][n * c->C + i];
        for (int i = 0; i < c->C; i++)
            out[n * c->C + i] = in[0][n * c->C + i] / sqrt(s);
    }
}

static void l2norm_case(int N, int C, size_t step, uint64_t seed) {
    const DrlOps *ops = drl_cpu_ops();
    TRng r = trng(seed);
    L2Ctx ctx = {N, C};
    size_t n = (size_t)N * C;
    float *x = fvec_rand(n, -1, 1, &r);                  // (N, C)
    float *y = fvec_nan(n), *norm = fvec_nan((size_t)N); // (N, C), (N)
    ops->l2norm_fwd(y, norm, x, N, C);
    double *in[1] = {dvec_of(x, n)};
    double *yref = dvec(n), *nref = dvec((size_t)N);
    ref_l2norm(&ctx, in, yref);
    for (int i = 0; i < N; i++) {
        for (int c = 0; c < C; c++)
            nref[i] += in[0][i * C + c] * in[0][i * C + c];
        nref[i] = sqrt(nref[i]);
    }
    check_close("l2norm_fwd", y, yref, n, FWD_RTOL, 1e-7);
    check_close("l2norm_fwd norm", norm, nref, (size_t)N, FWD_RTOL, 0);

    float *dout = fvec_rand(n, -1, 1, &r);
    double *wts = dvec_of(dout, n);
    GradBuf g = gbuf(n, &r);
    for (int call = 0; call < 2; call++) {
        ops->l2norm_bwd(g.g, dout, y, norm, N, C);
        if (call == 0) gbuf_mark(&g);
    }
    ops->l2norm_bwd(NULL, dout, y, norm, N, C);
    double *fd = dvec(n);
    fd_grad(ref_l2norm, &ctx, in, 0, n, n, wts, step, fd);
    gbuf_check("l2norm_bwd", &g, fd);
    gbuf_free(&g);
    free(in[0]), free(x), free(y), free(norm), free(yref), free(nref), free(dout), free(wts);
    free(fd);
}

static void test_l2norm(void **state) {
    (void)state;
    l2norm_case(3, 7, 1, 1);
    l2norm_case(1, 1, 1, 2);
    l2norm_case(1, 5, 1, 3);
    l2norm_case(97, 512, 101, 4); // embedding width, OpenMP path
}

static void test_l2norm_zero_row(void **state) {
    (void)state;
    const DrlOps *ops = drl_cpu_ops();
    int N = 3, C = 5;
    TRng r = trng(5);
    float *x = fvec_rand((size_t)N * C, -1, 1, &r); // (N, C), row 1 zero
    for (int c = 0; c < C; c++)
        x[C + c] = 0.0f;
    float *y = fvec_nan((size_t)N * C), *norm = fvec_nan((size_t)N);
    ops->l2norm_fwd(y, norm, x, N, C);
    check_zero("zero row out", y + C, (size_t)C);
    assert_true(norm[1] == 0.0f);
    float *dout = fvec_rand((size_t)N * C, -1, 1, &r), *dx = fvec((size_t)N * C);
    ops->l2norm_bwd(dx, dout, y, norm, N, C);
    check_zero("zero row gradient", dx + C, (size_t)C);
    for (int i = 0; i < N * C; i++)
        assert_false(isnan(y[i]) || isnan(dx[i]));
    assert_true(dx[0] != 0.0f); // the other rows do get a gradient
    free(x), free(y), free(norm), free(dout), free(dx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_l2norm),
        cmocka_unit_test(test_l2norm_zero_row),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
