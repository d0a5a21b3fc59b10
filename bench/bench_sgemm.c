/* Benchmark: the sgemm rate OpenBLAS reaches on this machine for the matrix
 * shapes of the ViT-B/32 training step (the machine's limit the step is
 * compared with). For each linear layer of a vision block at F frames
 * (N = F * 50 tokens) the three products of a step: forward (N,IC)x(OC,IC)^T,
 * input gradient (N,OC)x(OC,IC), weight gradient (N,OC)^T x (N,IC).
 *   bench_sgemm [frames=48] [repeats=3] [width=768]
 * Threads: OPENBLAS_NUM_THREADS. Rate = total FLOPs / total median time. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench/bench_common.h"
#include "common/check.h"
#include "model/rng.h"

int main(int argc, char **argv) {
    const int F = argc > 1 ? atoi(argv[1]) : 48, reps = bench_reps(argc, argv, 2, 3);
    const int W = argc > 3 ? atoi(argv[3]) : 768;
    drlCheck(F >= 1 && W >= 1, "bench_sgemm: sizes must be >= 1");
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
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, OC, IC, 1.0f, a, IC, b, IC,
                        0.0f, c, OC);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, IC, OC, 1.0f, a, OC, b, IC,
                        1.0f, c, IC);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, OC, IC, N, 1.0f, a, OC, c, IC,
                        1.0f, b, IC);
            if (r == 0) flop += 3.0 * 2.0 * N * IC * (double)OC;
        }
        if (r >= 0) all.t[all.n++] = bench_now() - t0;
    }
    char extra[128];
    snprintf(extra, sizeof extra, "{\"frames\": %d, \"tokens\": %d, \"width\": %d}", F, N, W);
    bench_emit("sgemm_vitb32_block", &all, flop, "flop", flop, extra);
    free(a), free(b), free(c);
    return 0;
}
