#include "train/step_dump.h"

#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "checkpoint/ckpt.h"
#include "common/check.h"
#include "common/log.h"
#include "drl/optim.h"
#include "train/model_setup.h"

/* Reads a dataset of the expected rank into a malloc'ed buffer; returns NULL
 * (with a message) when absent or mis-shaped. dims[i] < 0 = any size. */
static void *read_ds(hid_t f, const char *path, const char *name, hid_t memtype, size_t elsize,
                     int ndim, long long *dims, int optional) {
    if (H5Lexists(f, name, H5P_DEFAULT) <= 0) {
        if (!optional)
            fprintf(stderr, "error: %s: dataset '%s' is missing (expected %d dimensions)\n", path,
                    name, ndim);
        return NULL;
    }
    hid_t ds = h5Check(H5Dopen2(f, name, H5P_DEFAULT));
    hid_t sp = h5Check(H5Dget_space(ds));
    int nd = H5Sget_simple_extent_ndims(sp);
    hsize_t d[8] = {0};
    H5Sget_simple_extent_dims(sp, d, NULL);
    int ok = nd == ndim;
    for (int i = 0; ok && i < ndim; i++) {
        if (dims[i] >= 0 && (long long)d[i] != dims[i]) ok = 0;
    }
    void *buf = NULL;
    if (!ok) {
        fprintf(stderr, "error: %s: dataset '%s' has shape (", path, name);
        for (int i = 0; i < nd; i++) fprintf(stderr, "%s%llu", i ? ", " : "", (unsigned long long)d[i]);
        fprintf(stderr, "), expected (");
        for (int i = 0; i < ndim; i++) fprintf(stderr, "%s%lld", i ? ", " : "", dims[i]);
        fprintf(stderr, ") (-1 = any)\n");
    } else {
        size_t n = 1;
        for (int i = 0; i < ndim; i++) n *= d[i], dims[i] = (long long)d[i];
        buf = mallocCheck(n * elsize);
        h5Check(H5Dread(ds, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf));
    }
    H5Sclose(sp);
    H5Dclose(ds);
    return buf;
}

static void write_f32(CkptWriter *w, const char *name, const float *x, int ndim, int64_t d0,
                      int64_t d1, int64_t d2) {
    int64_t shape[3] = {d0, d1, d2};
    ckpt_write_array(w, name, x, ndim, shape);
}

int step_dump_run(const DrlConfig *cfg, const char *batch_path, long long steps,
                  long long total_steps, const char *out_path) {
    const int L = cfg->data.max_words, T = cfg->data.max_frames;
    hid_t f = H5Fopen(batch_path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        fprintf(stderr, "error: %s: cannot open the batch file (an HDF5 file is expected)\n",
                batch_path);
        return 2;
    }
    long long d_ids[2] = {-1, L}, d_tm[2] = {-1, L}, d_vm[2] = {-1, T};
    long long d_video[5] = {-1, T, 3, -1, -1}, d_tp[1] = {-1}, d_vp[1] = {-1};
    int32_t *ids = read_ds(f, batch_path, "text_ids", H5T_NATIVE_INT32, 4, 2, d_ids, 0);
    int32_t *tm = read_ds(f, batch_path, "text_mask", H5T_NATIVE_INT32, 4, 2, d_tm, 0);
    int32_t *vm = read_ds(f, batch_path, "video_mask", H5T_NATIVE_INT32, 4, 2, d_vm, 0);
    float *video = read_ds(f, batch_path, "video", H5T_NATIVE_FLOAT, 4, 5, d_video, 0);
    int32_t *tp = read_ds(f, batch_path, "cdcr_text_pick", H5T_NATIVE_INT32, 4, 1, d_tp, 1);
    int32_t *vp = read_ds(f, batch_path, "cdcr_video_pick", H5T_NATIVE_INT32, 4, 1, d_vp, 1);
    H5Fclose(f);
    int bad = !ids || !tm || !vm || !video;
    const int B = bad ? 0 : (int)d_ids[0];
    if (!bad && (d_tm[0] != B || d_vm[0] != B || d_video[0] != B || d_video[3] != d_video[4])) {
        fprintf(stderr, "error: %s: text_ids, text_mask, video and video_mask must agree on the "
                        "batch size and video frames must be square\n", batch_path);
        bad = 1;
    }
    if (!bad && ((tp && d_tp[0] != B) || (vp && d_vp[0] != B) || (!tp) != (!vp))) {
        fprintf(stderr, "error: %s: cdcr_text_pick and cdcr_video_pick must both be present with "
                        "%d entries\n", batch_path, B);
        bad = 1;
    }
    if (bad) {
        free(ids), free(tm), free(vm), free(video), free(tp), free(vp);
        return 2;
    }

    const DrlOps *ops = drl_cpu_ops();
    DrlComm comm;
    comm_init_single(&comm);
    DrlModel m;
    char err[4096];
    if (model_setup(&m, cfg, ops, &comm, B, err, sizeof err)) {
        fprintf(stderr, "error: %s\n", err);
        free(ids), free(tm), free(vm), free(video), free(tp), free(vp);
        return 1;
    }
    if (d_video[3] != m.R) {
        fprintf(stderr, "error: %s: video frames are %lldx%lld, the model's resolution is %d\n",
                batch_path, d_video[3], d_video[4], m.R);
        drl_model_free(&m);
        free(ids), free(tm), free(vm), free(video), free(tp), free(vp);
        return 2;
    }
    DrlBatch batch = {.B = B, .ids = ids, .text_mask = tm, .video = video, .video_mask = vm,
                      .cdcr_text_pick = tp, .cdcr_video_pick = vp};
    BertAdam opt;
    AdamSettings as = adam_settings_from_config(cfg, total_steps > 0 ? total_steps : steps);
    bertadam_init(&opt, &m.pt, &as);
    for (int i = 0; i < m.pt.count; i++) opt.has_grad[i] = (uint8_t)drl_model_param_is_used(&m, i);
    m.training = 1;

    CkptWriter w;
    ckpt_create(&w, out_path);
    const int D = m.D;
    const long long nsteps = steps > 0 ? steps : 1;
    float *loss_per_step = callocCheck((size_t)nsteps, sizeof(float)); // (nsteps)
    for (long long s = 0; s < (steps > 0 ? steps : 1); s++) {
        DrlLosses l = drl_step(&m, &batch, steps > 0);
        log_info("step %lld: loss %.6f (sim %.6f, cdcr %.6f)", s, l.loss, l.loss_sim, l.loss_cdcr);
        if (!isfinite(l.loss)) {
            fprintf(stderr, "error: non-finite loss at step %lld\n", s);
            ckpt_abort(&w);
            return 1;
        }
        loss_per_step[s] = (float)l.loss;
        if (s == 0) {
            write_f32(&w, "loss", (float[]){(float)l.loss}, 0, 0, 0, 0);
            write_f32(&w, "loss_sim", (float[]){(float)l.loss_sim}, 0, 0, 0, 0);
            write_f32(&w, "loss_cdcr", (float[]){(float)l.loss_cdcr}, 0, 0, 0, 0);
            write_f32(&w, "sim", m.sim, 2, B, B, 0);
            write_f32(&w, "logits_t2v", m.logits_t2v, 2, B, B, 0);
            write_f32(&w, "logits_v2t", m.logits_v2t, 2, B, B, 0);
            write_f32(&w, "text_feat", m.tf_g, 3, B, L, D);
            write_f32(&w, "video_feat", m.vf_g, 3, B, T, D);
            if (m.h.interaction == HEAD_WTI) {
                write_f32(&w, "text_weight", m.wt, 2, B, L, 0);
                write_f32(&w, "video_weight", m.wv, 2, B, T, 0);
            }
            for (int i = 0; steps > 0 && i < m.pt.count; i++) {
                if (!opt.has_grad[i]) continue;
                char name[DRL_PARAM_NAME_MAX + 8];
                snprintf(name, sizeof name, "grad/%s", m.pt.info[i].name);
                ckpt_write_array(&w, name, params_at(&m.pt, m.pt.grad, i), m.pt.info[i].ndim,
                                 m.pt.info[i].shape);
            }
        }
        if (steps > 0) bertadam_step(&opt, &m.pt, m.pt.data, m.pt.grad);
    }
    write_f32(&w, "loss_per_step", loss_per_step, 1, nsteps, 0, 0);
    free(loss_per_step);
    ckpt_write_params(&w, "param", &m.pt, ops, m.pt.data);
    ckpt_write_attr_int64(&w, "steps", steps);
    ckpt_write_attr_int64(&w, "total_steps", total_steps);
    ckpt_commit(&w);
    log_info("wrote %s", out_path);
    bertadam_free(&opt);
    drl_model_free(&m);
    free(ids), free(tm), free(vm), free(video), free(tp), free(vp);
    return 0;
}
