/* QuickGELU, ReLU, add, axpy, scale: forward against double formulas,
 * backward against finite differences, small odd and large (OpenMP) sizes. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "ops/ops.h"
#include "ops_check.h"

typedef struct EwCtx {
    size_t n;
} EwCtx;

static void ref_quickgelu(const void *vctx, double *const *in, double *out) {
    const EwCtx *c = vctx;
    for (size_t i = 0; i < c->n; i++)
        out[i] = in[0][i] / (1.0 + exp(-1.702 * in[0][i]));
}

static void ref_relu(const void *vctx, double *const *in, double *out) {
    const EwCtx *c = vctx;
    for (size_t i = 0; i < c->n; i++)
        out[i] = in[0][i] > 0.0 ? in[0][i] : 0.0;
}

/* Inputs for ReLU keep |x| >= 0.01 so the finite differences never straddle 0. */
static float *relu_inputs(size_t n, TRng *r) {
    float *x = fvec_rand(n, -3, 3, r);
    for (size_t i = 0; i < n; i++)
        if (fabsf(x[i]) < 0.01f) x[i] = 0.5f;
    return x;
}

typedef void (*EwFwd)(float *, const float *, size_t);
typedef void (*EwBwd)(float *, const float *, const float *, size_t);

static void unary_case(const char *name, EwFwd fwd, EwBwd bwd, RefFn ref, float *x, size_t n,
                       size_t step, TRng *r) {
    EwCtx ctx = {n};
    float *y = fvec_nan(n); // (n)
    fwd(y, x, n);
    double *in[1] = {dvec_of(x, n)};
    double *yref = dvec(n);
    ref(&ctx, in, yref);
    check_close(name, y, yref, n, FWD_RTOL, 1e-7);

    float *dout = fvec_rand(n, -1, 1, r);
    double *wts = dvec_of(dout, n);
    GradBuf g = gbuf(n, r);
    for (int call = 0; call < 2; call++) {
        bwd(g.g, dout, x, n);
        if (call == 0) gbuf_mark(&g);
    }
    bwd(NULL, dout, x, n); // skipped
    double *fd = dvec(n);
    fd_grad(ref, &ctx, in, 0, n, n, wts, step, fd);
    gbuf_check(name, &g, fd);
    gbuf_free(&g);
    free(in[0]), free(y), free(yref), free(dout), free(wts), free(fd);
}

static void test_quickgelu(void **state) {
    (void)state;
    const DrlOps *ops = drl_cpu_ops();
    TRng r = trng(1);
    size_t sizes[] = {1, 7, 100003};
    size_t steps[] = {1, 1, 997};
    for (int k = 0; k < 3; k++) {
        float *x = fvec_rand(sizes[k], -6, 6, &r);
        unary_case("quickgelu", ops->quickgelu_fwd, ops->quickgelu_bwd, ref_quickgelu, x, sizes[k],
                   steps[k], &r);
        free(x);
    }
}

static void test_relu(void **state) {
    (void)state;
    const DrlOps *ops = drl_cpu_ops();
    TRng r = trng(2);
    size_t sizes[] = {1, 7, 100003};
    size_t steps[] = {1, 1, 997};
    for (int k = 0; k < 3; k++) {
        float *x = relu_inputs(sizes[k], &r);
        unary_case("relu", ops->relu_fwd, ops->relu_bwd, ref_relu, x, sizes[k], steps[k], &r);
        free(x);
    }
    // at exactly 0 the output and the gradient are 0 (PyTorch's convention)
    float x0 = 0.0f, y0 = 1.0f, d0 = 0.25f, g0 = 0.5f;
    ops->relu_fwd(&y0, &x0, 1);
    ops->relu_bwd(&g0, &d0, &x0, 1);
    assert_true(y0 == 0.0f && g0 == 0.5f);
}

static void test_add_axpy_scale(void **state) {
    (void)state;
    const DrlOps *ops = drl_cpu_ops();
    TRng r = trng(3);
    size_t sizes[] = {1, 7, 100003};
    for (int k = 0; k < 3; k++) {
        size_t n = sizes[k];
        float *a = fvec_rand(n, -1, 1, &r), *b = fvec_rand(n, -1, 1, &r);
        float *out = fvec_nan(n);
        double *ref = dvec(n);
        for (size_t i = 0; i < n; i++)
            ref[i] = (double)a[i] + b[i];
        ops->add(out, a, b, n);
        check_close("add", out, ref, n, 1e-7, 0);
        ops->add(a, a, b, n); // out aliases a
        check_close("add (out = a)", a, ref, n, 1e-7, 0);
        for (size_t i = 0; i < n; i++)
            ref[i] = 2.0 * b[i];
        ops->add(b, b, b, n); // out aliases both
        check_close("add (out = a = b)", b, ref, n, 1e-7, 0);

        float *y = fvec_rand(n, -1, 1, &r), *x = fvec_rand(n, -1, 1, &r);
        for (size_t i = 0; i < n; i++)
            ref[i] = y[i] + (-0.375) * (double)x[i];
        ops->axpy(y, -0.375f, x, n);
        check_close("axpy", y, ref, n, 1e-7, 0);
        for (size_t i = 0; i < n; i++)
            ref[i] = 3.0 * (double)x[i];
        ops->scale(x, 3.0f, n);
        check_close("scale", x, ref, n, 1e-7, 0);
        free(a), free(b), free(out), free(ref), free(y), free(x);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quickgelu),
        cmocka_unit_test(test_relu),
        cmocka_unit_test(test_add_axpy_scale),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
