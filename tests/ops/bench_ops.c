/* bench_ops: GFLOP/s of the CPU backend at ViT-B/32 shapes, with plain
 * cblas_sgemm as the reference rate. Not a test (timings depend on the host).
 * Usage: bench_ops [repeats]   (threads: OMP_NUM_THREADS, OPENBLAS_NUM_THREADS) */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "common/check.h"
#include "ops/ops.h"

static double now(void) {
    struct timespec ts;
    sysCheck(clock_gettime(CLOCK_MONOTONIC, &ts) == 0, "clock_gettime");
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static float *randv(size_t n, unsigned seed) {
    float *x = mallocCheck(n * sizeof(float));
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        x[i] = (float)(seed >> 8) / 16777216.0f - 0.5f;
    }
    return x;
}

static void report(const char *what, double flops, double seconds, int reps) {
    printf("%-44s %8.3f ms  %8.2f GFLOP/s\n", what, 1e3 * seconds / reps,
           flops * reps / seconds * 1e-9);
}

int main(int argc, char **argv) {
    int reps = argc > 1 ? atoi(argv[1]) : 3;
    drlCheck(reps > 0, "usage: bench_ops [repeats > 0]");
    const DrlOps *ops = drl_cpu_ops();

    // ViT-B/32 MLP fc: 48 videos x 50 tokens, 768 -> 3072
    int N = 50 * 48, IC = 768, OC = 3072;
    float *x = randv((size_t)N * IC, 1);  // (N, IC)
    float *w = randv((size_t)OC * IC, 2); // (OC, IC)
    float *b = randv((size_t)OC, 3);      // (OC)
    float *y = randv((size_t)N * OC, 4);  // (N, OC)
    float *dy = randv((size_t)N * OC, 5); // (N, OC)
    float *dx = calloc((size_t)N * IC, sizeof(float)), *dw = calloc((size_t)OC * IC, sizeof(float));
    float *db = calloc((size_t)OC, sizeof(float));
    drlCheck(dx && dw && db, "out of memory");
    double fl = 2.0 * N * IC * OC;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, OC, IC, 1.0f, x, IC, w, IC, 0.0f, y,
                OC);
    double t = now();
    for (int r = 0; r < reps; r++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, OC, IC, 1.0f, x, IC, w, IC, 0.0f, y,
                    OC);
    report("sgemm 2400x768 @ (3072x768)^T (reference)", fl, now() - t, reps);
    ops->linear_fwd(y, x, w, b, N, IC, OC);
    t = now();
    for (int r = 0; r < reps; r++)
        ops->linear_fwd(y, x, w, b, N, IC, OC);
    report("linear_fwd N=2400 IC=768 OC=3072 (+bias)", fl, now() - t, reps);
    t = now();
    for (int r = 0; r < reps; r++)
        ops->linear_bwd(dx, dw, db, dy, x, w, N, IC, OC);
    report("linear_bwd (dinp, dw, dbias)", 2.0 * fl, now() - t, reps);
    free(x), free(w), free(b), free(y), free(dy), free(dx), free(dw), free(db);

    // attention: 48 videos x 12 heads, 50 tokens, head width 64
    int B = 48, T = 50, H = 12, W = 768;
    float *qkv = randv((size_t)B * T * 3 * W, 6);                // (B, T, 3W)
    float *out = randv((size_t)B * T * W, 7);                    // (B, T, W)
    float *dout = randv((size_t)B * T * W, 8);                   // (B, T, W)
    float *probs = calloc((size_t)B * H * T * T, sizeof(float)); // (B, H, T, T)
    float *dqkv = calloc((size_t)B * T * 3 * W, sizeof(float));  // (B, T, 3W)
    drlCheck(probs && dqkv, "out of memory");
    double afl = (double)B * H * 2.0 * (2.0 * T * T * (W / H)); // QK^T and PV
    ops->attention_fwd(out, probs, qkv, NULL, 0, B, T, W, H);
    t = now();
    for (int r = 0; r < reps * 5; r++)
        ops->attention_fwd(out, probs, qkv, NULL, 0, B, T, W, H);
    report("attention_fwd B*H=48*12 T=50 dh=64", afl, now() - t, reps * 5);
    t = now();
    for (int r = 0; r < reps * 5; r++)
        ops->attention_bwd(dqkv, dout, qkv, probs, B, T, W, H);
    report("attention_bwd", 2.0 * afl, now() - t, reps * 5);
    // the same work as batched sgemm calls, one (b, h) at a time, for reference
    float *s = calloc((size_t)T * T, sizeof(float)); // (T, T)
    drlCheck(s != NULL, "out of memory");
    t = now();
    for (int r = 0; r < reps * 5; r++)
        for (int bh = 0; bh < B * H; bh++) {
            const float *q = qkv + (size_t)(bh / H) * T * 3 * W + (size_t)(bh % H) * (W / H);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, W / H, 0.125f, q, 3 * W,
                        q + W, 3 * W, 0.0f, s, T);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, W / H, T, 1.0f, s, T,
                        q + 2 * W, 3 * W, 0.0f, out + (size_t)(bh / H) * T * W, W);
        }
    report("sgemm per (b,h): QK^T and PV (reference)", afl, now() - t, reps * 5);
    free(qkv), free(out), free(dout), free(probs), free(dqkv), free(s);

    // text tower: 48 captions x 8 heads, 77 tokens, head width 64, causal
    B = 48, T = 77, H = 8, W = 512;
    qkv = randv((size_t)B * T * 3 * W, 9);                // (B, T, 3W)
    out = randv((size_t)B * T * W, 10);                   // (B, T, W)
    probs = calloc((size_t)B * H * T * T, sizeof(float)); // (B, H, T, T)
    drlCheck(probs != NULL, "out of memory");
    afl = (double)B * H * 2.0 * (2.0 * T * T * (W / H));
    ops->attention_fwd(out, probs, qkv, NULL, 1, B, T, W, H);
    t = now();
    for (int r = 0; r < reps * 5; r++)
        ops->attention_fwd(out, probs, qkv, NULL, 1, B, T, W, H);
    report("attention_fwd causal B*H=48*8 T=77 dh=64", afl, now() - t, reps * 5);
    free(qkv), free(out), free(probs);
    return 0;
}
