/* The figures of one DRL step benchmark run, their printout (the lines the
 * README's performance section quotes) and their JSON file. */
#ifndef DRL_TESTS_GPU_DRL_BENCH_REPORT_H
#define DRL_TESTS_GPU_DRL_BENCH_REPORT_H

/* MSR-VTT 9k training pairs per epoch and epochs of the reference's run. */
#define DRL_BENCH_PAIRS_PER_EPOCH 180000.0
#define DRL_BENCH_EPOCHS          5.0
/* The goals of issue 7. */
#define DRL_BENCH_GOAL_MINUTES 30.0
#define DRL_BENCH_GOAL_MFU     0.40

typedef struct {
    const char *backend, *device, *precision, *model, *rate_what, *memory_what;
    int pairs, frames, words, steps, warmup;
    double params;                 /* scalars in the flat buffer */
    double loss_first, loss_last;  /* losses of the first warm-up and the last step */
    double fwd_s, fwdbwd_s, opt_s; /* per step: forward only, drl_step with backward, update */
    double step_s;                 /* per step: drl_step with backward + update */
    double flops;                  /* model FLOPs per step */
    double matrix_tflops;          /* measured dense matrix rate */
    double peak_gib;
} DrlBenchFigures;

/* Derived figures. */
double drl_bench_steps_per_s(const DrlBenchFigures *f);
double drl_bench_mfu(const DrlBenchFigures *f);
double drl_bench_projected_min(const DrlBenchFigures *f);

void drl_bench_print(const DrlBenchFigures *f);
/* Writes the figures as one JSON object; 0, or -1 (message printed). */
int drl_bench_write_json(const DrlBenchFigures *f, const char *path);

#endif
