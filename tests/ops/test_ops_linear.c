/* linear (W [OC, IC], optional bias) and matmul (M [IC, OC]): forward against
 * a double reference, backward against central finite differences, backward
 * accumulation and NULL gradients. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "ops/ops.h"
#include "ops_check.h"

typedef struct LinCtx {
    int N, IC, OC, has_bias;
} LinCtx;

/* in[0] inp (N, IC), in[1] w (OC, IC), in[2] bias (OC); out (N, OC) */
static void ref_linear(const void *vctx, double *const *in, double *out) {
    const LinCtx *c = vctx;
    for (int n = 0; n < c->N; n++)
        for (int o = 0; o < c->OC; o++) {
            double s = c->has_bias ? in[2][o] : 0.0;
            for (int i = 0; i < c->IC; i++)
                s += in[0][n * c->IC + i] * in[1][o * c->IC + i];
            out[n * c->OC + o] = s;
        }
}

/* in[0] inp (N, IC), in[1] m (IC, OC); out (N, OC) */
static void ref_matmul(const void *vctx, double *const *in, double *out) {
    const LinCtx *c = vctx;
    for (int n = 0; n < c->N; n++)
        for (int o = 0; o < c->OC; o++) {
            double s = 0.0;
            for (int i = 0; i < c->IC; i++)
                s += in[0][n * c->IC + i] * in[1][i * c->OC + o];
            out[n * c->OC + o] = s;
        }
}

static void linear_case(int N, int IC, int OC, int has_bias, size_t step, uint64_t seed) {
    const DrlOps *ops = drl_cpu_ops();
    TRng r = trng(seed);
    LinCtx ctx = {N, IC, OC, has_bias};
    size_t nx = (size_t)N * IC, nw = (size_t)OC * IC, ny = (size_t)N * OC;
    float *x = fvec_rand(nx, -1, 1, &r);                           // (N, IC)
    float *w = fvec_rand(nw, -1, 1, &r);                           // (OC, IC)
    float *b = has_bias ? fvec_rand((size_t)OC, -1, 1, &r) : NULL; // (OC)
    float *y = fvec_nan(ny); // (N, OC) stale values must be overwritten
    ops->linear_fwd(y, x, w, b, N, IC, OC);

    double *in[3] = {dvec_of(x, nx), dvec_of(w, nw), b ? dvec_of(b, (size_t)OC) : dvec((size_t)OC)};
    double *yref = dvec(ny);
    ref_linear(&ctx, in, yref);
    check_close("linear_fwd out", y, yref, ny, FWD_RTOL, 1e-6);

    float *dout = fvec_rand(ny, -1, 1, &r); // (N, OC)
    double *wts = dvec_of(dout, ny);
    GradBuf gx = gbuf(nx, &r), gw = gbuf(nw, &r), gb = gbuf((size_t)OC, &r);
    ops->linear_bwd(gx.g, gw.g, has_bias ? gb.g : NULL, dout, x, w, N, IC, OC);
    gbuf_mark(&gx), gbuf_mark(&gw), gbuf_mark(&gb);
    ops->linear_bwd(gx.g, gw.g, has_bias ? gb.g : NULL, dout, x, w, N, IC, OC);

    double *fd = dvec(nx > nw ? nx : nw);
    fd_grad(ref_linear, &ctx, in, 0, nx, ny, wts, step, fd);
    gbuf_check("linear_bwd dinp", &gx, fd);
    fd_grad(ref_linear, &ctx, in, 1, nw, ny, wts, step, fd);
    gbuf_check("linear_bwd dw", &gw, fd);
    if (has_bias) {
        fd_grad(ref_linear, &ctx, in, 2, (size_t)OC, ny, wts, step, fd);
        gbuf_check("linear_bwd dbias", &gb, fd);
    } else {
        for (int o = 0; o < OC; o++)
            assert_true(gb.g[o] == (float)gb.g0[o]); // untouched
    }

    gbuf_free(&gx), gbuf_free(&gw), gbuf_free(&gb);
    for (int i = 0; i < 3; i++)
        free(in[i]);
    free(x), free(w), free(b), free(y), free(yref), free(dout), free(wts), free(fd);
}

static void matmul_case(int N, int IC, int OC, size_t step, uint64_t seed) {
    const DrlOps *ops = drl_cpu_ops();
    TRng r = trng(seed);
    LinCtx ctx = {N, IC, OC, 0};
    size_t nx = (size_t)N * IC, nm = (size_t)IC * OC, ny = (size_t)N * OC;
    float *x = fvec_rand(nx, -1, 1, &r); // (N, IC)
    float *m = fvec_rand(nm, -1, 1, &r); // (IC, OC)
    float *y = fvec_nan(ny);             // (N, OC)
    ops->matmul_fwd(y, x, m, N, IC, OC);
    double *in[2] = {dvec_of(x, nx), dvec_of(m, nm)};
    double *yref = dvec(ny);
    ref_matmul(&ctx, in, yref);
    check_close("matmul_fwd out", y, yref, ny, FWD_RTOL, 1e-6);

    float *dout = fvec_rand(ny, -1, 1, &r); // (N, OC)
    double *wts = dvec_of(dout, ny);
    GradBuf gx = gbuf(nx, &r), gm = gbuf(nm, &r);
    ops->matmul_bwd(gx.g, gm.g, dout, x, m, N, IC, OC);
    gbuf_mark(&gx), gbuf_mark(&gm);
    ops->matmul_bwd(gx.g, gm.g, dout, x, m, N, IC, OC);
    double *fd = dvec(nx > nm ? nx : nm);
    fd_grad(ref_matmul, &ctx, in, 0, nx, ny, wts, step, fd);
    gbuf_check("matmul_bwd dinp", &gx, fd);
    fd_grad(ref_matmul, &ctx, in, 1, nm, ny, wts, step, fd);
    gbuf_check("matmul_bwd dm", &gm, fd);

    gbuf_free(&gx), gbuf_free(&gm);
    free(in[0]), free(in[1]);
    free(x), free(m), free(y), free(yref), free(dout), free(wts), free(fd);
}

static void test_linear_odd_sizes(void **state) {
    (void)state;
    linear_case(3, 7, 5, 1, 1, 1);
    linear_case(3, 7, 5, 0, 1, 2);
    linear_case(5, 3, 7, 1, 1, 3);
}

static void test_linear_batch1(void **state) {
    (void)state;
    linear_case(1, 1, 1, 1, 1, 4);
    linear_case(1, 13, 9, 1, 1, 5);
}

static void test_linear_parallel_sizes(void **state) {
    (void)state;
    linear_case(130, 8, 300, 1, 31, 6); // the bias fill and its gradient go parallel
    linear_case(20, 768, 9, 1, 97, 7);
}

/* Each gradient pointer alone (the others NULL) gives the same increment. */
static void test_linear_null_grads(void **state) {
    (void)state;
    const DrlOps *ops = drl_cpu_ops();
    int N = 4, IC = 5, OC = 3;
    TRng r = trng(8);
    LinCtx ctx = {N, IC, OC, 1};
    size_t nx = (size_t)N * IC, nw = (size_t)OC * IC, ny = (size_t)N * OC;
    float *x = fvec_rand(nx, -1, 1, &r), *w = fvec_rand(nw, -1, 1, &r);
    float *dout = fvec_rand(ny, -1, 1, &r);
    double *in[3] = {dvec_of(x, nx), dvec_of(w, nw), dvec((size_t)OC)};
    double *wts = dvec_of(dout, ny);
    double *fd = dvec(nx);
    for (int which = 0; which < 3; which++) {
        size_t n = which == 0 ? nx : which == 1 ? nw : (size_t)OC;
        GradBuf g = gbuf(n, &r);
        for (int call = 0; call < 2; call++) {
            ops->linear_bwd(which == 0 ? g.g : NULL, which == 1 ? g.g : NULL,
                            which == 2 ? g.g : NULL, dout, x, w, N, IC, OC);
            if (call == 0) gbuf_mark(&g);
        }
        fd_grad(ref_linear, &ctx, in, which, n, ny, wts, 1, fd);
        gbuf_check("linear_bwd with the other gradients NULL", &g, fd);
        gbuf_free(&g);
    }
    GradBuf gx = gbuf(nx, &r);
    for (int call = 0; call < 2; call++) {
        ops->matmul_bwd(gx.g, NULL, dout, x, w, N, IC, OC); // w read as m (IC, OC) = (5, 3)
        if (call == 0) gbuf_mark(&gx);
    }
    ops->matmul_bwd(NULL, NULL, dout, x, w, N, IC, OC); // nothing to do, must not crash
    fd_grad(ref_matmul, &ctx, in, 0, nx, ny, wts, 1, fd);
    gbuf_check("matmul_bwd with dm NULL", &gx, fd);
    gbuf_free(&gx);
    for (int i = 0; i < 3; i++)
        free(in[i]);
    free(x), free(w), free(dout), free(wts), free(fd);
}

static void test_matmul(void **state) {
    (void)state;
    matmul_case(3, 7, 5, 1, 11);
    matmul_case(1, 1, 1, 1, 12);
    matmul_case(1, 12, 7, 1, 13);
    matmul_case(20, 768, 9, 97, 14); // CLIP's visual proj shape with OC cut down
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear_odd_sizes),
        cmocka_unit_test(test_linear_batch1),
        cmocka_unit_test(test_linear_parallel_sizes),
        cmocka_unit_test(test_linear_null_grads),
        cmocka_unit_test(test_matmul),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
