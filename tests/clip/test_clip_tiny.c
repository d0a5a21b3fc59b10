/* CLIP towers against the PyTorch reference (tests/reference/clip_ref.py) on
 * a tiny model: features from the fp32 and the fp16 archive, and every
 * gradient of f = sum(image_feat * cw) + sum(text_feat * ct). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clip_fixture.h"
#include "common/check.h"

typedef struct {
    char dir[1024], golden[1100];
    const DrlOps *ops;
    int N, B, L, D;
    float *frames; // (N, 3, R, R)
    int32_t *ids;  // (B, L)
} Case;

static int setup(void **state) {
    Case *c = callocCheck(1, sizeof *c);
    c->ops = drl_cpu_ops();
    fixture_dir(c->dir, sizeof c->dir, "clip_tiny");
    snprintf(c->golden, sizeof c->golden, "%s/clip_golden.h5", c->dir);
    int nd;
    int64_t dims[8];
    size_t n;
    c->frames = golden_read(c->golden, "frames", 0, &nd, dims, &n);
    c->N = (int)dims[0];
    c->ids = golden_read(c->golden, "text_ids", 1, &nd, dims, &n);
    c->B = (int)dims[0];
    c->L = (int)dims[1];
    *state = c;
    return 0;
}

static int teardown(void **state) {
    Case *c = *state;
    free(c->frames);
    free(c->ids);
    free(c);
    return 0;
}

/* Runs both towers; returns host copies of the features. */
static void run_features(Case *c, ClipModel *m, float **img, float **txt) {
    const DrlOps *ops = c->ops;
    const int D = m->clip.s.embed_dim, R = m->clip.s.resolution;
    size_t fb = (size_t)c->N * 3 * R * R * sizeof(float);
    float *frames = ops->alloc(fb); // (N, 3, R, R)
    ops->to_device(frames, c->frames, fb);
    int32_t *ids = ops->alloc((size_t)c->B * c->L * sizeof(int32_t)); // (B, L)
    ops->to_device(ids, c->ids, (size_t)c->B * c->L * sizeof(int32_t));
    float *dimg = ops->alloc((size_t)c->N * D * sizeof(float));        // (N, D)
    float *dtxt = ops->alloc((size_t)c->B * c->L * D * sizeof(float)); // (B, L, D)
    clip_vision_fwd(&m->clip, ops, &m->pt, frames, c->N, dimg);
    clip_text_fwd(&m->clip, ops, &m->pt, ids, c->B, c->L, dtxt);
    *img = mallocCheck((size_t)c->N * D * sizeof(float));
    *txt = mallocCheck((size_t)c->B * c->L * D * sizeof(float));
    ops->to_host(*img, dimg, (size_t)c->N * D * sizeof(float));
    ops->to_host(*txt, dtxt, (size_t)c->B * c->L * D * sizeof(float));
    ops->free(frames);
    ops->free(ids);
    ops->free(dimg);
    ops->free(dtxt);
}

static void compare(const char *what, const float *ours, const char *golden, const char *name,
                    size_t n, double tol) {
    int nd;
    int64_t dims[8];
    size_t gn;
    float *ref = golden_read(golden, name, 0, &nd, dims, &gn);
    assert_int_equal(gn, n);
    double e = rel_err(ours, ref, n);
    printf("%-34s vs %-18s rel err %.3g (tol %.0e)\n", what, name, e, tol);
    assert_true(e <= tol);
    free(ref);
}

static void test_features_fp32(void **state) {
    Case *c = *state;
    char path[1200];
    snprintf(path, sizeof path, "%s/clip_fp32.pt", c->dir);
    ClipModel m;
    clip_model_from_pt(&m, c->ops, path, c->N, c->B, c->L);
    float *img, *txt;
    run_features(c, &m, &img, &txt);
    const size_t D = (size_t)m.clip.s.embed_dim;
    compare("image features (fp32 archive)", img, c->golden, "image_feat", c->N * D, 1e-5);
    compare("text features (fp32 archive)", txt, c->golden, "text_feat", c->B * c->L * D, 1e-5);
    free(img);
    free(txt);
    clip_model_free(&m, c->ops);
}

static void test_features_fp16(void **state) {
    Case *c = *state;
    char path[1200];
    snprintf(path, sizeof path, "%s/clip_fp16.pt", c->dir);
    ClipModel m;
    clip_model_from_pt(&m, c->ops, path, c->N, c->B, c->L);
    float *img, *txt;
    run_features(c, &m, &img, &txt);
    const size_t D = (size_t)m.clip.s.embed_dim;
    compare("image features (fp16 archive)", img, c->golden, "image_feat_fp16w", c->N * D, 1e-5);
    compare("text features (fp16 archive)", txt, c->golden, "text_feat_fp16w", c->B * c->L * D,
            1e-5);
    /* against the fp32-weight features: fp16 rounding of the weights only */
    compare("image features (fp16 archive)", img, c->golden, "image_feat", c->N * D, 1e-2);
    compare("text features (fp16 archive)", txt, c->golden, "text_feat", c->B * c->L * D, 1e-2);
    free(img);
    free(txt);
    clip_model_free(&m, c->ops);
}

static void test_gradients(void **state) {
    Case *c = *state;
    const DrlOps *ops = c->ops;
    char path[1200];
    snprintf(path, sizeof path, "%s/clip_fp32.pt", c->dir);
    ClipModel m;
    clip_model_from_pt(&m, ops, path, c->N, c->B, c->L);
    float *img, *txt;
    run_features(c, &m, &img, &txt); /* forward; saved activations are these */
    const size_t D = (size_t)m.clip.s.embed_dim;
    int nd;
    int64_t dims[8];
    size_t n1, n2;
    float *cw = golden_read(c->golden, "cw", 0, &nd, dims, &n1); // (N, D)
    float *ct = golden_read(c->golden, "ct", 0, &nd, dims, &n2); // (B, L, D)
    assert_int_equal(n1, c->N * D);
    assert_int_equal(n2, c->B * c->L * D);
    float *dcw = ops->alloc(n1 * sizeof(float)); // (N, D)
    float *dct = ops->alloc(n2 * sizeof(float)); // (B, L, D)
    ops->to_device(dcw, cw, n1 * sizeof(float));
    ops->to_device(dct, ct, n2 * sizeof(float));
    ops->zero(m.pt.grad, m.pt.total * sizeof(float));
    clip_vision_bwd(&m.clip, ops, &m.pt, dcw, c->N);
    clip_text_bwd(&m.clip, ops, &m.pt, dct, c->B, c->L);
    int compared = 0;
    double worst = 0;
    for (int i = 0; i < m.pt.count; i++) {
        const ParamInfo *p = &m.pt.info[i];
        char gname[256];
        snprintf(gname, sizeof gname, "grad/%s", p->name + 5 /* "clip." */);
        if (!golden_has(c->golden, gname)) {
            /* logit_scale does not enter f: PyTorch leaves its grad None */
            assert_string_equal(p->name, "clip.logit_scale");
            continue;
        }
        float *g = mallocCheck(p->numel * sizeof(float));
        ops->to_host(g, params_at(&m.pt, m.pt.grad, i), p->numel * sizeof(float));
        int gnd;
        int64_t gd[8];
        size_t gn;
        float *ref = golden_read(c->golden, gname, 0, &gnd, gd, &gn);
        assert_int_equal(gn, p->numel);
        double e = rel_err(g, ref, gn);
        if (e > worst) worst = e;
        if (e > 1e-4) printf("gradient of %s: rel err %.3g > 1e-4\n", p->name, e);
        assert_true(e <= 1e-4);
        compared++;
        free(g);
        free(ref);
    }
    printf("%d gradients match PyTorch, worst rel err %.3g (tol 1e-4)\n", compared, worst);
    assert_int_equal(compared, m.pt.count - 1);
    ops->free(dcw);
    ops->free(dct);
    free(cw);
    free(ct);
    free(img);
    free(txt);
    clip_model_free(&m, ops);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_features_fp32),
        cmocka_unit_test(test_features_fp16),
        cmocka_unit_test(test_gradients),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
