/* Timing, memory and JSON output of the benchmark executables. */
#include "bench/bench_common.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "common/check.h"

double bench_now(void) {
    struct timespec ts;
    sysCheck(clock_gettime(CLOCK_MONOTONIC, &ts) == 0, "clock_gettime");
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double bench_peak_rss_mib(void) {
    struct rusage ru;
    sysCheck(getrusage(RUSAGE_SELF, &ru) == 0, "getrusage");
    return (double)ru.ru_maxrss / 1024.0; /* ru_maxrss is in KiB on Linux */
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_median(const BenchTimes *bt) {
    double s[BENCH_MAX_REPS]; // (n) sorted copy
    memcpy(s, bt->t, (size_t)bt->n * sizeof(double));
    qsort(s, (size_t)bt->n, sizeof(double), cmp_double);
    return bt->n % 2 ? s[bt->n / 2] : 0.5 * (s[bt->n / 2 - 1] + s[bt->n / 2]);
}

int bench_threads(void) {
    return omp_get_max_threads();
}

void bench_emit(const char *name, const BenchTimes *bt, double work, const char *unit, double flop,
                const char *extra) {
    double med = bench_median(bt);
    printf("{\"bench\": \"%s\", \"impl\": \"ours\", \"work\": %.6g, \"work_unit\": \"%s\", "
           "\"times_s\": [",
           name, work, unit);
    for (int i = 0; i < bt->n; i++)
        printf("%s%.6f", i ? ", " : "", bt->t[i]);
    printf("], \"median_s\": %.6f, \"rate\": %.6g, \"flop\": %.6g, \"peak_rss_mib\": %.1f, "
           "\"threads\": %d, \"extra\": %s}\n",
           med, med > 0 ? work / med : 0.0, flop, bench_peak_rss_mib(), bench_threads(),
           extra ? extra : "{}");
    fflush(stdout);
}

int bench_reps(int argc, char **argv, int i, int def) {
    int r = argc > i ? atoi(argv[i]) : def;
    if (r < 1) r = 1;
    if (r > BENCH_MAX_REPS) r = BENCH_MAX_REPS;
    return r;
}
