/* Cross-backend checks of the extra kernels against their CPU definitions
 * (frame normalisation, im2col, the token-wise scoring of
 * src/drl/interaction.c, BertAdam of src/drl/optim.c) and of the tiny CLIP
 * towers (src/model/clip.h) run on both backends. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "cuda/cuda_backend.h"
#include "cuda/cuda_optim.h"
#include "drl/interaction.h"
#include "drl/optim.h"
#include "model/clip.h"
#include "model/param_buffers.h"
#include "ops/half.h"
#include "xb_ops.h"

/* CPU reference of drl_cuda_normalise_frames (spec/data.md §2 step 3). */
static void normalise_frames_ref(float *out, const uint8_t *in, int N, int R) {
    // out (N, 3, R, R), in (N, R, R, 3)
    static const float mean[3] = {0.48145466f, 0.4578275f, 0.40821073f};
    static const float std[3] = {0.26862954f, 0.26130258f, 0.27577711f};
    for (int n = 0; n < N; n++)
        for (int c = 0; c < 3; c++)
            for (int yx = 0; yx < R * R; yx++) {
                float v = (float)in[((size_t)n * R * R + yx) * 3 + c] / 255.0f;
                out[((size_t)n * 3 + c) * R * R + yx] = (v - mean[c]) / std[c];
            }
}

void xb_frames(Xb *x, int N, int R) {
    const size_t n = (size_t)N * R * R * 3;
    int32_t *vals = xb_rand_int(x, n, 0, 255);
    uint8_t *in = mallocCheck(n); // (N, R, R, 3)
    for (size_t i = 0; i < n; i++)
        in[i] = (uint8_t)vals[i];
    in[0] = 0, in[1] = 255;
    float *ref = mallocCheck(n * sizeof(float)); // (N, 3, R, R)
    normalise_frames_ref(ref, in, N, R);
    uint8_t *d_in = x->gpu->alloc(n);
    x->gpu->to_device(d_in, in, n);
    float *d_out = x->gpu->alloc(n * sizeof(float));
    drl_cuda_normalise_frames(d_out, d_in, N, R);
    xb_check(x, "normalise_frames (uint8 HWC -> CHW)", ref, d_out, n, 1e-6);
    // padded frames (mask 0) are zeros of the normalised input (train/frames.c)
    int32_t *mask = xb_rand_int(x, (size_t)N, 0, 1);
    mask[0] = 1;
    if (N > 1) mask[N - 1] = 0;
    const size_t per = (size_t)3 * R * R;
    for (int f = 0; f < N; f++)
        if (!mask[f]) memset(ref + f * per, 0, per * sizeof(float));
    int32_t *d_mask = xb_dev_int(x, mask, (size_t)N);
    drl_cuda_normalise_frames_masked(d_out, d_in, d_mask, N, R);
    xb_check(x, "normalise_frames_masked (padded frames zero)", ref, d_out, n, 1e-6);
    free(mask);
    xb_free_dev(x, d_in, d_out, d_mask, NULL);
    free(vals), free(in), free(ref);
}

void xb_im2col(Xb *x, int F, int P, int G) {
    const int R = P * G, K = 3 * P * P;
    const size_t nf = (size_t)F * 3 * R * R, np = (size_t)F * G * G * K;
    float *frames = xb_rand(x, nf, 1.0f), *ref = mallocCheck(np * sizeof(float));
    for (int f = 0; f < F; f++) // the definition of model/clip_vision.c's im2col
        for (int gy = 0; gy < G; gy++)
            for (int gx = 0; gx < G; gx++)
                for (int c = 0; c < 3; c++)
                    for (int ky = 0; ky < P; ky++)
                        for (int kx = 0; kx < P; kx++)
                            ref[(((size_t)f * G + gy) * G + gx) * K + ((size_t)c * P + ky) * P +
                                kx] =
                                frames[(((size_t)f * 3 + c) * R + gy * P + ky) * R + gx * P + kx];
    float *d_frames = xb_dev(x, frames, nf), *d_p = x->gpu->alloc(np * sizeof(float));
    x->gpu->im2col(d_p, d_frames, F, P, G); // the op table's entry (drl_cuda_im2col)
    xb_check(x, "im2col (conv1 patches)", ref, d_p, np, 0.0);
    float *cpu_p = mallocCheck(np * sizeof(float)); // the CPU backend's op, same definition
    x->cpu->im2col(cpu_p, frames, F, P, G);
    xb_check(x, "im2col CPU op vs GPU op", cpu_p, d_p, np, 0.0);
    free(cpu_p);
    xb_free_dev(x, d_frames, d_p, NULL);
    free(frames), free(ref);
}

void xb_tokenwise(Xb *x, int Bt, int Bv, int L, int T, int D) {
    float *tf = xb_rand(x, (size_t)Bt * L * D, 1.0f), *vf = xb_rand(x, (size_t)Bv * T * D, 1.0f);
    float *tn = mallocCheck((size_t)Bt * L * D * sizeof(float));
    float *vn = mallocCheck((size_t)Bv * T * D * sizeof(float));
    float *tnorm = mallocCheck((size_t)Bt * L * sizeof(float));
    float *vnorm = mallocCheck((size_t)Bv * T * sizeof(float));
    l2norm_rows(tn, tnorm, tf, Bt * L, D);
    l2norm_rows(vn, vnorm, vf, Bv * T, D);
    int32_t *tm = xb_rand_int(x, (size_t)Bt * L, 0, 1), *vm = xb_rand_int(x, (size_t)Bv * T, 0, 1);
    tm[0] = 1, vm[0] = 1;
    for (int i = 0; i < L; i++) // text 1 fully padded
        tm[L + i] = 0;
    float *wt = xb_rand(x, (size_t)Bt * L, 1.0f), *wv = xb_rand(x, (size_t)Bv * T, 1.0f);
    float *sim = mallocCheck((size_t)Bt * Bv * sizeof(float));
    float *scratch = mallocCheck((size_t)L * Bv * T * sizeof(float));
    tokenwise_score_normalised(sim, tn, tm, vn, vm, wt, wv, Bt, Bv, L, T, D, scratch);
    float *d_tn = xb_dev(x, tn, (size_t)Bt * L * D), *d_vn = xb_dev(x, vn, (size_t)Bv * T * D);
    int32_t *d_tm = xb_dev_int(x, tm, (size_t)Bt * L), *d_vm = xb_dev_int(x, vm, (size_t)Bv * T);
    float *d_wt = xb_dev(x, wt, (size_t)Bt * L), *d_wv = xb_dev(x, wv, (size_t)Bv * T);
    float *d_sim = x->gpu->alloc((size_t)Bt * Bv * sizeof(float));
    drl_cuda_tokenwise_score(d_sim, d_tn, d_tm, d_vn, d_vm, d_wt, d_wv, Bt, Bv, L, T, D);
    char name[96];
    snprintf(name, sizeof name, "tokenwise_score %dx%d L%d T%d D%d", Bt, Bv, L, T, D);
    xb_check(x, name, sim, d_sim, (size_t)Bt * Bv, 1e-5);
    xb_free_dev(x, d_tn, d_vn, d_tm, d_vm, d_wt, d_wv, d_sim, NULL);
    free(tf), free(vf), free(tn), free(vn), free(tnorm), free(vnorm), free(tm), free(vm);
    free(wt), free(wv), free(sim), free(scratch);
}

void xb_adam(Xb *x, int fp16) {
    ParamTable pt;
    params_init(&pt);
    // with fp16, these two are fp16 tensors of spec/model.md §11 (clip_param_is_fp16)
    params_add_dims(&pt, "clip.visual.transformer.resblocks.0.mlp.c_fc.weight", 2, 30, 40, 0, 0);
    params_add_dims(&pt, "clip.visual.transformer.resblocks.0.mlp.c_fc.bias", 1, 30, 0, 0, 0);
    params_add_dims(&pt, "head.w", 2, 50, 70, 0, 0);
    int frozen = params_add_dims(&pt, "head.frozen", 1, 17, 0, 0, 0);
    int ls = params_add(&pt, "clip.logit_scale", 0, NULL);
    AdamSettings s = {.lr = 1e-2,
                      .coef_lr = 0.1,
                      .b1 = 0.9,
                      .b2 = 0.98,
                      .eps = 1e-6,
                      .weight_decay = 0.2,
                      .max_grad_norm = 1.0,
                      .warmup = 0.1,
                      .schedule = SCHEDULE_WARMUP_COSINE,
                      .t_total = 20,
                      .clip_fp16 = fp16};
    BertAdam cpu, gpu;
    bertadam_init(&cpu, &pt, &s);
    bertadam_init(&gpu, &pt, &s);
    cpu.has_grad[frozen] = gpu.has_grad[frozen] = 0;
    const size_t n = pt.total;
    float *w = xb_rand(x, n, 1.0f);
    w[pt.info[ls].offset] = 4.55f;     // grows past log(100) = 4.605 and is clamped
    for (int i = 0; i < pt.count; i++) // an fp16 tensor holds fp16 values
        if (cpu.fp16[i])
            for (size_t k = 0; k < pt.info[i].numel; k++)
                w[pt.info[i].offset + k] = half_round(w[pt.info[i].offset + k]);
    // fp16: a clipping factor one float ulp apart may move a rounded value by
    // one fp16 ulp (2^-11 relative)
    const double tol = fp16 ? 2e-3 : 1e-5;
    const char *tag = fp16 ? "bertadam fp16" : "bertadam";
    float *d_w = xb_dev(x, w, n), *d_m = x->gpu->alloc(n * sizeof(float));
    float *d_v = x->gpu->alloc(n * sizeof(float)), *d_g = x->gpu->alloc(n * sizeof(float));
    for (int step = 0; step < 4; step++) {
        // steps 0, 1: large gradients (both clippings); 2, 3: small ones (none)
        float *g = xb_rand(x, n, step < 2 ? 3.0f : 1e-3f);
        g[pt.info[ls].offset] = -50.0f;
        x->gpu->to_device(d_g, g, n * sizeof(float));
        bertadam_step(&cpu, &pt, w, g);
        drl_cuda_bertadam_step(&gpu, &pt, d_w, d_g, d_m, d_v);
        char name[64];
        snprintf(name, sizeof name, "%s step %d params", tag, step);
        xb_check(x, name, w, d_w, n, tol);
        snprintf(name, sizeof name, "%s step %d clipped grads", tag, step);
        xb_check(x, name, g, d_g, n, tol);
        free(g);
    }
    char name[64];
    snprintf(name, sizeof name, "%s m", tag);
    xb_check(x, name, cpu.m, d_m, n, tol);
    snprintf(name, sizeof name, "%s v", tag);
    xb_check(x, name, cpu.v, d_v, n, tol);
    float norms[2] = {(float)cpu.last_grad_norm, (float)cpu.last_lr_clip};
    float gpu_norms[2] = {(float)gpu.last_grad_norm, (float)gpu.last_lr_clip};
    float *d_norms = xb_dev(x, gpu_norms, 2);
    snprintf(name, sizeof name, "%s grad norm, lr", tag);
    xb_check(x, name, norms, d_norms, 2, fp16 ? 1e-3 : 1e-6);
    xb_free_dev(x, d_w, d_m, d_v, d_g, d_norms, NULL);
    bertadam_free(&cpu), bertadam_free(&gpu);
    free(w);
    params_free_table(&pt);
}

/* One backend's run of the tiny towers: outputs and all gradients to host. */
static void clip_run(const DrlOps *ops, const ClipShape *shape, const float *frames, int F,
                     const int32_t *ids, int B, int L, const float *dv, const float *dt,
                     float *vout, float *tout, float *grad, size_t *total) {
    ParamTable pt;
    params_init(&pt);
    Clip c;
    clip_init(&c, &pt, shape);
    params_alloc_buffers(&pt, ops);
    DrlRng rng;
    rng_init(&rng, 1234);
    clip_init_random(&c, &pt, ops, &rng);
    clip_alloc(&c, ops, &pt, F, B, L);
    const int R = shape->resolution, D = shape->embed_dim;
    float *d_frames = ops->alloc((size_t)F * 3 * R * R * sizeof(float)); // (F, 3, R, R)
    int32_t *d_ids = ops->alloc((size_t)B * L * sizeof(int32_t));        // (B, L)
    float *d_vout = ops->alloc((size_t)F * D * sizeof(float));           // (F, D)
    float *d_tout = ops->alloc((size_t)B * L * D * sizeof(float));       // (B, L, D)
    float *d_dv = ops->alloc((size_t)F * D * sizeof(float));
    float *d_dt = ops->alloc((size_t)B * L * D * sizeof(float));
    ops->to_device(d_frames, frames, (size_t)F * 3 * R * R * sizeof(float));
    ops->to_device(d_ids, ids, (size_t)B * L * sizeof(int32_t));
    ops->to_device(d_dv, dv, (size_t)F * D * sizeof(float));
    ops->to_device(d_dt, dt, (size_t)B * L * D * sizeof(float));
    clip_vision_fwd(&c, ops, &pt, d_frames, F, d_vout);
    clip_text_fwd(&c, ops, &pt, d_ids, B, L, d_tout);
    clip_vision_bwd(&c, ops, &pt, d_dv, F);
    clip_text_bwd(&c, ops, &pt, d_dt, B, L);
    ops->to_host(vout, d_vout, (size_t)F * D * sizeof(float));
    ops->to_host(tout, d_tout, (size_t)B * L * D * sizeof(float));
    if (grad) ops->to_host(grad, pt.grad, pt.total * sizeof(float));
    *total = pt.total;
    ops->free(d_frames), ops->free(d_ids), ops->free(d_vout), ops->free(d_tout);
    ops->free(d_dv), ops->free(d_dt);
    clip_free(&c, ops);
    params_free_buffers(&pt, ops);
    params_free_table(&pt);
}

void xb_clip_tiny(Xb *x, double tol_out, double tol_grad) {
    const ClipShape shape = {.vision_width = 128,
                             .vision_layers = 2,
                             .vision_heads = 2,
                             .patch = 8,
                             .grid = 3,
                             .resolution = 24,
                             .text_width = 64,
                             .text_layers = 2,
                             .text_heads = 1,
                             .vocab = 300,
                             .context_length = 16,
                             .embed_dim = 64};
    const int F = 6, B = 3, L = 13, D = shape.embed_dim, R = shape.resolution;
    float *frames = xb_rand(x, (size_t)F * 3 * R * R, 2.0f);
    int32_t *ids = xb_rand_int(x, (size_t)B * L, 0, shape.vocab - 1);
    float *dv = xb_rand(x, (size_t)F * D, 1.0f), *dt = xb_rand(x, (size_t)B * L * D, 1.0f);
    float *v_cpu = mallocCheck((size_t)F * D * sizeof(float));
    float *t_cpu = mallocCheck((size_t)B * L * D * sizeof(float));
    float *v_gpu = mallocCheck((size_t)F * D * sizeof(float));
    float *t_gpu = mallocCheck((size_t)B * L * D * sizeof(float));
    size_t total = 0;
    {
        ParamTable probe;
        params_init(&probe);
        Clip c;
        clip_init(&c, &probe, &shape);
        total = probe.total;
        params_free_table(&probe);
        transformer_free(&c.vis, drl_cpu_ops()), transformer_free(&c.txt, drl_cpu_ops());
    }
    float *g_cpu = mallocCheck(total * sizeof(float)), *g_gpu = mallocCheck(total * sizeof(float));
    clip_run(x->cpu, &shape, frames, F, ids, B, L, dv, dt, v_cpu, t_cpu, g_cpu, &total);
    clip_run(x->gpu, &shape, frames, F, ids, B, L, dv, dt, v_gpu, t_gpu, g_gpu, &total);
    // compare through device copies (xb_check reads device memory)
    float *d = xb_dev(x, v_gpu, (size_t)F * D);
    xb_check(x, "tiny CLIP vision forward", v_cpu, d, (size_t)F * D, tol_out);
    x->gpu->free(d);
    d = xb_dev(x, t_gpu, (size_t)B * L * D);
    xb_check(x, "tiny CLIP text forward", t_cpu, d, (size_t)B * L * D, tol_out);
    x->gpu->free(d);
    d = xb_dev(x, g_gpu, total);
    xb_check(x, "tiny CLIP all parameter gradients", g_cpu, d, total, tol_grad);
    x->gpu->free(d);
    free(frames), free(ids), free(dv), free(dt), free(v_cpu), free(t_cpu), free(v_gpu);
    free(t_gpu), free(g_cpu), free(g_gpu);
}

/* The bf16 weight copy (precision BF16): right after registration a product
 * reads the copy, which holds the round-to-nearest bf16 of the masters, so it
 * equals the product that converts the fp32 weight on the call (exactly);
 * after an Adam update written with stochastic rounding every copy value is
 * one of the two bf16 neighbours of the new master, so the product stays
 * within bf16 error of the fp32 product of the masters. */
void xb_param_shadow(Xb *x, int N, int IC, int OC) {
    const size_t nw = (size_t)OC * IC, nflat = nw + (size_t)OC;
    float *flat = xb_rand(x, nflat, 0.05f), *in = xb_rand(x, (size_t)N * IC, 1.0f);
    float *d_flat = xb_dev(x, flat, nflat), *d_in = xb_dev(x, in, (size_t)N * IC);
    float *d_plain = x->gpu->alloc((size_t)N * OC * sizeof(float));
    float *d_shadow = x->gpu->alloc((size_t)N * OC * sizeof(float));
    float *d_copy = x->gpu->alloc(nflat * sizeof(float)); // the same weights outside the buffer
    x->gpu->copy(d_copy, d_flat, nflat * sizeof(float));
    x->gpu->linear_fwd(d_plain, d_in, d_copy, d_copy + nw, N, IC, OC);
    drl_cuda_register_param_shadow(d_flat, nflat);
    x->gpu->linear_fwd(d_shadow, d_in, d_flat, d_flat + nw, N, IC, OC);
    float *plain = mallocCheck((size_t)N * OC * sizeof(float));
    x->gpu->to_host(plain, d_plain, (size_t)N * OC * sizeof(float));
    xb_check(x, "bf16 weight copy: product equals per-call conversion", plain, d_shadow,
             (size_t)N * OC, 0.0);
    // one Adam update of the whole buffer, then the product against fp32 masters
    float *g = xb_rand(x, nflat, 1.0f);
    float *d_g = xb_dev(x, g, nflat), *d_m = x->gpu->alloc(nflat * sizeof(float));
    float *d_v = x->gpu->alloc(nflat * sizeof(float));
    DrlCudaAdamSeg seg = {.offset = 0,
                          .numel = nflat,
                          .clip1 = 1.0f,
                          .clip2 = 1.0f,
                          .lr = 1e-2f,
                          .wd = 0.0f,
                          .step = 1};
    drl_cuda_adam_update(d_flat, d_g, d_m, d_v, &seg, 1, 0.9f, 0.98f, 1e-6f, 0.1f, 0.02f);
    x->gpu->linear_fwd(d_shadow, d_in, d_flat, d_flat + nw, N, IC, OC);
    float *masters = mallocCheck(nflat * sizeof(float)), *ref = mallocCheck((size_t)N * OC * 4);
    x->gpu->to_host(masters, d_flat, nflat * sizeof(float));
    x->cpu->linear_fwd(ref, in, masters, masters + nw, N, IC, OC);
    xb_check(x, "bf16 weight copy after a stochastic-rounding update", ref, d_shadow,
             (size_t)N * OC, 2e-2);
    drl_cuda_release_param_shadow();
    xb_free_dev(x, d_flat, d_in, d_plain, d_shadow, d_copy, d_g, d_m, d_v, NULL);
    free(flat), free(in), free(plain), free(g), free(masters), free(ref);
}
