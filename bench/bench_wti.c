/* Benchmark: WTI evaluation similarity on given features,
 * tokenwise_score_normalised (drl/interaction.h) for Bt texts x Bv videos.
 *   bench_wti [Bt=1000] [Bv=Bt] [repeats=3] [L=32] [T=12] [D=512] [LENGTHS]
 * Random unit-norm features, uniform weights over the valid positions.
 * Caption lengths: text a has LENGTHS[a % n] valid tokens (SOT and EOT
 * included, capped at L), LENGTHS a file of one count per line (scripts/
 * bench.sh writes the token counts of the MSR-VTT 1k-A test captions);
 * without it (or "-") every caption fills all L positions. Video lengths
 * (bench_video_frames): 9 in 10 videos have all T frames, every tenth has
 * T/2 + 1 .. T - 1. bench/bench_ref.py wti builds the same masks. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_common.h"
#include "common/check.h"
#include "drl/interaction.h"
#include "model/rng.h"

/* Valid frames of video b (the rule above). */
static int bench_video_frames(int b, int T) {
    if (b % 10 != 9 || T < 3) return T;
    return T - 1 - (b / 10) % (T - 1 - T / 2);
}

/* Caption lengths from the file (NULL, "-": all L); returns how many. */
static int read_lengths(const char *path, int *len, int cap, int L) {
    if (!path || !strcmp(path, "-")) return 0;
    FILE *f = fopen(path, "r");
    sysCheck(f != NULL, "bench_wti: cannot open the caption lengths file (argument 7)");
    int n = 0, x;
    char msg[512];
    while (n < cap && fscanf(f, "%d", &x) == 1) {
        if (x < 1) {
            snprintf(msg, sizeof msg, "%s: caption length %d on line %d, expected >= 1", path, x,
                     n + 1);
            drl_fail(__FILE__, __LINE__, "read_lengths", msg, "one token count per line");
        }
        len[n++] = x < L ? x : L;
    }
    fclose(f);
    if (n == 0) {
        snprintf(msg, sizeof msg, "%s holds no caption lengths", path);
        drl_fail(__FILE__, __LINE__, "read_lengths", msg, "one token count per line");
    }
    return n;
}

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
    int *lens = mallocCheck(sizeof(int) * (size_t)Bt); // (Bt) caption lengths of the file
    const int nlen = read_lengths(argc > 7 ? argv[7] : NULL, lens, Bt, L);
    double valid_t = 0.0, valid_v = 0.0;
    for (int a = 0; a < Bt; a++) {
        const int len = nlen ? lens[a % nlen] : L;
        valid_t += len;
        for (int i = 0; i < L; i++)
            tm[(size_t)a * L + i] = i < len;
    }
    for (int b = 0; b < Bv; b++) {
        const int nf = bench_video_frames(b, T);
        valid_v += nf;
        for (int j = 0; j < T; j++)
            vm[(size_t)b * T + j] = j < nf;
    }
    ti_uniform_weights(wt, tm, Bt, L);
    ti_uniform_weights(wv, vm, Bv, T);
    BenchTimes bt = {0};
    for (int r = -1; r < reps; r++) {
        double t0 = bench_now();
        tokenwise_score_normalised(sim, tn, tm, vn, vm, wt, wv, Bt, Bv, L, T, D, scratch);
        if (r >= 0) bt.t[bt.n++] = bench_now() - t0;
    }
    double check = 0.0;
    for (size_t k = 0; k < (size_t)Bt * Bv; k++)
        check += sim[k];
    char extra[384];
    snprintf(extra, sizeof extra,
             "{\"Bt\": %d, \"Bv\": %d, \"L\": %d, \"T\": %d, \"D\": %d, "
             "\"mean_tokens\": %.3f, \"mean_frames\": %.3f, \"sim_sum\": %.6f}",
             Bt, Bv, L, T, D, valid_t / Bt, valid_v / Bv, check);
    // flop: the products of valid tokens x valid frames (what the scoring needs)
    bench_emit("wti_eval", &bt, (double)Bt * Bv, "pairs", 2.0 * valid_t * valid_v * (double)D,
               extra);
    free(tf), free(vf), free(tn), free(vn), free(tnorm), free(vnorm);
    free(tm), free(vm), free(wt), free(wv), free(sim), free(scratch), free(lens);
    return 0;
}
