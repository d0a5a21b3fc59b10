#include "train/run_state.h"

#include <stdio.h>
#include <string.h>

#include "checkpoint/ckpt.h"
#include "common/check.h"

void run_state_save(const char *path, const DrlModel *m, const BertAdam *opt, const float *adam_m,
                    const float *adam_v, const RunProgress *p, const char *config_text,
                    int with_optimizer) {
    CkptWriter w;
    ckpt_create(&w, path);
    ckpt_write_params(&w, NULL, &m->pt, m->ops, m->pt.data);
    if (with_optimizer) {
        ckpt_write_params(&w, "adam_m", &m->pt, m->ops, adam_m);
        ckpt_write_params(&w, "adam_v", &m->pt, m->ops, adam_v);
        ckpt_write_array_int64(&w, "state/adam_steps", opt->steps, (size_t)opt->count);
        int64_t rng[2] = {(int64_t)m->rng.key, (int64_t)m->rng.counter};
        ckpt_write_array_int64(&w, "state/rng", rng, 2);
    }
    ckpt_write_attr_int64(&w, "step", p->step);
    ckpt_write_attr_int64(&w, "epoch", p->epoch);
    ckpt_write_attr_int64(&w, "batch", p->batch);
    ckpt_write_attr_double(&w, "best_r1", p->best_r1);
    ckpt_write_attr_int64(&w, "best_epoch", p->best_epoch);
    ckpt_write_attr_double(&w, "train_seconds", p->train_seconds);
    ckpt_write_attr_int64(&w, "full_state", with_optimizer);
    if (config_text) ckpt_write_attr_string(&w, "config", config_text);
    ckpt_commit(&w);
}

static int read_params(CkptReader *r, const char *group, DrlModel *m, float *flat, char *err,
                       size_t errlen) {
    CkptReadOpts o = {
        .group = group, .name_prefix = NULL, .allow_missing = 0, .allow_extra = 0, .loaded = NULL};
    return ckpt_read_params(r, &o, &m->pt, m->ops, flat, err, errlen);
}

int run_state_load(const char *path, DrlModel *m, BertAdam *opt, float *adam_m, float *adam_v,
                   RunProgress *p, char *err, size_t errlen) {
    CkptReader r;
    if (ckpt_open(&r, path, err, errlen)) return -1;
    int64_t full = 0, rng[2] = {0, 0};
    int rc = 0;
    if (ckpt_read_attr_int64(&r, "full_state", &full) || !full) {
        snprintf(err, errlen,
                 "%s: not a full training state (no Adam moments); resume needs ckpt/last.h5",
                 path);
        rc = -1;
    }
    if (!rc) rc = read_params(&r, NULL, m, m->pt.data, err, errlen);
    if (!rc) rc = read_params(&r, "adam_m", m, adam_m, err, errlen);
    if (!rc) rc = read_params(&r, "adam_v", m, adam_v, err, errlen);
    if (!rc)
        rc = ckpt_read_array_int64(&r, "state/adam_steps", opt->steps, (size_t)opt->count, err,
                                   errlen);
    if (!rc) rc = ckpt_read_array_int64(&r, "state/rng", rng, 2, err, errlen);
    if (!rc && (ckpt_read_attr_int64(&r, "step", &p->step) ||
                ckpt_read_attr_int64(&r, "epoch", &p->epoch) ||
                ckpt_read_attr_int64(&r, "batch", &p->batch) ||
                ckpt_read_attr_double(&r, "best_r1", &p->best_r1) ||
                ckpt_read_attr_int64(&r, "best_epoch", &p->best_epoch) ||
                ckpt_read_attr_double(&r, "train_seconds", &p->train_seconds))) {
        snprintf(err, errlen,
                 "%s: a progress attribute (step, epoch, batch, best_r1, ...) is missing", path);
        rc = -1;
    }
    if (!rc) {
        m->rng.key = (uint64_t)rng[0];
        m->rng.counter = (uint64_t)rng[1];
    }
    ckpt_close(&r);
    return rc;
}

int run_state_load_params(const char *path, DrlModel *m, char *err, size_t errlen) {
    CkptReader r;
    if (ckpt_open(&r, path, err, errlen)) return -1;
    int rc = read_params(&r, NULL, m, m->pt.data, err, errlen);
    ckpt_close(&r);
    return rc;
}
