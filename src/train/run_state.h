/* The run's full state in one checkpoint (ckpt/last.h5): parameters, Adam
 * moments and per-tensor step counters, the global step and epoch, the
 * loader position, the model's generator state, the best metric so far and
 * the effective configuration. Written by rank 0 only (every rank holds the
 * same state), atomically (ckpt.h). */
#ifndef DRL_TRAIN_RUN_STATE_H
#define DRL_TRAIN_RUN_STATE_H

#include <stdint.h>

#include "drl/drl_model.h"
#include "drl/optim.h"

typedef struct {
    int64_t step;         /* optimiser steps taken */
    int64_t epoch;        /* epoch of the next batch */
    int64_t batch;        /* index of the next batch in that epoch */
    double best_r1;       /* best validation text-to-video R@1 so far (-1 none) */
    int64_t best_epoch;   /* epoch (1-based) of best_r1, 0 none */
    double train_seconds; /* training wall time so far */
} RunProgress;

/* Writes path atomically; config_text is stored as the `config` attribute.
 * with_optimizer 0 writes the parameters only (best.h5; adam_m, adam_v may
 * be NULL). adam_m, adam_v (pt.total) are the moments in backend memory (the
 * model's ops read them), opt holds the host state (step counters). */
void run_state_save(const char *path, const DrlModel *m, const BertAdam *opt, const float *adam_m,
                    const float *adam_v, const RunProgress *p, const char *config_text,
                    int with_optimizer);
/* Loads a full state written by run_state_save (moments into adam_m, adam_v,
 * backend memory). Returns 0, or -1 with err. */
int run_state_load(const char *path, DrlModel *m, BertAdam *opt, float *adam_m, float *adam_v,
                   RunProgress *p, char *err, size_t errlen);
/* Loads the parameters only (best.h5). */
int run_state_load_params(const char *path, DrlModel *m, char *err, size_t errlen);

#endif
