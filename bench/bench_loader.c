/* Benchmark: the training loader (src/loader) on a store, samples/s, with the
 * prefetch thread, over whole epochs of the split.
 *   bench_loader STORE [split=train] [batch=4] [T=12] [L=32] [repeats=3] */
#include <stdio.h>
#include <stdlib.h>

#include "bench/bench_common.h"
#include "common/check.h"
#include "loader/loader.h"
#include "store/store.h"

static int arg(int argc, char **argv, int i, int def) {
    return argc > i ? atoi(argv[i]) : def;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr,
                "usage: bench_loader STORE [split=train] [batch=4] [T=12] [L=32] [repeats=3]\n");
        return 2;
    }
    const char *split = argc > 2 ? argv[2] : "train";
    const int B = arg(argc, argv, 3, 4), T = arg(argc, argv, 4, 12), L = arg(argc, argv, 5, 32);
    const int reps = bench_reps(argc, argv, 6, 3);
    char err[2048];
    Store *st = store_open(argv[1], NULL, err, sizeof err);
    if (!st) {
        fprintf(stderr, "bench_loader: %s\n", err);
        return 1;
    }
    LoaderConfig lc = {.batch_size = B,
                       .max_words = L,
                       .max_frames = T,
                       .seed = 1,
                       .rank = 0,
                       .world = 1,
                       .prefetch = 1};
    Loader *ld = loader_create(st, split, LOADER_TRAIN, &lc, err, sizeof err);
    if (!ld) {
        fprintf(stderr, "bench_loader: %s\n", err);
        store_close(st);
        return 1;
    }
    BenchTimes bt = {0};
    double samples = 0.0;
    const LoaderBatch *b;
    for (int r = -1; r < reps; r++) {
        double t0 = bench_now(), n = 0.0;
        int rc;
        while ((rc = loader_next(ld, &b, err, sizeof err)) == 1)
            n += b->B;
        if (rc < 0) {
            fprintf(stderr, "bench_loader: %s\n", err);
            return 1;
        }
        if (r >= 0) bt.t[bt.n++] = bench_now() - t0, samples = n;
    }
    char extra[160];
    snprintf(extra, sizeof extra,
             "{\"batch\": %d, \"T\": %d, \"R\": %d, \"samples_per_epoch\": %.0f}", B, T,
             store_resolution(st), samples);
    bench_emit("loader", &bt, samples, "samples", 0.0, extra);
    loader_free(ld);
    store_close(st);
    return 0;
}
