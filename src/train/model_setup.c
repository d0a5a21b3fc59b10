#include "train/model_setup.h"

#include <hdf5.h>
#include <stdio.h>
#include <string.h>

#include "checkpoint/ckpt.h"
#include "checkpoint/clip_import.h"
#include "common/check.h"
#include "common/log.h"
#include "model/param_buffers.h"
#include "ptload/pt_reader.h"

DrlHeadsSpec heads_spec_from_config(const DrlConfig *cfg) {
    DrlHeadsSpec h;
    memset(&h, 0, sizeof h);
    h.agg = cfg->model.agg_module == DRL_AGG_NONE      ? HEAD_AGG_NONE
            : cfg->model.agg_module == DRL_AGG_SEQLSTM ? HEAD_AGG_SEQLSTM
                                                       : HEAD_AGG_SEQTRANSF;
    h.interaction = cfg->model.interaction == DRL_INTER_DP    ? HEAD_DP
                    : cfg->model.interaction == DRL_INTER_XTI ? HEAD_XTI
                    : cfg->model.interaction == DRL_INTER_TI  ? HEAD_TI
                                                              : HEAD_WTI;
    h.wti_arch = cfg->model.wti_arch;
    h.cdcr = cfg->model.cdcr;
    h.alpha1 = (float)cfg->model.cdcr_alpha1;
    h.alpha2 = (float)cfg->model.cdcr_alpha2;
    h.lambda = (float)cfg->model.cdcr_lambda;
    h.xti_dropout = (float)cfg->model.xti_dropout;
    h.agg_layers = cfg->model.agg_layers;
    h.cross_layers = 4;
    h.L = cfg->data.max_words;
    h.T = cfg->data.max_frames;
    return h;
}

AdamSettings adam_settings_from_config(const DrlConfig *cfg, int64_t t_total) {
    AdamSettings s;
    s.lr = cfg->train.lr;
    s.coef_lr = cfg->train.coef_lr;
    s.b1 = cfg->train.b1;
    s.b2 = cfg->train.b2;
    s.eps = cfg->train.eps;
    s.weight_decay = cfg->train.weight_decay;
    s.max_grad_norm = cfg->train.max_grad_norm;
    s.warmup = cfg->train.warmup_proportion;
    s.schedule = cfg->train.schedule == DRL_SCHED_WARMUP_LINEAR     ? SCHEDULE_WARMUP_LINEAR
                 : cfg->train.schedule == DRL_SCHED_WARMUP_CONSTANT ? SCHEDULE_WARMUP_CONSTANT
                                                                    : SCHEDULE_WARMUP_COSINE;
    s.t_total = t_total;
    s.clip_fp16 = cfg->model.clip_precision == DRL_CLIP_FP16;
    return s;
}

/* ---- names and shapes of an HDF5 weights file ------------------------------ */

typedef struct {
    char **names;
    int64_t (*shapes)[DRL_PARAM_MAX_DIMS];
    int *ndims;
    int count, cap;
} H5Listing;

static herr_t list_cb(hid_t obj, const char *name, const H5O_info_t *info, void *data) {
    H5Listing *l = data;
    if (info->type != H5O_TYPE_DATASET || strchr(name, '/')) return 0; /* root datasets only */
    hid_t ds = H5Dopen2(obj, name, H5P_DEFAULT);
    if (ds < 0) return 0;
    hid_t sp = H5Dget_space(ds);
    int nd = H5Sget_simple_extent_ndims(sp);
    hsize_t dims[8] = {0};
    if (nd >= 0 && nd <= DRL_PARAM_MAX_DIMS) {
        H5Sget_simple_extent_dims(sp, dims, NULL);
        if (l->count == l->cap) {
            l->cap = l->cap ? 2 * l->cap : 256;
            l->names = realloc(l->names, sizeof(char *) * l->cap);
            l->shapes = realloc(l->shapes, sizeof(*l->shapes) * l->cap);
            l->ndims = realloc(l->ndims, sizeof(int) * l->cap);
            drlCheck(l->names && l->shapes && l->ndims, "out of memory listing a weights file");
        }
        l->names[l->count] = strdup(name);
        l->ndims[l->count] = nd;
        for (int d = 0; d < nd; d++)
            l->shapes[l->count][d] = (int64_t)dims[d];
        l->count++;
    }
    H5Sclose(sp);
    H5Dclose(ds);
    return 0;
}

static void listing_free(H5Listing *l) {
    for (int i = 0; i < l->count; i++)
        free(l->names[i]);
    free(l->names), free(l->shapes), free(l->ndims);
    memset(l, 0, sizeof *l);
}

static int is_hdf5(const char *path) {
    return H5Fis_hdf5(path) > 0;
}

/* Shape from tensors named "clip.*" (init_model); tensors given as names/shapes. */
static int shape_from_list(ClipShape *s, char **names, int64_t (*shapes)[DRL_PARAM_MAX_DIMS],
                           const int *ndims, int count, const char *path, char *err,
                           size_t errlen) {
    ClipTensorMeta *meta = callocCheck((size_t)(count ? count : 1), sizeof *meta);
    for (int i = 0; i < count; i++) {
        meta[i].name = names[i];
        meta[i].ndim = ndims[i];
        meta[i].shape = shapes[i];
    }
    char inner[768];
    int rc = clip_shape_from_tensors(s, meta, count, "clip.", inner, sizeof inner);
    free(meta);
    if (rc) snprintf(err, errlen, "%s: %s", path, inner);
    return rc;
}

/* Loads a torch.save state dict of the reference implementation by name. */
static int load_reference_bin(DrlModel *m, const PtFile *f, const char *path, char *err,
                              size_t errlen) {
    const ParamTable *pt = &m->pt;
    size_t used = 0;
    int bad = 0;
    for (int i = 0; i < pt->count; i++) {
        const ParamInfo *p = &pt->info[i];
        const PtTensor *t = pt_find(f, p->name);
        int ok = t && (size_t)t->numel == p->numel;
        if (!ok) {
            used += (size_t)snprintf(err + used, used < errlen ? errlen - used : 0, "%s%s: %s '%s'",
                                     bad ? "; " : "", path,
                                     t ? "mis-shaped tensor" : "missing tensor", p->name);
            bad++;
            continue;
        }
        params_upload(pt, m->ops, pt->data, i, t->data);
    }
    return bad ? -1 : 0;
}

static int setup_weights(DrlModel *m, const DrlConfig *cfg, const DrlOps *ops, const DrlComm *comm,
                         int max_local, char *err, size_t errlen);

int model_setup(DrlModel *m, const DrlConfig *cfg, const DrlOps *ops, const DrlComm *comm,
                int max_local, char *err, size_t errlen) {
    memset(m, 0, sizeof *m); /* m->ops is set once the model is built */
    int rc = setup_weights(m, cfg, ops, comm, max_local, err, errlen);
    if (rc != 0 && m->ops) { /* the callers only print the error: free what was built */
        drl_model_free(m);
        memset(m, 0, sizeof *m);
    }
    /* spec §11: the reference converts the listed CLIP tensors to fp16 before
     * loading, i.e. their loaded values are rounded (the heads copied from
     * CLIP keep the unrounded values, as there) */
    if (rc == 0 && cfg->model.clip_precision == DRL_CLIP_FP16) clip_set_fp16(&m->clip, ops, &m->pt);
    return rc;
}

static int setup_weights(DrlModel *m, const DrlConfig *cfg, const DrlOps *ops, const DrlComm *comm,
                         int max_local, char *err, size_t errlen) {
    ClipShape shape;
    const char *init = cfg->model.init_model, *clip_pt = cfg->model.pretrained_clip;
    H5Listing list = {0};
    PtFile bin = {0};
    int have_bin = 0;
    if (init[0]) {
        if (is_hdf5(init)) {
            hid_t f = H5Fopen(init, H5F_ACC_RDONLY, H5P_DEFAULT);
            if (f < 0) {
                snprintf(err, errlen, "%s: cannot open the init_model checkpoint", init);
                return -1;
            }
            H5Ovisit(f, H5_INDEX_NAME, H5_ITER_INC, list_cb, &list);
            H5Fclose(f);
            if (shape_from_list(&shape, list.names, list.shapes, list.ndims, list.count, init, err,
                                errlen)) {
                listing_free(&list);
                return -1;
            }
        } else {
            char inner[768];
            if (pt_load(init, &bin, inner, sizeof inner)) {
                snprintf(err, errlen, "model.init_model: %s", inner);
                return -1;
            }
            have_bin = 1;
            char **names = callocCheck((size_t)bin.count + 1, sizeof(char *));
            int64_t(*shapes)[DRL_PARAM_MAX_DIMS] =
                callocCheck((size_t)bin.count + 1, sizeof *shapes);
            int *nd = callocCheck((size_t)bin.count + 1, sizeof(int));
            for (int i = 0; i < bin.count; i++) {
                names[i] = bin.tensors[i].name;
                nd[i] = bin.tensors[i].ndim <= DRL_PARAM_MAX_DIMS ? bin.tensors[i].ndim : 0;
                for (int d = 0; d < nd[i]; d++)
                    shapes[i][d] = bin.tensors[i].shape[d];
            }
            int rc = shape_from_list(&shape, names, shapes, nd, bin.count, init, err, errlen);
            free(names), free(shapes), free(nd);
            if (rc) {
                pt_free(&bin);
                return -1;
            }
        }
    } else if (clip_pt[0]) {
        ClipPt f;
        if (clip_pt_open(&f, clip_pt, err, errlen)) return -1;
        if (clip_pt_shape(&f, &shape, err, errlen)) {
            clip_pt_close(&f);
            return -1;
        }
        DrlHeadsSpec h = heads_spec_from_config(cfg);
        drl_model_init(m, ops, comm, &shape, &h, (uint64_t)cfg->train.seed);
        drl_model_set_recompute_blocks(m, cfg->run.recompute == DRL_RECOMPUTE_BLOCKS);
        drl_model_alloc(m, max_local);
        if (clip_pt_copy(&f, &m->pt, ops, m->pt.data, err, errlen)) {
            clip_pt_close(&f);
            return -1;
        }
        clip_pt_close(&f);
        drl_model_init_heads_from_clip(m, (uint64_t)cfg->train.seed);
        return 0;
    } else {
        if (clip_shape_from_config(&shape, &cfg->model.clip, err, errlen)) return -1;
    }

    DrlHeadsSpec h = heads_spec_from_config(cfg);
    drl_model_init(m, ops, comm, &shape, &h, (uint64_t)cfg->train.seed);
    drl_model_set_recompute_blocks(m, cfg->run.recompute == DRL_RECOMPUTE_BLOCKS);
    drl_model_alloc(m, max_local);
    if (have_bin) {
        int rc = load_reference_bin(m, &bin, init, err, errlen);
        pt_free(&bin);
        return rc;
    }
    if (init[0]) {
        listing_free(&list);
        CkptReader r;
        if (ckpt_open(&r, init, err, errlen)) return -1;
        int *loaded = callocCheck((size_t)m->pt.count, sizeof(int));
        CkptReadOpts o = {.group = NULL,
                          .name_prefix = NULL,
                          .allow_missing = 1,
                          .allow_extra = 1,
                          .loaded = loaded};
        int rc = ckpt_read_params(&r, &o, &m->pt, ops, m->pt.data, err, errlen);
        ckpt_close(&r);
        if (rc == 0) {
            /* heads absent from the file (a CLIP-only checkpoint): §8 from CLIP */
            int missing_heads = 0, missing_clip = 0, loaded_heads = 0;
            for (int i = 0; i < m->pt.count; i++) {
                if (loaded[i]) {
                    loaded_heads += strncmp(m->pt.info[i].name, "clip.", 5) != 0;
                    continue;
                }
                if (strncmp(m->pt.info[i].name, "clip.", 5) == 0) {
                    if (!missing_clip)
                        snprintf(err, errlen, "%s: missing tensor '%s' (and maybe others)", init,
                                 m->pt.info[i].name);
                    missing_clip++;
                } else {
                    missing_heads++;
                }
            }
            if (missing_clip) {
                rc = -1;
            } else if (missing_heads && loaded_heads) {
                snprintf(err, errlen, "%s: has weights for some head tensors but not for %d others",
                         init, missing_heads);
                rc = -1;
            } else if (missing_heads) {
                log_info("init_model %s has no weights for %d head tensors: initialising the heads "
                         "from CLIP (spec §8)",
                         init, missing_heads);
                drl_model_init_heads_from_clip(m, (uint64_t)cfg->train.seed);
            }
        }
        free(loaded);
        return rc;
    }
    drl_model_init_random(m, (uint64_t)cfg->train.seed);
    return 0;
}
