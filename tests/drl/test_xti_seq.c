/* xti's sequences (src/drl/xti_seq.h) on the CPU backend against their
 * definition written out here (spec/model.md §4): pair q = a*Bv + b is
 * [EOT row of text a + pos[0]; frame j of video b + pos[1+j]], times the
 * dropout multiplier of each element (u >= p: 1/(1-p), else 0, u the
 * generator's uniforms in element order), with the additive key mask of
 * video b; the backward sums the multiplied gradient back per text, per
 * frame and per position. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drl/drl_model.h"
#include "drl/interaction.h"
#include "drl/xti_seq.h"
#include "model/rng.h"

enum { BT = 3, BV = 4, BG = 4, T = 5, S = T + 1, D = 8, L = 6, CTX = 10 };

static void fill(DrlRng *r, float *x, size_t n) {
    rng_normal(r, x, n, 0.0f, 1.0f);
}

static void test_build_and_backward(void **state) {
    (void)state;
    const DrlOps *ops = drl_cpu_ops();
    const DrlHeadKernels *hk = drl_cpu_head_kernels();
    DrlRng data;
    rng_init(&data, 7);
    float tf[BT * L * D], vf[BV * T * D], pos[CTX * D];
    fill(&data, tf, sizeof tf / sizeof tf[0]);
    fill(&data, vf, sizeof vf / sizeof vf[0]);
    fill(&data, pos, sizeof pos / sizeof pos[0]);
    int32_t tm[BT * L] = {0}, vm[BV * T];
    const int len[BT] = {3, 6, 0}; /* an empty caption: its EOT row wraps to L - 1 */
    for (int a = 0; a < BT; a++)
        for (int i = 0; i < len[a]; i++)
            tm[a * L + i] = 1;
    for (int k = 0; k < BV * T; k++)
        vm[k] = (k % 3) != 2;
    float teot[BT * D];
    for (int a = 0; a < BT; a++)
        memcpy(teot + a * D, tf + (a * L + drl_text_last_index(tm + a * L, L)) * D,
               sizeof(float) * D);

    DrlXtiSeq s;
    xti_seq_alloc(&s, ops, BG, T, D, 1);
    const float p = 0.3f, keep = 1.0f / (1.0f - p);
    DrlRng rng, expect_rng;
    rng_init(&rng, 99);
    expect_rng = rng;
    enum { P = BT * BV, N = P * S * D };
    float *x = calloc(N, sizeof(float)), *mask = calloc(P * S, sizeof(float));
    xti_seq_fill_host(&s, ops, teot, BT, vf, BV, T);
    xti_seq_build(&s, ops, hk, &rng, pos, vm, BT, BV, T, p, x, mask);

    float *u = calloc(N, sizeof(float)), *mult = calloc(N, sizeof(float));
    rng_uniform(&expect_rng, u, N);
    for (int i = 0; i < N; i++)
        mult[i] = u[i] < p ? 0.0f : keep;
    int zeros = 0;
    for (int q = 0; q < P; q++) {
        const int a = q / BV, b = q % BV;
        for (int t = 0; t < S; t++) {
            const float want_mask =
                t == 0 ? 0.0f : (1.0f - (float)vm[b * T + t - 1]) * DRL_KEY_MASK_NEG;
            assert_true(mask[q * S + t] == want_mask);
            for (int d = 0; d < D; d++) {
                const float src = t == 0 ? teot[a * D + d] : vf[(b * T + t - 1) * D + d];
                const int i = (q * S + t) * D + d;
                const float want = (src + pos[t * D + d]) * mult[i];
                assert_true(x[i] == want);
                zeros += mult[i] == 0.0f;
            }
        }
    }
    assert_true(zeros > N / 5 && zeros < N / 2); /* p = 0.3 of the elements dropped */
    /* the generator advanced past exactly the N draws */
    float next_a, next_b;
    rng_uniform(&rng, &next_a, 1);
    rng_uniform(&expect_rng, &next_b, 1);
    assert_true(next_a == next_b);

    /* backward: the multiplied gradient summed back */
    float *dx = calloc(N, sizeof(float)), *g = calloc(N, sizeof(float));
    fill(&data, dx, N);
    for (int i = 0; i < N; i++)
        g[i] = dx[i] * mult[i];
    float dpos_grad[CTX * D] = {0};
    dpos_grad[0] = 0.5f; /* accumulated into, not overwritten */
    xti_seq_backward(&s, ops, hk, dx, BT, BV, T, p, dpos_grad);
    double worst = 0.0;
    for (int a = 0; a < BT; a++)
        for (int d = 0; d < D; d++) {
            double want = 0.0;
            for (int b = 0; b < BV; b++)
                want += g[((a * BV + b) * S) * D + d];
            worst = fmax(worst, fabs(s.dtable[a * D + d] - want));
        }
    for (int b = 0; b < BV; b++)
        for (int j = 0; j < T; j++)
            for (int d = 0; d < D; d++) {
                double want = 0.0;
                for (int a = 0; a < BT; a++)
                    want += g[((a * BV + b) * S + 1 + j) * D + d];
                worst = fmax(worst, fabs(s.dtable[(BT + b * T + j) * D + d] - want));
            }
    for (int t = 0; t < S; t++)
        for (int d = 0; d < D; d++) {
            double want = t == 0 && d == 0 ? 0.5 : 0.0;
            for (int q = 0; q < P; q++)
                want += g[(q * S + t) * D + d];
            worst = fmax(worst, fabs(dpos_grad[t * D + d] - want));
        }
    for (int k = S * D; k < CTX * D; k++)
        assert_true(dpos_grad[k] == 0.0f); /* positions past 1+T untouched */
    printf("xti sequences: build exact, backward worst abs err %.3g\n", worst);
    assert_true(worst < 1e-5);
    free(x), free(mask), free(u), free(mult), free(dx), free(g);
    xti_seq_free(&s, ops);
}

/* Training fill from the gathered features and the scatter back. */
static void test_device_fill_and_scatter(void **state) {
    (void)state;
    const DrlOps *ops = drl_cpu_ops();
    DrlRng data;
    rng_init(&data, 11);
    float tf[BG * L * D], vf[BG * T * D];
    fill(&data, tf, sizeof tf / sizeof tf[0]);
    fill(&data, vf, sizeof vf / sizeof vf[0]);
    int32_t tm[BG * L] = {0};
    for (int a = 0; a < BG; a++)
        for (int i = 0; i <= a; i++)
            tm[a * L + i] = 1;
    DrlXtiSeq s;
    xti_seq_alloc(&s, ops, BG, T, D, 0);
    xti_seq_fill_device(&s, ops, tf, tm, vf, BG, L, T);
    for (int a = 0; a < BG; a++)
        assert_memory_equal(s.table + a * D, tf + (a * L + a) * D, sizeof(float) * D);
    assert_memory_equal(s.table + BG * D, vf, sizeof vf);
    for (size_t k = 0; k < (size_t)(BG + BG * T) * D; k++)
        s.dtable[k] = (float)(k % 17) - 8.0f;
    float d_tf[BG * L * D] = {0}, d_vf[BG * T * D];
    for (int k = 0; k < BG * T * D; k++)
        d_vf[k] = 1.0f;
    xti_seq_scatter_train(&s, ops, d_tf, d_vf, BG, T);
    for (int a = 0; a < BG; a++)
        for (int i = 0; i < L; i++)
            for (int d = 0; d < D; d++)
                assert_true(d_tf[(a * L + i) * D + d] == (i == a ? s.dtable[a * D + d] : 0.0f));
    for (int k = 0; k < BG * T * D; k++)
        assert_true(d_vf[k] == 1.0f + s.dtable[BG * D + k]);
    xti_seq_free(&s, ops);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_build_and_backward),
                                       cmocka_unit_test(test_device_fill_and_scatter)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
