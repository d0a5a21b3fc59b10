/* The CPU heads' kernels (drl/head_kernels.h): token-wise forward against a
 * direct double-precision definition (dense masked S, max, first argmax,
 * weighted sums); backward against central finite differences of
 * f = sum_ab dsim[a,b] sim[a,b] (the definition in double), on random
 * inputs with padded tokens and frames, a fully padded text, and exact ties
 * (duplicated frames and tokens: the first maximal index wins). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "drl/head_kernels.h"

typedef struct {
    int Bt, Bv, L, T, D;
    double *tn, *vn, *wt, *wv; // (Bt, L, D), (Bv, T, D), (Bt, L), (Bv, T)
    const int32_t *tm, *vm;    // (Bt, L), (Bv, T)
} Ref;

/* sim[a, b] by the definition; argmaxima when the pointers are given. */
static double ref_sim(const Ref *r, int a, int b, int *t2v_arg, int *v2t_arg, double *t2v_max,
                      double *v2t_max) {
    const int L = r->L, T = r->T, D = r->D;
    double S[64][64];
    for (int i = 0; i < L; i++)
        for (int j = 0; j < T; j++) {
            double s = 0.0;
            for (int d = 0; d < D; d++)
                s += r->tn[((size_t)a * L + i) * D + d] * r->vn[((size_t)b * T + j) * D + d];
            S[i][j] = s * r->tm[a * L + i] * r->vm[b * T + j];
        }
    double t2v = 0.0, v2t = 0.0;
    for (int i = 0; i < L; i++) {
        int arg = 0;
        for (int j = 1; j < T; j++)
            if (S[i][j] > S[i][arg]) arg = j;
        t2v += r->wt[a * L + i] * S[i][arg];
        if (t2v_arg) t2v_arg[i] = arg, t2v_max[i] = S[i][arg];
    }
    for (int j = 0; j < T; j++) {
        int arg = 0;
        for (int i = 1; i < L; i++)
            if (S[i][j] > S[arg][j]) arg = i;
        v2t += r->wv[b * T + j] * S[arg][j];
        if (v2t_arg) v2t_arg[j] = arg, v2t_max[j] = S[arg][j];
    }
    return 0.5 * (t2v + v2t);
}

static double ref_f(const Ref *r, const double *dsim) {
    double f = 0.0;
    for (int a = 0; a < r->Bt; a++)
        for (int b = 0; b < r->Bv; b++)
            f += dsim[a * r->Bv + b] * ref_sim(r, a, b, NULL, NULL, NULL, NULL);
    return f;
}

static double urand(uint64_t *s) {
    *s ^= *s >> 12, *s ^= *s << 25, *s ^= *s >> 27;
    return (double)((*s * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

static float *rand_f(size_t n, uint64_t *s) {
    float *p = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++)
        p[i] = (float)(2.0 * urand(s) - 1.0);
    return p;
}

static double *to_d(const float *x, size_t n) {
    double *p = malloc(n * sizeof(double));
    for (size_t i = 0; i < n; i++)
        p[i] = x[i];
    return p;
}

/* Central difference of f in x[k] (double), step h. */
static double fd(Ref *r, double *x, size_t k, const double *dsim, double h) {
    const double x0 = x[k];
    x[k] = x0 + h;
    double fp = ref_f(r, dsim);
    x[k] = x0 - h;
    double fm = ref_f(r, dsim);
    x[k] = x0;
    return (fp - fm) / (2.0 * h);
}

/* |got - want| <= tol * max |want| except where skip[i] (NULL: none). */
static void check_close(const float *got, const double *want, size_t n, double tol,
                        const char *what, const uint8_t *skip) {
    double scale = 1e-12;
    for (size_t i = 0; i < n; i++)
        scale = fmax(scale, fabs(want[i]));
    for (size_t i = 0; i < n; i++)
        if (!(skip && skip[i]) && fabs(got[i] - want[i]) > tol * scale) {
            print_error("%s[%zu]: got %.8g want %.8g (scale %.3g)\n", what, i, got[i], want[i],
                        scale);
            fail();
        }
}

static void tokenwise_case(int Bt, int Bv, int L, int T, int D, uint64_t seed) {
    const DrlHeadKernels *k = drl_cpu_head_kernels();
    uint64_t s = seed;
    float *tn = rand_f((size_t)Bt * L * D, &s), *vn = rand_f((size_t)Bv * T * D, &s);
    float *wt = rand_f((size_t)Bt * L, &s), *wv = rand_f((size_t)Bv * T, &s);
    float *dsim = rand_f((size_t)Bt * Bv, &s);
    int32_t *tm = malloc(sizeof(int32_t) * Bt * L), *vm = malloc(sizeof(int32_t) * Bv * T);
    for (int a = 0; a < Bt; a++) // text a has L - a % 3 valid tokens; text 1 none
        for (int i = 0; i < L; i++)
            tm[a * L + i] = a != 1 && i < L - a % 3;
    for (int b = 0; b < Bv; b++)
        for (int j = 0; j < T; j++)
            vm[b * T + j] = j < T - b % 2;
    // exact ties: frame 2 of video 0 repeats frame 0; token 3 of text 0 repeats token 1
    memcpy(vn + 2 * D, vn, sizeof(float) * D);
    memcpy(tn + 3 * D, tn + 1 * D, sizeof(float) * D);
    const size_t nl = (size_t)Bt * Bv * L, nt = (size_t)Bt * Bv * T;
    float *sim = malloc(sizeof(float) * Bt * Bv), *t2v_max = malloc(sizeof(float) * nl);
    float *v2t_max = malloc(sizeof(float) * nt);
    int16_t *t2v_arg = malloc(sizeof(int16_t) * nl), *v2t_arg = malloc(sizeof(int16_t) * nt);
    void *ws = malloc(k->tokenwise_ws_bytes(Bt, Bv, L, T, D) + 1);
    DrlTokenwise tw = {.Bt = Bt,
                       .Bv = Bv,
                       .L = L,
                       .T = T,
                       .D = D,
                       .tn = tn,
                       .tm = tm,
                       .vn = vn,
                       .vm = vm,
                       .wt = wt,
                       .wv = wv,
                       .t2v_max = t2v_max,
                       .t2v_arg = t2v_arg,
                       .v2t_max = v2t_max,
                       .v2t_arg = v2t_arg,
                       .ws = ws};
    k->tokenwise_fwd(&tw, sim);

    Ref r = {Bt,
             Bv,
             L,
             T,
             D,
             to_d(tn, (size_t)Bt * L * D),
             to_d(vn, (size_t)Bv * T * D),
             to_d(wt, (size_t)Bt * L),
             to_d(wv, (size_t)Bv * T),
             tm,
             vm};
    double *sim_ref = malloc(sizeof(double) * Bt * Bv);
    int targ[64], varg[64];
    double tmax[64], vmax[64];
    for (int a = 0; a < Bt; a++)
        for (int b = 0; b < Bv; b++) {
            const size_t ab = (size_t)a * Bv + b;
            sim_ref[ab] = ref_sim(&r, a, b, targ, varg, tmax, vmax);
            for (int i = 0; i < L; i++) {
                assert_int_equal(t2v_arg[ab * L + i], targ[i]);
                assert_true(fabs(t2v_max[ab * L + i] - tmax[i]) <= 1e-5);
            }
            for (int j = 0; j < T; j++) {
                assert_int_equal(v2t_arg[ab * T + j], varg[j]);
                assert_true(fabs(v2t_max[ab * T + j] - vmax[j]) <= 1e-5);
            }
        }
    check_close(sim, sim_ref, (size_t)Bt * Bv, 1e-5, "sim", NULL);
    // the tie: token 0 of text 0 against video 0 sees frames 0 and 2 equal; first wins
    assert_true(t2v_arg[0] != 2);

    // backward, accumulating onto random starting values
    float *dtn = rand_f((size_t)Bt * L * D, &s), *dvn = rand_f((size_t)Bv * T * D, &s);
    float *dwt = rand_f((size_t)Bt * L, &s), *dwv = rand_f((size_t)Bv * T, &s);
    double *dtn0 = to_d(dtn, (size_t)Bt * L * D), *dvn0 = to_d(dvn, (size_t)Bv * T * D);
    double *dwt0 = to_d(dwt, (size_t)Bt * L), *dwv0 = to_d(dwv, (size_t)Bv * T);
    float *dtn_init = malloc(sizeof(float) * Bt * L * D),
          *dvn_init = malloc(sizeof(float) * Bv * T * D);
    memcpy(dtn_init, dtn, sizeof(float) * Bt * L * D);
    memcpy(dvn_init, dvn, sizeof(float) * Bv * T * D);
    k->tokenwise_bwd(&tw, dsim, dtn, dvn, dwt, dwv);
    // the tied rows have no two-sided derivative: skipped by the finite differences
    uint8_t *skip_t = calloc((size_t)Bt * L * D, 1), *skip_v = calloc((size_t)Bv * T * D, 1);
    memset(skip_t + 1 * D, 1, D), memset(skip_t + 3 * D, 1, D);
    memset(skip_v, 1, D), memset(skip_v + 2 * D, 1, D);
    double *ds = to_d(dsim, (size_t)Bt * Bv);
    const double h = 1e-6;
    for (size_t q = 0; q < (size_t)Bt * L * D; q++)
        dtn0[q] += fd(&r, r.tn, q, ds, h);
    for (size_t q = 0; q < (size_t)Bv * T * D; q++)
        dvn0[q] += fd(&r, r.vn, q, ds, h);
    for (size_t q = 0; q < (size_t)Bt * L; q++)
        dwt0[q] += fd(&r, r.wt, q, ds, h);
    for (size_t q = 0; q < (size_t)Bv * T; q++)
        dwv0[q] += fd(&r, r.wv, q, ds, h);
    check_close(dtn, dtn0, (size_t)Bt * L * D, 1e-4, "dtn", skip_t);
    check_close(dvn, dvn0, (size_t)Bv * T * D, 1e-4, "dvn", skip_v);
    check_close(dwt, dwt0, (size_t)Bt * L, 1e-4, "dwt", NULL);
    check_close(dwv, dwv0, (size_t)Bv * T, 1e-4, "dwv", NULL);

    // dwt / dwv NULL: from zero, the same feature gradients as the first call added
    float *dtn2 = calloc((size_t)Bt * L * D, sizeof(float));
    float *dvn2 = calloc((size_t)Bv * T * D, sizeof(float));
    k->tokenwise_bwd(&tw, dsim, dtn2, dvn2, NULL, NULL);
    double *want_t = malloc(sizeof(double) * Bt * L * D),
           *want_v = malloc(sizeof(double) * Bv * T * D);
    for (size_t q = 0; q < (size_t)Bt * L * D; q++)
        want_t[q] = (double)dtn[q] - dtn_init[q];
    for (size_t q = 0; q < (size_t)Bv * T * D; q++)
        want_v[q] = (double)dvn[q] - dvn_init[q];
    check_close(dtn2, want_t, (size_t)Bt * L * D, 1e-5, "dtn (dwt NULL)", NULL);
    check_close(dvn2, want_v, (size_t)Bv * T * D, 1e-5, "dvn (dwv NULL)", NULL);
    free(dtn2), free(dvn2), free(want_t), free(want_v), free(dtn_init), free(dvn_init);
    free(skip_t), free(skip_v);

    free(tn), free(vn), free(wt), free(wv), free(dsim), free(tm), free(vm), free(sim);
    free(t2v_max), free(v2t_max), free(t2v_arg), free(v2t_arg), free(ws);
    free(r.tn), free(r.vn), free(r.wt), free(r.wv), free(sim_ref), free(dtn), free(dvn);
    free(dwt), free(dwv), free(dtn0), free(dvn0), free(dwt0), free(dwv0), free(ds);
}

static void test_tokenwise_small(void **state) {
    (void)state;
    tokenwise_case(3, 4, 5, 4, 6, 0x1234567ull);
}

static void test_tokenwise_rect(void **state) {
    (void)state;
    tokenwise_case(5, 2, 7, 6, 9, 0xabcdefull);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokenwise_small),
        cmocka_unit_test(test_tokenwise_rect),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
