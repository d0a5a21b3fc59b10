#include "cuda/cuda_optim.h"

#include <math.h>
#include <stdlib.h>

#include "common/check.h"
#include "cuda/cuda_backend.h"
#include "ops/half.h"

/* The norm of a tensor's gradient from its sum of squares, as torch.norm
 * returns it (an fp16 tensor's norm is fp16), like optim.c tensor_norm. */
static double seg_norm(const DrlCudaAdamSeg *s, double sq) {
    double n = sqrt(sq);
    return s->fp16 ? (double)half_round((float)n) : n;
}

void drl_cuda_bertadam_step(BertAdam *opt, const ParamTable *pt, float *params, float *grads,
                            float *m, float *v) {
    const AdamSettings *s = &opt->s;
    DrlCudaAdamSeg *segs = callocCheck((size_t)pt->count, sizeof *segs); // (count)
    float *pre = callocCheck((size_t)pt->count, sizeof(float));          // (count)
    double *sq = callocCheck((size_t)pt->count, sizeof(double));         // (count)
    int *index = callocCheck((size_t)pt->count, sizeof(int));            // (count) tensor of a seg
    int n = 0;
    for (int i = 0; i < pt->count; i++) {
        if (!opt->has_grad[i]) continue;
        segs[n] = (DrlCudaAdamSeg){.offset = pt->info[i].offset,
                                   .numel = pt->info[i].numel,
                                   .clip1 = 1.0f,
                                   .clip2 = 1.0f,
                                   .fp16 = opt->fp16[i],
                                   .step = (uint64_t)opt->steps[i]};
        index[n++] = i;
    }
    // global norm: the norm of the per-tensor norms (clip_grad_norm_); fp16
    // tensors' gradients are rounded to fp16 first (the kernels do it)
    drl_cuda_tensor_sqnorms(sq, grads, segs, NULL, n);
    double acc = 0.0;
    for (int k = 0; k < n; k++) {
        double t = seg_norm(&segs[k], sq[k]);
        acc += t * t;
    }
    double total = sqrt(acc);
    opt->last_grad_norm = total;
    if (s->max_grad_norm > 0.0) {
        float c1 = (float)grad_clip_coef(s->max_grad_norm, total);
        for (int k = 0; k < n; k++)
            segs[k].clip1 = c1, pre[k] = c1;
        // per-tensor norms of the globally clipped (and, fp16, rounded) gradients
        drl_cuda_tensor_sqnorms(sq, grads, segs, pre, n);
        for (int k = 0; k < n; k++) {
            if (segs[k].fp16) { // optim.c fp16_clip_tensor
                float nrm = half_round((float)sqrt(sq[k]));
                float coef = half_round((float)s->max_grad_norm / half_round(nrm + 1e-6f));
                segs[k].clip2 = coef < 1.0f ? coef : 1.0f;
            } else {
                segs[k].clip2 = (float)grad_clip_coef(s->max_grad_norm, sqrt(sq[k]));
            }
        }
    }
    for (int k = 0; k < n; k++) {
        int i = index[k];
        segs[k].lr = (float)bertadam_tensor_lr(opt, i);
        segs[k].wd = opt->decay[i] ? (float)s->weight_decay : 0.0f;
        opt->steps[i]++;
    }
    drl_cuda_adam_update(params, grads, m, v, segs, n, (float)s->b1, (float)s->b2, (float)s->eps,
                         (float)(1.0 - s->b1), (float)(1.0 - s->b2));
    if (opt->logit_scale >= 0) {
        const DrlOps *ops = drl_cuda_ops();
        float *dev = params + pt->info[opt->logit_scale].offset, ls;
        ops->to_host(&ls, dev, sizeof ls);
        if (logit_scale_clamp(&ls)) ops->to_device(dev, &ls, sizeof ls);
    }
    free(segs), free(pre), free(sq), free(index);
}
