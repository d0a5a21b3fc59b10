#include "drl/optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"

double schedule_factor(Schedule s, double x, double warmup) {
    if (x < warmup) return x / warmup;
    switch (s) {
    case SCHEDULE_WARMUP_COSINE: return 0.5 * (1.0 + cos(M_PI * x));
    case SCHEDULE_WARMUP_LINEAR: {
        double f = (x - 1.0) / (warmup - 1.0);
        return f > 0.0 ? f : 0.0;
    }
    case SCHEDULE_WARMUP_CONSTANT: return 1.0;
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
    opt->steps = callocCheck((size_t)pt->count, sizeof(int64_t));
    opt->m = callocCheck(pt->total, sizeof(float));
    opt->v = callocCheck(pt->total, sizeof(float));
    opt->logit_scale = params_find(pt, "clip.logit_scale");
    for (int i = 0; i < pt->count; i++) {
        opt->is_clip[i] = strncmp(pt->info[i].name, "clip.", 5) == 0;
        opt->decay[i] = strstr(pt->info[i].name, "bias") == NULL;
        opt->has_grad[i] = 1;
    }
}

void bertadam_free(BertAdam *opt) {
    free(opt->is_clip), free(opt->decay), free(opt->has_grad), free(opt->steps);
    free(opt->m), free(opt->v);
    memset(opt, 0, sizeof *opt);
}

static double tensor_sq_norm(const float *g, size_t n) {
    double acc = 0.0;
    for (size_t k = 0; k < n; k++) acc += (double)g[k] * g[k];
    return acc;
}

double grad_global_norm(const BertAdam *opt, const ParamTable *pt, const float *grads) {
    /* torch.nn.utils.clip_grad_norm_: the norm of the per-tensor norms. */
    double acc = 0.0;
    for (int i = 0; i < pt->count; i++) {
        if (!opt->has_grad[i]) continue;
        double n = sqrt(tensor_sq_norm(grads + pt->info[i].offset, pt->info[i].numel));
        acc += n * n;
    }
    return sqrt(acc);
}

static void scale_tensor(float *g, size_t n, float f) {
    for (size_t k = 0; k < n; k++) g[k] *= f;
}

void bertadam_step(BertAdam *opt, const ParamTable *pt, float *params, float *grads) {
    const AdamSettings *s = &opt->s;
    double total = grad_global_norm(opt, pt, grads);
    opt->last_grad_norm = total;
    if (s->max_grad_norm > 0.0) {
        double coef = s->max_grad_norm / (total + 1e-6);
        if (coef < 1.0)
            for (int i = 0; i < pt->count; i++)
                if (opt->has_grad[i])
                    scale_tensor(grads + pt->info[i].offset, pt->info[i].numel, (float)coef);
    }
    for (int i = 0; i < pt->count; i++) {
        if (!opt->has_grad[i]) continue;
        const ParamInfo *p = &pt->info[i];
        float *g = grads + p->offset, *w = params + p->offset;
        float *m = opt->m + p->offset, *v = opt->v + p->offset;
        if (s->max_grad_norm > 0.0) {
            double n = sqrt(tensor_sq_norm(g, p->numel));
            double coef = s->max_grad_norm / (n + 1e-6);
            if (coef < 1.0) scale_tensor(g, p->numel, (float)coef);
        }
        double base = opt->is_clip[i] ? s->lr * s->coef_lr : s->lr;
        double lr = s->t_total > 0
                        ? base * schedule_factor(s->schedule,
                                                 (double)opt->steps[i] / (double)s->t_total,
                                                 s->warmup)
                        : base;
        if (opt->is_clip[i])
            opt->last_lr_clip = lr;
        else
            opt->last_lr_head = lr;
        const float b1 = (float)s->b1, b2 = (float)s->b2, eps = (float)s->eps;
        const float wd = opt->decay[i] ? (float)s->weight_decay : 0.0f;
        const float flr = (float)lr;
        for (size_t k = 0; k < p->numel; k++) {
            m[k] = b1 * m[k] + (1.0f - b1) * g[k];
            v[k] = b2 * v[k] + (1.0f - b2) * g[k] * g[k];
            float u = m[k] / (sqrtf(v[k]) + eps);
            if (wd > 0.0f) u += wd * w[k];
            w[k] -= flr * u;
        }
        opt->steps[i]++;
    }
    if (opt->logit_scale >= 0) {
        float *ls = params + pt->info[opt->logit_scale].offset;
        const float cap = logf(100.0f);
        if (*ls > cap) *ls = cap;
    }
}
