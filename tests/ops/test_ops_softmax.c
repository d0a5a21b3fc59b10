/* Softmax over the last axis, plain and masked (int32 0/1; a row with no valid
 * entry is all zeros): forward against double, backward against finite
 * differences. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "ops/ops.h"
#include "ops_check.h"

typedef struct SmCtx {
    int N, C;
    const int32_t *mask; /* (N, C) or NULL */
} SmCtx;

/* in[0] inp (N, C); out (N, C) */
static void ref_softmax(const void *vctx, double *const *in, double *out) {
    const SmCtx *c = vctx;
    for (int n = 0; n < c->N; n++) {
        const double *x = in[0] + (size_t)n * c->C;
        double *y = out + (size_t)n * c->C;
        double mx = -INFINITY, sum = 0.0;
        for (int i = 0; i < c->C; i++)
            if (!c->mask || c->mask[n * c->C + i]) mx = fmax(mx, x[i]);
        for (int i = 0; i < c->C; i++) {
            y[i] = (!c->mask || c->mask[n * c->C + i]) ? exp(x[i] - mx) : 0.0;
            sum += y[i];
        }
        for (int i = 0; i < c->C; i++)
            y[i] = sum > 0.0 ? y[i] / sum : 0.0;
    }
}

static void softmax_case(int N, int C, const int32_t *mask, double lo, double hi, size_t step,
                         uint64_t seed) {
    const DrlOps *ops = drl_cpu_ops();
    TRng r = trng(seed);
    size_t n = (size_t)N * C;
    SmCtx ctx = {N, C, mask};
    float *x = fvec_rand(n, lo, hi, &r); // (N, C)
    float *y = fvec_nan(n);              // (N, C)
    ops->softmax_fwd(y, x, mask, N, C);
    double *in[1] = {dvec_of(x, n)};
    double *yref = dvec(n);
    ref_softmax(&ctx, in, yref);
    check_close("softmax_fwd", y, yref, n, FWD_RTOL, 1e-7);
    for (size_t i = 0; i < n; i++)
        if (yref[i] == 0.0) assert_true(y[i] == 0.0f);

    float *dout = fvec_rand(n, -1, 1, &r);
    double *wts = dvec_of(dout, n);
    GradBuf g = gbuf(n, &r);
    for (int call = 0; call < 2; call++) {
        ops->softmax_bwd(g.g, dout, y, N, C);
        if (call == 0) gbuf_mark(&g);
    }
    ops->softmax_bwd(NULL, dout, y, N, C);
    double *fd = dvec(n);
    fd_grad(ref_softmax, &ctx, in, 0, n, n, wts, step, fd);
    gbuf_check("softmax_bwd", &g, fd);
    gbuf_free(&g);
    free(in[0]), free(x), free(y), free(yref), free(dout), free(wts), free(fd);
}

static void test_softmax_plain(void **state) {
    (void)state;
    softmax_case(3, 7, NULL, -3, 3, 1, 1);
    softmax_case(1, 5, NULL, -3, 3, 1, 2);
    softmax_case(1, 1, NULL, -3, 3, 1, 3);
    softmax_case(2, 9, NULL, 80, 100, 1, 4); // large logits: max subtraction
    softmax_case(41, 1001, NULL, -5, 5, 457, 5);
}

static void test_softmax_masked(void **state) {
    (void)state;
    int N = 4, C = 7;
    int32_t *mask = ivec((size_t)N * C); // row 2 has no valid entry
    for (int n = 0; n < N; n++)
        for (int c = 0; c < C; c++)
            mask[n * C + c] = n == 2 ? 0 : (n + c) % 3 != 0;
    softmax_case(N, C, mask, -3, 3, 1, 6);
    int32_t one = 1, zero = 0;
    softmax_case(1, 1, &one, -3, 3, 1, 7);
    softmax_case(1, 1, &zero, -3, 3, 1, 8);
    int32_t *none = ivec((size_t)N * C); // every row empty
    softmax_case(N, C, none, -3, 3, 1, 9);
    free(mask), free(none);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_softmax_plain),
        cmocka_unit_test(test_softmax_masked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
