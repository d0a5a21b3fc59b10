/* Benchmark: WTI evaluation similarity on given features,
 * tokenwise_score_normalised (drl/interaction.h) for Bt texts x Bv videos.
 *   bench_wti [Bt=1000] [Bv=Bt] [repeats=3] [L=32] [T=12] [D=512]
 * Random unit-norm features, full masks, softmax-like weights. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench/bench_common.h"
#include "common/check.h"
#include "drl/interaction.h"
#include "model/rng.h"

static int arg(int argc, char **argv, int i, int def) {
    return argc > i ? atoi(argv[i]) : def;
}

int main(int argc, char **argv) {
    const int Bt = arg(argc, argv, 1, 1000), Bv = arg(argc, argv, 2, Bt);
    const int reps = bench_reps(argc, argv, 3, 3);
    const int L = arg(argc, argv, 4, 32), T = arg(argc, argv, 5, 12), D = arg(argc, argv, 6, 512);
    drlCheck(Bt >= 1 && Bv >= 1 && L >= 1 && T >= 1 && D >= 1, "bench_wti: sizes must be >= 1");
    DrlRng rng;
    rng_init(&rng, 3);
    float *tf = mallocCheck(sizeof(float) * (size_t)Bt * L * D);      // (Bt, L, D)
    float *vf = mallocCheck(sizeof(float) * (size_t)Bv * T * D);      // (Bv, T, D)
    float *tn = mallocCheck(sizeof(float) * (size_t)Bt * L * D);      // (Bt, L, D) normalised
    float *vn = mallocCheck(sizeof(float) * (size_t)Bv * T * D);      // (Bv, T, D) normalised
    float *tnorm = mallocCheck(sizeof(float) * (size_t)Bt * L);       // (Bt, L)
    float *vnorm = mallocCheck(sizeof(float) * (size_t)Bv * T);       // (Bv, T)
    int32_t *tm = mallocCheck(sizeof(int32_t) * (size_t)Bt * L);      // (Bt, L)
    int32_t *vm = mallocCheck(sizeof(int32_t) * (size_t)Bv * T);      // (Bv, T)
    float *wt = mallocCheck(sizeof(float) * (size_t)Bt * L);          // (Bt, L)
    float *wv = mallocCheck(sizeof(float) * (size_t)Bv * T);          // (Bv, T)
    float *sim = mallocCheck(sizeof(float) * (size_t)Bt * Bv);        // (Bt, Bv)
    float *scratch = mallocCheck(sizeof(float) * (size_t)L * Bv * T); // (L, Bv*T)
    rng_normal(&rng, tf, (size_t)Bt * L * D, 0.0f, 1.0f);
    rng_normal(&rng, vf, (size_t)Bv * T * D, 0.0f, 1.0f);
    l2norm_rows(tn, tnorm, tf, Bt * L, D);
    l2norm_rows(vn, vnorm, vf, Bv * T, D);
    for (size_t k = 0; k < (size_t)Bt * L; k++)
        tm[k] = 1, wt[k] = 1.0f / (float)L;
    for (size_t k = 0; k < (size_t)Bv * T; k++)
        vm[k] = 1, wv[k] = 1.0f / (float)T;
    BenchTimes bt = {0};
    for (int r = -1; r < reps; r++) {
        double t0 = bench_now();
        tokenwise_score_normalised(sim, tn, tm, vn, vm, wt, wv, Bt, Bv, L, T, D, scratch);
        if (r >= 0) bt.t[bt.n++] = bench_now() - t0;
    }
    double check = 0.0;
    for (size_t k = 0; k < (size_t)Bt * Bv; k++)
        check += sim[k];
    char extra[256];
    snprintf(extra, sizeof extra,
             "{\"Bt\": %d, \"Bv\": %d, \"L\": %d, \"T\": %d, \"D\": %d, "
             "\"sim_sum\": %.6f}",
             Bt, Bv, L, T, D, check);
    bench_emit("wti_eval", &bt, (double)Bt * Bv, "pairs", 2.0 * Bt * Bv * L * T * (double)D, extra);
    free(tf), free(vf), free(tn), free(vn), free(tnorm), free(vnorm);
    free(tm), free(vm), free(wt), free(wv), free(sim), free(scratch);
    return 0;
}
