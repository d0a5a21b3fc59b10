#include "drl/optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "model/clip.h"
#include "ops/half.h"

double schedule_factor(Schedule s, double x, double warmup) {
    if (x < warmup) return x / warmup;
    switch (s) {
    case SCHEDULE_WARMUP_COSINE:
        return 0.5 * (1.0 + cos(M_PI * x));
    case SCHEDULE_WARMUP_LINEAR: {
        double f = (x - 1.0) / (warmup - 1.0);
        return f > 0.0 ? f : 0.0;
    }
    case SCHEDULE_WARMUP_CONSTANT:
        return 1.0;
    }
    return 1.0;
}

void bertadam_init(BertAdam *opt, const ParamTable *pt, const AdamSettings *s) {
    memset(opt, 0, sizeof *opt);
    opt->s = *s;
    opt->count = pt->count;
    opt->is_clip = callocCheck((size_t)pt->count, 1);
    opt->decay = callocCheck((size_t)pt->count, 1);
    opt->has_grad = callocCheck((size_t)pt->count, 1);
    opt->fp16 = callocCheck((size_t)pt->count, 1);
    opt->steps = callocCheck((size_t)pt->count, sizeof(int64_t));
    opt->m = callocCheck(pt->total, sizeof(float));
    opt->v = callocCheck(pt->total, sizeof(float));
    opt->logit_scale = params_find(pt, "clip.logit_scale");
    for (int i = 0; i < pt->count; i++) {
        opt->is_clip[i] = strncmp(pt->info[i].name, "clip.", 5) == 0;
        opt->decay[i] = strstr(pt->info[i].name, "bias") == NULL;
        opt->has_grad[i] = 1;
        opt->fp16[i] = s->clip_fp16 && clip_param_is_fp16(pt->info[i].name);
    }
}

void bertadam_free(BertAdam *opt) {
    free(opt->is_clip), free(opt->decay), free(opt->has_grad), free(opt->fp16), free(opt->steps);
    free(opt->m), free(opt->v);
    memset(opt, 0, sizeof *opt);
}

/* Sums of squares in fixed chunks: each chunk is summed in order, the chunk
 * sums in chunk order, so the result does not depend on the thread count
 * (a tensor of one chunk sums exactly as a plain loop). */
#define OPTIM_CHUNK        ((size_t)1 << 16)
#define OPTIM_PARALLEL_MIN ((size_t)1 << 15)

static double chunk_sq(const float *g, size_t n) {
    double acc = 0.0;
    for (size_t k = 0; k < n; k++)
        acc += (double)g[k] * g[k];
    return acc;
}

/* The sum of squares of g (n); with scaled != NULL, of the float products
 * g * scale, which are also written to scaled (may be g: in place). */
static double chunked_sq_norm(const float *g, float *scaled, size_t n, float scale) {
    const size_t chunks = (n + OPTIM_CHUNK - 1) / OPTIM_CHUNK;
    double small[64];
    double *part = chunks <= 64 ? small : mallocCheck(chunks * sizeof(double)); // (chunks)
#pragma omp parallel for schedule(static) if (n >= OPTIM_PARALLEL_MIN)
    for (size_t c = 0; c < chunks; c++) {
        const size_t off = c * OPTIM_CHUNK, len = c + 1 < chunks ? OPTIM_CHUNK : n - off;
        if (scaled)
            for (size_t k = 0; k < len; k++)
                scaled[off + k] = g[off + k] * scale;
        part[c] = chunk_sq(scaled ? scaled + off : g + off, len);
    }
    double acc = 0.0;
    for (size_t c = 0; c < chunks; c++)
        acc += part[c];
    if (part != small) free(part);
    return acc;
}

static double tensor_sq_norm(const float *g, size_t n) {
    return chunked_sq_norm(g, NULL, n, 1.0f);
}

/* g = g * scale in place; returns the sum of squares of the scaled values. */
static double scale_sq_norm(float *g, size_t n, float scale) {
    return chunked_sq_norm(g, g, n, scale);
}

/* The norm of tensor i's gradient as torch.norm returns it: an fp16 tensor's
 * norm is accumulated in fp32 and returned as fp16. */
static double tensor_norm(const BertAdam *opt, int i, const float *g, size_t n) {
    double nrm = sqrt(tensor_sq_norm(g, n));
    return opt->fp16[i] ? (double)half_round((float)nrm) : nrm;
}

double grad_global_norm(const BertAdam *opt, const ParamTable *pt, const float *grads) {
    /* torch.nn.utils.clip_grad_norm_: the norm of the per-tensor norms. */
    double acc = 0.0;
    for (int i = 0; i < pt->count; i++) {
        if (!opt->has_grad[i]) continue;
        double n = tensor_norm(opt, i, grads + pt->info[i].offset, pt->info[i].numel);
        acc += n * n;
    }
    return sqrt(acc);
}

double grad_clip_coef(double max_norm, double norm) {
    double coef = max_norm / (norm + 1e-6);
    return coef < 1.0 ? coef : 1.0;
}

double bertadam_tensor_lr(BertAdam *opt, int i) {
    const AdamSettings *s = &opt->s;
    double base = opt->is_clip[i] ? s->lr * s->coef_lr : s->lr;
    double lr = s->t_total > 0
                    ? base * schedule_factor(s->schedule,
                                             (double)opt->steps[i] / (double)s->t_total, s->warmup)
                    : base;
    if (opt->is_clip[i])
        opt->last_lr_clip = lr;
    else
        opt->last_lr_head = lr;
    return lr;
}

int logit_scale_clamp(float *ls) {
    const float cap = logf(100.0f);
    if (!(*ls > cap)) return 0;
    *ls = cap;
    return 1;
}

static void scale_tensor(float *g, size_t n, float f) {
#pragma omp parallel for simd schedule(static) if (n >= OPTIM_PARALLEL_MIN)
    for (size_t k = 0; k < n; k++)
        g[k] *= f;
}

/* ---- fp16 tensors (spec/model.md §11, AdamSettings.clip_fp16) ------------------
 * The reference's BertAdam on an fp16 parameter: p.grad, state m and v are
 * fp16 tensors, and every in-place op (PyTorch computes an fp16 op in fp32
 * and rounds its result to fp16 once) rounds:
 *   clip_grad_norm_(p): n = fp16(||g||); c = fp16(1 / fp16(n + 1e-6)); g = fp16(g c) if c < 1
 *   m.mul_(b1).add_(g, alpha=1-b1)       m = fp16(fp16(b1 m) + (1-b1) g)
 *   v.mul_(b2).addcmul_(g, g, 1-b2)      v = fp16(fp16(b2 v) + (1-b2) g g)
 *   u = m / (v.sqrt() + e)               u = fp16(m / fp16(fp16(sqrt v) + e))
 *   u += wd * p                          u = fp16(u + fp16(wd p))
 *   p.add_(-(lr * u))                    p = fp16(p - fp16(lr u))
 * The gradient arrives in fp16 (the fp16 GEMM's output): rounded first. In
 * the global clipping the fp16 tensors' norms are fp16, the total is fp32,
 * and the scaled gradient is rounded. Choice: scalars (b1, 1-b1, e, wd, lr)
 * are used as float32, as PyTorch's CUDA kernels take them (opmath). With
 * lr * coef_lr ~ 1e-7 most updates are below half an fp16 ulp of the
 * parameter and round away: the towers barely move (§11). */
static void fp16_clip_tensor(float *g, size_t n, double max_norm) {
    float nrm = half_round((float)sqrt(tensor_sq_norm(g, n)));
    float coef = half_round((float)max_norm / half_round(nrm + 1e-6f));
    if (coef < 1.0f)
        for (size_t k = 0; k < n; k++)
            g[k] = half_round(g[k] * coef);
}

static void fp16_adam(float *w, float *m, float *v, const float *g, size_t n, const AdamSettings *s,
                      float wd, float lr) {
    const float b1 = (float)s->b1, b2 = (float)s->b2, eps = (float)s->eps;
    const float a1 = (float)(1.0 - s->b1), a2 = (float)(1.0 - s->b2);
    for (size_t k = 0; k < n; k++) {
        const float mk = half_round(half_round(b1 * m[k]) + a1 * g[k]);
        const float vk = half_round(half_round(b2 * v[k]) + a2 * g[k] * g[k]);
        float u = half_round(mk / half_round(half_round(sqrtf(vk)) + eps));
        if (wd > 0.0f) u = half_round(u + half_round(wd * w[k]));
        w[k] = half_round(w[k] - half_round(lr * u));
        m[k] = mk;
        v[k] = vk;
    }
}

void bertadam_step(BertAdam *opt, const ParamTable *pt, float *params, float *grads) {
    const AdamSettings *s = &opt->s;
    for (int i = 0; i < pt->count; i++) /* an fp16 parameter's gradient is fp16 */
        if (opt->has_grad[i] && opt->fp16[i]) {
            float *g = grads + pt->info[i].offset;
            for (size_t k = 0; k < pt->info[i].numel; k++)
                g[k] = half_round(g[k]);
        }
    /* sq (count): each tensor's sum of squares, kept current through the
     * global scaling so the per-tensor clipping needs no second read */
    double *sq = callocCheck((size_t)pt->count, sizeof(double));
    double acc = 0.0;
    for (int i = 0; i < pt->count; i++) {
        if (!opt->has_grad[i]) continue;
        sq[i] = tensor_sq_norm(grads + pt->info[i].offset, pt->info[i].numel);
        double nrm = opt->fp16[i] ? (double)half_round((float)sqrt(sq[i])) : sqrt(sq[i]);
        acc += nrm * nrm;
    }
    const double total = sqrt(acc); /* = grad_global_norm */
    opt->last_grad_norm = total;
    if (s->max_grad_norm > 0.0) {
        double coef = grad_clip_coef(s->max_grad_norm, total);
        if (coef < 1.0)
            for (int i = 0; i < pt->count; i++) {
                if (!opt->has_grad[i]) continue;
                float *g = grads + pt->info[i].offset;
                if (opt->fp16[i]) {
                    scale_tensor(g, pt->info[i].numel, (float)coef);
                    for (size_t k = 0; k < pt->info[i].numel; k++)
                        g[k] = half_round(g[k]);
                } else {
                    sq[i] = scale_sq_norm(g, pt->info[i].numel, (float)coef);
                }
            }
    }
    for (int i = 0; i < pt->count; i++) {
        if (!opt->has_grad[i]) continue;
        const ParamInfo *p = &pt->info[i];
        float *g = grads + p->offset, *w = params + p->offset;
        float *m = opt->m + p->offset, *v = opt->v + p->offset;
        if (s->max_grad_norm > 0.0 && opt->fp16[i]) {
            fp16_clip_tensor(g, p->numel, s->max_grad_norm);
        } else if (s->max_grad_norm > 0.0) {
            double coef = grad_clip_coef(s->max_grad_norm, sqrt(sq[i]));
            if (coef < 1.0) scale_tensor(g, p->numel, (float)coef);
        }
        double lr = bertadam_tensor_lr(opt, i);
        const float b1 = (float)s->b1, b2 = (float)s->b2, eps = (float)s->eps;
        const float wd = opt->decay[i] ? (float)s->weight_decay : 0.0f;
        const float flr = (float)lr;
        if (opt->fp16[i]) {
            fp16_adam(w, m, v, g, p->numel, s, wd, flr);
            opt->steps[i]++;
            continue;
        }
        const size_t n = p->numel;
#pragma omp parallel for simd schedule(static) if (n >= OPTIM_PARALLEL_MIN)
        for (size_t k = 0; k < n; k++) {
            m[k] = b1 * m[k] + (1.0f - b1) * g[k];
            v[k] = b2 * v[k] + (1.0f - b2) * g[k] * g[k];
            float u = m[k] / (sqrtf(v[k]) + eps);
            if (wd > 0.0f) u += wd * w[k];
            w[k] -= flr * u;
        }
        opt->steps[i]++;
    }
    if (opt->logit_scale >= 0) {
        logit_scale_clamp(params + pt->info[opt->logit_scale].offset);
    }
    free(sq);
}
