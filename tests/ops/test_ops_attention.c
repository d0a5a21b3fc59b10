/* Multi-head self-attention on packed q|k|v: output and saved probabilities
 * against a double reference, backward against finite differences, causal and
 * key masks (-inf and the DRL heads' -1e6), fully masked query rows. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "ops/ops.h"
#include "ops_check.h"

typedef struct AttCtx {
    int B, T, W, H, causal;
    const double *keymask; /* (B, T) additive, or NULL */
    double *probs;         /* (B, H, T, T) written when not NULL */
} AttCtx;

/* in[0] qkv (B, T, 3W); out (B, T, W) */
static void ref_attention(const void *vctx, double *const *in, double *out) {
    const AttCtx *c = vctx;
    int B = c->B, T = c->T, W = c->W, H = c->H, dh = W / H;
    const double *qkv = in[0];
    double *s = calloc((size_t)T, sizeof(double)); // (T) scores of one query
    assert_non_null(s);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++)
            for (int i = 0; i < T; i++) {
                const double *q = qkv + ((size_t)b * T + i) * 3 * W + h * dh;
                double mx = -INFINITY;
                for (int j = 0; j < T; j++) {
                    const double *k = qkv + ((size_t)b * T + j) * 3 * W + W + h * dh;
                    double d = 0.0;
                    for (int e = 0; e < dh; e++)
                        d += q[e] * k[e];
                    s[j] = d / sqrt((double)dh);
                    if (c->keymask) s[j] += c->keymask[b * T + j];
                    if (c->causal && j > i) s[j] = -INFINITY;
                    if (s[j] > mx) mx = s[j];
                }
                double sum = 0.0;
                for (int j = 0; j < T; j++) {
                    s[j] = mx == -INFINITY ? 0.0 : exp(s[j] - mx);
                    sum += s[j];
                }
                double *o = out + ((size_t)b * T + i) * W + h * dh;
                for (int e = 0; e < dh; e++)
                    o[e] = 0.0;
                for (int j = 0; j < T; j++) {
                    double p = sum > 0.0 ? s[j] / sum : 0.0;
                    if (c->probs) c->probs[(((size_t)b * H + h) * T + i) * T + j] = p;
                    const double *v = qkv + ((size_t)b * T + j) * 3 * W + 2 * W + h * dh;
                    for (int e = 0; e < dh; e++)
                        o[e] += p * v[e];
                }
            }
    free(s);
}

/* Runs forward and backward; compares with the reference computed with
 * refmask (normally the same mask, widened to double) and finite differences. */
static void attention_case(int B, int T, int W, int H, int causal, const float *keymask,
                           const double *refmask, size_t step, uint64_t seed) {
    const DrlOps *ops = drl_cpu_ops();
    TRng r = trng(seed);
    size_t nqkv = (size_t)B * T * 3 * W, ny = (size_t)B * T * W, np = (size_t)B * H * T * T;
    float *qkv = fvec_rand(nqkv, -2, 2, &r); // (B, T, 3W)
    float *y = fvec_nan(ny);                 // (B, T, W) stale values
    float *probs = fvec_nan(np);             // (B, H, T, T) stale values
    ops->attention_fwd(y, probs, qkv, keymask, causal, B, T, W, H);

    double *pref = dvec(np), *yref = dvec(ny);
    AttCtx ctx = {B, T, W, H, causal, refmask, pref};
    double *in[1] = {dvec_of(qkv, nqkv)};
    ref_attention(&ctx, in, yref);
    check_close("attention_fwd out", y, yref, ny, FWD_RTOL, 1e-6);
    check_close("attention_fwd probs", probs, pref, np, FWD_RTOL, 1e-7);
    for (size_t i = 0; i < np; i++) // reference zeros (masked keys) are exact zeros
        if (pref[i] == 0.0) assert_true(probs[i] == 0.0f);

    ctx.probs = NULL;
    float *dout = fvec_rand(ny, -1, 1, &r); // (B, T, W)
    double *wts = dvec_of(dout, ny);
    GradBuf gq = gbuf(nqkv, &r);
    for (int call = 0; call < 2; call++) {
        ops->attention_bwd(gq.g, dout, qkv, probs, B, T, W, H);
        if (call == 0) gbuf_mark(&gq);
    }
    ops->attention_bwd(NULL, dout, qkv, probs, B, T, W, H); // skipped
    double *fd = dvec(nqkv);
    fd_grad(ref_attention, &ctx, in, 0, nqkv, ny, wts, step, fd);
    gbuf_check("attention_bwd dqkv", &gq, fd);

    gbuf_free(&gq);
    free(in[0]), free(qkv), free(y), free(probs), free(pref), free(yref), free(dout), free(wts);
    free(fd);
}

/* A key mask (B, T) with value `neg` on masked keys: batch 0 masks keys 1 and
 * 3, batch 1 masks every key when `all_batch1`, otherwise key 0, other batches
 * mask key 0 (so with causal their first query sees no key). */
static float *make_keymask(int B, int T, float neg, int all_batch1) {
    float *m = fvec((size_t)B * T); // (B, T)
    for (int b = 0; b < B; b++)
        for (int j = 0; j < T; j++) {
            int masked = b == 0 ? (j == 1 || j == 3) : (b == 1 && all_batch1) ? 1 : j == 0;
            m[b * T + j] = masked ? neg : 0.0f;
        }
    return m;
}

static void test_attention_plain(void **state) {
    (void)state;
    attention_case(2, 5, 12, 3, 0, NULL, NULL, 1, 1);
    attention_case(1, 5, 12, 3, 0, NULL, NULL, 1, 2); // batch 1
    attention_case(2, 7, 15, 3, 0, NULL, NULL, 1, 3); // head width 5
    attention_case(1, 3, 7, 1, 0, NULL, NULL, 1, 4);  // one head of width 7
    attention_case(1, 1, 6, 2, 0, NULL, NULL, 1, 5);  // one token
}

static void test_attention_causal(void **state) {
    (void)state;
    attention_case(1, 5, 12, 3, 1, NULL, NULL, 1, 6);
    attention_case(2, 7, 15, 3, 1, NULL, NULL, 1, 7);
}

/* -inf key masks with fully masked query rows, with and without causal. */
static void test_attention_keymask_inf(void **state) {
    (void)state;
    int B = 3, T = 5, W = 12, H = 3;
    float *m = make_keymask(B, T, -INFINITY, 1);
    double *md = dvec_of(m, (size_t)B * T);
    attention_case(B, T, W, H, 0, m, md, 1, 8);
    attention_case(B, T, W, H, 1, m, md, 1, 9);
    free(m), free(md);

    // every fully masked query row is zero and has a zero gradient, never NaN
    const DrlOps *ops = drl_cpu_ops();
    TRng r = trng(10);
    float *mask = make_keymask(B, T, -INFINITY, 1);
    float *qkv = fvec_rand((size_t)B * T * 3 * W, -2, 2, &r);
    float *y = fvec((size_t)B * T * W), *probs = fvec((size_t)B * H * T * T);
    float *dout = fvec_rand((size_t)B * T * W, -1, 1, &r);
    float *dqkv = fvec((size_t)B * T * 3 * W);
    ops->attention_fwd(y, probs, qkv, mask, 1, B, T, W, H);
    check_zero("batch 1 (all keys masked) out", y + (size_t)T * W, (size_t)T * W);
    check_zero("batch 1 probs", probs + (size_t)H * T * T, (size_t)H * T * T);
    check_zero("batch 2 query 0 (causal, key 0 masked) out", y + (size_t)2 * T * W, (size_t)W);
    ops->attention_bwd(dqkv, dout, qkv, probs, B, T, W, H);
    check_zero("batch 1 dqkv", dqkv + (size_t)T * 3 * W, (size_t)T * 3 * W);
    for (size_t i = 0; i < (size_t)B * T * 3 * W; i++)
        assert_false(isnan(dqkv[i]));
    free(mask), free(qkv), free(y), free(probs), free(dout), free(dqkv);
}

/* The DRL heads' additive -1e6 mask equals the masked softmax (-inf) to float
 * rounding when a query reaches at least one unmasked key; a batch with every
 * key at -1e6 gets the unmasked softmax, as in PyTorch (the constant cancels). */
static void test_attention_keymask_1e6(void **state) {
    (void)state;
    int B = 3, T = 5, W = 12, H = 3;
    float *m = make_keymask(B, T, -1e6f, 0);
    float *m_all = make_keymask(B, T, -1e6f, 1);
    double *as_inf = dvec((size_t)B * T), *as_inf_all = dvec((size_t)B * T);
    for (int i = 0; i < B * T; i++) {
        as_inf[i] = m[i] != 0.0f ? -INFINITY : 0.0;
        as_inf_all[i] = (i / T == 1) ? 0.0 : as_inf[i]; // batch 1: the constant cancels
    }
    attention_case(B, T, W, H, 0, m, as_inf, 1, 11);
    // causal: batch 0 only, whose every query reaches an unmasked key (key 0)
    attention_case(1, T, W, H, 1, m, as_inf, 1, 12);
    attention_case(B, T, W, H, 0, m_all, as_inf_all, 1, 13);
    free(m), free(m_all), free(as_inf), free(as_inf_all);
}

/* Enough (batch, head) pairs for the OpenMP path, a ViT-B/32 sized layer and a
 * long sequence. */
static void test_attention_parallel_sizes(void **state) {
    (void)state;
    int B = 3, T = 17, W = 96, H = 4;
    float *m = make_keymask(B, T, -1e6f, 0);
    double *md = dvec_of(m, (size_t)B * T);
    attention_case(B, T, W, H, 0, m, md, 37, 14);
    attention_case(B, T, W, H, 1, NULL, NULL, 41, 15);
    attention_case(1, 50, 768, 12, 0, NULL, NULL, 2003, 16);
    // T * dh large enough that the products are split into row blocks
    attention_case(1, 80, 128, 2, 1, NULL, NULL, 1021, 17);
    free(m), free(md);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attention_plain),
        cmocka_unit_test(test_attention_causal),
        cmocka_unit_test(test_attention_keymask_inf),
        cmocka_unit_test(test_attention_keymask_1e6),
        cmocka_unit_test(test_attention_parallel_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
