/* Shared helpers of the benchmark executables (bench/): wall clock, repeated
 * timing with a warm-up, peak resident memory, and one JSON line per result
 * on stdout that scripts/bench.sh collects. Benchmarks print figures; they
 * never fail on time. */
#ifndef DRL_BENCH_BENCH_COMMON_H
#define DRL_BENCH_BENCH_COMMON_H

#include <stddef.h>

#define BENCH_MAX_REPS 64

typedef struct {
    int n;                    /* repetitions timed */
    double t[BENCH_MAX_REPS]; /* seconds of each */
} BenchTimes;

double bench_now(void);
/* Peak resident set size of this process in MiB (getrusage). */
double bench_peak_rss_mib(void);
/* Median of the repetitions. */
double bench_median(const BenchTimes *bt);
/* Number of OpenMP threads the run uses. */
int bench_threads(void);
/* One JSON line: {"bench": name, "impl": "ours", "unit_work": work, "work_unit": unit,
 * "times_s": [...], "median_s": m, "rate": work / m, "flop": flop, "peak_rss_mib": r,
 * "threads": n, "extra": extra}. extra is a JSON object text or NULL. */
void bench_emit(const char *name, const BenchTimes *bt, double work, const char *unit, double flop,
                const char *extra);
/* Repetitions from argv[i] (default def), clamped to 1..BENCH_MAX_REPS. */
int bench_reps(int argc, char **argv, int i, int def);

#endif
