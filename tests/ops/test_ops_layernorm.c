/* LayerNorm (biased variance, eps 1e-5 as in CLIP and 1e-12 as in the DRL
 * heads): forward, saved mean/rstd, backward against finite differences. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "ops/ops.h"
#include "ops_check.h"

typedef struct LnCtx {
    int N, C;
    double eps;
} LnCtx;

/* in[0] inp (N, C), in[1] g (C), in[2] b (C); out (N, C) */
static void ref_layernorm(const void *vctx, double *const *in, double *out) {
    const LnCtx *c = vctx;
    for (int n = 0; n < c->N; n++) {
        const double *x = in[0] + (size_t)n * c->C;
        double m = 0.0, v = 0.0;
        for (int i = 0; i < c->C; i++)
            m += x[i];
        m /= c->C;
        for (int i = 0; i < c->C; i++)
            v += (x[i] - m) * (x[i] - m);
        v /= c->C;
        for (int i = 0; i < c->C; i++)
            out[(size_t)n * c->C + i] = (x[i] - m) / sqrt(v + c->eps) * in[1][i] + in[2][i];
    }
}

static void layernorm_case(int N, int C, float eps, double offset, size_t step, uint64_t seed) {
    const DrlOps *ops = drl_cpu_ops();
    TRng r = trng(seed);
    LnCtx ctx = {N, C, eps};
    size_t nx = (size_t)N * C;
    float *x = fvec_rand(nx, offset - 2.0, offset + 2.0, &r);       // (N, C)
    float *g = fvec_rand((size_t)C, 0.5, 1.5, &r);                  // (C)
    float *b = fvec_rand((size_t)C, -1, 1, &r);                     // (C)
    float *y = fvec_nan(nx);                                        // (N, C)
    float *mean = fvec_nan((size_t)N), *rstd = fvec_nan((size_t)N); // (N)
    ops->layernorm_fwd(y, mean, rstd, x, g, b, N, C, eps);

    double *in[3] = {dvec_of(x, nx), dvec_of(g, (size_t)C), dvec_of(b, (size_t)C)};
    double *yref = dvec(nx), *mref = dvec((size_t)N), *sref = dvec((size_t)N);
    ref_layernorm(&ctx, in, yref);
    for (int n = 0; n < N; n++) {
        double m = 0.0, v = 0.0;
        for (int i = 0; i < C; i++)
            m += in[0][(size_t)n * C + i];
        m /= C;
        for (int i = 0; i < C; i++)
            v += pow(in[0][(size_t)n * C + i] - m, 2);
        mref[n] = m;
        sref[n] = 1.0 / sqrt(v / C + eps);
    }
    // rows offset by a constant lose the offset's relative precision in fp32
    double tol = FWD_RTOL * (1.0 + fabs(offset));
    check_close("layernorm_fwd out", y, yref, nx, tol, 1e-6);
    check_close("layernorm_fwd mean", mean, mref, (size_t)N, FWD_RTOL, 1e-6);
    check_close("layernorm_fwd rstd", rstd, sref, (size_t)N, tol, 1e-6);

    float *dout = fvec_rand(nx, -1, 1, &r); // (N, C)
    double *wts = dvec_of(dout, nx);
    GradBuf gx = gbuf(nx, &r), gg = gbuf((size_t)C, &r), gb = gbuf((size_t)C, &r);
    for (int call = 0; call < 2; call++) {
        ops->layernorm_bwd(gx.g, gg.g, gb.g, dout, x, g, mean, rstd, N, C);
        if (call == 0) gbuf_mark(&gx), gbuf_mark(&gg), gbuf_mark(&gb);
    }
    double *fd = dvec(nx);
    fd_grad(ref_layernorm, &ctx, in, 0, nx, nx, wts, step, fd);
    gbuf_check("layernorm_bwd dinp", &gx, fd);
    fd_grad(ref_layernorm, &ctx, in, 1, (size_t)C, nx, wts, step, fd);
    gbuf_check("layernorm_bwd dg", &gg, fd);
    fd_grad(ref_layernorm, &ctx, in, 2, (size_t)C, nx, wts, step, fd);
    gbuf_check("layernorm_bwd db", &gb, fd);

    // NULL gradients are skipped: dinp alone, then dg and db alone
    GradBuf gx2 = gbuf(nx, &r);
    for (int call = 0; call < 2; call++) {
        ops->layernorm_bwd(gx2.g, NULL, NULL, dout, x, g, mean, rstd, N, C);
        if (call == 0) gbuf_mark(&gx2);
    }
    fd_grad(ref_layernorm, &ctx, in, 0, nx, nx, wts, step, fd);
    gbuf_check("layernorm_bwd dinp alone", &gx2, fd);
    GradBuf gg2 = gbuf((size_t)C, &r);
    for (int call = 0; call < 2; call++) {
        ops->layernorm_bwd(NULL, gg2.g, NULL, dout, x, g, mean, rstd, N, C);
        if (call == 0) gbuf_mark(&gg2);
    }
    fd_grad(ref_layernorm, &ctx, in, 1, (size_t)C, nx, wts, step, fd);
    gbuf_check("layernorm_bwd dg alone", &gg2, fd);

    gbuf_free(&gx), gbuf_free(&gg), gbuf_free(&gb), gbuf_free(&gx2), gbuf_free(&gg2);
    for (int i = 0; i < 3; i++)
        free(in[i]);
    free(x), free(g), free(b), free(y), free(mean), free(rstd), free(yref), free(mref);
    free(sref), free(dout), free(wts), free(fd);
}

static void test_layernorm_clip_eps(void **state) {
    (void)state;
    layernorm_case(3, 7, 1e-5f, 0.0, 1, 1);
    layernorm_case(1, 7, 1e-5f, 0.0, 1, 2);
    layernorm_case(5, 12, 1e-5f, 3.0, 1, 3);
}

static void test_layernorm_drl_eps(void **state) {
    (void)state;
    layernorm_case(3, 7, 1e-12f, 0.0, 1, 4);
    layernorm_case(1, 5, 1e-12f, 0.0, 1, 5);
    layernorm_case(4, 9, 1e-12f, -2.0, 1, 6);
}

/* Big enough for the OpenMP paths (per-thread parameter-gradient partials). */
static void test_layernorm_parallel_sizes(void **state) {
    (void)state;
    layernorm_case(53, 768, 1e-5f, 0.0, 211, 7);
    layernorm_case(61, 769, 1e-12f, 0.5, 223, 8);
}

/* The residual add fused with the LayerNorm: sum = a + b in place of a (the
 * transformer's use), out against the double LayerNorm of the float sums. */
static void residual_case(int N, int C, uint64_t seed) {
    const DrlOps *ops = drl_cpu_ops();
    TRng r = trng(seed);
    const size_t n = (size_t)N * C;
    float *a = fvec_rand(n, -2, 2, &r), *b = fvec_rand(n, -2, 2, &r); // (N, C) each
    float *g = fvec_rand((size_t)C, 0.5, 1.5, &r), *beta = fvec_rand((size_t)C, -1, 1, &r);
    double *sum_ref = dvec(n); // the float sums, exactly
    for (size_t i = 0; i < n; i++) {
        float v = a[i] + b[i];
        sum_ref[i] = v;
    }
    float *y = fvec_nan(n), *mean = fvec_nan((size_t)N), *rstd = fvec_nan((size_t)N);
    ops->residual_layernorm_fwd(a, y, mean, rstd, a, b, g, beta, N, C, 1e-5f); // sum into a
    check_close("residual sum", a, sum_ref, n, 0.0, 0.0);
    LnCtx ctx = {N, C, 1e-5};
    double *in[3] = {sum_ref, dvec_of(g, (size_t)C), dvec_of(beta, (size_t)C)};
    double *yref = dvec(n);
    ref_layernorm(&ctx, in, yref);
    check_close("residual layernorm out", y, yref, n, 1e-5, 1e-6);
    free(a), free(b), free(g), free(beta), free(sum_ref), free(y), free(mean), free(rstd);
    free(in[1]), free(in[2]), free(yref);
}

static void test_residual_layernorm(void **state) {
    (void)state;
    residual_case(3, 7, 9);
    residual_case(61, 769, 10); // the OpenMP paths
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_residual_layernorm),
        cmocka_unit_test(test_layernorm_clip_eps),
        cmocka_unit_test(test_layernorm_drl_eps),
        cmocka_unit_test(test_layernorm_parallel_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
