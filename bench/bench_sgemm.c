/* Benchmark: the sgemm rate OpenBLAS reaches on this machine for the matrix
 * shapes of the ViT-B/32 training step (the machine's limit the step is
 * compared with). For each linear layer of a vision block at F frames
 * (N = F * 50 tokens) the three products of a step: forward (N,IC)x(OC,IC)^T,
 * input gradient (N,OC)x(OC,IC), weight gradient (N,OC)^T x (N,IC).
 *   bench_sgemm [frames=48] [repeats=3] [width=768] [fp32|bf16]
 * Threads: OPENBLAS_NUM_THREADS. Rate = total FLOPs / total median time.
 * bf16: the same products with the CPU backend's bf16 GEMM
 * (src/cpu/cpu_bf16_gemm.h, fp32 operands rounded to bf16 in each call,
 * fp32 accumulation and output), reported as bf16gemm_vitb32_block. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>

#include <string.h>

#include "bench/bench_common.h"
#include "cpu/cpu_bf16_gemm.h"
#include "common/check.h"
#include "model/rng.h"

/* cblas_sgemm with cpu_bf16_gemm's arguments. */
static void sgemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                  const float *B, int ldb, float beta, float *C, int ldc) {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N,
                K, alpha, A, lda, B, ldb, beta, C, ldc);
}

int main(int argc, char **argv) {
    const int F = argc > 1 ? atoi(argv[1]) : 48, reps = bench_reps(argc, argv, 2, 3);
    const int W = argc > 3 ? atoi(argv[3]) : 768;
    drlCheck(F >= 1 && W >= 1, "bench_sgemm: sizes must be >= 1");
    const int bf16 = argc > 4 && !strcmp(argv[4], "bf16");
    char why[256] = "";
    if (bf16 && !cpu_bf16_gemm_available(why, sizeof why)) {
        fprintf(stderr, "bench_sgemm: bf16: %s\n", why);
        return 3;
    }
    /* C = alpha op(A) op(B) + beta C, row-major, with either implementation */
    void (*gemm)(int, int, int, int, int, float, const float *, int, const float *, int, float,
                 float *, int) = bf16 ? cpu_bf16_gemm : sgemm;
    const int N = F * 50;
    const int shapes[4][2] = {{W, 3 * W}, {W, W}, {W, 4 * W}, {4 * W, W}}; // (IC, OC)
    size_t big = (size_t)N * 4 * W;
    float *a = mallocCheck(big * sizeof(float));                // (N, 4W) inputs
    float *b = mallocCheck((size_t)12 * W * W * sizeof(float)); // (4W, 3W) weights
    float *c = mallocCheck(big * sizeof(float));                // (N, 4W) outputs
    DrlRng rng;
    rng_init(&rng, 5);
    rng_normal(&rng, a, big, 0, 1);
    rng_normal(&rng, b, (size_t)12 * W * W, 0, 0.02f);
    BenchTimes all = {0};
    double flop = 0.0;
    for (int r = -1; r < reps; r++) {
        double t0 = bench_now();
        for (int s = 0; s < 4; s++) {
            int IC = shapes[s][0], OC = shapes[s][1];
            gemm(0, 1, N, OC, IC, 1.0f, a, IC, b, IC, 0.0f, c, OC);
            gemm(0, 0, N, IC, OC, 1.0f, a, OC, b, IC, 1.0f, c, IC);
            gemm(1, 0, OC, IC, N, 1.0f, a, OC, c, IC, 1.0f, b, IC);
            if (r == 0) flop += 3.0 * 2.0 * N * IC * (double)OC;
        }
        if (r >= 0) all.t[all.n++] = bench_now() - t0;
    }
    char extra[128];
    snprintf(extra, sizeof extra, "{\"frames\": %d, \"tokens\": %d, \"width\": %d}", F, N, W);
    bench_emit(bf16 ? "bf16gemm_vitb32_block" : "sgemm_vitb32_block", &all, flop, "flop", flop,
               extra);
    free(a), free(b), free(c);
    return 0;
}
