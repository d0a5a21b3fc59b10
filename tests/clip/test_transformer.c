/* The generic transformer as the DRL heads use it (2 heads, eps 1e-12,
 * additive key mask) against PyTorch: output, input gradient and every
 * parameter gradient. Parameters are read with the checkpoint reader from
 * the h5py-written case (name prefix "heads."). Run twice: with the default
 * activations and with whole-block recomputation, which must also give
 * bit-identical gradients to the default in less activation memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint/ckpt.h"
#include "clip_fixture.h"
#include "common/check.h"
#include "model/param_buffers.h"
#include "model/transformer.h"

static float *dev_from_golden(const DrlOps *ops, const char *path, const char *name, size_t *n) {
    int nd;
    int64_t dims[8];
    float *h = golden_read(path, name, 0, &nd, dims, n);
    float *d = ops->alloc(*n * sizeof(float));
    ops->to_device(d, h, *n * sizeof(float));
    free(h);
    return d;
}

/* The PyTorch comparison with recompute_blocks = recompute; returns the
 * activation bytes; grads_out (pt.total) receives the flat gradient. */
static size_t run_case(int recompute, float **grads_out, size_t *total) {
    const DrlOps *ops = drl_cpu_ops();
    char dir[1024], path[1200], err[4096];
    fixture_dir(dir, sizeof dir, "clip_transformer");
    snprintf(path, sizeof path, "%s/transformer_case.h5", dir);
    const int B = 3, T = 6, W = 128;
    ParamTable pt;
    params_init(&pt);
    Transformer t;
    transformer_init(&t, &pt, "heads", W, 2, 2, 1e-12f, 0);
    t.recompute_blocks = recompute;
    params_alloc_buffers(&pt, ops);
    size_t bytes = transformer_alloc(&t, ops, 4, 8); /* larger than used */
    printf("transformer activations (recompute_blocks %d): %zu bytes for (4, 8)\n", recompute,
           bytes);
    CkptReader rd;
    assert_int_equal(ckpt_open(&rd, path, err, sizeof err), 0);
    CkptReadOpts o = {.name_prefix = "heads.", .allow_extra = 1};
    int rc = ckpt_read_params(&rd, &o, &pt, ops, pt.data, err, sizeof err);
    if (rc) printf("%s\n", err);
    assert_int_equal(rc, 0);
    ckpt_close(&rd);

    size_t n;
    float *x = dev_from_golden(ops, path, "x", &n);          // (B, T, W)
    float *mask = dev_from_golden(ops, path, "keymask", &n); // (B, T)
    float *c = dev_from_golden(ops, path, "c", &n);          // (B, T, W)
    transformer_fwd(&t, ops, &pt, x, mask, B, T);
    int nd;
    int64_t dims[8];
    float *ref = golden_read(path, "out", 0, &nd, dims, &n);
    float *h = malloc(n * sizeof(float));
    ops->to_host(h, x, n * sizeof(float));
    double e = rel_err(h, ref, n);
    printf("output rel err %.3g\n", e);
    assert_true(e <= 1e-5);
    free(ref);
    ops->zero(pt.grad, pt.total * sizeof(float));
    transformer_bwd(&t, ops, &pt, c, B, T); /* c becomes dx */
    ref = golden_read(path, "dx", 0, &nd, dims, &n);
    ops->to_host(h, c, n * sizeof(float));
    e = rel_err(h, ref, n);
    printf("dx rel err %.3g\n", e);
    assert_true(e <= 1e-4);
    free(ref);
    free(h);
    for (int i = 0; i < pt.count; i++) {
        char gname[256];
        snprintf(gname, sizeof gname, "grad/%s", pt.info[i].name + strlen("heads."));
        size_t gn;
        float *g = golden_read(path, gname, 0, &nd, dims, &gn);
        assert_int_equal(gn, pt.info[i].numel);
        float *ours = malloc(gn * sizeof(float));
        params_download(&pt, ops, pt.grad, i, ours);
        e = rel_err(ours, g, gn);
        if (e > 1e-4) printf("%s: rel err %.3g\n", pt.info[i].name, e);
        assert_true(e <= 1e-4);
        free(ours);
        free(g);
    }
    *total = pt.total;
    *grads_out = malloc(pt.total * sizeof(float));
    ops->to_host(*grads_out, pt.grad, pt.total * sizeof(float));
    ops->free(x);
    ops->free(mask);
    ops->free(c);
    transformer_free(&t, ops);
    params_free_buffers(&pt, ops);
    params_free_table(&pt);
    return bytes;
}

static void test_transformer_masked(void **state) {
    (void)state;
    float *g;
    size_t n;
    run_case(0, &g, &n);
    free(g);
}

static void test_transformer_recompute_blocks(void **state) {
    (void)state;
    float *g0, *g1;
    size_t n0, n1;
    size_t b0 = run_case(0, &g0, &n0);
    size_t b1 = run_case(1, &g1, &n1);
    assert_int_equal(n0, n1);
    assert_true(b1 < b0);
    assert_memory_equal(g0, g1, n0 * sizeof(float));
    printf("whole-block recomputation: %zu of %zu activation bytes, gradients bit-identical\n", b1,
           b0);
    free(g0);
    free(g1);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_transformer_masked),
                                       cmocka_unit_test(test_transformer_recompute_blocks)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
