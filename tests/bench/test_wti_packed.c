/* tokenwise_score_normalised (evaluation scoring, drl/interaction.h) scores
 * only valid tokens against valid frames; this checks it against the dense
 * definition of spec/model.md §4 computed here in double on the full
 * (Bt, Bv, L, T) tensor with the masked entries set to 0:
 *   sim = (sum_i wt max_j S + sum_j wv max_i S) / 2.
 * Cases: random caption / video lengths (full L and T, 1, 0), several cache
 * tiles, all-negative similarities (the 0 of a padded side wins the max),
 * non-zero weights on masked positions (they must not count), one text. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "common/check.h"
#include "drl/interaction.h"

typedef struct {
    uint64_t s;
} Rng;

static double uni(Rng *r) { // splitmix64 in [0, 1)
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0;
}

/* Unit rows (N, D): sign * u + noise, u a fixed direction, so that with
 * opposite signs on the two sides every similarity is negative. */
static void features(float *x, int N, int D, double sign, double noise, Rng *r) {
    for (int n = 0; n < N; n++) {
        float *row = x + (size_t)n * D; // (D)
        double ss = 0.0;
        for (int d = 0; d < D; d++) {
            row[d] = (float)((d == 0 ? sign : 0.0) + noise * (2.0 * uni(r) - 1.0));
            ss += (double)row[d] * row[d];
        }
        for (int d = 0; d < D; d++)
            row[d] = (float)(row[d] / sqrt(ss));
    }
}

/* Mask (N, K) with random lengths; item n gets K when n % 5 == 0, 1 when
 * n % 7 == 1, 0 when n % 11 == 3 (a failed clip), else 1..K. */
static void lengths(int32_t *m, int N, int K, Rng *r) {
    for (int n = 0; n < N; n++) {
        int len = 1 + (int)(uni(r) * K);
        if (n % 5 == 0)
            len = K;
        else if (n % 7 == 1)
            len = 1;
        else if (n % 11 == 3)
            len = 0;
        for (int k = 0; k < K; k++)
            m[(size_t)n * K + k] = k < len;
    }
}

static double dense_sim(const float *tn, const int32_t *tm, const float *vn, const int32_t *vm,
                        const float *wt, const float *wv, int a, int b, int L, int T, int D) {
    double S[64][16]; // (L, T) masked similarities of the pair
    for (int i = 0; i < L; i++)
        for (int j = 0; j < T; j++) {
            double dot = 0.0;
            for (int d = 0; d < D; d++)
                dot += (double)tn[((size_t)a * L + i) * D + d] * vn[((size_t)b * T + j) * D + d];
            S[i][j] = dot * tm[(size_t)a * L + i] * vm[(size_t)b * T + j];
        }
    double t2v = 0.0, v2t = 0.0;
    for (int i = 0; i < L; i++) {
        double m = S[i][0];
        for (int j = 1; j < T; j++)
            m = fmax(m, S[i][j]);
        t2v += wt[(size_t)a * L + i] * m;
    }
    for (int j = 0; j < T; j++) {
        double m = S[0][j];
        for (int i = 1; i < L; i++)
            m = fmax(m, S[i][j]);
        v2t += wv[(size_t)b * T + j] * m;
    }
    return 0.5 * (t2v + v2t);
}

static void check_case(int Bt, int Bv, int L, int T, int D, double sign_v, uint64_t seed) {
    assert_true(L <= 64 && T <= 16);
    Rng r = {seed};
    float *tn = mallocCheck(sizeof(float) * (size_t)Bt * L * D);      // (Bt, L, D)
    float *vn = mallocCheck(sizeof(float) * (size_t)Bv * T * D);      // (Bv, T, D)
    int32_t *tm = mallocCheck(sizeof(int32_t) * (size_t)Bt * L);      // (Bt, L)
    int32_t *vm = mallocCheck(sizeof(int32_t) * (size_t)Bv * T);      // (Bv, T)
    float *wt = mallocCheck(sizeof(float) * (size_t)Bt * L);          // (Bt, L)
    float *wv = mallocCheck(sizeof(float) * (size_t)Bv * T);          // (Bv, T)
    float *sim = mallocCheck(sizeof(float) * (size_t)Bt * Bv);        // (Bt, Bv)
    float *scratch = mallocCheck(sizeof(float) * (size_t)L * Bv * T); // (L, Bv*T)
    features(tn, Bt * L, D, 1.0, 0.1, &r);
    features(vn, Bv * T, D, sign_v, 0.1, &r);
    lengths(tm, Bt, L, &r);
    lengths(vm, Bv, T, &r);
    for (size_t k = 0; k < (size_t)Bt * L; k++)
        wt[k] = (float)uni(&r);
    for (size_t k = 0; k < (size_t)Bv * T; k++)
        wv[k] = (float)uni(&r);
    tokenwise_score_normalised(sim, tn, tm, vn, vm, wt, wv, Bt, Bv, L, T, D, scratch);
    int negative = 0;
    double worst = 0.0;
    for (int a = 0; a < Bt; a++)
        for (int b = 0; b < Bv; b++) {
            const double want = dense_sim(tn, tm, vn, vm, wt, wv, a, b, L, T, D);
            const double err = fabs(sim[(size_t)a * Bv + b] - want);
            worst = err > worst ? err : worst;
            negative += want < 0.0;
        }
    print_message("Bt %d Bv %d L %d T %d D %d: max |ours - dense| %.3g, %d negative scores\n", Bt,
                  Bv, L, T, D, worst, negative);
    assert_true(worst <= 2e-5 * L);
    if (sign_v < 0.0) assert_true(negative > 0); // the 0-from-padding quirk was exercised
    free(tn), free(vn), free(tm), free(vm), free(wt), free(wv), free(sim), free(scratch);
}

/* Several 256-row x 1024-column tiles on both sides (texts up to 32 tokens,
 * videos up to 12 frames). */
static void test_many_tiles(void **state) {
    (void)state;
    check_case(70, 190, 32, 12, 48, 0.0, 1);
}

/* Every similarity negative: padded sides make the max 0. */
static void test_all_negative(void **state) {
    (void)state;
    check_case(40, 120, 32, 12, 32, -1.0, 2);
}

/* One text against many videos (the search tool's call), and odd sizes. */
static void test_one_text(void **state) {
    (void)state;
    check_case(1, 300, 32, 12, 40, -1.0, 3);
    check_case(13, 9, 5, 3, 7, 0.0, 4);
}

/* L = 1 and T = 1: no padding possible except empty items. */
static void test_single_positions(void **state) {
    (void)state;
    check_case(17, 23, 1, 1, 16, -1.0, 5);
    check_case(17, 23, 1, 12, 16, 0.0, 6);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_many_tiles),
        cmocka_unit_test(test_all_negative),
        cmocka_unit_test(test_one_text),
        cmocka_unit_test(test_single_positions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
