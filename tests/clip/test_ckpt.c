/* HDF5 checkpoints: bit-exact round trip of parameters, Adam moments and
 * attributes; missing / mis-shaped / extra tensors named; no temporary file
 * left; a weights file written by h5py; .pt import errors naming tensors.
 * Also writes clip_tiny/ours_ckpt.h5 for the h5py test (test_ckpt_h5py.py). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint/ckpt.h"
#include "checkpoint/clip_import.h"
#include "clip_fixture.h"
#include "common/check.h"
#include "model/param_buffers.h"

/* A tiny CLIP plus one DRL-head-like transformer, randomly initialised. */
typedef struct {
    ParamTable pt;
    Clip clip;
    Transformer head;
} Model;

static void model_make(Model *m, const DrlOps *ops, int with_head, uint64_t seed) {
    DrlClipShape cfg = {.vision_width = 64,
                        .vision_layers = 2,
                        .vision_patch = 8,
                        .image_resolution = 32,
                        .text_width = 64,
                        .text_layers = 2,
                        .embed_dim = 64,
                        .vocab_size = 300,
                        .context_length = 77};
    ClipShape s;
    char err[512];
    assert_int_equal(clip_shape_from_config(&s, &cfg, err, sizeof err), 0);
    params_init(&m->pt);
    clip_init(&m->clip, &m->pt, &s);
    if (with_head) transformer_init(&m->head, &m->pt, "transformerClip", 64, 1, 1, 1e-12f, 0);
    params_alloc_buffers(&m->pt, ops);
    DrlRng rng;
    rng_init(&rng, seed);
    clip_init_random(&m->clip, &m->pt, ops, &rng);
    if (with_head) {
        float *host = calloc(m->pt.total, sizeof(float));
        transformer_init_clip_scheme(&m->head, &m->pt, host, &rng);
        for (int i = m->clip.last_param + 1; i < m->pt.count; i++)
            params_upload(&m->pt, ops, m->pt.data, i, host + m->pt.info[i].offset);
        free(host);
    }
}

static void model_free(Model *m, const DrlOps *ops, int with_head) {
    if (with_head) transformer_free(&m->head, ops);
    clip_free(&m->clip, ops);
    params_free_buffers(&m->pt, ops);
    params_free_table(&m->pt);
}

static void tmp_path(char *buf, size_t len, const char *leaf) {
    char dir[1024];
    fixture_dir(dir, sizeof dir, "clip_ckpt_test");
    snprintf(buf, len, "mkdir -p %s", dir);
    assert_int_equal(system(buf), 0);
    snprintf(buf, len, "%s/%s", dir, leaf);
}

static void test_roundtrip(void **state) {
    const DrlOps *ops = drl_cpu_ops();
    Model a, b;
    model_make(&a, ops, 1, 11);
    model_make(&b, ops, 1, 99); /* same layout, other values */
    const size_t bytes = a.pt.total * sizeof(float);
    float *m1 = ops->alloc(bytes), *v1 = ops->alloc(bytes); // (total) Adam moments
    float *m2 = ops->alloc(bytes), *v2 = ops->alloc(bytes); // (total)
    DrlRng r;
    rng_init(&r, 5);
    float *host = malloc(bytes);
    rng_normal(&r, host, a.pt.total, 0, 1);
    ops->to_device(m1, host, bytes);
    rng_uniform(&r, host, a.pt.total);
    ops->to_device(v1, host, bytes);
    int64_t rng_state[2] = {(int64_t)r.key, (int64_t)r.counter};
    const char *config = "train = { lr = 1e-4; };\nmodel = { interaction = \"wti\"; };\n";

    char path[1200], tmp[1300];
    tmp_path(path, sizeof path, "roundtrip.h5");
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    unlink(path);
    /* a stale temporary file from a crashed run is replaced */
    FILE *stale = fopen(tmp, "w");
    assert_non_null(stale);
    fputs("garbage", stale);
    fclose(stale);

    CkptWriter w;
    ckpt_create(&w, path);
    ckpt_write_params(&w, NULL, &a.pt, ops, a.pt.data);
    ckpt_write_params(&w, "adam_m", &a.pt, ops, m1);
    ckpt_write_params(&w, "adam_v", &a.pt, ops, v1);
    ckpt_write_array_int64(&w, "rng/init", rng_state, 2);
    ckpt_write_attr_int64(&w, "step", 1234);
    ckpt_write_attr_int64(&w, "epoch", 3);
    ckpt_write_attr_double(&w, "lr", 2.5e-7);
    ckpt_write_attr_string(&w, "config", config);
    ckpt_commit(&w);
    assert_int_equal(access(tmp, F_OK), -1); /* the temporary name is gone */
    assert_int_equal(access(path, F_OK), 0);

    CkptReader rd;
    char err[4096];
    assert_int_equal(ckpt_open(&rd, path, err, sizeof err), 0);
    assert_int_equal(ckpt_read_params(&rd, NULL, &b.pt, ops, b.pt.data, err, sizeof err), 0);
    CkptReadOpts om = {.group = "adam_m"}, ov = {.group = "adam_v"};
    assert_int_equal(ckpt_read_params(&rd, &om, &b.pt, ops, m2, err, sizeof err), 0);
    assert_int_equal(ckpt_read_params(&rd, &ov, &b.pt, ops, v2, err, sizeof err), 0);
    int64_t st[2], step = 0, epoch = 0;
    double lr = 0;
    char cfg[256];
    assert_int_equal(ckpt_read_array_int64(&rd, "rng/init", st, 2, err, sizeof err), 0);
    assert_int_equal(ckpt_read_attr_int64(&rd, "step", &step), 0);
    assert_int_equal(ckpt_read_attr_int64(&rd, "epoch", &epoch), 0);
    assert_int_equal(ckpt_read_attr_double(&rd, "lr", &lr), 0);
    assert_int_equal(ckpt_read_attr_string(&rd, "config", cfg, sizeof cfg), 0);
    assert_int_equal(ckpt_read_attr_int64(&rd, "no_such", &step), -1);
    ckpt_close(&rd);
    assert_memory_equal(st, rng_state, sizeof st);
    assert_int_equal(step, 1234);
    assert_int_equal(epoch, 3);
    assert_true(lr == 2.5e-7);
    assert_string_equal(cfg, config);
    /* bit-equal, tensor by tensor (the alignment padding is not stored) */
    float *ha = malloc(bytes), *hb = malloc(bytes);
    const float *pairs[3][2] = {{a.pt.data, b.pt.data}, {m1, m2}, {v1, v2}};
    for (int k = 0; k < 3; k++) {
        ops->to_host(ha, pairs[k][0], bytes);
        ops->to_host(hb, pairs[k][1], bytes);
        for (int i = 0; i < a.pt.count; i++)
            assert_memory_equal(ha + a.pt.info[i].offset, hb + a.pt.info[i].offset,
                                a.pt.info[i].numel * sizeof(float));
    }
    free(ha);
    free(hb);
    free(host);
    ops->free(m1);
    ops->free(v1);
    ops->free(m2);
    ops->free(v2);
    model_free(&a, ops, 1);
    model_free(&b, ops, 1);
}

/* Writes every tensor of m except `skip`; `reshape` gets a 2-d shape. */
static void write_altered(const char *path, Model *m, const DrlOps *ops, const char *skip,
                          const char *reshape) {
    CkptWriter w;
    ckpt_create(&w, path);
    for (int i = 0; i < m->pt.count; i++) {
        const ParamInfo *p = &m->pt.info[i];
        if (skip && strcmp(p->name, skip) == 0) continue;
        float *h = malloc(p->numel * sizeof(float));
        params_download(&m->pt, ops, m->pt.data, i, h);
        if (reshape && strcmp(p->name, reshape) == 0) {
            int64_t s2[2] = {p->shape[0], (int64_t)(p->numel / p->shape[0])};
            ckpt_write_array(&w, p->name, h, 2, s2);
        } else {
            ckpt_write_array(&w, p->name, h, p->ndim, p->shape);
        }
        free(h);
    }
    ckpt_commit(&w);
}

static void test_errors_name_tensors(void **state) {
    const DrlOps *ops = drl_cpu_ops();
    Model m;
    model_make(&m, ops, 1, 3);
    char path[1200], err[4096];
    CkptReader rd;

    tmp_path(path, sizeof path, "missing.h5");
    write_altered(path, &m, ops, "clip.ln_final.bias", NULL);
    assert_int_equal(ckpt_open(&rd, path, err, sizeof err), 0);
    assert_int_equal(ckpt_read_params(&rd, NULL, &m.pt, ops, m.pt.data, err, sizeof err), -1);
    printf("missing: %s\n", err);
    assert_non_null(strstr(err, "1 missing: 'clip.ln_final.bias'"));
    /* allowed: the others are read, the missing one reported in loaded[] */
    int *loaded = calloc((size_t)m.pt.count, sizeof(int));
    CkptReadOpts allow = {.allow_missing = 1, .loaded = loaded};
    assert_int_equal(ckpt_read_params(&rd, &allow, &m.pt, ops, m.pt.data, err, sizeof err), 0);
    assert_int_equal(loaded[params_find(&m.pt, "clip.ln_final.bias")], 0);
    assert_int_equal(loaded[params_find(&m.pt, "clip.ln_final.weight")], 1);
    free(loaded);
    ckpt_close(&rd);

    tmp_path(path, sizeof path, "misshaped.h5");
    write_altered(path, &m, ops, NULL, "clip.visual.conv1.weight");
    assert_int_equal(ckpt_open(&rd, path, err, sizeof err), 0);
    assert_int_equal(ckpt_read_params(&rd, NULL, &m.pt, ops, m.pt.data, err, sizeof err), -1);
    printf("mis-shaped: %s\n", err);
    assert_non_null(strstr(err, "'clip.visual.conv1.weight' is [64, 192], expected [64, 3, 8, 8]"));
    ckpt_close(&rd);

    /* a CLIP-only model reading a file with DRL-head tensors: extra, named */
    tmp_path(path, sizeof path, "extra.h5");
    write_altered(path, &m, ops, NULL, NULL);
    Model c;
    model_make(&c, ops, 0, 3);
    assert_int_equal(ckpt_open(&rd, path, err, sizeof err), 0);
    assert_int_equal(ckpt_read_params(&rd, NULL, &c.pt, ops, c.pt.data, err, sizeof err), -1);
    printf("extra: %s\n", err);
    assert_non_null(strstr(err, "12 extra (not in the model): 'transformerClip.resblocks.0."));
    CkptReadOpts ignore = {.allow_extra = 1};
    assert_int_equal(ckpt_read_params(&rd, &ignore, &c.pt, ops, c.pt.data, err, sizeof err), 0);
    ckpt_close(&rd);
    /* and the DRL model reading a CLIP-only file: allowed missing */
    tmp_path(path, sizeof path, "cliponly.h5");
    write_altered(path, &c, ops, NULL, NULL);
    assert_int_equal(ckpt_open(&rd, path, err, sizeof err), 0);
    assert_int_equal(ckpt_read_params(&rd, NULL, &m.pt, ops, m.pt.data, err, sizeof err), -1);
    assert_non_null(strstr(err, "12 missing: 'transformerClip.resblocks.0.attn.in_proj_weight'"));
    CkptReadOpts partial = {.allow_missing = 1};
    assert_int_equal(ckpt_read_params(&rd, &partial, &m.pt, ops, m.pt.data, err, sizeof err), 0);
    ckpt_close(&rd);
    assert_int_equal(ckpt_open(&rd, "/nonexistent/x.h5", err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/x.h5"));
    model_free(&c, ops, 0);
    model_free(&m, ops, 1);
}

/* weights.h5 written by h5py (names without "clip.") equals the .pt import;
 * then our checkpoint of it is written for the h5py test. */
static void test_h5py_weights_and_export(void **state) {
    const DrlOps *ops = drl_cpu_ops();
    char dir[1024], path[1200], err[4096];
    fixture_dir(dir, sizeof dir, "clip_tiny");
    snprintf(path, sizeof path, "%s/clip_fp32.pt", dir);
    ClipModel a, b;
    clip_model_from_pt(&a, ops, path, 1, 1, 1);
    clip_model_from_pt(&b, ops, path, 1, 1, 1);
    ops->zero(b.pt.data, b.pt.total * sizeof(float));
    snprintf(path, sizeof path, "%s/weights.h5", dir);
    CkptReader rd;
    assert_int_equal(ckpt_open(&rd, path, err, sizeof err), 0);
    CkptReadOpts o = {.name_prefix = "clip."};
    int rc = ckpt_read_params(&rd, &o, &b.pt, ops, b.pt.data, err, sizeof err);
    if (rc) printf("%s\n", err);
    assert_int_equal(rc, 0);
    ckpt_close(&rd);
    assert_memory_equal(a.pt.data, b.pt.data, a.pt.total * sizeof(float)); /* CPU memory */

    snprintf(path, sizeof path, "%s/ours_ckpt.h5", dir);
    CkptWriter w;
    ckpt_create(&w, path);
    ckpt_write_params(&w, NULL, &a.pt, ops, a.pt.data);
    ckpt_write_attr_string(&w, "config", "model = { interaction = \"wti\"; };\n");
    ckpt_write_attr_int64(&w, "step", 7);
    ckpt_commit(&w);
    clip_model_free(&a, ops);
    clip_model_free(&b, ops);
}

static void test_pt_errors_name_tensors(void **state) {
    const DrlOps *ops = drl_cpu_ops();
    char dir[1024], path[1200], err[4096];
    fixture_dir(dir, sizeof dir, "clip_tiny");
    const char *files[2] = {"clip_missing.pt", "clip_badshape.pt"};
    const char *expect[2] = {"1 missing: 'transformer.resblocks.1.ln_2.bias'",
                             "1 mis-shaped: 'transformer.resblocks.0.mlp.c_fc.weight' is [64, "
                             "256], expected [256, 64]"};
    for (int k = 0; k < 2; k++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[k]);
        ClipPt f;
        assert_int_equal(clip_pt_open(&f, path, err, sizeof err), 0);
        ClipShape s;
        assert_int_equal(clip_pt_shape(&f, &s, err, sizeof err), 0);
        ParamTable pt;
        Clip clip;
        params_init(&pt);
        clip_init(&clip, &pt, &s);
        params_alloc_buffers(&pt, ops);
        assert_int_equal(clip_pt_copy(&f, &pt, ops, pt.data, err, sizeof err), -1);
        printf("%s\n", err);
        assert_non_null(strstr(err, expect[k]));
        assert_non_null(strstr(err, files[k]));
        clip_pt_close(&f);
        clip_free(&clip, ops);
        params_free_buffers(&pt, ops);
        params_free_table(&pt);
    }
}

static void test_shape_rejects_d_ne_text_width(void **state) {
    /* ViT-L/14-like but with D != text width: rejected with a clear message */
    int64_t conv[4] = {1024, 3, 14, 14}, vpos[2] = {257, 1024}, tproj[2] = {768, 512},
            pos[2] = {77, 768}, tok[2] = {49408, 768}, lnf[1] = {768}, blk[2] = {3072, 1024},
            tblk[2] = {2304, 768};
    ClipTensorMeta t[] = {
        {"visual.conv1.weight", 4, conv},
        {"visual.positional_embedding", 2, vpos},
        {"text_projection", 2, tproj},
        {"positional_embedding", 2, pos},
        {"token_embedding.weight", 2, tok},
        {"ln_final.weight", 1, lnf},
        {"visual.transformer.resblocks.0.attn.in_proj_weight", 2, blk},
        {"visual.transformer.resblocks.1.attn.in_proj_weight", 2, blk},
        {"transformer.resblocks.0.attn.in_proj_weight", 2, tblk},
    };
    ClipShape s;
    char err[512];
    assert_int_equal(clip_shape_from_tensors(&s, t, 9, "", err, sizeof err), -1);
    printf("%s\n", err);
    assert_non_null(strstr(err, "D = 512 differs from the text width 768"));
    tproj[1] = 768; /* the real ViT-L/14: D = 768 = text width */
    assert_int_equal(clip_shape_from_tensors(&s, t, 9, "", err, sizeof err), 0);
    assert_int_equal(s.vision_width, 1024);
    assert_int_equal(s.vision_heads, 16);
    assert_int_equal(s.vision_layers, 2);
    assert_int_equal(s.patch, 14);
    assert_int_equal(s.grid, 16);
    assert_int_equal(s.resolution, 224);
    assert_int_equal(s.text_width, 768);
    assert_int_equal(s.text_heads, 12);
    assert_int_equal(s.text_layers, 1);
    assert_int_equal(s.embed_dim, 768);
    t[5].name = "ln_final.bias_renamed";
    assert_int_equal(clip_shape_from_tensors(&s, t, 9, "", err, sizeof err), -1);
    assert_non_null(strstr(err, "'ln_final.weight' is missing"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_errors_name_tensors),
        cmocka_unit_test(test_h5py_weights_and_export),
        cmocka_unit_test(test_pt_errors_name_tensors),
        cmocka_unit_test(test_shape_rejects_d_ne_text_width),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
