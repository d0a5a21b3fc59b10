/* The attention of drl_cpu_ops_bf16() (src/cpu/cpu_attention_bf16.c) against
 * a double-precision reference whose products take bf16-rounded operands
 * (the definition of bf16 rounding, bf16_ref.h): q, k, v and dout as given,
 * the probabilities and dscore as the implementation holds them. What may
 * remain is fp32 arithmetic, bounded term by term:
 * - every product: fp32 accumulation, ACC_RTOL of the sum of |terms| (as the
 *   GEMM test; K <= 64 here);
 * - the probabilities: the scores' accumulation error E (ACC_RTOL of their
 *   |terms|, scaled) moves p by at most p (E_j + max E), plus the fp32
 *   softmax itself (a 2-ulp exp, the cast of score - max, the sum over T
 *   keys: SOFTMAX_RTOL of p); probabilities under FLT_MIN may be 0;
 * - dscore is rounded to bf16 inside the backward: where the fp32 value may
 *   lie on either side of a rounding boundary (the reference +- its fp32
 *   error bound round differently), one bf16 step of that element is allowed.
 * Masks: causal, an additive key mask with -inf and large finite entries, a
 * batch whose keys are all -inf and, with causal, rows with no reachable key
 * (all zeros, gradients zero, never NaN). Outputs are written over NaN;
 * gradients accumulate onto non-zero values. The fp32 table's attention must
 * differ by far more than the tolerance (the products are bf16). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bf16_ref.h"
#include "ops/ops.h"

#define ACC_RTOL     1e-5
#define SOFTMAX_RTOL 1e-5

typedef struct {
    int B, T, W, H, causal, masked;
} Case;

typedef struct {
    double worst; /* the largest |ours - reference| / tolerance */
    double rel;   /* the largest |ours - reference| / sum of |terms| */
} Worst;

static uint64_t next_u64(uint64_t *s) {
    *s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
    return *s;
}

static float uniform(uint64_t *s, float lo, float hi) {
    return lo + (hi - lo) * (float)((next_u64(s) >> 40) * 0x1p-24);
}

static float *fill(size_t n, uint64_t *s, float lo, float hi) {
    float *x = malloc(sizeof(float) * n);
    assert_non_null(x);
    for (size_t i = 0; i < n; i++)
        x[i] = uniform(s, lo, hi);
    return x;
}

static float *nan_filled(size_t n) {
    float *x = malloc(sizeof(float) * n);
    assert_non_null(x);
    for (size_t i = 0; i < n; i++)
        x[i] = NAN;
    return x;
}

/* got against want within tol; records the worst ratios. */
static void check(Worst *w, const char *what, const Case *c, size_t at, double got, double want,
                  double tol, double terms) {
    const double err = fabs(got - want);
    if (!(err <= tol))
        fail_msg("B=%d T=%d W=%d H=%d causal=%d mask=%d %s[%zu] = %.9g, expected %.9g "
                 "(tolerance %.3g)",
                 c->B, c->T, c->W, c->H, c->causal, c->masked, what, at, got, want, tol);
    if (tol > 0 && err / tol > w->worst) w->worst = err / tol;
    if (terms > 0 && err / terms > w->rel) w->rel = err / terms;
}

/* The additive key mask (B, T): batch 0 none, batch 1 -inf on every third
 * key and -1e4 on the last, batch 2 (when B > 2) -inf everywhere, the rest
 * -1e6 on every key (the softmax of the unmasked scores). */
static float *key_mask(int B, int T) {
    float *m = calloc((size_t)B * T, sizeof(float)); // (B, T)
    assert_non_null(m);
    for (int b = 1; b < B; b++)
        for (int j = 0; j < T; j++)
            m[b * T + j] = b == 1   ? (j % 3 == 1   ? -INFINITY
                                       : j == T - 1 ? -1e4f
                                                    : 0.0f)
                           : b == 2 ? -INFINITY
                                    : -1e6f;
    return m;
}

static void run_case(const Case *c, uint64_t seed, Worst *wf, Worst *wb) {
    const DrlOps *ops = drl_cpu_ops_bf16(NULL, 0);
    assert_non_null(ops);
    const int B = c->B, T = c->T, W = c->W, H = c->H, dh = W / H, ld = 3 * W;
    const float scale_f = 1.0f / sqrtf((float)dh);
    const double scale = scale_f;
    uint64_t s = seed;
    const size_t nqkv = (size_t)B * T * ld, nout = (size_t)B * T * W, np = (size_t)B * H * T * T;
    float *qkv = fill(nqkv, &s, -1.5f, 1.5f);        // (B, T, 3W)
    float *dout = fill(nout, &s, -1.0f, 1.0f);       // (B, T, W)
    float *dqkv0 = fill(nqkv, &s, -0.5f, 0.5f);      // (B, T, 3W) starting gradient
    float *mask = c->masked ? key_mask(B, T) : NULL; // (B, T) or NULL
    /* the first key of batch 0 masked under causal: its row 0 reaches no key */
    if (mask && c->causal) mask[0] = -INFINITY;
    float *out = nan_filled(nout);              // (B, T, W)
    float *probs = nan_filled(np);              // (B, H, T, T)
    float *dqkv = malloc(sizeof(float) * nqkv); // (B, T, 3W)
    assert_non_null(dqkv);
    memcpy(dqkv, dqkv0, sizeof(float) * nqkv);

    ops->attention_fwd(out, probs, qkv, mask, c->causal, B, T, W, H);
    ops->attention_bwd(dqkv, dout, qkv, probs, B, T, W, H);

    double *ds = malloc(sizeof(double) * T * T);    // (T, T) bf16(dscore) of the reference
    double *slack = malloc(sizeof(double) * T * T); // (T, T) one bf16 step where ambiguous
    double *dp = malloc(sizeof(double) * T * T);    // (T, T) dy v^T
    double *dpa = malloc(sizeof(double) * T * T);   // (T, T) its |terms|
    double *sc = malloc(sizeof(double) * T);        // (T) scores
    double *se = malloc(sizeof(double) * T);        // (T) their error bounds
    assert_non_null(ds), assert_non_null(slack), assert_non_null(dp), assert_non_null(dpa);
    assert_non_null(sc), assert_non_null(se);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++) {
            const float *q = qkv + (size_t)b * T * ld + h * dh, *k = q + W, *v = q + 2 * W;
            const float *p = probs + ((size_t)b * H + h) * T * T; // (T, T)
            const float *dy = dout + (size_t)b * T * W + h * dh;  // (T, dh) stride W
            const size_t qo = (size_t)b * T * ld + h * dh;        // q's offset in qkv
            /* forward: probabilities, then out */
            for (int i = 0; i < T; i++) {
                const int nk = c->causal ? i + 1 : T;
                double mx = -INFINITY, emax = 0.0;
                for (int j = 0; j < nk; j++) {
                    double sum = 0.0, mag = 0.0;
                    for (int d = 0; d < dh; d++) {
                        double t =
                            ref_bf16(q[(size_t)i * ld + d]) * ref_bf16(k[(size_t)j * ld + d]);
                        sum += t, mag += fabs(t);
                    }
                    sc[j] = scale * sum + (mask ? mask[b * T + j] : 0.0);
                    se[j] = ACC_RTOL * scale * mag;
                    if (sc[j] > mx) mx = sc[j];
                    if (se[j] > emax) emax = se[j];
                }
                double z = 0.0;
                for (int j = 0; j < nk && mx > -INFINITY; j++)
                    z += exp(sc[j] - mx);
                for (int j = 0; j < T; j++) {
                    const double want = j < nk && mx > -INFINITY ? exp(sc[j] - mx) / z : 0.0;
                    /* e^x under FLT_MIN may flush to zero; masked keys give exact zeros */
                    const double tol =
                        want < 0x1p-126
                            ? want
                            : want * (se[j] + emax + SOFTMAX_RTOL * (1.0 + fabs(sc[j] - mx)));
                    check(wf, "probs", c, ((size_t)(b * H + h) * T + i) * T + j, p[i * T + j], want,
                          tol, want);
                }
                for (int d = 0; d < dh; d++) {
                    double sum = 0.0, mag = 0.0;
                    for (int j = 0; j < T; j++) {
                        double t = ref_bf16(p[i * T + j]) * ref_bf16(v[(size_t)j * ld + d]);
                        sum += t, mag += fabs(t);
                    }
                    const size_t at = (size_t)b * T * W + (size_t)i * W + h * dh + d;
                    check(wf, "out", c, at, out[at], sum, ACC_RTOL * mag, mag);
                }
            }
            /* backward: dv, dp, dscore, dq, dk */
            for (int i = 0; i < T; i++)
                for (int j = 0; j < T; j++) {
                    double sum = 0.0, mag = 0.0;
                    for (int d = 0; d < dh; d++) {
                        double t =
                            ref_bf16(dy[(size_t)i * W + d]) * ref_bf16(v[(size_t)j * ld + d]);
                        sum += t, mag += fabs(t);
                    }
                    dp[i * T + j] = sum, dpa[i * T + j] = mag;
                }
            for (int i = 0; i < T; i++) {
                double rs = 0.0, rsa = 0.0; // sum_j p dp and its |terms|
                for (int j = 0; j < T; j++)
                    rs += (double)p[i * T + j] * dp[i * T + j],
                        rsa += (double)p[i * T + j] * dpa[i * T + j];
                for (int j = 0; j < T; j++) {
                    const double pij = p[i * T + j], x = dp[i * T + j] - rs;
                    const double want = scale * pij * x;
                    const double e = scale * pij * ACC_RTOL * (dpa[i * T + j] + rsa + fabs(x));
                    ds[i * T + j] = ref_bf16((float)want);
                    slack[i * T + j] =
                        fabs(ref_bf16((float)(want + e)) - ref_bf16((float)(want - e)));
                }
            }
            for (int j = 0; j < T; j++)
                for (int d = 0; d < dh; d++) {
                    double sum = 0.0, mag = 0.0;
                    for (int i = 0; i < T; i++) {
                        double t = ref_bf16(p[i * T + j]) * ref_bf16(dy[(size_t)i * W + d]);
                        sum += t, mag += fabs(t);
                    }
                    const size_t at = qo + 2 * W + (size_t)j * ld + d;
                    mag += fabs(dqkv0[at]);
                    check(wb, "dv", c, at, dqkv[at], dqkv0[at] + sum, ACC_RTOL * mag, mag);
                }
            for (int i = 0; i < T; i++)
                for (int d = 0; d < dh; d++) {
                    double sq = 0.0, mq = 0.0, eq = 0.0, sk = 0.0, mk = 0.0, ek = 0.0;
                    for (int j = 0; j < T; j++) {
                        const double kj = ref_bf16(k[(size_t)j * ld + d]);
                        const double qj = ref_bf16(q[(size_t)j * ld + d]);
                        sq += ds[i * T + j] * kj, mq += fabs(ds[i * T + j] * kj);
                        eq += slack[i * T + j] * fabs(kj);
                        sk += ds[j * T + i] * qj, mk += fabs(ds[j * T + i] * qj);
                        ek += slack[j * T + i] * fabs(qj);
                    }
                    const size_t aq = qo + (size_t)i * ld + d, ak = aq + W;
                    mq += fabs(dqkv0[aq]), mk += fabs(dqkv0[ak]);
                    check(wb, "dq", c, aq, dqkv[aq], dqkv0[aq] + sq, ACC_RTOL * mq + eq, mq);
                    check(wb, "dk", c, ak, dqkv[ak], dqkv0[ak] + sk, ACC_RTOL * mk + ek, mk);
                }
        }
    /* rows with no reachable key: zeros exactly, nothing flows back */
    if (mask && B > 2)
        for (size_t i = 0; i < (size_t)T * W; i++)
            assert_true(out[2 * (size_t)T * W + i] == 0.0f);
    if (mask && c->causal)
        for (int h = 0; h < H; h++)
            for (int d = 0; d < dh; d++)
                assert_true(out[h * dh + d] == 0.0f);

    /* the fp32 table's attention is measurably different (bf16 products) */
    float *out32 = nan_filled(nout);
    float *probs32 = nan_filled(np);
    drl_cpu_ops()->attention_fwd(out32, probs32, qkv, mask, c->causal, B, T, W, H);
    double far = 0.0;
    for (size_t i = 0; i < nout; i++) {
        double d = fabs((double)out32[i] - out[i]);
        if (d > far) far = d;
    }
    assert_true(far > 1e-3);
    free(out32), free(probs32);
    free(ds), free(slack), free(dp), free(dpa), free(sc), free(se);
    free(qkv), free(dout), free(dqkv0), free(mask), free(out), free(probs), free(dqkv);
}

static void test_attention(void **state) {
    (void)state;
    const Case cases[] = {
        {3, 17, 48, 4, 0, 0}, {3, 17, 48, 4, 0, 1},   {4, 13, 40, 5, 1, 1},  {2, 9, 24, 2, 1, 0},
        {1, 1, 8, 1, 1, 0},   {2, 50, 768, 12, 0, 0}, {4, 32, 512, 8, 1, 1},
    };
    Worst wf = {0}, wb = {0};
    uint64_t seed = 0x6a09e667f3bcc908ull;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_case(&cases[i], seed += 0x9e3779b9ull, &wf, &wb);
    printf("bf16 attention vs the double reference of bf16 operands: forward worst %.3g of the "
           "tolerance (%.3g of |terms|), backward worst %.3g (%.3g of |terms|)\n",
           wf.worst, wf.rel, wb.worst, wb.rel);
}

int main(void) {
    char why[256] = "";
    if (!drl_cpu_ops_bf16(why, sizeof why)) {
        fprintf(stderr, "test_bf16_attention: %s\n", why);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attention),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
