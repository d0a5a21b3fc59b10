/* BertAdam as the reference uses it (spec/model.md §7): global gradient-norm
 * clipping, then per-tensor clipping again, Adam moments without bias
 * correction, decoupled-looking weight decay added to the update, two
 * learning-rate groups (CLIP towers at lr * coef_lr, heads at lr), a
 * warmup schedule on x = step / t_total, and the logit_scale clamp. */
#ifndef DRL_DRL_OPTIM_H
#define DRL_DRL_OPTIM_H

#include <stdint.h>

#include "model/params.h"

typedef enum { SCHEDULE_WARMUP_COSINE, SCHEDULE_WARMUP_LINEAR, SCHEDULE_WARMUP_CONSTANT } Schedule;

typedef struct {
    double lr, coef_lr, b1, b2, eps, weight_decay, max_grad_norm, warmup;
    Schedule schedule;
    int64_t t_total;
    int clip_fp16; /* 1: model.clip_precision "fp16" (spec §11): the fp16 CLIP tensors
                      (clip_param_is_fp16) are stored and updated in fp16 (see BertAdam.fp16) */
} AdamSettings;

typedef struct {
    AdamSettings s;
    int count;         /* tensors */
    uint8_t *is_clip;  /* (count) 1: name starts with "clip." (lr * coef_lr) */
    uint8_t *decay;    /* (count) 1: name has no "bias" */
    uint8_t *has_grad; /* (count) 1: the tensor takes part (receives a gradient) */
    uint8_t *fp16;     /* (count) 1: stored in fp16 with fp16 moments (s.clip_fp16 and
                          clip_param_is_fp16): gradient, moments and parameter are rounded
                          to fp16 after every operation of the update, as PyTorch's fp16
                          tensors are (optim.c) */
    int64_t *steps;    /* (count) per-tensor step counters (the reference's state['step']) */
    float *m, *v;      /* (total) moments, flat like the parameters */
    int logit_scale;   /* index of clip.logit_scale or -1 */
    double last_lr_clip, last_lr_head; /* learning rates of the last update */
    double last_grad_norm;             /* global norm before clipping */
} BertAdam;

/* Schedule factor for progress x = step / t_total. */
double schedule_factor(Schedule s, double x, double warmup);

void bertadam_init(BertAdam *opt, const ParamTable *pt, const AdamSettings *s);
void bertadam_free(BertAdam *opt);
/* One update of params (total) from grads (total). grads are clipped in place. */
void bertadam_step(BertAdam *opt, const ParamTable *pt, float *params, float *grads);

/* Global L2 norm of the gradient over the participating tensors. */
double grad_global_norm(const BertAdam *opt, const ParamTable *pt, const float *grads);

/* Host-side pieces of one update, shared with the CUDA backend (cuda/cuda_optim.c): */
/* Clipping coefficient of clip_grad_norm_: min(1, max_norm / (norm + 1e-6)). */
double grad_clip_coef(double max_norm, double norm);
/* Learning rate of tensor i's next update: lr (lr * coef_lr for the CLIP
 * towers) times the schedule at steps[i] / t_total (no schedule when
 * t_total <= 0); recorded in last_lr_clip or last_lr_head. */
double bertadam_tensor_lr(BertAdam *opt, int i);
/* Clamps logit_scale to ln(100); 1 when it changed it. */
int logit_scale_clamp(float *ls);

#endif
