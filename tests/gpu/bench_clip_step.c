/* Benchmark (device check, not a CTest test): the CLIP towers' training step
 * on the GPU through the op table — ViT-B/32 vision forward + backward on
 * pairs x frames frames, text forward + backward on pairs captions of
 * `len` tokens, the BertAdam update on the device — at a chosen matrix
 * precision, with random data. The DRL heads run on the host in the current
 * code and are not in the timed step (their FLOPs are < 1% of the towers').
 * Prints steps/s, samples/s, model FLOP utilisation against the measured
 * bf16 GEMM rate, peak memory and the projected 5-epoch MSR-VTT time.
 *
 * The vision forward is clip_vision_fwd with its im2col (F*G*G*3*P row
 * copies through ops->copy: 7.2 million copies at this size) replaced by one
 * kernel, drl_cuda_im2col; the two are checked equal on 2 frames first.
 *
 * usage: bench_clip_step [pairs=128] [frames=12] [len=32] [steps=5] [precision=bf16] */
#include <cuda_runtime_api.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/check.h"
#include "cuda/cuda_backend.h"
#include "cuda/cuda_optim.h"
#include "model/clip.h"
#include "model/param_buffers.h"

/* MSR-VTT 9k training pairs per epoch and epochs of the reference run. */
#define PAIRS_PER_EPOCH 180000.0
#define EPOCHS          5.0

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* clip_vision_fwd (src/model/clip_vision.c) with a one-kernel im2col. */
static void vision_fwd_fast(Clip *c, const DrlOps *ops, const ParamTable *pt, const float *frames,
                            int F, float *out) {
    drlCheck(F > 0 && F <= c->max_frames, "more frames than the arena holds");
    const int Wv = c->s.vision_width, D = c->s.embed_dim, Pp = c->s.patch, Gg = c->s.grid;
    const int GG = Gg * Gg, S = GG + 1, K = 3 * Pp * Pp;
    c->last_frames = F;
    drl_cuda_im2col(c->patches, frames, F, Pp, Gg);
    ops->linear_fwd(c->patch_emb, c->patches, params_at(pt, pt->data, c->conv1), NULL, F * GG, K,
                    Wv);
    const size_t rowb = (size_t)Wv * sizeof(float);
    for (int f = 0; f < F; f++) {
        float *tok = c->vtok + (size_t)f * S * Wv; // (S, Wv)
        ops->copy(tok, params_at(pt, pt->data, c->class_emb), rowb);
        ops->copy(tok + Wv, c->patch_emb + (size_t)f * GG * Wv, rowb * GG);
        ops->add(tok, tok, params_at(pt, pt->data, c->vis_pos), (size_t)S * Wv);
    }
    ops->layernorm_fwd(c->vx, c->vpre_mean, c->vpre_rstd, c->vtok,
                       params_at(pt, pt->data, c->ln_pre_g), params_at(pt, pt->data, c->ln_pre_b),
                       F * S, Wv, CLIP_LN_EPS);
    transformer_fwd(&c->vis, ops, pt, c->vx, NULL, F, S);
    for (int f = 0; f < F; f++)
        ops->copy(c->vcls + (size_t)f * Wv, c->vx + (size_t)f * S * Wv, rowb);
    ops->layernorm_fwd(c->vcls_ln, c->vpost_mean, c->vpost_rstd, c->vcls,
                       params_at(pt, pt->data, c->ln_post_g), params_at(pt, pt->data, c->ln_post_b),
                       F, Wv, CLIP_LN_EPS);
    ops->matmul_fwd(out, c->vcls_ln, params_at(pt, pt->data, c->vis_proj), F, Wv, D);
}

/* Model FLOPs of one training step (matrix products and attention; the
 * backward counted as twice the forward). */
static double step_flops(const ClipShape *s, int F, int B, int L) {
    const double Wv = s->vision_width, Wt = s->text_width, D = s->embed_dim;
    const double GG = (double)s->grid * s->grid, S = GG + 1, K = 3.0 * s->patch * s->patch;
    const double Nv = (double)F * S, Nt = (double)B * L;
    double v = s->vision_layers * (24.0 * Nv * Wv * Wv + 4.0 * F * S * S * Wv) +
               2.0 * F * GG * K * Wv + 2.0 * F * Wv * D;
    double t =
        s->text_layers * (24.0 * Nt * Wt * Wt + 4.0 * B * (double)L * L * Wt) + 2.0 * Nt * Wt * D;
    return 3.0 * (v + t);
}

int main(int argc, char **argv) {
    const int pairs = argc > 1 ? atoi(argv[1]) : 128, nframes = argc > 2 ? atoi(argv[2]) : 12;
    const int L = argc > 3 ? atoi(argv[3]) : 32, steps = argc > 4 ? atoi(argv[4]) : 5;
    const char *prec = argc > 5 ? argv[5] : "bf16";
    char why[512];
    if (!drl_cuda_available(why, sizeof why)) {
        printf("not run: no CUDA device (%s)\n", why);
        return 77;
    }
    DrlCudaPrecision p = strcmp(prec, "fp32") == 0   ? DRL_CUDA_FP32
                         : strcmp(prec, "tf32") == 0 ? DRL_CUDA_TF32
                                                     : DRL_CUDA_BF16;
    const DrlOps *ops = drl_cuda_ops();
    const int F = pairs * nframes, B = pairs;
    printf("device: %s\n", why);
    double peak_tflops = drl_cuda_bf16_gemm_tflops(8192, 10);
    printf("measured bf16 GEMM rate (cuBLASLt 8192^3): %.1f TFLOP/s\n", peak_tflops);
    drl_cuda_set_precision(p);

    const ClipShape shape = {.vision_width = 768,
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
    ParamTable pt;
    params_init(&pt);
    Clip c;
    clip_init(&c, &pt, &shape);
    params_alloc_buffers(&pt, ops);
    DrlRng rng;
    rng_init(&rng, 7);
    clip_init_random(&c, &pt, ops, &rng);
    clip_alloc(&c, ops, &pt, F, B, L);
    const int R = shape.resolution, D = shape.embed_dim;
    const size_t nf = (size_t)F * 3 * R * R;
    float *h = mallocCheck(nf * sizeof(float)); // (F, 3, R, R) host staging
    rng_normal(&rng, h, nf, 0.0f, 1.0f);
    float *frames = ops->alloc(nf * sizeof(float)); // (F, 3, R, R)
    ops->to_device(frames, h, nf * sizeof(float));
    int32_t *hid = mallocCheck((size_t)B * L * sizeof(int32_t));
    for (int i = 0; i < B * L; i++)
        hid[i] = (int32_t)rng_below(&rng, (uint32_t)shape.vocab);
    int32_t *ids = ops->alloc((size_t)B * L * sizeof(int32_t)); // (B, L)
    ops->to_device(ids, hid, (size_t)B * L * sizeof(int32_t));
    float *vout = ops->alloc((size_t)F * D * sizeof(float));     // (F, D)
    float *tout = ops->alloc((size_t)B * L * D * sizeof(float)); // (B, L, D)
    float *dv = ops->alloc((size_t)F * D * sizeof(float));       // (F, D)
    float *dt = ops->alloc((size_t)B * L * D * sizeof(float));   // (B, L, D)
    rng_normal(&rng, h, (size_t)B * L * D, 0.0f, 1e-3f);
    ops->to_device(dt, h, (size_t)B * L * D * sizeof(float));
    ops->to_device(dv, h,
                   (size_t)F * D * sizeof(float) < (size_t)B * L * D * sizeof(float)
                       ? (size_t)F * D * sizeof(float)
                       : (size_t)B * L * D * sizeof(float));

    // the fast vision forward equals clip_vision_fwd (2 frames)
    {
        float *a = mallocCheck((size_t)2 * D * sizeof(float)), *b = mallocCheck((size_t)2 * D * 4);
        clip_vision_fwd(&c, ops, &pt, frames, 2, vout);
        ops->to_host(a, vout, (size_t)2 * D * sizeof(float));
        vision_fwd_fast(&c, ops, &pt, frames, 2, vout);
        ops->to_host(b, vout, (size_t)2 * D * sizeof(float));
        double md = 0.0;
        for (int i = 0; i < 2 * D; i++)
            md = fmax(md, fabs((double)a[i] - b[i]));
        printf("%s: fast vision forward vs clip_vision_fwd, max |diff| %.3g\n",
               md == 0.0 ? "PASS" : "FAIL", md);
        free(a), free(b);
    }

    AdamSettings as = {.lr = 1e-4,
                       .coef_lr = 1e-3,
                       .b1 = 0.9,
                       .b2 = 0.98,
                       .eps = 1e-6,
                       .weight_decay = 0.2,
                       .max_grad_norm = 1.0,
                       .warmup = 0.1,
                       .schedule = SCHEDULE_WARMUP_COSINE,
                       .t_total = 7030};
    BertAdam opt;
    bertadam_init(&opt, &pt, &as);
    float *m = ops->alloc(pt.total * sizeof(float)), *v = ops->alloc(pt.total * sizeof(float));
    ops->sync();
    drl_cuda_mem_reset_peak();
    size_t free0 = 0, total_mem = 0;
    double t_fwd = 0, t_bwd = 0, t_opt = 0, t0 = 0;
    for (int s = -2; s < steps; s++) { // two warm-up steps
        double a = now_s();
        if (s == 0) t0 = a, t_fwd = t_bwd = t_opt = 0;
        ops->zero(pt.grad, pt.total * sizeof(float));
        vision_fwd_fast(&c, ops, &pt, frames, F, vout);
        clip_text_fwd(&c, ops, &pt, ids, B, L, tout);
        ops->sync();
        double b = now_s();
        clip_vision_bwd(&c, ops, &pt, dv, F);
        clip_text_bwd(&c, ops, &pt, dt, B, L);
        ops->sync();
        double e = now_s();
        drl_cuda_bertadam_step(&opt, &pt, pt.data, pt.grad, m, v);
        ops->sync();
        t_fwd += b - a, t_bwd += e - b, t_opt += now_s() - e;
    }
    double el = now_s() - t0;
    if (cudaMemGetInfo(&free0, &total_mem) != cudaSuccess) free0 = total_mem = 0;
    size_t cur = 0, peak = 0;
    drl_cuda_mem_stats(&cur, &peak);
    const double sps = steps / el, flops = step_flops(&shape, F, B, L);
    const double tflops = flops * sps / 1e12;
    printf("CLIP ViT-B/32 towers training step, %s matrices: %d pairs x %d frames, text %d "
           "tokens\n",
           drl_cuda_precision_name(p), pairs, nframes, L);
    printf("  %.3f steps/s, %.1f samples/s (pairs), %.0f frames/s; per step: forward %.1f ms, "
           "backward %.1f ms, adam %.1f ms\n",
           sps, sps * pairs, sps * F, 1e3 * t_fwd / steps, 1e3 * t_bwd / steps,
           1e3 * t_opt / steps);
    printf("  model FLOPs/step %.2f TFLOP; achieved %.1f TFLOP/s = MFU %.1f%% of the measured bf16 "
           "rate\n",
           flops / 1e12, tflops, 100.0 * tflops / peak_tflops);
    printf("  peak memory: %.2f GiB through the backend (arena, parameters, moments, scratch); "
           "device in use at the end: %.2f GiB of %.2f GiB\n",
           peak / 1073741824.0, (total_mem - free0) / 1073741824.0, total_mem / 1073741824.0);
    printf("  projected 5-epoch MSR-VTT run (%.0f pairs/epoch), towers + Adam only: %.1f minutes\n",
           PAIRS_PER_EPOCH, EPOCHS * PAIRS_PER_EPOCH / pairs / sps / 60.0);
    return 0;
}
