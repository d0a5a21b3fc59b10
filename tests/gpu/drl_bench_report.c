#include "drl_bench_report.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

double drl_bench_steps_per_s(const DrlBenchFigures *f) {
    return 1.0 / f->step_s;
}

double drl_bench_mfu(const DrlBenchFigures *f) {
    return f->flops / f->step_s / 1e12 / f->matrix_tflops;
}

double drl_bench_projected_min(const DrlBenchFigures *f) {
    return DRL_BENCH_EPOCHS * DRL_BENCH_PAIRS_PER_EPOCH / f->pairs * f->step_s / 60.0;
}

static const char *met(int ok) {
    return ok ? "met" : "NOT met";
}

void drl_bench_print(const DrlBenchFigures *f) {
    const double sps = drl_bench_steps_per_s(f), mfu = drl_bench_mfu(f);
    const double proj = drl_bench_projected_min(f);
    printf("ours: DRL training step (%s), backend %s (%s), %s matrices\n", f->model, f->backend,
           f->device, f->precision);
    printf("  batch: %d pairs x %d frames, captions of %d tokens; %.1f M parameters; "
           "%d warm-up + %d timed steps\n",
           f->pairs, f->frames, f->words, f->params / 1e6, f->warmup, f->steps);
    printf("  loss: first step %.6f, last step %.6f\n", f->loss_first, f->loss_last);
    printf("  speed: %.3f steps/s, %.1f samples/s (pairs), %.0f frames/s\n", sps, sps * f->pairs,
           sps * f->pairs * f->frames);
    printf("  per step: %.1f ms = drl_step forward+backward %.1f ms + optimizer %.1f ms "
           "(forward alone %.1f ms)\n",
           1e3 * f->step_s, 1e3 * f->fwdbwd_s, 1e3 * f->opt_s, 1e3 * f->fwd_s);
    printf("  MFU: %.4g TFLOP model FLOPs/step, %.4g TFLOP/s achieved, measured matrix rate "
           "%.4g TFLOP/s (%s): %.1f%%\n",
           f->flops / 1e12, f->flops / f->step_s / 1e12, f->matrix_tflops, f->rate_what,
           100.0 * mfu);
    printf("  peak memory: %.2f GiB (%s)\n", f->peak_gib, f->memory_what);
    printf("  projected 5-epoch MSR-VTT run (%.0f pairs/epoch, %.0f steps of %d pairs): %.1f "
           "minutes\n",
           DRL_BENCH_PAIRS_PER_EPOCH, DRL_BENCH_EPOCHS * DRL_BENCH_PAIRS_PER_EPOCH / f->pairs,
           f->pairs, proj);
    printf("  goal: projected 5-epoch run under %.0f minutes: %.1f min: %s\n",
           DRL_BENCH_GOAL_MINUTES, proj, met(proj < DRL_BENCH_GOAL_MINUTES));
    printf("  goal: MFU at least %.0f%%: %.1f%%: %s\n", 100.0 * DRL_BENCH_GOAL_MFU, 100.0 * mfu,
           met(mfu >= DRL_BENCH_GOAL_MFU));
    printf("  goal: at least 1.5x PyTorch's step: see bench_drl_step.py's summary\n");
    fflush(stdout);
}

/* "key": "value" with the value escaped for JSON. */
static void json_str(FILE *o, const char *key, const char *v) {
    fprintf(o, "  \"%s\": \"", key);
    for (const char *c = v; *c; c++) {
        if (*c == '"' || *c == '\\')
            fprintf(o, "\\%c", *c);
        else if ((unsigned char)*c < 0x20)
            fprintf(o, "\\u%04x", (unsigned)*c);
        else
            fputc(*c, o);
    }
    fputs("\",\n", o);
}

static void json_num(FILE *o, const char *key, double v) {
    fprintf(o, "  \"%s\": %.9g,\n", key, v);
}

int drl_bench_write_json(const DrlBenchFigures *f, const char *path) {
    FILE *o = fopen(path, "w");
    if (!o) {
        fprintf(stderr, "bench_drl_step: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    const double sps = drl_bench_steps_per_s(f), proj = drl_bench_projected_min(f);
    const double mfu = drl_bench_mfu(f);
    fputs("{\n", o);
    json_str(o, "impl", "ours");
    json_str(o, "model", f->model);
    json_str(o, "backend", f->backend);
    json_str(o, "device", f->device);
    json_str(o, "precision", f->precision);
    json_num(o, "pairs", f->pairs);
    json_num(o, "frames", f->frames);
    json_num(o, "words", f->words);
    json_num(o, "warmup", f->warmup);
    json_num(o, "steps", f->steps);
    json_num(o, "params", f->params);
    json_num(o, "loss_first", f->loss_first);
    json_num(o, "loss_last", f->loss_last);
    json_num(o, "step_s", f->step_s);
    json_num(o, "fwd_bwd_s", f->fwdbwd_s);
    json_num(o, "optimizer_s", f->opt_s);
    json_num(o, "forward_s", f->fwd_s);
    json_num(o, "steps_per_s", sps);
    json_num(o, "samples_per_s", sps * f->pairs);
    json_num(o, "frames_per_s", sps * f->pairs * f->frames);
    json_num(o, "model_tflop_per_step", f->flops / 1e12);
    json_num(o, "achieved_tflops", f->flops / f->step_s / 1e12);
    json_num(o, "matrix_tflops", f->matrix_tflops);
    json_str(o, "matrix_rate", f->rate_what);
    json_num(o, "mfu", mfu);
    json_num(o, "peak_memory_gib", f->peak_gib);
    json_str(o, "peak_memory", f->memory_what);
    json_num(o, "projected_5_epochs_min", proj);
    fprintf(o, "  \"goal_minutes_met\": %s,\n", proj < DRL_BENCH_GOAL_MINUTES ? "true" : "false");
    fprintf(o, "  \"goal_mfu_met\": %s\n}\n", mfu >= DRL_BENCH_GOAL_MFU ? "true" : "false");
    if (fclose(o) != 0) {
        fprintf(stderr, "bench_drl_step: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}
