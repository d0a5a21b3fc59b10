/* Benchmark of the whole DRL training step (the H200 device check,
 * tests/gpu/device_check.sh): the paper's model, ViT-B/32 CLIP towers + WTI
 * (wti_arch 2) + seqTransf (4 blocks) + CDCR 3 (alpha1 0.11, alpha2 0,
 * lambda 0.001), at the reference batch of 128 pairs x 12 frames with
 * captions of 32 tokens, random weights and random data, through the real
 * drl_step (forward, backward) and the BertAdam update, on the CUDA backend
 * (bf16 matrices by default) or the CPU backend. Prints steps/s, samples/s,
 * model FLOP utilisation against the measured dense bf16 matrix rate, peak
 * memory, the projected time of the reference's 5-epoch MSR-VTT run and the
 * goals of issue 7; writes the figures as JSON to --json PATH, or to
 * $OUT/bench_drl_step.json when OUT is set. Never fails on speed.
 *
 * Data: caption b has min(L, 7 + 5b mod 10) tokens (SOT, random words, EOT;
 * mean 11.5, like MSR-VTT's 11.6), every video all T frames, pixels N(0, 1).
 *
 * usage: bench_drl_step [--backend cuda|cpu] [--tiny] [--pairs N] [--steps N]
 *        [--warmup N] [--precision bf16|tf32|fp32] [--recompute outputs|blocks]
 *        [--json PATH]
 * --recompute blocks: whole-block recomputation (run.recompute = "blocks").
 * --tiny: tiny CLIP (tests/reference's: widths 64, patch 8, 32 px), 2 pairs
 * x 4 frames, 8 tokens (the CTest on the CPU). Exit 77 with "not run: no
 * CUDA device (...)" when the CUDA backend is asked for and unusable. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "comm/comm.h"
#include "common/check.h"
#include "drl/drl_model.h"
#include "drl/optim.h"
#include "drl_bench_backend.h"
#include "drl_bench_flops.h"
#include "drl_bench_report.h"
#include "model/param_buffers.h"
#include "model/rng.h"

#define SOT_ID 49406
#define EOT_ID 49407

typedef struct {
    const char *backend, *precision, *json;
    int tiny, pairs, steps, warmup, recompute_blocks;
} Options;

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int usage(const char *why) {
    fprintf(stderr,
            "bench_drl_step: %s\nusage: bench_drl_step [--backend cuda|cpu] [--tiny] [--pairs N] "
            "[--steps N] [--warmup N] [--precision bf16|tf32|fp32] [--recompute outputs|blocks] "
            "[--json PATH]\n",
            why);
    return 2;
}

/* A positive integer option value; -1 when it is not one. */
static int positive(const char *s) {
    char *end = NULL;
    long v = strtol(s, &end, 10);
    return (end != s && *end == '\0' && v >= 1 && v <= 1000000) ? (int)v : -1;
}

static int parse(int argc, char **argv, Options *o) {
    *o = (Options){.backend = "cuda", .precision = NULL, .json = NULL};
    int pairs = 0, steps = 0, warmup = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--tiny")) {
            o->tiny = 1;
            continue;
        }
        if (i + 1 >= argc) {
            char msg[256];
            snprintf(msg, sizeof msg, "unknown option or missing value: '%s'", a);
            return usage(msg);
        }
        const char *v = argv[++i];
        int *num = !strcmp(a, "--pairs")    ? &pairs
                   : !strcmp(a, "--steps")  ? &steps
                   : !strcmp(a, "--warmup") ? &warmup
                                            : NULL;
        if (num) {
            *num = positive(v);
            if (*num < 0 && !(num == &warmup && !strcmp(v, "0"))) {
                char msg[256];
                snprintf(msg, sizeof msg, "%s '%s': expected a positive integer", a, v);
                return usage(msg);
            }
            if (num == &warmup && *num < 0) *num = 0;
        } else if (!strcmp(a, "--backend")) {
            o->backend = v;
        } else if (!strcmp(a, "--precision")) {
            o->precision = v;
        } else if (!strcmp(a, "--recompute")) {
            if (strcmp(v, "outputs") && strcmp(v, "blocks"))
                return usage("--recompute: expected outputs or blocks");
            o->recompute_blocks = !strcmp(v, "blocks");
        } else if (!strcmp(a, "--json")) {
            o->json = v;
        } else {
            char msg[256];
            snprintf(msg, sizeof msg, "unknown option '%s'", a);
            return usage(msg);
        }
    }
    o->pairs = pairs ? pairs : o->tiny ? 2 : 128;
    o->steps = steps ? steps : o->tiny ? 3 : 8;
    o->warmup = warmup >= 0 ? warmup : o->tiny ? 1 : 2;
    if (!o->precision) o->precision = !strcmp(o->backend, "cpu") ? "fp32" : "bf16";
    return 0;
}

static ClipShape clip_shape(int tiny) {
    if (tiny) // tests/reference/clip_ref.py TINY
        return (ClipShape){.vision_width = 64,
                           .vision_layers = 2,
                           .vision_heads = 1,
                           .patch = 8,
                           .grid = 4,
                           .resolution = 32,
                           .text_width = 64,
                           .text_layers = 4,
                           .text_heads = 1,
                           .vocab = 49408,
                           .context_length = 77,
                           .embed_dim = 64};
    return (ClipShape){.vision_width = 768,
                       .vision_layers = 12,
                       .vision_heads = 12,
                       .patch = 32,
                       .grid = 7,
                       .resolution = 224,
                       .text_width = 512,
                       .text_layers = 12,
                       .text_heads = 8,
                       .vocab = 49408,
                       .context_length = 77,
                       .embed_dim = 512};
}

/* conf/wti_cdcr.cfg: wti 2 + seqTransf (4 blocks) + CDCR 3. */
static DrlHeadsSpec heads_spec(int tiny) {
    return (DrlHeadsSpec){.agg = HEAD_AGG_SEQTRANSF,
                          .interaction = HEAD_WTI,
                          .wti_arch = 2,
                          .cdcr = 3,
                          .alpha1 = 0.11f,
                          .alpha2 = 0.0f,
                          .lambda = 0.001f,
                          .xti_dropout = 0.1f,
                          .agg_layers = 4,
                          .cross_layers = 4,
                          .L = tiny ? 8 : 32,
                          .T = tiny ? 4 : 12};
}

/* base.cfg's optimizer over the 5-epoch schedule. */
static AdamSettings adam_settings(int pairs) {
    return (AdamSettings){.lr = 1e-4,
                          .coef_lr = 1e-3,
                          .b1 = 0.9,
                          .b2 = 0.98,
                          .eps = 1e-6,
                          .weight_decay = 0.2,
                          .max_grad_norm = 1.0,
                          .warmup = 0.1,
                          .schedule = SCHEDULE_WARMUP_COSINE,
                          .t_total =
                              (int64_t)ceil(DRL_BENCH_EPOCHS * DRL_BENCH_PAIRS_PER_EPOCH / pairs)};
}

/* The random batch on the host: ids, tm (B, L); video (B, T, 3, R, R); vm (B, T). */
static void make_batch(DrlRng *rng, int B, int L, int T, int R, int32_t *ids, int32_t *tm,
                       float *video, int32_t *vm) {
    for (int b = 0; b < B; b++) {
        int n = 7 + (5 * b) % 10;
        if (n > L) n = L;
        for (int i = 0; i < L; i++) {
            ids[b * L + i] = i == 0       ? SOT_ID
                             : i == n - 1 ? EOT_ID
                             : i < n      ? 1 + (int32_t)rng_below(rng, SOT_ID - 1)
                                          : 0;
            tm[b * L + i] = i < n;
        }
    }
    for (int k = 0; k < B * T; k++)
        vm[k] = 1;
    rng_normal(rng, video, (size_t)B * T * 3 * R * R, 0.0f, 1.0f);
}

/* Host array -> new backend buffer. */
static void *upload(const DrlOps *ops, const void *host, size_t bytes) {
    void *d = ops->alloc(bytes);
    ops->to_device(d, host, bytes);
    return d;
}

int main(int argc, char **argv) {
    Options o;
    if (parse(argc, argv, &o)) return 2;
    BenchBackend be;
    char why[512];
    int rc = bench_backend_open(&be, o.backend, o.precision, why, sizeof why);
    if (rc == 77) {
        printf("not run: no CUDA device (%s)\n", why);
        return 77;
    }
    if (rc) return usage(why);
    const DrlOps *ops = be.ops;
    const double rate = bench_backend_matrix_tflops(&be, o.tiny);

    const ClipShape shape = clip_shape(o.tiny);
    const DrlHeadsSpec hs = heads_spec(o.tiny);
    DrlComm comm;
    comm_init_single(&comm);
    DrlModel m;
    drl_model_init(&m, ops, &comm, &shape, &hs, 42);
    drl_model_set_recompute_blocks(&m, o.recompute_blocks);
    drl_model_alloc(&m, o.pairs);
    drl_model_init_random(&m, 42);
    bench_backend_model_ready(&be, &m);
    const int B = o.pairs, L = m.L, T = m.T, R = m.R;
    AdamSettings as = adam_settings(B);
    BertAdam opt;
    bertadam_init(&opt, &m.pt, &as);
    for (int i = 0; i < m.pt.count; i++)
        opt.has_grad[i] = (uint8_t)drl_model_param_is_used(&m, i);
    bench_backend_optim_alloc(&be, &m.pt);

    DrlRng rng;
    rng_init(&rng, 7);
    const size_t nv = (size_t)B * T * 3 * R * R;
    int32_t *ids = mallocCheck(sizeof(int32_t) * (size_t)B * L); // (B, L)
    int32_t *tm = mallocCheck(sizeof(int32_t) * (size_t)B * L);  // (B, L)
    int32_t *vm = mallocCheck(sizeof(int32_t) * (size_t)B * T);  // (B, T)
    float *video = mallocCheck(sizeof(float) * nv);              // (B, T, 3, R, R)
    make_batch(&rng, B, L, T, R, ids, tm, video, vm);
    int32_t *d_ids = upload(ops, ids, sizeof(int32_t) * (size_t)B * L); // (B, L)
    int32_t *d_tm = upload(ops, tm, sizeof(int32_t) * (size_t)B * L);   // (B, L)
    int32_t *d_vm = upload(ops, vm, sizeof(int32_t) * (size_t)B * T);   // (B, T)
    float *d_video = upload(ops, video, sizeof(float) * nv);            // (B, T, 3, R, R)
    DrlBatch bt = {.B = B, .ids = d_ids, .text_mask = d_tm, .video = d_video, .video_mask = d_vm};

    DrlBenchFigures f = {.backend = ops->name,
                         .device = be.device,
                         .precision = be.precision,
                         .model = o.tiny ? "tiny CLIP, wti 2 + seqTransf + CDCR 3"
                                         : "ViT-B/32, wti 2 + seqTransf + CDCR 3",
                         .rate_what = be.rate_what,
                         .memory_what = be.memory_what,
                         .pairs = B,
                         .frames = T,
                         .words = L,
                         .steps = o.steps,
                         .warmup = o.warmup,
                         .params = (double)params_count_scalars(&m.pt),
                         .flops = drl_step_model_flops(&m, B, tm, vm),
                         .matrix_tflops = rate};
    ops->sync();
    bench_backend_mem_reset(&be);
    double t_fb = 0.0, t_opt = 0.0;
    for (int s = -o.warmup; s < o.steps; s++) {
        const double t0 = now_s();
        DrlLosses l = drl_step(&m, &bt, 1);
        ops->sync();
        const double t1 = now_s();
        bench_backend_optim_step(&be, &opt, &m.pt);
        ops->sync();
        const double t2 = now_s();
        if (s == -o.warmup) f.loss_first = l.loss;
        f.loss_last = l.loss;
        if (!isfinite(l.loss)) {
            fprintf(stderr, "bench_drl_step: step %d: the loss is %g (not finite)\n", s, l.loss);
            return 1;
        }
        if (s >= 0) t_fb += t1 - t0, t_opt += t2 - t1;
    }
    double t_f = 0.0;
    for (int s = 0; s < 2; s++) { // forward alone (evaluation-like: no gradients)
        const double t0 = now_s();
        drl_step(&m, &bt, 0);
        ops->sync();
        t_f += now_s() - t0;
    }
    f.fwdbwd_s = t_fb / o.steps, f.opt_s = t_opt / o.steps, f.fwd_s = t_f / 2;
    f.step_s = f.fwdbwd_s + f.opt_s;
    f.peak_gib = bench_backend_peak_gib(&be);
    drl_bench_print(&f);
    char path[4096];
    const char *out = getenv("OUT");
    const char *json = o.json;
    if (!json && out && out[0]) {
        snprintf(path, sizeof path, "%s/bench_drl_step.json", out);
        json = path;
    }
    if (json && drl_bench_write_json(&f, json)) return 1;
    if (json) printf("figures written to %s\n", json);

    ops->free(d_ids), ops->free(d_tm), ops->free(d_vm), ops->free(d_video);
    free(ids), free(tm), free(vm), free(video);
    bench_backend_close(&be);
    bertadam_free(&opt);
    drl_model_free(&m);
    return 0;
}
