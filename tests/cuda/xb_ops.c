/* Every op of the table, forward and backward, on the GPU against the CPU
 * backend on the same random inputs. Backward gradients start from the same
 * random values on both sides (the ops accumulate); NULL gradients are
 * exercised by calls that ask for a subset. */
#include "xb_ops.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"

#define F sizeof(float)

void xb_linear(Xb *x, int N, int IC, int OC, int with_bias, double tol) {
    char name[96];
    const DrlOps *c = x->cpu, *g = x->gpu;
    float *in = xb_rand(x, (size_t)N * IC, 1.0f), *w = xb_rand(x, (size_t)OC * IC, 0.05f);
    float *b = xb_rand(x, OC, 0.5f), *dout = xb_rand(x, (size_t)N * OC, 1.0f);
    float *out = xb_rand(x, (size_t)N * OC, 9.0f); // stale values: must be overwritten
    float *din = xb_rand(x, (size_t)N * IC, 1.0f), *dw = xb_rand(x, (size_t)OC * IC, 1.0f);
    float *db = xb_rand(x, OC, 1.0f);
    float *d_in = xb_dev(x, in, (size_t)N * IC), *d_w = xb_dev(x, w, (size_t)OC * IC);
    float *d_b = xb_dev(x, b, OC), *d_dout = xb_dev(x, dout, (size_t)N * OC);
    float *d_out = xb_dev(x, out, (size_t)N * OC), *d_din = xb_dev(x, din, (size_t)N * IC);
    float *d_dw = xb_dev(x, dw, (size_t)OC * IC), *d_db = xb_dev(x, db, OC);
    c->linear_fwd(out, in, w, with_bias ? b : NULL, N, IC, OC);
    g->linear_fwd(d_out, d_in, d_w, with_bias ? d_b : NULL, N, IC, OC);
    snprintf(name, sizeof name, "linear_fwd %dx%dx%d%s", N, IC, OC, with_bias ? " +bias" : "");
    xb_check(x, name, out, d_out, (size_t)N * OC, tol);
    c->linear_bwd(din, dw, db, dout, in, w, N, IC, OC);
    g->linear_bwd(d_din, d_dw, d_db, d_dout, d_in, d_w, N, IC, OC);
    snprintf(name, sizeof name, "linear_bwd dinp %dx%dx%d", N, IC, OC);
    xb_check(x, name, din, d_din, (size_t)N * IC, tol);
    snprintf(name, sizeof name, "linear_bwd dw %dx%dx%d", N, IC, OC);
    xb_check(x, name, dw, d_dw, (size_t)OC * IC, tol);
    snprintf(name, sizeof name, "linear_bwd dbias %dx%dx%d", N, IC, OC);
    xb_check(x, name, db, d_db, OC, 1e-5); // fp32 column sums in every precision
    // only dw asked for: dinp and dbias untouched
    c->linear_bwd(NULL, dw, NULL, dout, in, w, N, IC, OC);
    g->linear_bwd(NULL, d_dw, NULL, d_dout, d_in, d_w, N, IC, OC);
    snprintf(name, sizeof name, "linear_bwd dw only (NULLs) %dx%d", IC, OC);
    xb_check(x, name, dw, d_dw, (size_t)OC * IC, tol);
    xb_check(x, "linear_bwd NULL dinp untouched", din, d_din, (size_t)N * IC, 0.0);
    xb_free_dev(x, d_in, d_w, d_b, d_dout, d_out, d_din, d_dw, d_db, NULL);
    free(in), free(w), free(b), free(dout), free(out), free(din), free(dw), free(db);
}

void xb_matmul(Xb *x, int N, int IC, int OC, double tol) {
    char name[96];
    const DrlOps *c = x->cpu, *g = x->gpu;
    float *in = xb_rand(x, (size_t)N * IC, 1.0f), *m = xb_rand(x, (size_t)IC * OC, 0.05f);
    float *dout = xb_rand(x, (size_t)N * OC, 1.0f), *out = xb_rand(x, (size_t)N * OC, 9.0f);
    float *din = xb_rand(x, (size_t)N * IC, 1.0f), *dm = xb_rand(x, (size_t)IC * OC, 1.0f);
    float *d_in = xb_dev(x, in, (size_t)N * IC), *d_m = xb_dev(x, m, (size_t)IC * OC);
    float *d_dout = xb_dev(x, dout, (size_t)N * OC), *d_out = xb_dev(x, out, (size_t)N * OC);
    float *d_din = xb_dev(x, din, (size_t)N * IC), *d_dm = xb_dev(x, dm, (size_t)IC * OC);
    c->matmul_fwd(out, in, m, N, IC, OC);
    g->matmul_fwd(d_out, d_in, d_m, N, IC, OC);
    snprintf(name, sizeof name, "matmul_fwd %dx%dx%d", N, IC, OC);
    xb_check(x, name, out, d_out, (size_t)N * OC, tol);
    c->matmul_bwd(din, dm, dout, in, m, N, IC, OC);
    g->matmul_bwd(d_din, d_dm, d_dout, d_in, d_m, N, IC, OC);
    snprintf(name, sizeof name, "matmul_bwd dinp %dx%dx%d", N, IC, OC);
    xb_check(x, name, din, d_din, (size_t)N * IC, tol);
    snprintf(name, sizeof name, "matmul_bwd dm %dx%dx%d", N, IC, OC);
    xb_check(x, name, dm, d_dm, (size_t)IC * OC, tol);
    xb_free_dev(x, d_in, d_m, d_dout, d_out, d_din, d_dm, NULL);
    free(in), free(m), free(dout), free(out), free(din), free(dm);
}

void xb_layernorm(Xb *x, int N, int C) {
    char name[96];
    const DrlOps *c = x->cpu, *g = x->gpu;
    const size_t n = (size_t)N * C;
    float *in = xb_rand(x, n, 2.0f), *gm = xb_rand(x, C, 1.0f), *bt = xb_rand(x, C, 1.0f);
    for (int i = 0; i < C; i++)
        in[i] += 100.0f; // a row with a large mean (two-pass variance)
    float *out = xb_rand(x, n, 9.0f), *mean = xb_rand(x, N, 9.0f), *rstd = xb_rand(x, N, 9.0f);
    float *dout = xb_rand(x, n, 1.0f), *din = xb_rand(x, n, 1.0f);
    float *dg = xb_rand(x, C, 1.0f), *db = xb_rand(x, C, 1.0f);
    float *d_in = xb_dev(x, in, n), *d_g = xb_dev(x, gm, C), *d_b = xb_dev(x, bt, C);
    float *d_out = xb_dev(x, out, n), *d_mean = xb_dev(x, mean, N), *d_rstd = xb_dev(x, rstd, N);
    float *d_dout = xb_dev(x, dout, n), *d_din = xb_dev(x, din, n);
    float *d_dg = xb_dev(x, dg, C), *d_db = xb_dev(x, db, C);
    c->layernorm_fwd(out, mean, rstd, in, gm, bt, N, C, 1e-5f);
    g->layernorm_fwd(d_out, d_mean, d_rstd, d_in, d_g, d_b, N, C, 1e-5f);
    snprintf(name, sizeof name, "layernorm_fwd %dx%d", N, C);
    xb_check(x, name, out, d_out, n, 1e-5);
    xb_check(x, "layernorm_fwd mean", mean, d_mean, N, 1e-5);
    xb_check(x, "layernorm_fwd rstd", rstd, d_rstd, N, 1e-5);
    c->layernorm_bwd(din, dg, db, dout, in, gm, mean, rstd, N, C);
    g->layernorm_bwd(d_din, d_dg, d_db, d_dout, d_in, d_g, d_mean, d_rstd, N, C);
    snprintf(name, sizeof name, "layernorm_bwd dinp %dx%d", N, C);
    xb_check(x, name, din, d_din, n, 1e-5);
    xb_check(x, "layernorm_bwd dg", dg, d_dg, C, 1e-5);
    xb_check(x, "layernorm_bwd db", db, d_db, C, 1e-5);
    c->layernorm_bwd(NULL, dg, NULL, dout, in, gm, mean, rstd, N, C);
    g->layernorm_bwd(NULL, d_dg, NULL, d_dout, d_in, d_g, d_mean, d_rstd, N, C);
    xb_check(x, "layernorm_bwd dg only (NULLs)", dg, d_dg, C, 1e-5);
    xb_free_dev(x, d_in, d_g, d_b, d_out, d_mean, d_rstd, d_dout, d_din, d_dg, d_db, NULL);
    free(in), free(gm), free(bt), free(out), free(mean), free(rstd), free(dout), free(din);
    free(dg), free(db);
}

/* The residual add fused with the LayerNorm (sum written in place of a). */
void xb_residual_layernorm(Xb *x, int N, int C) {
    const DrlOps *c = x->cpu, *g = x->gpu;
    const size_t n = (size_t)N * C;
    float *a = xb_rand(x, n, 2.0f), *b = xb_rand(x, n, 2.0f);
    float *gm = xb_rand(x, (size_t)C, 1.0f), *bt = xb_rand(x, (size_t)C, 1.0f);
    float *out = mallocCheck(n * sizeof(float)), *mean = mallocCheck((size_t)N * sizeof(float));
    float *rstd = mallocCheck((size_t)N * sizeof(float));
    float *d_a = xb_dev(x, a, n), *d_b = xb_dev(x, b, n), *d_g = xb_dev(x, gm, (size_t)C);
    float *d_bt = xb_dev(x, bt, (size_t)C), *d_out = g->alloc(n * sizeof(float));
    float *d_mean = g->alloc((size_t)N * sizeof(float)),
          *d_rstd = g->alloc((size_t)N * sizeof(float));
    c->residual_layernorm_fwd(a, out, mean, rstd, a, b, gm, bt, N, C, 1e-5f);
    g->residual_layernorm_fwd(d_a, d_out, d_mean, d_rstd, d_a, d_b, d_g, d_bt, N, C, 1e-5f);
    xb_check(x, "residual_layernorm_fwd sum", a, d_a, n, 0.0);
    xb_check(x, "residual_layernorm_fwd out", out, d_out, n, 1e-5);
    xb_check(x, "residual_layernorm_fwd mean", mean, d_mean, (size_t)N, 1e-5);
    xb_check(x, "residual_layernorm_fwd rstd", rstd, d_rstd, (size_t)N, 1e-5);
    xb_free_dev(x, d_a, d_b, d_g, d_bt, d_out, d_mean, d_rstd, NULL);
    free(a), free(b), free(gm), free(bt), free(out), free(mean), free(rstd);
}

void xb_attention(Xb *x, int B, int T, int W, int H, int causal, int masked) {
    char name[96];
    const DrlOps *c = x->cpu, *g = x->gpu;
    const size_t nq = (size_t)B * T * 3 * W, no = (size_t)B * T * W, np = (size_t)B * H * T * T;
    float *qkv = xb_rand(x, nq, 1.0f), *dout = xb_rand(x, no, 1.0f);
    float *out = xb_rand(x, no, 9.0f), *probs = xb_rand(x, np, 9.0f);
    float *dqkv = xb_rand(x, nq, 1.0f);
    float *mask = NULL;
    if (masked) { // key padding: batch b keeps its first T - b keys; batch 1 has none (zeros)
        mask = mallocCheck((size_t)B * T * F);
        for (int b = 0; b < B; b++)
            for (int j = 0; j < T; j++)
                mask[(size_t)b * T + j] = (b == 1 || j >= T - b) ? -INFINITY : 0.0f;
        if (B > 2) mask[2 * T] = -1e6f; // a large finite mask value
    }
    float *d_qkv = xb_dev(x, qkv, nq), *d_dout = xb_dev(x, dout, no), *d_out = xb_dev(x, out, no);
    // the GPU's state is its own (flash-style: row statistics, no T x T matrix)
    const size_t ns = g->attention_state_floats(B, T, H);
    float *d_probs = g->alloc(ns * sizeof(float)), *d_dqkv = xb_dev(x, dqkv, nq);
    float *d_mask = mask ? xb_dev(x, mask, (size_t)B * T) : NULL;
    c->attention_fwd(out, probs, qkv, mask, causal, B, T, W, H);
    g->attention_fwd(d_out, d_probs, d_qkv, d_mask, causal, B, T, W, H);
    snprintf(name, sizeof name, "attention_fwd B%d T%d W%d H%d%s%s", B, T, W, H,
             causal ? " causal" : "", masked ? " mask" : "");
    xb_check(x, name, out, d_out, no, 1e-5);
    if (ns >= np) // a backend that keeps the probabilities: compare them too
        xb_check(x, "attention_fwd probs", probs, d_probs, np, 1e-5);
    c->attention_bwd(dqkv, dout, qkv, probs, B, T, W, H);
    g->attention_bwd(d_dqkv, d_dout, d_qkv, d_probs, B, T, W, H);
    snprintf(name, sizeof name, "attention_bwd B%d T%d W%d H%d", B, T, W, H);
    xb_check(x, name, dqkv, d_dqkv, nq, 1e-5);
    xb_free_dev(x, d_qkv, d_dout, d_out, d_probs, d_dqkv, NULL);
    if (d_mask) g->free(d_mask);
    free(qkv), free(dout), free(out), free(probs), free(dqkv), free(mask);
}

void xb_elementwise(Xb *x, size_t n) {
    const DrlOps *c = x->cpu, *g = x->gpu;
    float *a = xb_rand(x, n, 6.0f), *b = xb_rand(x, n, 1.0f), *o = xb_rand(x, n, 9.0f);
    float *d = xb_rand(x, n, 1.0f);
    a[0] = 0.0f; // relu's gradient at 0 is 0
    float *d_a = xb_dev(x, a, n), *d_b = xb_dev(x, b, n), *d_o = xb_dev(x, o, n);
    float *d_d = xb_dev(x, d, n);
    c->quickgelu_fwd(o, a, n), g->quickgelu_fwd(d_o, d_a, n);
    xb_check(x, "quickgelu_fwd", o, d_o, n, 1e-6);
    c->quickgelu_bwd(d, b, a, n), g->quickgelu_bwd(d_d, d_b, d_a, n);
    xb_check(x, "quickgelu_bwd", d, d_d, n, 1e-6);
    c->relu_fwd(o, a, n), g->relu_fwd(d_o, d_a, n);
    xb_check(x, "relu_fwd", o, d_o, n, 0.0);
    c->relu_bwd(d, b, a, n), g->relu_bwd(d_d, d_b, d_a, n);
    xb_check(x, "relu_bwd", d, d_d, n, 1e-6);
    c->add(o, a, b, n), g->add(d_o, d_a, d_b, n);
    xb_check(x, "add", o, d_o, n, 0.0);
    c->add(a, a, b, n), g->add(d_a, d_a, d_b, n);
    xb_check(x, "add (out aliases a)", a, d_a, n, 0.0);
    c->axpy(o, -0.37f, b, n), g->axpy(d_o, -0.37f, d_b, n);
    xb_check(x, "axpy", o, d_o, n, 1e-7);
    c->scale(o, 1.7f, n), g->scale(d_o, 1.7f, n);
    xb_check(x, "scale", o, d_o, n, 0.0);
    // fp16 rounding: normal, subnormal (< 6.1e-5), overflowing (> 65504) and tie values
    for (size_t i = 0; i < n; i++)
        o[i] = a[i] * (i % 3 == 0 ? 1e-5f : i % 3 == 1 ? 1.0f : 2e4f);
    o[1] = 65520.0f, o[2] = 1.0f + 1.0f / 2048.0f; // ties: to +inf, to even (1.0)
    x->gpu->to_device(d_o, o, n * sizeof(float));
    c->round_fp16(o, n), g->round_fp16(d_o, n);
    xb_check(x, "round_fp16 (subnormal, overflow, ties)", o, d_o, n, 0.0);
    xb_free_dev(x, d_a, d_b, d_o, d_d, NULL);
    free(a), free(b), free(o), free(d);
}

void xb_softmax(Xb *x, int N, int C) {
    const DrlOps *c = x->cpu, *g = x->gpu;
    const size_t n = (size_t)N * C;
    float *in = xb_rand(x, n, 8.0f), *out = xb_rand(x, n, 9.0f), *dout = xb_rand(x, n, 1.0f);
    float *din = xb_rand(x, n, 1.0f);
    int32_t *mask = xb_rand_int(x, n, 0, 1);
    for (int j = 0; j < C; j++)
        mask[j] = 0; // row 0: no valid entry -> zeros
    float *d_in = xb_dev(x, in, n), *d_out = xb_dev(x, out, n), *d_dout = xb_dev(x, dout, n);
    float *d_din = xb_dev(x, din, n);
    int32_t *d_mask = xb_dev_int(x, mask, n);
    c->softmax_fwd(out, in, NULL, N, C), g->softmax_fwd(d_out, d_in, NULL, N, C);
    xb_check(x, "softmax_fwd", out, d_out, n, 1e-6);
    c->softmax_bwd(din, dout, out, N, C), g->softmax_bwd(d_din, d_dout, d_out, N, C);
    xb_check(x, "softmax_bwd", din, d_din, n, 1e-5);
    c->softmax_fwd(out, in, mask, N, C), g->softmax_fwd(d_out, d_in, d_mask, N, C);
    xb_check(x, "softmax_fwd masked (+empty row)", out, d_out, n, 1e-6);
    c->softmax_bwd(din, dout, out, N, C), g->softmax_bwd(d_din, d_dout, d_out, N, C);
    xb_check(x, "softmax_bwd masked", din, d_din, n, 1e-5);
    xb_free_dev(x, d_in, d_out, d_dout, d_din, d_mask, NULL);
    free(in), free(out), free(dout), free(din), free(mask);
}

void xb_embedding(Xb *x, int V, int N, int C) {
    const DrlOps *c = x->cpu, *g = x->gpu;
    float *table = xb_rand(x, (size_t)V * C, 1.0f), *out = xb_rand(x, (size_t)N * C, 9.0f);
    float *dout = xb_rand(x, (size_t)N * C, 1.0f), *dt = xb_rand(x, (size_t)V * C, 1.0f);
    int32_t *ids = xb_rand_int(x, N, 0, V - 1);
    ids[N - 1] = ids[0]; // a repeated id
    float *d_table = xb_dev(x, table, (size_t)V * C), *d_out = xb_dev(x, out, (size_t)N * C);
    float *d_dout = xb_dev(x, dout, (size_t)N * C), *d_dt = xb_dev(x, dt, (size_t)V * C);
    int32_t *d_ids = xb_dev_int(x, ids, N);
    c->embedding_fwd(out, ids, table, N, C), g->embedding_fwd(d_out, d_ids, d_table, N, C);
    xb_check(x, "embedding_fwd", out, d_out, (size_t)N * C, 0.0);
    c->embedding_bwd(dt, dout, ids, N, C), g->embedding_bwd(d_dt, d_dout, d_ids, N, C);
    xb_check(x, "embedding_bwd (repeated ids)", dt, d_dt, (size_t)V * C, 1e-6);
    xb_free_dev(x, d_table, d_out, d_dout, d_dt, d_ids, NULL);
    free(table), free(out), free(dout), free(dt), free(ids);
}

void xb_l2norm(Xb *x, int N, int C) {
    const DrlOps *c = x->cpu, *g = x->gpu;
    const size_t n = (size_t)N * C;
    float *in = xb_rand(x, n, 1.0f), *out = xb_rand(x, n, 9.0f), *nrm = xb_rand(x, N, 9.0f);
    float *dout = xb_rand(x, n, 1.0f), *din = xb_rand(x, n, 1.0f);
    memset(in, 0, (size_t)C * F); // a zero row stays zero
    float *d_in = xb_dev(x, in, n), *d_out = xb_dev(x, out, n), *d_nrm = xb_dev(x, nrm, N);
    float *d_dout = xb_dev(x, dout, n), *d_din = xb_dev(x, din, n);
    c->l2norm_fwd(out, nrm, in, N, C), g->l2norm_fwd(d_out, d_nrm, d_in, N, C);
    xb_check(x, "l2norm_fwd (+zero row)", out, d_out, n, 1e-6);
    xb_check(x, "l2norm_fwd norm", nrm, d_nrm, N, 1e-6);
    c->l2norm_bwd(din, dout, out, nrm, N, C), g->l2norm_bwd(d_din, d_dout, d_out, d_nrm, N, C);
    xb_check(x, "l2norm_bwd", din, d_din, n, 1e-5);
    xb_free_dev(x, d_in, d_out, d_nrm, d_dout, d_din, NULL);
    free(in), free(out), free(nrm), free(dout), free(din);
}

void xb_reduce(Xb *x, int N, int K, int C) {
    const DrlOps *c = x->cpu, *g = x->gpu;
    const size_t n = (size_t)N * K * C;
    float *in = xb_rand(x, n, 1.0f), *out = xb_rand(x, (size_t)N * C, 9.0f);
    float *dout = xb_rand(x, (size_t)N * C, 1.0f), *din = xb_rand(x, n, 1.0f);
    int32_t *mask = xb_rand_int(x, (size_t)N * K, 0, 1);
    for (int k = 0; k < K; k++)
        mask[k] = 0; // an empty row: mean 0
    float *d_in = xb_dev(x, in, n), *d_out = xb_dev(x, out, (size_t)N * C);
    float *d_dout = xb_dev(x, dout, (size_t)N * C), *d_din = xb_dev(x, din, n);
    int32_t *d_mask = xb_dev_int(x, mask, (size_t)N * K);
    c->masked_mean_fwd(out, in, mask, N, K, C), g->masked_mean_fwd(d_out, d_in, d_mask, N, K, C);
    xb_check(x, "masked_mean_fwd", out, d_out, (size_t)N * C, 1e-6);
    c->masked_mean_bwd(din, dout, mask, N, K, C);
    g->masked_mean_bwd(d_din, d_dout, d_mask, N, K, C);
    xb_check(x, "masked_mean_bwd", din, d_din, n, 1e-6);
    c->masked_mean_fwd(out, in, NULL, N, K, C), g->masked_mean_fwd(d_out, d_in, NULL, N, K, C);
    xb_check(x, "masked_mean_fwd (no mask)", out, d_out, (size_t)N * C, 1e-6);
    // rowmax over (N*K, C) with ties and a fully masked row
    const int R = N * K;
    int32_t *rmask = xb_rand_int(x, n, 0, 1), *arg = xb_rand_int(x, R, 0, 0);
    for (int j = 0; j < C; j++)
        rmask[j] = 0;
    in[C + 1] = in[C + 3] = 5.0f; // tie in row 1: the first wins
    rmask[C + 1] = rmask[C + 3] = 1;
    float *mx = xb_rand(x, R, 9.0f), *dmx = xb_rand(x, R, 1.0f);
    x->gpu->to_device(d_in, in, n * F);
    int32_t *d_rmask = xb_dev_int(x, rmask, n), *d_arg = xb_dev_int(x, arg, R);
    float *d_mx = xb_dev(x, mx, R), *d_dmx = xb_dev(x, dmx, R);
    c->rowmax_fwd(mx, arg, in, rmask, R, C), g->rowmax_fwd(d_mx, d_arg, d_in, d_rmask, R, C);
    xb_check(x, "rowmax_fwd masked (+empty row)", mx, d_mx, R, 0.0);
    xb_check_int(x, "rowmax_fwd argmax", arg, d_arg, R);
    c->rowmax_bwd(din, dmx, arg, R, C), g->rowmax_bwd(d_din, d_dmx, d_arg, R, C);
    xb_check(x, "rowmax_bwd", din, d_din, n, 1e-6);
    c->rowmax_fwd(mx, arg, in, NULL, R, C), g->rowmax_fwd(d_mx, d_arg, d_in, NULL, R, C);
    xb_check_int(x, "rowmax_fwd argmax (no mask)", arg, d_arg, R);
    xb_free_dev(x, d_in, d_out, d_dout, d_din, d_mask, d_rmask, d_arg, d_mx, d_dmx, NULL);
    free(in), free(out), free(dout), free(din), free(mask), free(rmask), free(arg), free(mx);
    free(dmx);
}

void xb_memory(Xb *x) {
    const DrlOps *g = x->gpu;
    const size_t n = 1000;
    float *h = xb_rand(x, n, 1.0f), *zeros = calloc(n, F);
    float *a = g->alloc(n * F);
    xb_check(x, "alloc zero-filled", zeros, a, n, 0.0);
    float *b = xb_dev(x, h, n);
    g->copy(a, b, n * F);
    xb_check(x, "to_device/copy/to_host", h, a, n, 0.0);
    g->zero(a + 10, 100 * F);
    memset(h + 10, 0, 100 * F);
    g->sync();
    xb_check(x, "zero (partial)", h, a, n, 0.0);
    xb_free_dev(x, a, b, NULL);
    free(h), free(zeros);
}
