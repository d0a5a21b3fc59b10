/* Benchmark: one training step (forward, backward, BertAdam update) of the DRL
 * model on the CPU backend, random weights from scratch, a synthetic batch
 * (full-length captions, full videos).
 *   bench_step CONF_DIR demo|vitb32|tiny [repeats=5] [batch (0 = default)] [fp32|bf16]
 * demo: conf/demo.cfg; vitb32: conf/base.cfg (ViT-B/32, wti + seqTransf +
 * CDCR 3, L 32, T 12) at batch 4 unless given; tiny: demo shapes at batch 2
 * (the smoke test). fp32 (default): drl_cpu_ops(); bf16: drl_cpu_ops_bf16()
 * (run.precision = "bf16" on the CPU), reported as step_<model>_bf16. One
 * JSON line (bench.h) with the matrix FLOP count of the step. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_common.h"
#include "comm/comm.h"
#include "common/check.h"
#include "config/config.h"
#include "drl/drl_model.h"
#include "drl/optim.h"
#include "model/rng.h"
#include "train/model_setup.h"

/* Matrix FLOPs of one transformer forward: N tokens in sequences of S, width W. */
static double transformer_flops(double seqs, double S, double W, double layers) {
    double N = seqs * S;
    return layers * (24.0 * N * W * W + 4.0 * seqs * S * S * W);
}

/* Matrix FLOPs of the whole step (forward + backward = 3 x forward). */
static double step_flops(const DrlModel *m, int B) {
    const ClipShape *s = &m->shape;
    double F = (double)B * m->T, GG = (double)s->grid * s->grid, Wv = s->vision_width;
    double Wt = s->text_width, D = m->D, L = m->L, T = m->T;
    double fwd = 2.0 * F * GG * 3.0 * s->patch * s->patch * Wv;                   // patch embedding
    fwd += transformer_flops(F, GG + 1, Wv, s->vision_layers) + 2.0 * F * Wv * D; // + proj
    fwd += transformer_flops(B, L, Wt, s->text_layers) + 2.0 * B * L * Wt * D;
    if (m->h.agg == HEAD_AGG_SEQTRANSF) fwd += transformer_flops(B, T, D, m->h.agg_layers);
    if (m->h.interaction == HEAD_WTI) fwd += 2.0 * B * (L + T) * D * D; // weight branches
    fwd += 2.0 * B * B * L * T * D;                                     // token similarities
    return 3.0 * fwd;
}

static const char *VITB32_TEXT = "@include \"base.cfg\"\n"
                                 "data = { store = \"bench.h5\"; };\n"
                                 "run = { device = \"cpu\"; output_dir = \"/tmp\"; };\n";

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: bench_step CONF_DIR demo|vitb32|tiny [repeats=5] [batch] "
                        "[fp32|bf16]\n");
        return 2;
    }
    const char *dir = argv[1], *which = argv[2];
    const int reps = bench_reps(argc, argv, 3, 5);
    DrlConfig cfg;
    char err[4096], path[4096];
    int rc;
    if (!strcmp(which, "vitb32")) {
        rc = config_load_string(VITB32_TEXT, "vitb32.cfg", dir, 1, &cfg, err, sizeof err);
    } else if (!strcmp(which, "demo") || !strcmp(which, "tiny")) {
        snprintf(path, sizeof path, "%s/demo.cfg", dir);
        rc = config_load(path, 1, &cfg, err, sizeof err);
    } else {
        fprintf(stderr, "bench_step: unknown model '%s' (expected demo, vitb32 or tiny)\n", which);
        return 2;
    }
    if (rc) {
        fprintf(stderr, "bench_step: %s\n", err);
        return 2;
    }
    int B = !strcmp(which, "vitb32") ? 4 : !strcmp(which, "tiny") ? 2 : cfg.train.batch_size;
    if (argc > 4 && atoi(argv[4]) != 0) B = atoi(argv[4]);
    drlCheck(B >= 1, "bench_step: the batch must be at least 1");
    const char *prec = argc > 5 ? argv[5] : "fp32";
    const DrlOps *ops = drl_cpu_ops();
    if (!strcmp(prec, "bf16")) {
        char why[256] = "";
        ops = drl_cpu_ops_bf16(why, sizeof why);
        if (!ops) {
            fprintf(stderr, "bench_step: bf16: %s\n", why);
            return 3;
        }
    } else if (strcmp(prec, "fp32")) {
        fprintf(stderr, "bench_step: unknown precision '%s' (expected fp32 or bf16)\n", prec);
        return 2;
    }
    DrlComm comm;
    comm_init_single(&comm);
    DrlModel m;
    if (model_setup(&m, &cfg, ops, &comm, B, err, sizeof err)) {
        fprintf(stderr, "bench_step: %s\n", err);
        return 1;
    }
    const int L = m.L, T = m.T, R = m.R;
    BertAdam opt;
    AdamSettings as = adam_settings_from_config(&cfg, 1000);
    bertadam_init(&opt, &m.pt, &as);
    for (int i = 0; i < m.pt.count; i++)
        opt.has_grad[i] = (uint8_t)drl_model_param_is_used(&m, i);

    DrlRng rng;
    rng_init(&rng, 7);
    int32_t *ids = mallocCheck(sizeof(int32_t) * (size_t)B * L); // (B, L)
    int32_t *tm = mallocCheck(sizeof(int32_t) * (size_t)B * L);  // (B, L)
    int32_t *vm = mallocCheck(sizeof(int32_t) * (size_t)B * T);  // (B, T)
    size_t nv = (size_t)B * T * 3 * R * R;
    float *video = mallocCheck(sizeof(float) * nv); // (B, T, 3, R, R)
    for (int b = 0; b < B; b++)
        for (int i = 0; i < L; i++) {
            ids[b * L + i] = i == 0       ? 49406
                             : i == L - 1 ? 49407
                                          : 1 + (int32_t)rng_below(&rng, 49000);
            tm[b * L + i] = 1;
        }
    for (int k = 0; k < B * T; k++)
        vm[k] = 1;
    rng_normal(&rng, video, nv, 0.0f, 1.0f);
    DrlBatch batch = {.B = B, .ids = ids, .text_mask = tm, .video = video, .video_mask = vm};

    BenchTimes all = {0}, fb = {0};
    double loss = 0.0;
    for (int r = -1; r < reps; r++) { /* r = -1: warm-up */
        double t0 = bench_now();
        DrlLosses l = drl_step(&m, &batch, 1);
        double t1 = bench_now();
        bertadam_step(&opt, &m.pt, m.pt.data, m.pt.grad);
        double t2 = bench_now();
        loss = l.loss;
        if (r >= 0) {
            all.t[all.n++] = t2 - t0;
            fb.t[fb.n++] = t1 - t0;
        }
    }
    char extra[512], name[64];
    snprintf(extra, sizeof extra,
             "{\"batch\": %d, \"L\": %d, \"T\": %d, \"R\": %d, \"params\": %zu, "
             "\"fwd_bwd_median_s\": %.6f, \"last_loss\": %.6f}",
             B, L, T, R, m.pt.total, bench_median(&fb), loss);
    snprintf(name, sizeof name, "step_%s%s", which, ops == drl_cpu_ops() ? "" : "_bf16");
    bench_emit(name, &all, (double)B, "pairs", step_flops(&m, B), extra);
    free(ids), free(tm), free(vm), free(video);
    bertadam_free(&opt);
    drl_model_free(&m);
    config_free(&cfg);
    return 0;
}
