/* One whole DRL training step of a tiny CLIP on both backends (issue 7):
 * every interaction (dp, ti, wti arch 1-3, xti with and without dropout),
 * aggregation (none, seqTransf, seqLSTM) and CDCR variant (0-3), from the
 * same initialisation and batch: losses, similarities and logits, the WTI
 * weights, every gradient of the flat buffer, and the parameters after one
 * BertAdam update (bertadam_step on the CPU, drl_cuda_bertadam_step on the
 * GPU). The CPU side is the reference (its step is checked against PyTorch
 * in tests/drl). Single rank; the GPU side's gathers are device copies. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comm/comm.h"
#include "common/check.h"
#include "cuda/cuda_optim.h"
#include "drl/drl_model.h"
#include "drl/optim.h"
#include "xb_step.h"

typedef struct {
    const char *label;
    HeadInteraction inter;
    int arch;
    HeadAgg agg;
    int cdcr;
    float xti_dropout;
} StepCase;

/* What one backend's step produced, on the host. */
typedef struct {
    float losses[3];     /* loss, loss_sim, loss_cdcr */
    float *sim, *logits; /* (B, B) */
    float *wt;           /* (B, L) */
    float *grad, *param; /* (total) gradients, parameters after the update */
    size_t total;
} StepOut;

typedef struct {
    int B, L, T, R;
    int32_t *ids, *tm, *vm; /* (B, L), (B, L), (B, T) */
    float *video;           /* (B*T, 3, R, R) */
} StepBatch;

static void copy_allgather(void *ctx, const void *local, void *global, size_t bytes) {
    const DrlOps *ops = ctx;
    ops->copy(global, local, bytes);
}

static void single_allreduce(void *ctx, float *buf, size_t n) {
    (void)ctx, (void)buf, (void)n; // one rank: the sum and the mean are the buffer itself
}

static void *upload(const DrlOps *ops, const void *host, size_t bytes) {
    void *d = ops->alloc(bytes ? bytes : 1);
    ops->to_device(d, host, bytes);
    return d;
}

static void step_run(const DrlOps *ops, const DrlHeadKernels *hk, const StepCase *sc,
                     const ClipShape *shape, const StepBatch *b, StepOut *out) {
    const int B = b->B, L = b->L, T = b->T, R = b->R;
    DrlComm comm;
    comm_init_single(&comm);
    DrlCommDevice dev = {.name = "copy",
                         .ctx = (void *)ops,
                         .allgather = copy_allgather,
                         .allreduce_sum_f32 = single_allreduce,
                         .allreduce_mean_f32 = single_allreduce};
    if (ops != drl_cpu_ops()) comm_use_device(&comm, &dev);
    DrlHeadsSpec h = {.agg = sc->agg,
                      .interaction = sc->inter,
                      .wti_arch = sc->arch > 0 ? sc->arch : 2,
                      .cdcr = sc->cdcr,
                      .alpha1 = 1.0f,
                      .alpha2 = 0.06f,
                      .lambda = sc->cdcr ? 0.1f : 0.0f,
                      .xti_dropout = sc->xti_dropout,
                      .agg_layers = 2,
                      .cross_layers = 2,
                      .L = L,
                      .T = T};
    DrlModel m;
    drl_model_init(&m, ops, &comm, shape, &h, 4242);
    drl_model_set_head_kernels(&m, hk);
    drl_model_alloc(&m, B);
    drl_model_init_random(&m, 777);
    int32_t *d_ids = upload(ops, b->ids, sizeof(int32_t) * B * L);
    int32_t *d_tm = upload(ops, b->tm, sizeof(int32_t) * B * L);
    int32_t *d_vm = upload(ops, b->vm, sizeof(int32_t) * B * T);
    float *d_video = upload(ops, b->video, sizeof(float) * (size_t)B * T * 3 * R * R);
    DrlBatch bt = {.B = B, .ids = d_ids, .text_mask = d_tm, .video = d_video, .video_mask = d_vm};
    DrlLosses l = drl_step(&m, &bt, 1);
    out->losses[0] = (float)l.loss, out->losses[1] = (float)l.loss_sim;
    out->losses[2] = (float)l.loss_cdcr;
    out->total = m.pt.total;
    out->sim = mallocCheck(sizeof(float) * B * B);
    out->logits = mallocCheck(sizeof(float) * B * B);
    out->wt = callocCheck((size_t)B * L, sizeof(float));
    out->grad = mallocCheck(sizeof(float) * m.pt.total);
    out->param = mallocCheck(sizeof(float) * m.pt.total);
    ops->to_host(out->sim, m.sim, sizeof(float) * B * B);
    ops->to_host(out->logits, m.logits_t2v, sizeof(float) * B * B);
    if (sc->inter == HEAD_WTI) ops->to_host(out->wt, m.wt, sizeof(float) * B * L);
    ops->to_host(out->grad, m.pt.grad, sizeof(float) * m.pt.total);

    AdamSettings s = {.lr = 1e-4,
                      .coef_lr = 0.5,
                      .b1 = 0.9,
                      .b2 = 0.98,
                      .eps = 1e-6,
                      .weight_decay = 0.2,
                      .max_grad_norm = 1.0,
                      .warmup = 0.1,
                      .schedule = SCHEDULE_WARMUP_COSINE,
                      .t_total = 10};
    BertAdam opt;
    bertadam_init(&opt, &m.pt, &s);
    for (int i = 0; i < m.pt.count; i++)
        opt.has_grad[i] = (uint8_t)drl_model_param_is_used(&m, i);
    if (ops == drl_cpu_ops()) {
        bertadam_step(&opt, &m.pt, m.pt.data, m.pt.grad);
    } else {
        float *dm = ops->alloc(sizeof(float) * m.pt.total); // (total) zero-filled moments
        float *dv = ops->alloc(sizeof(float) * m.pt.total); // (total)
        drl_cuda_bertadam_step(&opt, &m.pt, m.pt.data, m.pt.grad, dm, dv);
        ops->free(dm), ops->free(dv);
    }
    ops->to_host(out->param, m.pt.data, sizeof(float) * m.pt.total);
    bertadam_free(&opt);
    ops->free(d_ids), ops->free(d_tm), ops->free(d_vm), ops->free(d_video);
    drl_model_free(&m);
}

static void step_out_free(StepOut *o) {
    free(o->sim), free(o->logits), free(o->wt), free(o->grad), free(o->param);
}

/* Compares host arrays through a device copy of the GPU's (xb_check reads
 * device memory); returns 1 when it passed. */
static int check_host(Xb *x, const char *name, const float *ref, const float *got, size_t n,
                      double tol) {
    float *d = xb_dev(x, got, n);
    const int before = x->failed;
    xb_check(x, name, ref, d, n, tol);
    x->gpu->free(d);
    return x->failed == before;
}

/* After a failed gradient / parameter check: the tensors that differ. */
static void list_tensors(const DrlModel *probe, const float *ref, const float *got, double tol) {
    double maxref = 0.0;
    for (size_t k = 0; k < probe->pt.total; k++)
        maxref = fmax(maxref, fabs(ref[k]));
    for (int i = 0; i < probe->pt.count; i++) {
        const ParamInfo *p = &probe->pt.info[i];
        double md = 0.0;
        for (size_t k = 0; k < p->numel; k++)
            md = fmax(md, fabs((double)got[p->offset + k] - ref[p->offset + k]));
        if (md > tol * (maxref > 0 ? maxref : 1.0))
            printf("      %-60s max |gpu - cpu| %.3e\n", p->name, md);
    }
}

static void step_case(Xb *x, const DrlHeadKernels *cpu_k, const DrlHeadKernels *gpu_k,
                      const StepCase *sc, const ClipShape *shape, const StepBatch *b,
                      double tol_out, double tol_grad) {
    StepOut c, g;
    step_run(x->cpu, cpu_k, sc, shape, b, &c);
    step_run(x->gpu, gpu_k, sc, shape, b, &g);
    char name[128];
    const size_t BB = (size_t)b->B * b->B;
    snprintf(name, sizeof name, "drl_step %s losses", sc->label);
    check_host(x, name, c.losses, g.losses, 3, tol_out);
    snprintf(name, sizeof name, "drl_step %s sim", sc->label);
    check_host(x, name, c.sim, g.sim, BB, tol_out);
    snprintf(name, sizeof name, "drl_step %s logits t2v", sc->label);
    check_host(x, name, c.logits, g.logits, BB, tol_out);
    if (sc->inter == HEAD_WTI) {
        snprintf(name, sizeof name, "drl_step %s text weights", sc->label);
        check_host(x, name, c.wt, g.wt, (size_t)b->B * b->L, tol_out);
    }
    // a host-only model of the same configuration names the tensors
    DrlModel probe;
    DrlComm comm;
    comm_init_single(&comm);
    DrlHeadsSpec h = {.agg = sc->agg,
                      .interaction = sc->inter,
                      .wti_arch = sc->arch > 0 ? sc->arch : 2,
                      .cdcr = sc->cdcr,
                      .agg_layers = 2,
                      .cross_layers = 2,
                      .L = b->L,
                      .T = b->T};
    drl_model_init(&probe, x->cpu, &comm, shape, &h, 1);
    snprintf(name, sizeof name, "drl_step %s all gradients", sc->label);
    if (!check_host(x, name, c.grad, g.grad, c.total, tol_grad))
        list_tensors(&probe, c.grad, g.grad, tol_grad);
    snprintf(name, sizeof name, "drl_step %s params after BertAdam", sc->label);
    if (!check_host(x, name, c.param, g.param, c.total, tol_grad))
        list_tensors(&probe, c.param, g.param, tol_grad);
    transformer_free(&probe.clip.vis, x->cpu), transformer_free(&probe.clip.txt, x->cpu);
    if (sc->agg == HEAD_AGG_SEQTRANSF) transformer_free(&probe.agg_tf, x->cpu);
    if (sc->inter == HEAD_XTI) transformer_free(&probe.cross, x->cpu);
    params_free_table(&probe.pt);
    step_out_free(&c), step_out_free(&g);
}

void xb_drl_steps(Xb *x, const DrlHeadKernels *cpu_k, const DrlHeadKernels *gpu_k, double tol_out,
                  double tol_grad) {
    const ClipShape shape = {.vision_width = 64,
                             .vision_layers = 2,
                             .vision_heads = 1,
                             .patch = 8,
                             .grid = 3,
                             .resolution = 24,
                             .text_width = 64,
                             .text_layers = 2,
                             .text_heads = 1,
                             .vocab = 300,
                             .context_length = 16,
                             .embed_dim = 64};
    StepBatch b = {.B = 4, .L = 7, .T = 5, .R = shape.resolution};
    const int B = b.B, L = b.L, T = b.T, R = b.R;
    b.ids = xb_rand_int(x, (size_t)B * L, 1, shape.vocab - 1);
    b.tm = mallocCheck(sizeof(int32_t) * B * L);
    b.vm = mallocCheck(sizeof(int32_t) * B * T);
    for (int a = 0; a < B; a++) // prefixes: texts of 7, 6, 5, 4 tokens; videos of 5, 3, 5, 3 frames
        for (int i = 0; i < L; i++)
            b.tm[a * L + i] = i < L - a;
    for (int v = 0; v < B; v++)
        for (int j = 0; j < T; j++)
            b.vm[v * T + j] = j < (v % 2 ? T - 2 : T);
    b.video = xb_rand(x, (size_t)B * T * 3 * R * R, 2.0f);
    const StepCase cases[] = {
        {"dp/none/cdcr0", HEAD_DP, 0, HEAD_AGG_NONE, 0, 0.0f},
        {"dp/seqTransf/cdcr1", HEAD_DP, 0, HEAD_AGG_SEQTRANSF, 1, 0.0f},
        {"ti/seqLSTM/cdcr2", HEAD_TI, 0, HEAD_AGG_SEQLSTM, 2, 0.0f},
        {"ti/seqTransf/cdcr1", HEAD_TI, 0, HEAD_AGG_SEQTRANSF, 1, 0.0f},
        {"wti1/seqTransf/cdcr0", HEAD_WTI, 1, HEAD_AGG_SEQTRANSF, 0, 0.0f},
        {"wti2/none/cdcr3", HEAD_WTI, 2, HEAD_AGG_NONE, 3, 0.0f},
        {"wti2/seqTransf/cdcr3", HEAD_WTI, 2, HEAD_AGG_SEQTRANSF, 3, 0.0f},
        {"wti3/seqLSTM/cdcr2", HEAD_WTI, 3, HEAD_AGG_SEQLSTM, 2, 0.0f},
        {"xti/none", HEAD_XTI, 0, HEAD_AGG_NONE, 0, 0.0f},
        {"xti/seqTransf/dropout0.1", HEAD_XTI, 0, HEAD_AGG_SEQTRANSF, 0, 0.1f},
        {"xti/seqLSTM", HEAD_XTI, 0, HEAD_AGG_SEQLSTM, 0, 0.0f},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        step_case(x, cpu_k, gpu_k, &cases[i], &shape, &b, tol_out, tol_grad);
    free(b.ids), free(b.tm), free(b.vm), free(b.video);
}
